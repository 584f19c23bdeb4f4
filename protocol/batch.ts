import type { EffectKind } from './effects';
import type { Explanation } from './explanation';
import type { Granularity } from './features';

/** A span of the template across the inputs: its total effect's mean and spread, and how often it takes part in a top interaction. */
export interface SpanAcrossInputs {
  readonly index: number;
  readonly text: string;
  readonly mean: number;
  /** Standard deviation over the inputs (0 for one input). */
  readonly spread: number;
  readonly min: number;
  readonly max: number;
  /** Inputs in which the span is one of the spans of a top interaction (of two or more spans). */
  readonly inTopInteractions: number;
}

/** An interaction that is among the strongest for several inputs. */
export interface RecurringInteraction {
  readonly features: readonly number[];
  readonly kind: EffectKind;
  /** Inputs where it is among the strongest, and its mean value over those. */
  readonly inputs: number;
  readonly mean: number;
}

/** An input under which the template behaves unlike under the others. */
export interface Outlier {
  /** Position among the inputs explained, and its line in the inputs file. */
  readonly input: number;
  readonly line: number;
  /** How far its spans' effects lie from the mean over the inputs (Euclidean). */
  readonly distance: number;
  /** The span whose effect differs most, and by how much. */
  readonly span: number;
  readonly difference: number;
}

export interface BatchAggregate {
  readonly spans: readonly SpanAcrossInputs[];
  readonly interactions: readonly RecurringInteraction[];
  readonly outliers: readonly Outlier[];
  /** Inputs whose fit has no findings (does not fit): left out of every figure above. */
  readonly withoutFindings: readonly number[];
}

/** A template explained over its inputs: the aggregate, and each input's explanation. */
export interface BatchResult {
  readonly version: 1;
  readonly template: { readonly placeholders: readonly string[] };
  readonly granularity: Granularity;
  readonly spans: number;
  readonly inputs: readonly { readonly line: number; readonly explanation: Explanation }[];
  readonly skipped: readonly { readonly line: number; readonly reason: string }[];
  readonly calls: { readonly model: number; readonly cached: number };
  readonly aggregate: BatchAggregate;
}
