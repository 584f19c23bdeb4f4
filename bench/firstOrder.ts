import { CharacterMatrix, fitRidge } from '../server/recovery/characterMatrix';
import { EMPTY_KEY, keyOfSorted, type InteractionKey } from '../server/recovery/interactionKey';
import { distinctUniformMasks } from '../server/recovery/masks';
import { seededRandom } from '../server/recovery/random';
import type { Spectrum } from '../server/recovery/spectrum';
import type { MaskEvaluator } from '../server/recovery/types';

/**
 * The first-order baseline of the recovery benchmark: ordinary least squares of the value on the
 * kept/removed indicators of uniformly random masks, as LIME and ContextCite fit their surrogates.
 * Regressing on 0/1 indicators or on the ±1 characters (−1)^{kept_i} spans the same affine space, so
 * fitting the Fourier columns ∅ and {i} gives exactly the linear-regression fit, already in the basis
 * the other algorithms report.
 */

export interface FirstOrderOptions {
  readonly featureCount: number;
  /** The number of distinct uniform masks to score. */
  readonly budget: number;
  readonly seed: number;
}

export interface FirstOrderRecovery {
  /** Fourier coefficients of ∅ and of every single feature. */
  readonly fourier: Spectrum;
  readonly masksQueried: number;
  readonly computeMs: number;
}

/** Least squares on the columns ∅, {0}, …, {n − 1} over the given masks. */
export function fitFirstOrder(masks: readonly Uint8Array[], values: Float64Array, featureCount: number): Spectrum {
  const keys: InteractionKey[] = [EMPTY_KEY];
  for (let i = 0; i < featureCount; i += 1) keys.push(keyOfSorted([i]));
  const matrix = new CharacterMatrix(masks, keys.length);
  matrix.append(keys);
  const rows = Int32Array.from({ length: masks.length }, (_, i) => i);
  // A vanishing ridge term only matters when there are fewer masks than columns: it then picks the
  // minimum-norm least-squares solution instead of leaving CGLS to wander in the null space.
  const { coefficients } = fitRidge(matrix, rows, values, keys.length, 1e-9 * masks.length, undefined, 1e-10, 1000);
  return new Map(keys.map((key, index) => [key, coefficients[index] as number]));
}

/** Scores `budget` distinct uniform masks in one batch and fits the first-order surrogate. */
export async function recoverFirstOrder(evaluate: MaskEvaluator, options: FirstOrderOptions): Promise<FirstOrderRecovery> {
  const masks = distinctUniformMasks(options.featureCount, options.budget, seededRandom(options.seed));
  const values = await evaluate(masks);
  const started = performance.now();
  const fourier = fitFirstOrder(masks, values, options.featureCount);
  return { fourier, masksQueried: masks.length, computeMs: performance.now() - started };
}
