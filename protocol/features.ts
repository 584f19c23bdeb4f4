/**
 * What is ablated: a span of the explained text. Offsets are UTF-16 code units into that text,
 * so `text.slice(start, end) === feature.text` holds for every feature, in every runtime.
 */
export interface Feature {
  /** Position in the feature list; masks are indexed by it. */
  readonly index: number;
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /**
   * In a drill-down (see Explanation.refinement): the index, in the explanation drilled into, of the
   * span this one is (kept whole) or was split from.
   */
  readonly parent?: number;
}

/** A span that is never ablated (system instructions, the question, a pinned match). */
export interface PinnedSpan {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The fixed granularities; `separator:<regex>` splits on a user pattern (one feature per RAG chunk).
 * `message` is one feature per chat message (a message list's contents; see server/ablation/promptDocument.ts).
 */
export const GRANULARITIES = ['token', 'word', 'sentence', 'line', 'paragraph', 'message'] as const;
export type FixedGranularity = (typeof GRANULARITIES)[number];
export type Granularity = FixedGranularity | `separator:${string}`;

export function isGranularity(value: unknown): value is Granularity {
  if (typeof value !== 'string') return false;
  return (GRANULARITIES as readonly string[]).includes(value) || value.startsWith('separator:');
}

/** Each granularity's next finer one, the default step of a drill-down (a line's next is its words). */
const FINER: Readonly<Record<FixedGranularity, FixedGranularity | undefined>> = {
  message: 'paragraph',
  paragraph: 'sentence',
  line: 'word',
  sentence: 'word',
  word: 'token',
  token: undefined,
};

/** The next finer granularity, or undefined below tokens; a separator chunk's next is its sentences. */
export function finerGranularity(granularity: Granularity): FixedGranularity | undefined {
  return granularity.startsWith('separator:') ? 'sentence' : FINER[granularity as FixedGranularity];
}
