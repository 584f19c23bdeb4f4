import { fitDenseRefit } from './denseRefit';
import { CompiledFourier } from '../expansion';
import { EMPTY_KEY, type InteractionKey } from '../interactionKey';
import { DEFAULT_MOSTLY_KEPT_SHARE, distinctMostlyKeptMasks, maskKey, uniformMask } from '../masks';
import type { RandomSource } from '../random';
import type { Spectrum } from '../spectrum';
import { fromLinkScale } from '../linkScale';
import type { LinkName, ValueRange } from '../types';

/**
 * Distillation samples per scored mask (a round before the last, whose expansion is only shown while
 * the run goes on, takes one), and at least this many per feature.
 */
const SAMPLES_PER_MASK = 2;
const SAMPLES_PER_FEATURE = 8;
/**
 * The fewest samples of the last round's distillation: samples cost no model call, and a run that
 * stopped early (its surrogate predicted fresh masks exactly) has scored too few masks to distil from
 * them alone (40 spans, 128 masks: R² 0.64 against the surrogate; with 2,000 samples and 256 masks 0.86).
 */
const MIN_FINAL_SAMPLES = 2000;
/** The most distillation samples: beyond them the value-scale fit gains little and costs linearly. */
const MAX_SAMPLES = 4000;
/**
 * The targets carry no noise, so no penalty needs choosing: a light one, harder on higher orders,
 * only keeps the solve well posed where terms outnumber what the samples pin down.
 */
const DISTILLATION_SETTING = { growth: 4, ridge: 1e-3 };
/** Terms of the link-scale surrogate offered to the value-scale fit, strongest first. */
const OFFERED_TERMS = 1500;

export interface Distillation {
  /** The expansion on the value's own scale. */
  readonly spectrum: Spectrum;
  /** R² of that expansion against the link-scale surrogate on samples it was not fit to. */
  readonly fidelity: number;
}

/**
 * Indices, what-ifs and exports read one Fourier expansion on the value's own scale, and the link-scale
 * surrogate is not one: tanh of an expansion has terms of every order. It is distilled into one by a
 * ridge fit (the dense model's, with its own held-out choice of size and penalty) to the surrogate's
 * predictions on the scored masks and on fresh ones, which cost no model call: the surrogate's own
 * terms and every combination of the strongest spans (the shape a saturating score takes) are offered.
 * Undefined when the fit cannot be made (too few samples per feature).
 */
export function distillToValueScale(
  linked: Spectrum,
  scoredMasks: readonly Uint8Array[],
  featureCount: number,
  scale: { readonly range: ValueRange; readonly link: LinkName },
  maxOrder: number,
  random: RandomSource,
  final: boolean,
): Distillation | undefined {
  const perMask = final ? SAMPLES_PER_MASK : 1;
  const wanted = Math.min(
    MAX_SAMPLES,
    Math.max(perMask * scoredMasks.length, SAMPLES_PER_FEATURE * featureCount, final ? MIN_FINAL_SAMPLES : 0),
  );
  const seen = new Set(scoredMasks.map(maskKey));
  const fresh: Uint8Array[] = [];
  const mostlyKept = Math.round(wanted * DEFAULT_MOSTLY_KEPT_SHARE);
  fresh.push(...distinctMostlyKeptMasks(featureCount, mostlyKept, random, seen));
  // Uniform draws may repeat each other or a scored mask at small n: a repeat only weighs that mask more.
  while (fresh.length < wanted) fresh.push(uniformMask(featureCount, random));
  const masks = [...scoredMasks, ...fresh];
  const surrogate = new CompiledFourier(linked);
  const values = Float64Array.from(surrogate.evaluateMany(masks), (value) => fromLinkScale(value, scale.range, scale.link));
  // A fifth of the fresh samples judge the fit; the scored masks always train it.
  const heldOut = Math.max(8, Math.floor(fresh.length / 5));
  const validationRows = Int32Array.from({ length: heldOut }, (_, i) => masks.length - heldOut + i);
  const trainRows = Int32Array.from({ length: masks.length - heldOut }, (_, i) => i);
  const offered = [...linked]
    .filter(([key]) => key !== EMPTY_KEY && key.length <= maxOrder)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || (a[0] < b[0] ? -1 : 1))
    .slice(0, OFFERED_TERMS);
  const support: InteractionKey[] = offered.map(([key]) => key);
  const dense = fitDenseRefit({
    masks,
    values,
    featureCount,
    trainRows,
    validationRows,
    support,
    supportValues: offered.map(([, value]) => value),
    candidates: [],
    maxOrder,
    fixed: DISTILLATION_SETTING,
  });
  if (!dense) return undefined;
  return { spectrum: dense.spectrum, fidelity: dense.validationR2 };
}
