import { seededRandom } from '../../server/recovery/random';
import { recover } from '../../server/recovery/recover';
import { distinctUniformMasks } from '../../server/recovery/masks';
import type { Spectrum } from '../../server/recovery/spectrum';
import { countingEvaluator, plantedSpectrum, plantedValues, supportRecall, truthR2 } from '../../test/helpers/plantedFunctions';
import { fitFirstOrder } from '../firstOrder';
import { fitPublishedProxySpex } from './publishedProxySpex';

/**
 * The planted half of the quality benchmark: sparse Fourier functions of degree ≤ 4 with a known
 * support, the three cases the explanation-quality issue sets targets for, each with two kinds of
 * hierarchy. Recall is the share of planted terms present in the recovered support; R² is against
 * the noise-free truth on 2,000 fresh uniform masks.
 */
export interface PlantedQualityCase {
  readonly featureCount: number;
  readonly terms: number;
  readonly noise: number;
  readonly budgets: readonly number[];
  /** The target: recall and R² to reach within the last budget. */
  readonly target: { readonly recall: number; readonly r2: number };
}

export const PLANTED_QUALITY_CASES: readonly PlantedQualityCase[] = [
  { featureCount: 64, terms: 24, noise: 0, budgets: [500, 1000, 1500], target: { recall: 0.95, r2: 0.95 } },
  { featureCount: 256, terms: 32, noise: 0, budgets: [1000, 2000, 4000], target: { recall: 0.95, r2: 0.95 } },
  { featureCount: 128, terms: 24, noise: 0.1, budgets: [1000, 2500], target: { recall: 0.95, r2: 0.85 } },
];

export type Hierarchy = 'chain' | 'singletons';
export type PlantedAlgorithm = 'ours' | 'published' | 'first-order';

export interface PlantedPoint {
  readonly budget: number;
  readonly calls: number;
  readonly recall: number;
  readonly r2: number;
  readonly computeMs: number;
}

/** One planted function (its seed fixes the truth, the noise and the masks) through all three algorithms. */
export async function plantedRun(
  plantedCase: PlantedQualityCase,
  hierarchy: Hierarchy,
  seed: number,
  publishedGrid: 'shapiq' | 'quick',
): Promise<Record<PlantedAlgorithm, PlantedPoint[]>> {
  const { featureCount, terms, noise } = plantedCase;
  const truth = plantedSpectrum({ featureCount, terms, maxDegree: 4, random: seededRandom(1000 + seed), hierarchy });
  const score = (fourier: Spectrum): { recall: number; r2: number } => ({
    recall: supportRecall(truth, fourier),
    r2: truthR2(truth, fourier, featureCount, 77 + seed),
  });
  const result: Record<PlantedAlgorithm, PlantedPoint[]> = { ours: [], published: [], 'first-order': [] };
  for (const budget of plantedCase.budgets) {
    const { evaluate, calls } = countingEvaluator(truth, 2000 + seed, noise);
    const recovery = await recover(evaluate, { featureCount, budget, seed });
    result.ours.push({ budget, calls: calls(), computeMs: recovery.diagnostics.computeMs, ...score(recovery.fourier) });
    const masks = distinctUniformMasks(featureCount, budget, seededRandom(3000 + seed));
    const values = plantedValues(truth, seededRandom(4000 + seed), noise)(masks);
    const published = fitPublishedProxySpex(masks, values, featureCount, { grid: publishedGrid });
    result.published.push({ budget, calls: masks.length, computeMs: published.computeMs, ...score(published.fourier) });
    const firstOrderStarted = performance.now();
    const firstOrder = fitFirstOrder(masks, values, featureCount);
    result['first-order'].push({ budget, calls: masks.length, computeMs: performance.now() - firstOrderStarted, ...score(firstOrder) });
  }
  return result;
}
