import type { Feature, Granularity, PinnedSpan } from '../../protocol/features';
import { isGranularity } from '../../protocol/features';
import {
  containsWhitespace,
  HORIZONTAL_WHITESPACE_SOURCE,
  isAllWhitespace,
  isWhitespaceAt,
  leadingWhitespaceLength,
  LINE_BREAK_SOURCE,
  trailingWhitespaceLength,
} from './whitespace';

/** A half-open range of UTF-16 offsets into the explained text. */
interface Range {
  start: number;
  end: number;
}

export interface SegmentOptions {
  readonly granularity: Granularity;
  /** Regular expressions whose matches are pinned: kept in every mask, never features. */
  readonly pin?: readonly string[];
  /** BCP 47 locale for word and sentence boundaries; the runtime's default when omitted. */
  readonly locale?: string;
}

export interface Segmentation {
  readonly features: Feature[];
  readonly pinned: PinnedSpan[];
}

/** Thrown for options a person got wrong (a bad pattern, an unknown granularity). */
export class SegmentationError extends Error {
  override readonly name = 'SegmentationError';
}

/**
 * Splits text into features. Every character that is not whitespace (Unicode White_Space, see
 * whitespace.ts) belongs to exactly one feature or to pinned text, at every granularity, so nothing
 * the model reads is beyond ablation. Features never contain leading or trailing whitespace, never
 * overlap each other or a pinned span, and always satisfy `text.slice(start, end) === feature.text`,
 * whatever the script (CJK, RTL, emoji, combining marks, lone surrogates), because every offset
 * comes from the segmenters themselves.
 */
export function segmentText(text: string, options: SegmentOptions): Segmentation {
  if (!isGranularity(options.granularity)) {
    throw new SegmentationError(
      `Unknown granularity "${String(options.granularity)}". Use token, word, sentence, line, paragraph, message or separator:<regex>.`,
    );
  }
  const pinnedRanges = findPinnedRanges(text, options.pin ?? []);
  const split = splitterFor(options.granularity, options.locale);
  const ranges: Range[] = [];
  for (const region of complement(pinnedRanges, text.length)) {
    for (const range of split(text, region)) {
      const trimmed = trimWhitespace(text, range);
      if (trimmed.end > trimmed.start) ranges.push(trimmed);
    }
  }
  return {
    features: ranges.map((range, index) => ({
      index,
      text: text.slice(range.start, range.end),
      start: range.start,
      end: range.end,
    })),
    pinned: pinnedRanges.map((range) => ({ text: text.slice(range.start, range.end), ...range })),
  };
}

type Splitter = (text: string, region: Range) => Range[];

const LINE_BREAK = new RegExp(LINE_BREAK_SOURCE, 'gu');
/** A blank line (a line end, spaces or tabs, another line end) or a PARAGRAPH SEPARATOR, with the whitespace after it. */
const PARAGRAPH_BREAK = new RegExp(
  `(?:${LINE_BREAK_SOURCE})${HORIZONTAL_WHITESPACE_SOURCE}*(?:${LINE_BREAK_SOURCE})\\p{White_Space}*|\\u2029\\p{White_Space}*`,
  'gu',
);

function splitterFor(granularity: Granularity, locale: string | undefined): Splitter {
  switch (granularity) {
    case 'word':
      return (text, region) => splitWords(text, region, locale);
    case 'token':
      return splitTokens;
    case 'sentence':
      return (text, region) => splitSentences(text, region, locale);
    case 'line':
      return (text, region) => splitBySeparator(text, region, LINE_BREAK);
    case 'paragraph':
      return (text, region) => splitBySeparator(text, region, PARAGRAPH_BREAK);
    case 'message':
      // A chat message's content is segmented on its own (promptDocument.ts): the whole of it is one span.
      return (_text, region) => [region];
    default: {
      const pattern = compilePattern(granularity.slice('separator:'.length), 'separator');
      return (text, region) => splitBySeparator(text, region, pattern);
    }
  }
}

/**
 * Words from Intl.Segmenter. Punctuation and symbols that touch a word (no whitespace between)
 * join that word: closing marks the word before, opening marks the word after, so a removed word
 * takes its comma with it. A group of symbols standing alone between spaces (`&`, `—`, a bullet
 * dash, an emoji, a flag, a keycap) is a feature of its own: every character must be removable.
 * Whitespace is decided per character, not per segment, because a segment can mix the two: a
 * space with a combining mark on it, or a word joined across U+202F (NARROW NO-BREAK SPACE).
 */
function splitWords(text: string, region: Range, locale: string | undefined): Range[] {
  const words: Range[] = [];
  // The word that symbols touching it from behind still join, until whitespace intervenes.
  let openWord: Range | undefined;
  // Symbols since the last whitespace that no word has taken yet.
  let looseSymbols: Range | undefined;
  const endCluster = (): void => {
    if (looseSymbols !== undefined) words.push(looseSymbols);
    looseSymbols = undefined;
    openWord = undefined;
  };
  const addRun = (start: number, end: number, isWordLike: boolean): void => {
    if (isWordLike) {
      openWord = { start: looseSymbols?.start ?? start, end };
      words.push(openWord);
      looseSymbols = undefined;
    } else if (openWord !== undefined) {
      openWord.end = end;
    } else if (looseSymbols !== undefined) {
      looseSymbols.end = end;
    } else {
      looseSymbols = { start, end };
    }
  };
  for (const piece of segmentInChunks(text, region, 'word', locale)) {
    if (!containsWhitespace(piece.segment)) {
      addRun(piece.start, piece.end, piece.isWordLike);
    } else if (isAllWhitespace(piece.segment)) {
      endCluster();
    } else {
      for (const run of piece.segment.matchAll(/\p{White_Space}+|\P{White_Space}+/gu)) {
        const start = piece.start + run.index;
        if (isWhitespaceAt(text, start)) endCluster();
        else addRun(start, start + run[0].length, piece.isWordLike);
      }
    }
  }
  endCluster();
  return words;
}

/**
 * Without a model tokenizer, tokens are approximated the way byte-pair tokenizers pre-split text:
 * runs of letters (with their combining marks and format characters such as ZWNJ or U+FEFF), runs
 * of digits (with their marks, so a keycap stays whole), and runs of anything else that is not
 * whitespace, each a feature. The three alternatives together match every non-whitespace character.
 */
function splitTokens(text: string, region: Range): Range[] {
  const tokens: Range[] = [];
  const pattern = /\p{L}[\p{L}\p{M}\p{Cf}]*|\p{N}[\p{N}\p{M}]*|[^\p{White_Space}\p{L}\p{N}]+/gu;
  pattern.lastIndex = region.start;
  for (let match = pattern.exec(text); match !== null && match.index < region.end; match = pattern.exec(text)) {
    tokens.push({ start: match.index, end: Math.min(match.index + match[0].length, region.end) });
  }
  return tokens;
}

function splitSentences(text: string, region: Range, locale: string | undefined): Range[] {
  const sentences: Range[] = [];
  for (const piece of segmentInChunks(text, region, 'sentence', locale)) {
    // A sentence segmenter does not break at line ends, but a list or a heading on its own line is
    // a unit to a reader, so sentences are split at newlines too.
    sentences.push(...splitBySeparator(text, piece, LINE_BREAK));
  }
  return sentences;
}

interface Piece extends Range {
  readonly segment: string;
  readonly isWordLike: boolean;
}

/** Intl.Segmenter input is cut into chunks of about this many UTF-16 units (see segmentInChunks). */
const CHUNK_LENGTH = 2_000;
/**
 * Where a chunk may end without changing the features, given the code units on either side of the
 * cut. Words: after whitespace and before whitespace, a letter or a digit (never before a combining
 * mark or a format character, which would cling to the whitespace). Sentences: after a paragraph
 * separator (not inside CR LF), or after a sentence end followed by whitespace.
 */
const SAFE_CUT: Record<'word' | 'sentence', (text: string, cut: number) => boolean> = {
  word: (text, cut) => isWhitespaceAt(text, cut - 1) && (isWhitespaceAt(text, cut) || /^[\p{L}\p{N}]$/u.test(text[cut] ?? '')),
  sentence: (text, cut) =>
    (/^[\n\r\u0085\u2028\u2029]$/u.test(text[cut - 1] ?? '') && text.slice(cut - 1, cut + 1) !== '\r\n') ||
    (/^[.!?。！？]$/u.test(text[cut - 1] ?? '') && isWhitespaceAt(text, cut)),
};

/**
 * Intl.Segmenter's iteration takes time quadratic in the length of the string it segments (V8 with
 * ICU: 0.6 s for 16,000 words, hours for a book), so long text is segmented in chunks of about
 * CHUNK_LENGTH, each cut just after a point where the segmenter would break anyway. Offsets are
 * absolute, as if the whole region had been segmented at once.
 */
function* segmentInChunks(text: string, region: Range, granularity: 'word' | 'sentence', locale: string | undefined): Generator<Piece> {
  const segmenter = new Intl.Segmenter(locale, { granularity });
  let chunkStart = region.start;
  while (chunkStart < region.end) {
    const chunkEnd = safeChunkEnd(text, chunkStart, region.end, SAFE_CUT[granularity]);
    for (const piece of segmenter.segment(text.slice(chunkStart, chunkEnd))) {
      const start = chunkStart + piece.index;
      yield { start, end: start + piece.segment.length, segment: piece.segment, isWordLike: piece.isWordLike === true };
    }
    chunkStart = chunkEnd;
  }
}

function safeChunkEnd(text: string, start: number, limit: number, safeCut: (text: string, cut: number) => boolean): number {
  if (limit - start <= CHUNK_LENGTH * 2) return limit;
  // Look for the last safe cut in the window [start + CHUNK_LENGTH, start + 2·CHUNK_LENGTH); without
  // one (a single enormous word or sentence), segment the rest whole.
  for (let cut = start + CHUNK_LENGTH * 2 - 1; cut > start + CHUNK_LENGTH; cut -= 1) {
    if (safeCut(text, cut)) return cut;
  }
  return limit;
}

/**
 * The pieces between matches of `separator` inside `region`, trimmed. A match's whitespace is glue,
 * but any other text in it (the `---` of `\n---\n`) must stay removable, so it joins the piece before
 * it, closing that piece as a terminator would; matches with no piece before them in the region join
 * the first piece after them, and when the region holds no piece at all their text is one feature.
 */
function splitBySeparator(text: string, region: Range, separator: RegExp): Range[] {
  const pieces: Range[] = [];
  let leadingSeparators: Range | undefined;
  const addPiece = (range: Range): void => {
    const piece = trimWhitespace(text, range);
    if (piece.end === piece.start) return;
    pieces.push(leadingSeparators === undefined ? piece : { start: leadingSeparators.start, end: piece.end });
    leadingSeparators = undefined;
  };
  const addSeparator = (range: Range): void => {
    const visible = trimWhitespace(text, range);
    if (visible.end === visible.start) return;
    const before = pieces[pieces.length - 1];
    if (before !== undefined) before.end = visible.end;
    else leadingSeparators = { start: leadingSeparators?.start ?? visible.start, end: visible.end };
  };
  const slice = text.slice(region.start, region.end);
  let cursor = 0;
  separator.lastIndex = 0;
  for (let match = separator.exec(slice); match !== null; match = separator.exec(slice)) {
    if (match[0].length === 0) {
      // An empty match would split between every character; skip ahead one code point instead.
      separator.lastIndex += 1;
      continue;
    }
    addPiece({ start: region.start + cursor, end: region.start + match.index });
    cursor = match.index + match[0].length;
    addSeparator({ start: region.start + match.index, end: region.start + cursor });
  }
  addPiece({ start: region.start + cursor, end: region.end });
  if (leadingSeparators !== undefined) pieces.push(leadingSeparators);
  return pieces;
}

function trimWhitespace(text: string, range: Range): Range {
  const start = range.start + leadingWhitespaceLength(text, range.start, range.end);
  return { start, end: range.end - trailingWhitespaceLength(text, start, range.end) };
}

function compilePattern(source: string, what: string): RegExp {
  if (source.length === 0) throw new SegmentationError(`The ${what} pattern is empty.`);
  let pattern: RegExp;
  try {
    pattern = new RegExp(source, 'gu');
  } catch (error) {
    throw new SegmentationError(`The ${what} pattern /${source}/ is not a valid regular expression: ${(error as Error).message}`);
  }
  if (pattern.test('')) {
    throw new SegmentationError(`The ${what} pattern /${source}/ matches the empty string, so it cannot split or pin anything.`);
  }
  return pattern;
}

/** Matches of every pin pattern, merged where they touch or overlap, in text order. */
function findPinnedRanges(text: string, patterns: readonly string[]): Range[] {
  const ranges: Range[] = [];
  for (const source of patterns) {
    const pattern = compilePattern(source, 'pin');
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      if (match[0].length === 0) {
        // A zero-width match (\b, a lookahead) pins nothing, and exec would find it again at the same
        // place forever: step over one code point and look on.
        pattern.lastIndex = match.index + ((text.codePointAt(match.index) ?? 0) > 0xffff ? 2 : 1);
        continue;
      }
      ranges.push({ start: match.index, end: match.index + match[0].length });
    }
  }
  ranges.sort((a, b) => a.start - b.start);
  const merged: Range[] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

/** The parts of [0, length) that no range covers. */
function complement(ranges: readonly Range[], length: number): Range[] {
  const gaps: Range[] = [];
  let cursor = 0;
  for (const range of ranges) {
    if (range.start > cursor) gaps.push({ start: cursor, end: range.start });
    cursor = Math.max(cursor, range.end);
  }
  if (cursor < length) gaps.push({ start: cursor, end: length });
  return gaps;
}
