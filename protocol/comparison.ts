import type { EffectKind } from './effects';
import type { Explanation } from './explanation';

/** How a span of one version of a prompt stands in the other (see server/compare/alignSpans.ts). */
export type SpanStatus = 'unchanged' | 'edited' | 'removed' | 'added';

/** One span of either version: its place in each, its text, and its total effect (Shapley value) in each. */
export interface SpanComparison {
  readonly status: SpanStatus;
  readonly a?: number;
  readonly b?: number;
  readonly textA?: string;
  readonly textB?: string;
  /** null where the span is not in that version. */
  readonly valueA: number | null;
  readonly valueB: number | null;
  readonly change: number | null;
}

/** One interaction of two or more spans: its spans in each version where they all exist there, and its value under the index in each. */
export interface InteractionComparison {
  readonly featuresA?: readonly number[];
  readonly featuresB?: readonly number[];
  /** What the term is in the version where it is larger (synergy or redundancy for a set, raises or lowers for one span). */
  readonly kind: EffectKind;
  readonly valueA: number | null;
  readonly valueB: number | null;
  readonly change: number | null;
}

export interface Comparison {
  readonly version: 1;
  /** The answers explained, and whether they differ (compared with runs of white space as one space): said first. */
  readonly answers: { readonly a: string | null; readonly b: string | null; readonly differ: boolean };
  readonly alignedShare: number;
  /** The versions share too few spans for a span-by-span comparison; both explanations are shown as they are. */
  readonly tooDifferent: boolean;
  readonly index: Explanation['index'];
  readonly order: number;
  readonly spans: readonly SpanComparison[];
  /** The strongest interactions of either version, the largest change first. */
  readonly interactions: readonly InteractionComparison[];
  readonly a: Explanation;
  readonly b: Explanation;
}

/**
 * How much a span or an interaction changed from A to B, for ordering: the change where it exists in
 * both, else its size in the one version it is in (a removed or added span ranks by what it carried).
 */
export function changeSize(entry: {
  readonly change: number | null;
  readonly valueA: number | null;
  readonly valueB: number | null;
}): number {
  return entry.change === null ? Math.max(Math.abs(entry.valueA ?? 0), Math.abs(entry.valueB ?? 0)) : Math.abs(entry.change);
}
