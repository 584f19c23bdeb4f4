import { spanTag } from '../protocol/spanNumbers';

/** Number and text formatting shared by every part of the panel. */

export { plain, signed, significant } from '../protocol/numberFormat';

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
