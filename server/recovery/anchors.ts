import { CompiledFourier } from './expansion';
import { keyOfSorted } from './interactionKey';
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
 * what-if that removes nothing must give back what the prompt scored). The correction is shared
 * equally over the single features the spectrum holds (every one where it holds none) and, where it
 * holds pairs, over those pairs: on the full mask a single's character is −1 and a pair's +1, so each
 * order takes half the error and the value at the empty prompt stays as it was. An additive spectrum
 * stays additive: the singles take the whole error and the empty prompt's value moves by as much the
 * other way. On uniform masks, where every such character averages to 0, the mean squared change is
 * the error² shared out over the terms (a constant shift would move every prediction by the error).
 * The empty prompt is scored and fitted but not forced: a low-degree surrogate fitted on uniform
 * masks can miss its extreme value by far (a log-probability with no context), and meeting it
 * exactly cost the 12-sentence story 0.1–0.4 of uniform R² at 250–500 masks
 * (`npm run bench:quality -- --quick --only real`). A spectrum gains no terms but singles where it
 * holds none; errors at the level of rounding are left alone.
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

/** Relative errors this small are arithmetic, not a miss. */
const ROUNDING = 1e-9;
