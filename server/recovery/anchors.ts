import { CompiledFourier } from './expansion';
import { EMPTY_KEY, keyOfSorted } from './interactionKey';
import { fullMask, maskKey } from './masks';
import type { Spectrum } from './spectrum';

/**
 * The two masks every explanation is anchored on: the prompt whole (every span kept), whose answer
 * is the one explained, and the prompt with every span removed. Every algorithm scores both first,
 * as part of its budget, and its surrogate passes exactly through the full prompt's value.
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
 * what-if that removes nothing must give back what the prompt scored), with its value at the empty
 * prompt unchanged. The correction is a sum of single features (those the spectrum holds, or every
 * one) and of pairs (those it holds, or those among its strongest features), in equal shares: on the full mask each order
 * contributes half the error, on the empty mask they cancel, and on uniform masks, where every such
 * character averages to 0, the mean squared change is the error² / 4 divided by the number of singles
 * and again by the number of pairs: a constant shift instead would move every prediction by the error.
 * The empty prompt is scored and fitted but not forced: a low-degree surrogate fitted on uniform
 * masks can miss its extreme value by far (a log-probability with no context), and meeting it
 * exactly cost the 12-sentence story 0.1–0.4 of uniform R² at 250–500 masks
 * (`npm run bench:quality -- --quick --only real`). A sparse spectrum gains no terms; errors at the
 * level of rounding are left alone.
 */
export function passThroughFull(spectrum: Spectrum, featureCount: number, fullValue: number | undefined): Spectrum {
  if (fullValue === undefined) return spectrum;
  const error = fullValue - new CompiledFourier(spectrum).evaluate(fullMask(featureCount));
  if (Math.abs(error) <= ROUNDING * Math.max(1, Math.abs(fullValue))) return spectrum;
  const corrected = new Map(spectrum);
  const shift = (key: string, by: number): void => {
    corrected.set(key, (corrected.get(key) ?? 0) + by);
  };
  const held = [...spectrum]
    .filter(([key, value]) => key.length === 1 && value !== 0)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || (a[0] < b[0] ? -1 : 1))
    .map(([key]) => key.charCodeAt(0));
  const singles = held.length > 0 ? held : Array.from({ length: featureCount }, (_, i) => i);
  // On the full mask a single feature's character is −1 and a pair's is +1; on the empty mask both are +1.
  for (const feature of singles) shift(keyOfSorted([feature]), -error / 2 / singles.length);
  const heldPairs = [...spectrum].filter(([key, value]) => key.length === 2 && value !== 0).map(([key]) => key);
  const pairs = heldPairs.length > 0 ? heldPairs : pairsAmong(singles, featureCount);
  // One feature has no pairs: the constant takes the even half, and on the empty mask cancels the single's share.
  if (pairs.length === 0) shift(EMPTY_KEY, error / 2);
  for (const key of pairs) shift(key, error / 2 / pairs.length);
  return corrected;
}

/** Where a spectrum holds no pair, pairs among this many of its strongest features carry the even half (190 at most). */
const PAIR_FEATURES = 20;

/** The pairs among the first PAIR_FEATURES of `strongest`, topped up with the lowest-numbered other features. */
function pairsAmong(strongest: readonly number[], featureCount: number): string[] {
  const chosen = new Set(strongest);
  const features = [...strongest, ...Array.from({ length: featureCount }, (_, i) => i).filter((i) => !chosen.has(i))]
    .slice(0, PAIR_FEATURES)
    .sort((a, b) => a - b);
  const pairs: string[] = [];
  for (let i = 0; i < features.length; i += 1)
    for (let j = i + 1; j < features.length; j += 1) pairs.push(keyOfSorted([features[i] as number, features[j] as number]));
  return pairs;
}

/** Relative errors this small are arithmetic, not a miss. */
const ROUNDING = 1e-9;
