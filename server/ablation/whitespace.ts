/**
 * The one definition of whitespace for segmentation and masking: Unicode's White_Space property.
 * JavaScript's `\s` differs from it in two characters: it matches U+FEFF (ZERO WIDTH NO-BREAK SPACE,
 * a format character that can sit inside a word) and misses U+0085 (NEXT LINE, a line end). Trimming
 * with one definition and splitting with the other would leave characters in no feature, so every
 * module that needs to know what whitespace is asks here.
 */
const WHITESPACE_UNIT = /^\p{White_Space}$/u;
const ANY_WHITESPACE = /\p{White_Space}/u;
const ONLY_WHITESPACE = /^\p{White_Space}*$/u;

/**
 * Line ends: CR LF counts as one, and so do a lone CR, LF, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR,
 * vertical tab and form feed (Unicode's mandatory line breaks). A source for `new RegExp(…, 'gu')`.
 */
export const LINE_BREAK_SOURCE = '\\r\\n|[\\n\\v\\f\\r\\u0085\\u2028\\u2029]';

/** Whitespace that does not end a line (spaces, tabs, NBSP…), as a character class source. */
export const HORIZONTAL_WHITESPACE_SOURCE = '[^\\P{White_Space}\\n\\v\\f\\r\\u0085\\u2028\\u2029]';

/** Whether the UTF-16 code unit at `index` is whitespace (every White_Space character is one code unit). */
export function isWhitespaceAt(text: string, index: number): boolean {
  const unit = text[index];
  return unit !== undefined && WHITESPACE_UNIT.test(unit);
}

export function containsWhitespace(text: string): boolean {
  return ANY_WHITESPACE.test(text);
}

export function isAllWhitespace(text: string): boolean {
  return ONLY_WHITESPACE.test(text);
}

/** How many code units of whitespace `text` starts with. */
export function leadingWhitespaceLength(text: string, from = 0, to = text.length): number {
  let end = from;
  while (end < to && isWhitespaceAt(text, end)) end += 1;
  return end - from;
}

/** How many code units of whitespace `text` ends with. */
export function trailingWhitespaceLength(text: string, from = 0, to = text.length): number {
  let start = to;
  while (start > from && isWhitespaceAt(text, start - 1)) start -= 1;
  return to - start;
}

const LINE_BREAKS = new RegExp(LINE_BREAK_SOURCE, 'gu');

export function countLineBreaks(text: string): number {
  return text.match(LINE_BREAKS)?.length ?? 0;
}
