import { CompiledFourier } from './expansion';
import { EMPTY_KEY, keyOfSorted } from './interactionKey';
import { fullMask, maskKey } from './masks';
import type { Spectrum } from './spectrum';

/**
 * The two masks every explanation is anchored on: the prompt whole (every span kept), whose answer
 * is the one explained, and the prompt with every span removed. Every algorithm scores both as part
 * of its budget, and its surrogate passes exactly through their values: a what-if that toggles
 * nothing must give back the value the user's own prompt scored.
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
 * The smallest change to a spectrum that makes it pass through the anchors' values: a constant and
 * one equal share on each single feature the spectrum holds (on every feature where it holds none),
 * the least-squares-smallest such correction (over uniform masks it changes a prediction by the
 * constant alone, (e_full + e_empty)/2, and towards either anchor it moves linearly to that anchor's
 * error). A sparse spectrum stays as sparse. With one anchor only, the constant. Errors at the level
 * of rounding are left alone.
 */
export function passThroughAnchors(
  spectrum: Spectrum,
  featureCount: number,
  anchors: { readonly full?: number; readonly empty?: number },
): Spectrum {
  const { full, empty } = anchorMasks(featureCount);
  const surrogate = new CompiledFourier(spectrum);
  const fullError = anchors.full === undefined ? 0 : anchors.full - surrogate.evaluate(full);
  const emptyError = anchors.empty === undefined ? 0 : anchors.empty - surrogate.evaluate(empty);
  const scale = Math.max(1, Math.abs(anchors.full ?? 0), Math.abs(anchors.empty ?? 0));
  if (Math.abs(fullError) <= ROUNDING * scale && Math.abs(emptyError) <= ROUNDING * scale) return spectrum;
  const corrected = new Map(spectrum);
  const shift = (key: string, by: number): void => {
    corrected.set(key, (corrected.get(key) ?? 0) + by);
  };
  if (anchors.full === undefined || anchors.empty === undefined) {
    shift(EMPTY_KEY, fullError + emptyError);
    return corrected;
  }
  // Every character is +1 on the empty mask; on the full mask a term of order d is (−1)^d.
  shift(EMPTY_KEY, (emptyError + fullError) / 2);
  const odd = (emptyError - fullError) / 2;
  if (Math.abs(odd) <= ROUNDING * scale) return corrected;
  const held = [...spectrum.keys()].filter((key) => key.length === 1 && spectrum.get(key) !== 0);
  const singles = held.length > 0 ? held : Array.from({ length: featureCount }, (_, i) => keyOfSorted([i]));
  for (const key of singles) shift(key, odd / singles.length);
  return corrected;
}

/** Relative errors this small are arithmetic, not a miss. */
const ROUNDING = 1e-9;
