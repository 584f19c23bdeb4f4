import type { Explanation, Refinement } from '../../protocol/explanation';
import type { Feature, Granularity, PinnedSpan } from '../../protocol/features';

import { finerGranularity } from '../../protocol/features';
import { spanTag } from '../../protocol/spanNumbers';
import { spanEffects } from '../../protocol/spanEffects';
import { segmentText } from '../ablation/segment';
import { splitSpan, type PromptDocument } from '../ablation/promptDocument';

/** The spans of a drill-down: the coarse ones kept whole and the pieces of those split, each with its parent. */
export interface RefinedSpans {
  readonly features: Feature[];
  readonly pinned: PinnedSpan[];
  /** Per refined span, the index of the coarse span it is (kept whole) or was split from. */
  readonly parents: number[];
  /** The coarse spans split into more than one piece. */
  readonly split: number[];
  /** Coarse spans asked to be split that are a single piece at the finer granularity (kept whole). */
  readonly unsplittable: number[];
}

/**
 * The spans with the largest total effect (Shapley value from the expansion, the index's own values
 * without one), strongest first: where a drill-down looks closer.
 */
export function strongestSpans(explanation: Explanation, count: number): number[] {
  const effects = spanEffects(explanation, 'shapley');
  return effects
    .map((value, index) => ({ index, size: Math.abs(value) }))
    .filter((entry) => entry.size > 0)
    .sort((a, b) => b.size - a.size || a.index - b.index)
    .slice(0, count)
    .map((entry) => entry.index);
}

/**
 * Splits the chosen coarse spans into the finer unit and keeps the others whole, in text order. The
 * pinned spans stay as they were (they lie between features, never inside one). A chosen span that
 * is one piece at the finer unit stays whole and is reported as unsplittable.
 */
export function refineSpans(
  coarse: { readonly text: string; readonly features: readonly Feature[]; readonly pinned: readonly PinnedSpan[] },
  split: readonly number[],
  finer: Granularity,
  document: PromptDocument = { text: coarse.text },
): RefinedSpans {
  const chosen = new Set(split);
  const features: Feature[] = [];
  const parents: number[] = [];
  const splitDone: number[] = [];
  const unsplittable: number[] = [];
  const push = (text: string, start: number, end: number, parent: number): void => {
    features.push({ index: features.length, text, start, end, parent });
    parents.push(parent);
  };
  for (const feature of coarse.features) {
    if (!chosen.has(feature.index)) {
      push(feature.text, feature.start, feature.end, feature.index);
      continue;
    }
    // A chat prompt's span is split in its message's decoded content, then mapped back to the source.
    const pieces = splitSpan(document, feature, finer);
    if (pieces.length <= 1) {
      unsplittable.push(feature.index);
      push(feature.text, feature.start, feature.end, feature.index);
      continue;
    }
    splitDone.push(feature.index);
    for (const piece of pieces) push(document.text.slice(piece.start, piece.end), piece.start, piece.end, feature.index);
  }
  return { features, pinned: [...coarse.pinned], parents, split: splitDone, unsplittable };
}

/**
 * A coarse mask over the refined spans: each piece of a split span kept or removed with its parent.
 * Under `remove` masking the text it gives is the coarse mask's text (the whitespace between removed
 * pieces collapses as the span's own would), so the call cache answers it without a model call.
 */
export function liftMask(mask: ArrayLike<number>, parents: readonly number[]): Uint8Array {
  const lifted = new Uint8Array(parents.length);
  parents.forEach((parent, index) => {
    lifted[index] = mask[parent] === 1 ? 1 : 0;
  });
  return lifted;
}

/**
 * The first granularity finer than `from` that splits `text` into more than one piece (paragraph →
 * sentence, or on to words where the paragraph is one sentence), or undefined where nothing finer does.
 */
export function splittingGranularity(text: string, from: Granularity): Granularity | undefined {
  for (let unit = finerGranularity(from); unit !== undefined; unit = finerGranularity(unit)) {
    if (segmentText(text, { granularity: unit }).features.length > 1) return unit;
  }
  return undefined;
}

/** A drill-down that cannot run: nothing to split at the unit asked for. */
export class DrillDownError extends Error {
  override readonly name = 'DrillDownError';
}

/**
 * What a drill-down step from `coarse` (its explanation and the masks its run scored) adds to an
 * explain request: the refined spans, the coarse masks lifted to them, and the record of what was
 * split. The CLI and the server build their drill-downs with it.
 */
export function drillRequest(
  coarse: { readonly explanation: Explanation; readonly masks: readonly Uint8Array[] },
  split: readonly number[],
  granularity: Granularity,
  document?: PromptDocument,
): {
  readonly granularity: Granularity;
  readonly segmented: { readonly features: Feature[]; readonly pinned: PinnedSpan[] };
  readonly priorMasks: Uint8Array[];
  readonly refinement: Omit<Refinement, 'lifted' | 'reused'>;
} {
  if (split.length === 0) throw new DrillDownError('Nothing to drill into: no span has an effect in this explanation.');
  const refined = refineSpans(coarse.explanation, split, granularity, document);
  if (refined.split.length === 0) {
    const names = split.map((index) => spanTag(index)).join(', ');
    throw new DrillDownError(
      `Nothing to drill into: ${names} ${split.length === 1 ? `is a single ${granularity}` : `are single ${granularity}s`} already, so splitting by ${granularity} changes nothing. Choose a finer granularity.`,
    );
  }
  return {
    granularity,
    segmented: { features: refined.features, pinned: refined.pinned },
    priorMasks: coarse.masks.map((mask) => liftMask(mask, refined.parents)),
    refinement: { from: coarse.explanation.granularity, to: granularity, split: refined.split, unsplittable: refined.unsplittable },
  };
}
