import type { Explanation } from '../../protocol/explanation';
import { explanationSurrogate, type Surrogate } from '../../server/recovery/surrogate';
import { isIndexName } from '../../server/recovery/indexNames';
import { spectrumFromTerms, type Spectrum } from '../../server/recovery/spectrum';

/** The highest index order offered in the selector: beyond 4 the lists get long and the terms rare. */
const HIGHEST_OFFERED_ORDER = 4;

/** What the panel derives once per explanation: the recovered expansion, compiled for what-if. */
export interface ExplanationModel {
  readonly explanation: Explanation;
  readonly featureCount: number;
  /** The recovered Fourier expansion; empty when the explanation carries none. */
  readonly spectrum: Spectrum;
  /** The expansion compiled for evaluation; undefined when there is no expansion to evaluate. */
  /** What predicts what-ifs: the expansion, or the link-scale one where the explanation has it. */
  readonly surrogate: Surrogate | undefined;
  /** True when the expansion has a non-constant term, so every index can be recomputed from it. */
  readonly canRecompute: boolean;
  /** The index orders the selector offers. */
  readonly orders: readonly number[];
  /** f(all kept) and f(all removed) as measured, or null where the run had not measured them yet. */
  readonly fullValue: number | null;
  readonly emptyValue: number | null;
}

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const count = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks what protocol/webview's guard leaves to the panel: the expansion (sorted, distinct feature
 * indices in range, finite values, since its keys are built from them unchecked) and the header's
 * fields. Full and empty values may be null: a streamed round has not measured them yet, and NaN
 * arrives as null after the host's JSON encoding.
 */
export function isRenderableExplanation(explanation: Explanation): boolean {
  const n = explanation.features.length;
  const record = explanation as unknown as Record<string, unknown>;
  const isSortedSet = (features: unknown): boolean =>
    Array.isArray(features) &&
    features.every(
      (feature, position) =>
        Number.isInteger(feature) && feature >= 0 && feature < n && (position === 0 || feature > (features[position - 1] as number)),
    );
  const fourierOk =
    Array.isArray(record.fourier) && record.fourier.every((term) => isRecord(term) && finite(term.value) && isSortedSet(term.features));
  const link = record.linkScale;
  // Optional: only explanations of a bounded value fit on its link scale carry one.
  const linkOk =
    link === undefined ||
    (isRecord(link) &&
      finite(link.min) &&
      finite(link.max) &&
      link.min < link.max &&
      (link.link === 'atanh' || link.link === 'algebraic') &&
      Array.isArray(link.fourier) &&
      link.fourier.every((term) => isRecord(term) && finite(term.value) && isSortedSet(term.features)));
  const correction = record.localCorrection;
  const nearFull = isRecord(correction) ? correction.nearFull : undefined;
  const nearEmpty = isRecord(correction) ? correction.nearEmpty : undefined;
  // Optional: only fits that needed a correction near the full or the empty prompt carry one.
  const correctionOk =
    correction === undefined ||
    (isRecord(correction) &&
      (nearFull === undefined ||
        (isRecord(nearFull) &&
          finite(nearFull.power) &&
          finite(nearFull.step) &&
          finite(nearFull.errorRatio) &&
          Array.isArray(nearFull.removal) &&
          nearFull.removal.length === n &&
          nearFull.removal.every(finite))) &&
      (nearEmpty === undefined || (isRecord(nearEmpty) && finite(nearEmpty.power) && finite(nearEmpty.offset))));
  const faithfulness = record.faithfulness;
  const calls = record.calls;
  const timing = record.timing;
  const isChoice = (choice: unknown): boolean => isRecord(choice) && typeof choice.name === 'string' && typeof choice.reason === 'string';
  const nullableFinite = (value: unknown): boolean => value === null || finite(value);
  const sampling = record.sampling;
  // Optional: explanations written before the sampling record existed have none.
  const samplingOk =
    sampling === undefined ||
    (isRecord(sampling) &&
      count(sampling.budget) &&
      (sampling.noiseRepeats === undefined || count(sampling.noiseRepeats)) &&
      typeof sampling.stoppedBecause === 'string' &&
      Array.isArray(sampling.rounds) &&
      sampling.rounds.every(
        (round) => isRecord(round) && count(round.masks) && nullableFinite(round.freshR2) && nullableFinite(round.heldOutR2),
      ) &&
      (sampling.surrogate === undefined ||
        (isRecord(sampling.surrogate) &&
          finite(sampling.surrogate.sparse) &&
          finite(sampling.surrogate.dense) &&
          finite(sampling.surrogate.trees))));
  return (
    samplingOk &&
    fourierOk &&
    linkOk &&
    correctionOk &&
    n <= 4096 &&
    isIndexName(record.index) &&
    Number.isInteger(record.order) &&
    (record.order as number) >= 1 &&
    Number.isInteger(record.maxOrder) &&
    (record.maxOrder as number) >= 1 &&
    (record.target === null || typeof record.target === 'string') &&
    typeof record.model === 'string' &&
    isChoice(record.valueFunction) &&
    isChoice(record.algorithm) &&
    (record.fullValue === null || typeof record.fullValue === 'number') &&
    (record.emptyValue === null || typeof record.emptyValue === 'number') &&
    (record.noiseFloor === null || finite(record.noiseFloor)) &&
    isRecord(faithfulness) &&
    (faithfulness.r2 === null || typeof faithfulness.r2 === 'number') &&
    count(faithfulness.heldOut) &&
    isRecord(calls) &&
    count(calls.model) &&
    count(calls.cached) &&
    count(calls.masks) &&
    isRecord(timing) &&
    finite(timing.totalMs) &&
    finite(timing.modelMs) &&
    finite(timing.recoveryMs)
  );
}

/** Builds the model of an explanation that passed isRenderableExplanation. */
export function explanationModel(explanation: Explanation): ExplanationModel {
  const spectrum = spectrumFromTerms(explanation.fourier);
  let canRecompute = false;
  for (const key of spectrum.keys()) if (key.length > 0) canRecompute = true;
  const highest = Math.max(1, Math.min(explanation.maxOrder, HIGHEST_OFFERED_ORDER));
  const orders = new Set<number>();
  for (let order = 1; order <= highest; order += 1) orders.add(order);
  orders.add(explanation.order);
  return {
    explanation,
    featureCount: explanation.features.length,
    spectrum,
    surrogate: explanationSurrogate(explanation),
    canRecompute,
    orders: [...orders].sort((a, b) => a - b),
    fullValue: finite(explanation.fullValue) ? explanation.fullValue : null,
    emptyValue: finite(explanation.emptyValue) ? explanation.emptyValue : null,
  };
}

/** Whether two explanations segment the same text the same way, so a person's choices carry over. */
export function sameFeatures(
  a: { readonly text: string; readonly features: Explanation['features'] },
  b: { readonly text: string; readonly features: Explanation['features'] },
): boolean {
  if (a.text !== b.text || a.features.length !== b.features.length) return false;
  return a.features.every((feature, index) => feature.start === b.features[index]?.start && feature.end === b.features[index]?.end);
}
