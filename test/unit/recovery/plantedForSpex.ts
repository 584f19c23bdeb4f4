import { indicesOf, keyOf, type InteractionKey } from '../../../server/recovery/interactionKey';
import { gaussian, randomInteger, type RandomSource } from '../../../server/recovery/random';
import type { Spectrum } from '../../../server/recovery/spectrum';
import { designMask, type SpexDesign } from '../../../server/recovery/spex/spexDesign';

/** Planted sparse, low-degree Fourier spectra for the SPEX tests, and their values on a design. */

export interface PlantOptions {
  readonly featureCount: number;
  /** The number of coefficients, ∅ included when includeEmpty is set. */
  readonly sparsity: number;
  readonly maxDegree: number;
  readonly random: RandomSource;
  /** Whether ∅ (the constant) is one of the coefficients; default true. */
  readonly includeEmpty?: boolean;
  /** Magnitudes are uniform in [low, high], signs fair; default [0.3, 1]. */
  readonly magnitude?: readonly [number, number];
}

/** Distinct random supports with degrees uniform in 1 … maxDegree (plus ∅), random signs and magnitudes. */
export function plantSpectrum(options: PlantOptions): Spectrum {
  const { featureCount, sparsity, maxDegree, random } = options;
  const [low, high] = options.magnitude ?? [0.3, 1];
  const spectrum: Spectrum = new Map();
  const coefficient = (): number => (random() < 0.5 ? -1 : 1) * (low + (high - low) * random());
  if (options.includeEmpty ?? true) spectrum.set(keyOf([]), coefficient());
  while (spectrum.size < sparsity) {
    const degree = 1 + randomInteger(random, maxDegree);
    const members = new Set<number>();
    while (members.size < degree) members.add(randomInteger(random, featureCount));
    const key = keyOf(members);
    if (!spectrum.has(key)) spectrum.set(key, coefficient());
  }
  return spectrum;
}

/** f(m) = Σ_S F(S)·(−1)^{|S ∩ kept(m)|}. */
export function evaluateSpectrum(spectrum: Spectrum, mask: Uint8Array): number {
  let value = 0;
  for (const [key, coefficient] of spectrum) {
    let parity = 0;
    for (let i = 0; i < key.length; i += 1) parity ^= mask[key.charCodeAt(i)] as number;
    value += parity ? -coefficient : coefficient;
  }
  return value;
}

/** The design's values f(designMask(design, i)), plus N(0, noiseSd²) noise on each when noiseSd > 0. */
export function designValues(design: SpexDesign, spectrum: Spectrum, noiseSd = 0, random?: RandomSource): Float64Array {
  if (noiseSd > 0 && random === undefined) throw new Error('Noise needs a random source.');
  const values = new Float64Array(design.sampleCount);
  const mask = new Uint8Array(design.featureCount);
  for (let index = 0; index < values.length; index += 1) {
    designMask(design, index, mask);
    values[index] = evaluateSpectrum(spectrum, mask) + (noiseSd > 0 ? noiseSd * gaussian(random as RandomSource) : 0);
  }
  return values;
}

export interface Comparison {
  /** Planted keys recovered (present in the recovered spectrum). */
  readonly found: number;
  /** Recovered keys that were not planted. */
  readonly spurious: InteractionKey[];
  /** The largest |recovered − planted| over planted keys that were recovered. */
  readonly largestError: number;
  /** The largest |coefficient| among spurious keys (0 when there are none). */
  readonly largestSpurious: number;
}

export function compareSpectra(planted: Spectrum, recovered: Spectrum): Comparison {
  let found = 0;
  let largestError = 0;
  for (const [key, value] of planted) {
    const estimate = recovered.get(key);
    if (estimate === undefined) continue;
    found += 1;
    largestError = Math.max(largestError, Math.abs(estimate - value));
  }
  const spurious = [...recovered.keys()].filter((key) => !planted.has(key));
  const largestSpurious = spurious.reduce((largest, key) => Math.max(largest, Math.abs(recovered.get(key) as number)), 0);
  return { found, spurious, largestError, largestSpurious };
}

/** A readable key for assertion messages. */
export function describeKey(key: InteractionKey): string {
  return `{${indicesOf(key).join(', ')}}`;
}
