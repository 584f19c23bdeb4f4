import { CompiledFourier, rSquared } from '../../server/recovery/expansion';
import { uniformMask } from '../../server/recovery/masks';
import { EMPTY_KEY, keyOf, type InteractionKey } from '../../server/recovery/interactionKey';
import { gaussian, seededRandom, type RandomSource } from '../../server/recovery/random';
import type { Spectrum } from '../../server/recovery/spectrum';
import type { MaskEvaluator } from '../../server/recovery/types';

export interface PlantedOptions {
  readonly featureCount: number;
  /** Non-constant terms. */
  readonly terms: number;
  readonly maxDegree: number;
  readonly random: RandomSource;
  /**
   * How planted terms relate (default 'chain'): with 'chain' (the ProxySPEX assumption) every term
   * of degree d comes with a chain of its subsets down to a single feature; with 'singletons' only
   * its single features are planted too (a weak footprint); with 'none' terms are independent sets.
   */
  readonly hierarchy?: 'chain' | 'singletons' | 'none';
  /** Coefficient magnitudes are uniform in [min, max], with random signs. */
  readonly magnitude?: readonly [number, number];
}

/** A random sparse, low-degree Fourier function with known coefficients: ground truth for recovery tests. */
export function plantedSpectrum(options: PlantedOptions): Spectrum {
  const { featureCount, terms, maxDegree, random } = options;
  let available = 0;
  for (let degree = 1, ways = 1; degree <= Math.min(maxDegree, featureCount); degree += 1) {
    ways = (ways * (featureCount - degree + 1)) / degree;
    available += ways;
  }
  if (terms > available)
    throw new RangeError(`Only ${available} sets of degree 1..${maxDegree} exist among ${featureCount} features; asked for ${terms}.`);
  const [low, high] = options.magnitude ?? [0.3, 1];
  const coefficient = (): number => (random() < 0.5 ? -1 : 1) * (low + (high - low) * random());
  const spectrum: Spectrum = new Map([[EMPTY_KEY, 2 * random() - 1]]);
  const randomSet = (size: number): number[] => {
    const chosen = new Set<number>();
    while (chosen.size < size) chosen.add(Math.floor(random() * featureCount));
    return [...chosen];
  };
  while (spectrum.size < terms + 1) {
    const degree = 1 + Math.floor(random() * Math.min(maxDegree, featureCount));
    const set = randomSet(degree);
    // The chain is added from the single feature up, so a term is only planted with all of its chain.
    const hierarchy = options.hierarchy ?? 'chain';
    const chain: InteractionKey[] = [];
    if (hierarchy === 'chain') for (let size = 1; size < set.length; size += 1) chain.push(keyOf(set.slice(0, size)));
    if (hierarchy === 'singletons' && set.length > 1) for (const feature of set) chain.push(keyOf([feature]));
    chain.push(keyOf(set));
    for (const key of chain) if (spectrum.size < terms + 1 && !spectrum.has(key)) spectrum.set(key, coefficient());
  }
  return spectrum;
}

/** A value function for a planted spectrum, with optional Gaussian noise of standard deviation `noise`. */
export function plantedValues(spectrum: Spectrum, random: RandomSource, noise = 0): (masks: readonly Uint8Array[]) => Float64Array {
  const compiled = new CompiledFourier(spectrum);
  return (masks) => {
    const values = compiled.evaluateMany(masks);
    if (noise > 0) for (let i = 0; i < values.length; i += 1) values[i] = (values[i] as number) + noise * gaussian(random);
    return values;
  };
}

/** Share of the planted non-constant terms present in `found` (the recall of the support). */
export function supportRecall(planted: Spectrum, found: Spectrum): number {
  const keys = [...planted.keys()].filter((key) => key !== EMPTY_KEY);
  return keys.filter((key) => found.has(key)).length / Math.max(1, keys.length);
}

/** An evaluator of a planted function that counts the masks it is asked for. */
export function countingEvaluator(spectrum: Spectrum, seed: number, noise = 0): { evaluate: MaskEvaluator; calls: () => number } {
  const values = plantedValues(spectrum, seededRandom(seed), noise);
  let calls = 0;
  return {
    evaluate: (masks) => {
      calls += masks.length;
      return Promise.resolve(values(masks));
    },
    calls: () => calls,
  };
}

/** R² of a recovered expansion against the truth on 2,000 fresh uniform masks. */
export function truthR2(truth: Spectrum, found: Spectrum, featureCount: number, seed: number): number {
  const random = seededRandom(seed);
  const masks = Array.from({ length: 2000 }, () => uniformMask(featureCount, random));
  return rSquared(new CompiledFourier(truth).evaluateMany(masks), new CompiledFourier(found).evaluateMany(masks));
}

/** Spans of additiveWithTwoPairs. */
export const TWO_PAIRS_FEATURES = 16;
const TWO_PAIRS_WEIGHTS = Array.from({ length: TWO_PAIRS_FEATURES }, (_, i) => ((i * 7) % 5) - 2);

/**
 * A value over 16 spans with additive weights and two synergies: 3·m₁·m₂ and −2·m₄·m₉. Features 4 and
 * 9 have weight 1 each, so in the Fourier basis their single terms cancel (−½ + ½): the pair {4, 9}
 * has no footprint of single features for a search that extends the support to follow.
 */
export function additiveWithTwoPairs(mask: Uint8Array): number {
  let value = -20;
  for (let i = 0; i < TWO_PAIRS_FEATURES; i += 1) value += (TWO_PAIRS_WEIGHTS[i] as number) * (mask[i] as number);
  return value + 3 * (mask[1] as number) * (mask[2] as number) - 2 * (mask[4] as number) * (mask[9] as number);
}
