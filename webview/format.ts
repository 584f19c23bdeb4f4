import { spanTag } from '../protocol/spanNumbers';

/** Number and text formatting shared by every part of the panel. */

const MINUS = '\u2212';

/** A value with its sign, e.g. "+2.0000" or "−0.0400"; tiny values in exponent form. */
export function signed(value: number, digits = 4): string {
  const size = Math.abs(value);
  const body = size !== 0 && size < 10 ** -digits ? size.toExponential(1) : size.toFixed(digits);
  return `${value < 0 ? MINUS : '+'}${body}`;
}

/** A plain number with a typographic minus. */
export function plain(value: number, digits = 4): string {
  return value < 0 ? `${MINUS}${Math.abs(value).toFixed(digits)}` : value.toFixed(digits);
}

export function milliseconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? noun : pluralNoun}`;
}

/** One line, at most `length` characters, with an ellipsis where cut. */
export function shorten(text: string, length = 60): string {
  const oneLine = text.replace(/\s+/gu, ' ').trim();
  return oneLine.length > length ? `${oneLine.slice(0, length - 1)}…` : oneLine;
}

/** "[3] “Gamma joins.”" (the third span): how a span is named in lists, cards and labels. */
export function spanName(index: number, text: string, length = 40): string {
  return `${spanTag(index)} “${shorten(text, length)}”`;
}
