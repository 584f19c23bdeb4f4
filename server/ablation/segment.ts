import type { Feature, Granularity, PinnedSpan } from '../../protocol/features';
import { isGranularity } from '../../protocol/features';

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
 * Splits text into features. Features never contain leading or trailing whitespace, never overlap
 * a pinned span, and always satisfy `text.slice(start, end) === feature.text`, whatever the script
 * (CJK, RTL, emoji, combining marks), because every offset comes from the segmenters themselves.
 */
export function segmentText(text: string, options: SegmentOptions): Segmentation {
  if (!isGranularity(options.granularity)) {
    throw new SegmentationError(
      `Unknown granularity "${String(options.granularity)}". Use token, word, sentence, line, paragraph or separator:<regex>.`,
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

function splitterFor(granularity: Granularity, locale: string | undefined): Splitter {
  switch (granularity) {
    case 'word':
      return (text, region) => splitWords(text, region, locale);
    case 'token':
      return splitTokens;
    case 'sentence':
      return (text, region) => splitSentences(text, region, locale);
    case 'line':
      return (text, region) => splitBySeparator(text, region, /\r\n|\r|\n/gu);
    case 'paragraph':
      return (text, region) => splitBySeparator(text, region, /(?:\r\n|\r|\n)[^\S\r\n]*(?:\r\n|\r|\n)\s*/gu);
    default: {
      const pattern = compilePattern(granularity.slice('separator:'.length), 'separator');
      return (text, region) => splitBySeparator(text, region, pattern);
    }
  }
}

const WHITESPACE = /\s/u;
/** A segment with a letter, a digit or a pictograph carries meaning on its own; bare punctuation does not. */
const MEANINGFUL = /[\p{L}\p{N}\p{Extended_Pictographic}]/u;

/**
 * Words from Intl.Segmenter. Punctuation and symbols that touch a word (no whitespace between)
 * join that word: closing marks the word before, opening marks the word after. A symbol group
 * standing alone between spaces becomes its own feature only if it means something (an emoji),
 * so a removed word takes its comma with it and a bullet dash is never ablated.
 */
function splitWords(text: string, region: Range, locale: string | undefined): Range[] {
  const words: Range[] = [];
  let pendingPrefix: number | undefined;
  let previousTouches = false;
  for (const piece of segmentInChunks(text, region, 'word', locale)) {
    const { start, end } = piece;
    if (WHITESPACE.test(piece.segment)) {
      if (pendingPrefix !== undefined && MEANINGFUL.test(text.slice(pendingPrefix, start))) {
        words.push({ start: pendingPrefix, end: start });
      }
      pendingPrefix = undefined;
      previousTouches = false;
      continue;
    }
    if (piece.isWordLike) {
      words.push({ start: pendingPrefix ?? start, end });
      pendingPrefix = undefined;
      previousTouches = true;
      continue;
    }
    const last = words[words.length - 1];
    if (previousTouches && last !== undefined && pendingPrefix === undefined) {
      last.end = end;
    } else {
      pendingPrefix ??= start;
    }
  }
  if (pendingPrefix !== undefined && MEANINGFUL.test(text.slice(pendingPrefix, region.end))) {
    words.push({ start: pendingPrefix, end: region.end });
  }
  return words;
}

/**
 * Without a model tokenizer, tokens are approximated the way byte-pair tokenizers pre-split text:
 * runs of letters, runs of digits, and runs of other symbols, each a feature. A backend that can
 * tokenize replaces this with its own tokens.
 */
function splitTokens(text: string, region: Range): Range[] {
  const tokens: Range[] = [];
  const pattern = /\p{L}[\p{L}\p{M}]*|\p{N}+|[^\s\p{L}\p{N}]+/gu;
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
    sentences.push(...splitBySeparator(text, piece, /\r\n|\r|\n/gu));
  }
  return sentences;
}

interface Piece extends Range {
  readonly segment: string;
  readonly isWordLike: boolean;
}

/** Intl.Segmenter input is cut into chunks of about this many UTF-16 units (see segmentInChunks). */
const CHUNK_LENGTH = 2_000;
/** Where a chunk may end without changing the segmentation: after whitespace (words), after a sentence end or a line break (sentences). */
const SAFE_CUT: Record<'word' | 'sentence', RegExp> = {
  word: /\s/u,
  sentence: /[\n\r]|[.!?。！？]\s/u,
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

function safeChunkEnd(text: string, start: number, limit: number, safeCut: RegExp): number {
  if (limit - start <= CHUNK_LENGTH * 2) return limit;
  // Look for the last safe cut in the window [start + CHUNK_LENGTH, start + 2·CHUNK_LENGTH); without
  // one (a single enormous word or sentence), segment the rest whole.
  const window = text.slice(start + CHUNK_LENGTH, start + CHUNK_LENGTH * 2);
  for (let offset = window.length - 2; offset >= 0; offset -= 1) {
    if (safeCut.test(window.slice(offset, offset + 2))) return start + CHUNK_LENGTH + offset + 1;
  }
  return limit;
}

/** The pieces between matches of `separator` inside `region`; the matches themselves are glue. */
function splitBySeparator(text: string, region: Range, separator: RegExp): Range[] {
  const pieces: Range[] = [];
  const slice = text.slice(region.start, region.end);
  let cursor = 0;
  separator.lastIndex = 0;
  for (let match = separator.exec(slice); match !== null; match = separator.exec(slice)) {
    if (match[0].length === 0) {
      // An empty match would split between every character; skip ahead one code point instead.
      separator.lastIndex += 1;
      continue;
    }
    pieces.push({ start: region.start + cursor, end: region.start + match.index });
    cursor = match.index + match[0].length;
  }
  pieces.push({ start: region.start + cursor, end: region.end });
  return pieces;
}

function trimWhitespace(text: string, range: Range): Range {
  let { start, end } = range;
  while (start < end && WHITESPACE.test(text[start] ?? '')) start += 1;
  while (end > start && WHITESPACE.test(text[end - 1] ?? '')) end -= 1;
  return { start, end };
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
