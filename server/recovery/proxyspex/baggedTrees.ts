import { DEFAULT_BOOSTING, fitBoostedTrees, PackedRows, type BoostingOptions } from './gradientBoosting';
import { EMPTY_KEY } from '../interactionKey';
import { shuffle, type RandomSource } from '../random';
import type { Spectrum } from '../spectrum';
import { addTreeSpectrum } from './treeFourier';

export interface BaggingOptions {
  /** Boosted models averaged (default 4). */
  readonly bags: number;
  /** Share of the rows each model trains on; it stops early on the rest (default 0.8). */
  readonly sampleShare: number;
  /** Rows one model trains on at most: the trees of a large fit only propose and smooth. */
  readonly maxRowsPerBag: number;
  /**
   * Rows × features all bags together may train on: a large fit (a thousand features, thousands of
   * masks) grows fewer bags, down to one, so that its trees cost what one boosted model used to.
   */
  readonly workBudget: number;
  readonly boosting: BoostingOptions;
}

export const DEFAULT_BAGGING: BaggingOptions = {
  bags: 4,
  sampleShare: 0.8,
  maxRowsPerBag: 3072,
  workBudget: 2_000_000,
  boosting: DEFAULT_BOOSTING,
};

export interface BaggedTrees {
  /** The exact Fourier spectrum of the averaged model (its constant on ∅). */
  readonly spectrum: Spectrum;
  /** Trees grown in each bag before early stopping. */
  readonly treesPerBag: readonly number[];
}

/**
 * Averages boosted-tree models, each trained on a random share of the rows and stopped early on the
 * rows it did not see. One boosted model on a few hundred masks has a high variance (where it
 * splits first decides much of what follows); the average of a few, read out exactly as one Fourier
 * spectrum, predicts fresh masks of real value functions better than any one of them and as well
 * as a dense ridge fit, and it uses every row without a held-out split of its own. The spectrum is
 * exact: the average of the models' spectra is the spectrum of the averaged model.
 */
export function fitBaggedTrees(
  masks: readonly Uint8Array[],
  values: Float64Array,
  rows: Int32Array,
  featureCount: number,
  random: RandomSource,
  options: Partial<BaggingOptions> = {},
): BaggedTrees {
  const resolved = { ...DEFAULT_BAGGING, ...options };
  if (!Number.isInteger(resolved.bags) || resolved.bags < 1)
    throw new RangeError(`bags must be a positive whole number; got ${resolved.bags}.`);
  if (!(resolved.sampleShare > 0 && resolved.sampleShare < 1))
    throw new RangeError(`sampleShare must be in (0, 1); got ${resolved.sampleShare}.`);
  const spectrum: Spectrum = new Map([[EMPTY_KEY, 0]]);
  const treesPerBag: number[] = [];
  const pick = (chosen: readonly number[]): PackedRows =>
    new PackedRows(
      chosen.map((row) => masks[row] as Uint8Array),
      featureCount,
    );
  const target = (chosen: readonly number[]): Float64Array => Float64Array.from(chosen, (row) => values[row] as number);
  const trainCount = Math.min(resolved.maxRowsPerBag, Math.max(1, Math.round(rows.length * resolved.sampleShare)));
  const bags = Math.max(1, Math.min(resolved.bags, Math.floor(resolved.workBudget / (trainCount * featureCount))));
  const weight = 1 / bags;
  for (let bag = 0; bag < bags; bag += 1) {
    const order = shuffle(Array.from(rows), random);
    const stopCount = Math.min(order.length - trainCount, Math.max(1, Math.round(trainCount / 4)));
    const train = order.slice(0, trainCount);
    const stop = order.slice(trainCount, trainCount + stopCount);
    const model = fitBoostedTrees(
      pick(train),
      target(train),
      stop.length > 0 ? pick(stop) : undefined,
      stop.length > 0 ? target(stop) : undefined,
      resolved.boosting,
    );
    spectrum.set(EMPTY_KEY, (spectrum.get(EMPTY_KEY) as number) + weight * model.base);
    for (const tree of model.trees) addTreeSpectrum(tree, spectrum, weight);
    treesPerBag.push(model.trees.length);
  }
  return { spectrum, treesPerBag };
}
