import { CompiledFourier } from './expansion';
import { keyOfSorted } from './interactionKey';
import { fullMask, maskKey } from './masks';
import type { Spectrum } from './spectrum';

/**
 * The two masks every explanation is anchored on: the prompt whole (every span kept), whose answer
 * is the one explained, and the prompt with every span removed. Every algorithm scores both first,
 * as part of its budget, and ProxySPEX's surrogate passes exactly through both values.
 */
export function anchorMasks(featureCount: number): { readonly full: Uint8Array; readonly empty: Uint8Array } {
  return { full: fullMask(featureCount), empty: new Uint8Array(featureCount) };
}

/** The anchors' values among scored masks, where they were scored. */
export function anchorValues(
  masks: readonly Uint8Array[],
  values: ArrayLike<number>,
  featureCount: number,
): { readonly full?: number; readonly empty?: number } {
  const { full, empty } = anchorMasks(featureCount);
  const fullKey = maskKey(full);
  const emptyKey = maskKey(empty);
  let found: { full?: number; empty?: number } = {};
  masks.forEach((mask, row) => {
    const key = maskKey(mask);
    if (key === fullKey) found = { ...found, full: values[row] };
    else if (key === emptyKey) found = { ...found, empty: values[row] };
  });
  return found;
}

/**
 * The surrogate made to pass exactly through the full prompt's value, the base of every what-if (a
 * what-if that removes nothing must give back what the prompt scored). The correction is shared
 * equally over the single features the spectrum holds (every one where it holds none) and, where it
 * holds pairs, over those pairs: on the full mask a single's character is −1 and a pair's +1, so each
 * order takes half the error and the value at the empty prompt stays as it was. An additive spectrum
 * stays additive: the singles take the whole error and the empty prompt's value moves by as much the
 * other way. On uniform masks, where every such character averages to 0, the mean squared change is
 * the error² shared out over the terms (a constant shift would move every prediction by the error).
 * The empty prompt is met by passThroughEmpty, after this. A spectrum gains no terms but singles
 * where it holds none; errors at the level of rounding are left alone.
 */
export function passThroughFull(spectrum: Spectrum, featureCount: number, fullValue: number | undefined): Spectrum {
  if (fullValue === undefined) return spectrum;
  const error = fullValue - new CompiledFourier(spectrum).evaluate(fullMask(featureCount));
  if (Math.abs(error) <= ROUNDING * Math.max(1, Math.abs(fullValue))) return spectrum;
  const corrected = new Map(spectrum);
  const shift = (key: string, by: number): void => {
    corrected.set(key, (corrected.get(key) ?? 0) + by);
  };
  const held = (order: number): string[] => [...spectrum].filter(([key, value]) => key.length === order && value !== 0).map(([key]) => key);
  const heldSingles = held(1);
  const singles = heldSingles.length > 0 ? heldSingles : Array.from({ length: featureCount }, (_, i) => keyOfSorted([i]));
  const pairs = held(2);
  const oddShare = pairs.length > 0 ? error / 2 : error;
  for (const key of singles) shift(key, -oddShare / singles.length);
  for (const key of pairs) shift(key, (error - oddShare) / pairs.length);
  return corrected;
}

/**
 * The surrogate made to pass exactly through the empty prompt's value too, without moving the full
 * prompt's, any single span's effect or, visibly, any uniform mask's. A low-degree surrogate fitted on
 * uniform masks can miss the extreme value of the empty prompt by far (a log-probability with no
 * context); shifting every prediction to meet it cost the 12-sentence story 0.1–0.4 of uniform R². The
 * correction is error·g(m), g a polynomial in the mean character u = 1 − 2p of a mask that keeps a
 * share p of the spans: g(u) = u²·((1 + u)/2)^(d−2) with d = 5, which is 1 at the empty prompt, 0 at
 * the full one with its slope and curvature (6·10⁻⁴ at 90 % kept), 0 at half the spans kept with its
 * slope, and has no constant and no single-span term. Order j takes g's coefficient of u^j, spread
 * evenly over a family of sets of that order in which every span is as often as any other: a few
 * hundred terms each so small that their spread over uniform masks is negligible. The masks near the
 * empty prompt, where the surrogate missed too, move most. With a recovery degree below 3 the lower
 * polynomials (1 + u)/2 and (u + u²)/2 are used. Where few spans leave few sets to spread over (12
 * spans) and the miss is large, the correction would move uniform masks visibly: it is made only
 * within `allowedChange`.
 */
export function passThroughEmpty(
  spectrum: Spectrum,
  featureCount: number,
  emptyValue: number | undefined,
  maxOrder: number,
  /**
   * The largest mean squared change over uniform masks the correction may make (a share of the
   * surrogate's own held-out error, say): a bigger one is not made, and the empty prompt is missed.
   */
  allowedChange = Number.POSITIVE_INFINITY,
): Spectrum {
  if (emptyValue === undefined || featureCount < 1) return spectrum;
  const error = emptyValue - new CompiledFourier(spectrum).evaluate(new Uint8Array(featureCount));
  if (Math.abs(error) <= ROUNDING * Math.max(1, Math.abs(emptyValue))) return spectrum;
  const degree = Math.max(1, Math.min(EMPTY_CORRECTION_DEGREE, maxOrder, featureCount));
  const weights = emptyCorrectionWeights(degree);
  const families = weights.map((weight, order) => (weight === 0 ? [] : spreadFamily(featureCount, order)));
  // Fourier characters are orthonormal under uniform masks: the mean squared change is the sum of the
  // correction's squared coefficients, (error·w_j)²/|family_j| for each order.
  const change = weights.reduce((sum, weight, order) => {
    const size = families[order]?.length ?? 0;
    return size > 0 ? sum + (error * weight) ** 2 / size : sum;
  }, 0);
  if (change > allowedChange) return spectrum;
  const corrected = new Map(spectrum);
  weights.forEach((weight, order) => {
    const family = families[order] ?? [];
    for (const key of family) corrected.set(key, (corrected.get(key) ?? 0) + (error * weight) / family.length);
  });
  return corrected;
}

/** The coefficients of the correction polynomial g(u) of degree d by power of u (see passThroughEmpty). */
function emptyCorrectionWeights(degree: number): number[] {
  if (degree === 1) return [0.5, 0.5];
  if (degree === 2) return [0, 0.5, 0.5];
  // u²·((1 + u)/2)^(d−2): the binomial coefficients of (1 + u)^(d−2), shifted up two powers.
  const weights = new Array<number>(degree + 1).fill(0);
  let binomial = 1;
  for (let k = 0; k <= degree - 2; k += 1) {
    if (k > 0) binomial = (binomial * (degree - 2 - k + 1)) / k;
    weights[k + 2] = binomial / 2 ** (degree - 2);
  }
  return weights;
}

/** The highest order the empty prompt's correction uses (see passThroughEmpty). */
const EMPTY_CORRECTION_DEGREE = 5;
/** At most this many sets of one order carry the empty prompt's correction. */
const SETS_PER_ORDER = 400;

/**
 * Distinct sets of `order` spans in which every span is equally often: the cyclic progressions
 * {i, i + s, i + 2s, …} mod n, by step s = 1, 2, …, up to SETS_PER_ORDER of them.
 */
function spreadFamily(featureCount: number, order: number): string[] {
  if (order === 0) return [''];
  const keys = new Set<string>();
  const steps = Math.max(1, Math.floor((featureCount - 1) / Math.max(1, order - 1)));
  for (let step = 1; step <= steps && keys.size < SETS_PER_ORDER; step += 1) {
    for (let start = 0; start < featureCount && keys.size < SETS_PER_ORDER; start += 1) {
      const members = Array.from({ length: order }, (_, k) => (start + k * step) % featureCount).sort((a, b) => a - b);
      if (members.every((member, k) => k === 0 || member !== members[k - 1])) keys.add(keyOfSorted(members));
    }
  }
  // With few spans the progressions are few (12 spans: 36 sets of 4): the family is filled up with
  // further sets in lexicographic order, so that small prompts spread the correction as thin.
  const members = Array.from({ length: order }, (_, k) => k);
  while (keys.size < SETS_PER_ORDER) {
    keys.add(keyOfSorted(members));
    let position = order - 1;
    while (position >= 0 && members[position] === featureCount - order + position) position -= 1;
    if (position < 0) break;
    members[position] = (members[position] as number) + 1;
    for (let k = position + 1; k < order; k += 1) members[k] = (members[k - 1] as number) + 1;
  }
  return [...keys];
}

/** Relative errors this small are arithmetic, not a miss. */
const ROUNDING = 1e-9;
