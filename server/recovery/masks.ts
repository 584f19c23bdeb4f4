import type { RandomSource } from './random';

/**
 * Masks are Uint8Arrays of 0/1 (1 = feature kept). These helpers validate, draw and key them.
 */

/** n i.i.d. fair bits: the uniform distribution under which the Fourier basis is orthonormal. */
export function uniformMask(featureCount: number, random: RandomSource): Uint8Array {
  const mask = new Uint8Array(featureCount);
  for (let i = 0; i < featureCount; i += 1) mask[i] = random() < 0.5 ? 1 : 0;
  return mask;
}

export function fullMask(featureCount: number): Uint8Array {
  return new Uint8Array(featureCount).fill(1);
}

/** A compact string key of a mask, for de-duplication (one character per 16 features). */
export function maskKey(mask: Uint8Array): string {
  let key = '';
  for (let start = 0; start < mask.length; start += 16) {
    let word = 0;
    for (let i = start; i < Math.min(start + 16, mask.length); i += 1) word |= (mask[i] as number) << (i - start);
    key += String.fromCharCode(word);
  }
  return key;
}

/** Draws `count` distinct uniform masks not in `exclude`; fewer when the space runs out (tiny n). */
export function distinctUniformMasks(
  featureCount: number,
  count: number,
  random: RandomSource,
  exclude: Set<string> = new Set(),
): Uint8Array[] {
  const masks: Uint8Array[] = [];
  const seen = new Set(exclude);
  const space = featureCount >= 53 ? Number.POSITIVE_INFINITY : 2 ** featureCount;
  let attempts = 0;
  while (masks.length < count && seen.size < space && attempts < count * 20 + 100) {
    attempts += 1;
    const mask = uniformMask(featureCount, random);
    const key = maskKey(mask);
    if (seen.has(key)) continue;
    seen.add(key);
    masks.push(mask);
  }
  return masks;
}

/** Checks that every mask has n entries, each 0 or 1; the message names the first bad one. */
export function validateMasks(masks: readonly Uint8Array[], featureCount: number): void {
  masks.forEach((mask, index) => {
    if (mask.length !== featureCount) throw new RangeError(`Mask ${index} has ${mask.length} entries; expected ${featureCount}.`);
    for (let i = 0; i < mask.length; i += 1) {
      if (mask[i] !== 0 && mask[i] !== 1) throw new RangeError(`Mask ${index} has ${mask[i]} at feature ${i}; masks are 0/1.`);
    }
  });
}

/**
 * The share of a round's masks that keep most spans (see distinctMostlyKeptMasks), and of the samples
 * a link-scale surrogate is distilled from, so that both cover the what-ifs users try alike.
 */
export const DEFAULT_MOSTLY_KEPT_SHARE = 0.15;

/**
 * Draws `count` distinct masks that keep most features, each feature kept with a probability drawn
 * per mask from [keepFrom, keepTo), not in `exclude` (which it extends); fewer when they run out.
 * These are the what-ifs users try (remove a span or two), where uniform masks, which keep half the
 * features, leave a surrogate to extrapolate.
 */
export function distinctMostlyKeptMasks(
  featureCount: number,
  count: number,
  random: RandomSource,
  exclude: Set<string>,
  keepFrom = 0.85,
  keepTo = 0.95,
): Uint8Array[] {
  const masks: Uint8Array[] = [];
  for (let attempts = 0; masks.length < count && attempts < count * 20 + 100; attempts += 1) {
    const keep = keepFrom + (keepTo - keepFrom) * random();
    const mask = new Uint8Array(featureCount);
    for (let i = 0; i < featureCount; i += 1) mask[i] = random() < keep ? 1 : 0;
    const key = maskKey(mask);
    if (exclude.has(key)) continue;
    exclude.add(key);
    masks.push(mask);
  }
  return masks;
}
