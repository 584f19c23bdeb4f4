import { spanTag } from '../protocol/spanNumbers';

/** Number and text formatting shared by every part of the panel. */

const MINUS = '\u2212';

/**
 * A value to `digits` significant digits (3 by default: "2.42", "0.717", "11.3", "1235"): enough to
 * compare effects, without the "+3.0000" of fixed decimals. Values below 10⁻⁴ in exponent form.
 */
export function significant(value: number, digits = 3): string {
  const size = Math.abs(value);
  if (size === 0) return '0';
  if (!Number.isFinite(size)) return String(size);
  const magnitude = Math.floor(Math.log10(size));
  if (magnitude < -4) return size.toExponential(digits - 1).replace('e-', `e${MINUS}`);
  return size.toFixed(Math.max(0, digits - 1 - magnitude));
}

/** A value with its sign, e.g. "+2.00" or "−0.0400"; 0 without one. */
export function signed(value: number, digits = 3): string {
  if (value === 0) return '0';
  return `${value < 0 ? MINUS : '+'}${significant(value, digits)}`;
}

/** A plain number with a typographic minus, to `digits` significant digits. */
export function plain(value: number, digits = 3): string {
  return value < 0 ? `${MINUS}${significant(value, digits)}` : significant(value, digits);
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
