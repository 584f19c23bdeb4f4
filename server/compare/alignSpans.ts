/**
 * Lines up the spans of two versions of a prompt by their text, as a diff does, not by position:
 * spans with the same text are `unchanged`, a span rewritten in place is `edited`, and the rest were
 * `removed` (in A only) or `added` (in B only). Pure, and linear in memory up to the LCS table.
 */

import type { SpanStatus } from '../../protocol/comparison';

export type { SpanStatus } from '../../protocol/comparison';

export interface AlignedSpan {
  readonly status: SpanStatus;
  /** The span's index in A, absent where it was added. */
  readonly a?: number;
  /** The span's index in B, absent where it was removed. */
  readonly b?: number;
}

export interface Alignment {
  /** In text order: A's order, with B's additions where they fall. */
  readonly spans: readonly AlignedSpan[];
  /** Share of the spans of both versions that are unchanged or edited: below MIN_ALIGNED_SHARE the two are too different. */
  readonly alignedShare: number;
}

/** Two versions sharing less than this are too different for a span-by-span comparison. */
export const MIN_ALIGNED_SHARE = 0.2;
/** Two spans in the same changed region count as one edited span from this word overlap (Jaccard) on. */
const EDIT_SIMILARITY = 0.4;
/** The LCS table is quadratic: longer span lists are aligned greedily on exact matches instead. */
const MAX_TABLE_CELLS = 16_000_000;

/** A span's text with runs of white space as one space: a re-wrapped line is the same span. */
function normal(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

function words(text: string): Set<string> {
  return new Set(
    normal(text)
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((word) => word !== ''),
  );
}

/** Word overlap of two spans: |A ∩ B| / |A ∪ B| (1 for two spans with no words that are equal). */
export function similarity(a: string, b: string): number {
  const left = words(a);
  const right = words(b);
  if (left.size === 0 && right.size === 0) return normal(a) === normal(b) ? 1 : 0;
  let shared = 0;
  for (const word of left) if (right.has(word)) shared += 1;
  return shared / (left.size + right.size - shared);
}

/** Pairs of equal spans, in order (a longest common subsequence). */
function commonPairs(a: readonly string[], b: readonly string[]): [number, number][] {
  if (a.length * b.length > MAX_TABLE_CELLS) return greedyPairs(a, b);
  const rows = a.length + 1;
  const columns = b.length + 1;
  const table = new Uint32Array(rows * columns);
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      table[i * columns + j] =
        a[i] === b[j]
          ? (table[(i + 1) * columns + j + 1] as number) + 1
          : Math.max(table[(i + 1) * columns + j] as number, table[i * columns + j + 1] as number);
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      pairs.push([i, j]);
      i += 1;
      j += 1;
    } else if ((table[(i + 1) * columns + j] as number) >= (table[i * columns + j + 1] as number)) i += 1;
    else j += 1;
  }
  return pairs;
}

/** For very long lists: each span of A matched to the next equal span of B, in order. */
function greedyPairs(a: readonly string[], b: readonly string[]): [number, number][] {
  const pairs: [number, number][] = [];
  let from = 0;
  a.forEach((text, i) => {
    const j = b.indexOf(text, from);
    if (j >= 0) {
      pairs.push([i, j]);
      from = j + 1;
    }
  });
  return pairs;
}

/**
 * Aligns the spans of A and B. Between two unchanged spans, the spans of A and of B that differ are
 * paired in order where their words overlap enough (edited); the others are removed or added.
 */
export function alignSpans(a: readonly string[], b: readonly string[]): Alignment {
  const normalA = a.map(normal);
  const normalB = b.map(normal);
  const anchors = commonPairs(normalA, normalB);
  const spans: AlignedSpan[] = [];
  let i = 0;
  let j = 0;
  const flush = (endA: number, endB: number): void => {
    // A changed region: pair spans greedily, in order, by the best overlap ahead.
    while (i < endA || j < endB) {
      if (i < endA && j < endB) {
        let best = -1;
        let bestScore = EDIT_SIMILARITY;
        for (let k = j; k < endB; k += 1) {
          const score = similarity(a[i] as string, b[k] as string);
          if (score >= bestScore) {
            best = k;
            bestScore = score;
            if (score === 1) break;
          }
        }
        if (best >= 0) {
          for (; j < best; j += 1) spans.push({ status: 'added', b: j });
          spans.push({ status: 'edited', a: i, b: j });
          i += 1;
          j += 1;
          continue;
        }
        spans.push({ status: 'removed', a: i });
        i += 1;
        continue;
      }
      if (i < endA) spans.push({ status: 'removed', a: i++ });
      else spans.push({ status: 'added', b: j++ });
    }
  };
  for (const [anchorA, anchorB] of anchors) {
    flush(anchorA, anchorB);
    spans.push({ status: 'unchanged', a: anchorA, b: anchorB });
    i = anchorA + 1;
    j = anchorB + 1;
  }
  flush(a.length, b.length);
  const total = a.length + b.length;
  const aligned = spans.filter((span) => span.status === 'unchanged' || span.status === 'edited').length;
  return { spans, alignedShare: total === 0 ? 1 : (2 * aligned) / total };
}
