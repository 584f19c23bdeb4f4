import { rSquared } from '../../server/recovery/expansion';
import {
  fitBoostedTrees,
  PackedRows,
  predictTree,
  type BoostedTrees,
  type BoostingOptions,
  type RegressionTree,
} from '../../server/recovery/proxyspex/gradientBoosting';
import { EMPTY_KEY, indicesOf, type InteractionKey } from '../../server/recovery/interactionKey';
import type { Spectrum } from '../../server/recovery/spectrum';
import { addTreeSpectrum } from '../../server/recovery/proxyspex/treeFourier';
import { symmetricEigen } from './symmetricEigen';

/**
 * The published ProxySPEX pipeline (shapiq 1.6 `ProxySPEX`, spectral-explain `proxy_spex`), re-done
 * as a benchmark baseline so the improved recovery can be compared with it on the same masks:
 *
 * 1. a gradient-boosted-tree proxy whose depth, tree count and learning rate are chosen by 5-fold
 *    cross-validated R² (unshuffled contiguous folds, as sklearn's GridSearchCV(cv=5) does), then
 *    refit on all rows;
 * 2. the proxy's exact Fourier spectrum, read off its trees;
 * 3. the smallest top-energy prefix of the non-constant coefficients holding 95 % of their energy,
 *    plus the constant;
 * 4. a ridge refit of those coefficients without intercept, its penalty chosen by exact
 *    leave-one-out over logspace(−6, 6, 100), as sklearn's RidgeCV does by default.
 *
 * See spex-reference.md §2. The boosted trees are the repo's own (depth-wise, binary features),
 * set up to behave like LightGBM's defaults as far as they can.
 */

export interface PublishedProxySpexOptions {
  /** Degree cap; the tree depths searched are {max(1, maxOrder − 2), maxOrder} (default 5: {3, 5}). */
  readonly maxOrder?: number;
  /** 'shapiq' searches 500 and 1,000 trees; 'quick' only 500 (default 'shapiq'). */
  readonly grid?: 'shapiq' | 'quick';
}

export interface PublishedProxySpexFit {
  /** The refit Fourier coefficients on the kept support, ∅ included. */
  readonly fourier: Spectrum;
  /** The cross-validated configuration, in words. */
  readonly chosen: string;
  /** Keys in `fourier`, ∅ included. */
  readonly supportSize: number;
  readonly computeMs: number;
}

/** One grid point: LightGBM's max_depth, n_estimators and learning_rate. */
export interface GridConfig {
  readonly maxDepth: number;
  readonly trees: number;
  readonly learningRate: number;
}

export const CV_FOLDS = 5;
export const LEARNING_RATES: readonly number[] = [0.01, 0.1];
export const ENERGY_SHARE = 0.95;
/** sklearn RidgeCV's default penalties: 100 values log-spaced from 1e−6 to 1e6. */
export const RIDGE_ALPHAS: Float64Array = Float64Array.from({ length: 100 }, (_, i) => 10 ** (-6 + (12 * i) / 99));

/** LightGBM's min_child_samples default: no leaf holds fewer training rows. */
const LIGHTGBM_MIN_ROWS_PER_LEAF = 20;

/**
 * The grid in the order sklearn's ParameterGrid visits it: parameter names sorted (learning_rate,
 * max_depth, max_iter), the last varying fastest. GridSearchCV breaks ties in mean score towards the
 * earliest configuration, so the order decides ties.
 */
export function publishedGrid(maxOrder: number, grid: 'shapiq' | 'quick'): GridConfig[] {
  const depths = [...new Set([Math.max(1, maxOrder - 2), maxOrder])].sort((a, b) => a - b);
  const treeCounts = grid === 'shapiq' ? [500, 1000] : [500];
  const configs: GridConfig[] = [];
  for (const learningRate of LEARNING_RATES)
    for (const maxDepth of depths) for (const trees of treeCounts) configs.push({ maxDepth, trees, learningRate });
  return configs;
}

/**
 * LightGBM's defaults in the repo booster's terms: squared loss, the training mean as the initial
 * constant, min_child_samples = 20, reg_lambda = 0, no subsampling, and a fixed number of trees.
 * Without validation rows the booster never stops early (it only stops when no split is left, as
 * LightGBM does), so `patience` is irrelevant; it is set to the tree count to say so.
 */
function lightGbmLike(maxDepth: number, trees: number, learningRate: number): BoostingOptions {
  return { maxDepth, learningRate, maxTrees: trees, minRowsPerLeaf: LIGHTGBM_MIN_ROWS_PER_LEAF, l2: 0, patience: trees };
}

export function fitPublishedProxySpex(
  masks: readonly Uint8Array[],
  values: Float64Array,
  featureCount: number,
  options: PublishedProxySpexOptions = {},
): PublishedProxySpexFit {
  const started = performance.now();
  const maxOrder = options.maxOrder ?? 5;
  if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > 12) throw new RangeError(`maxOrder must be 1 to 12; got ${maxOrder}.`);
  if (masks.length !== values.length) throw new RangeError(`${masks.length} masks but ${values.length} values.`);
  if (masks.length < CV_FOLDS) throw new RangeError(`5-fold cross-validation needs at least ${CV_FOLDS} masks; got ${masks.length}.`);

  const configs = publishedGrid(maxOrder, options.grid ?? 'shapiq');
  const scores = crossValidate(masks, values, featureCount, configs);
  let bestIndex = 0;
  scores.forEach((score, index) => {
    if (score > (scores[bestIndex] as number)) bestIndex = index;
  });
  const best = configs[bestIndex] as GridConfig;
  const model = fitBoostedTrees(
    new PackedRows(masks, featureCount),
    values,
    undefined,
    undefined,
    lightGbmLike(best.maxDepth, best.trees, best.learningRate),
  );
  const treeSpectrum = boostedSpectrum(model);

  // shapiq returns the tree spectrum untouched when it has at most n entries (a near-constant proxy);
  // kept for fidelity, although it practically never happens with hundreds of trees.
  let fourier: Spectrum;
  let refit = 'ridge α ';
  if (treeSpectrum.size <= featureCount) {
    fourier = treeSpectrum;
    refit = 'no refit (≤ n tree coefficients)';
  } else {
    const support = truncateByEnergy(treeSpectrum, ENERGY_SHARE);
    if (support.length === 1) {
      // No non-constant energy at all: the proxy is the constant.
      fourier = new Map([[EMPTY_KEY, treeSpectrum.get(EMPTY_KEY) ?? 0]]);
      refit = 'no refit (constant proxy)';
    } else {
      const ridge = ridgeLeaveOneOut(masks, values, support);
      fourier = new Map(support.map((key, k) => [key, ridge.coefficients[k] as number]));
      refit += ridge.alpha.toExponential(1);
    }
  }
  const chosen =
    `depth ${best.maxDepth}, ${best.trees} trees (${model.trees.length} grown), learning rate ${best.learningRate}; ` +
    `CV R² ${(scores[bestIndex] as number).toFixed(3)}; ${refit}`;
  return { fourier, chosen, supportSize: fourier.size, computeMs: performance.now() - started };
}

/**
 * Mean held-out R² of every configuration over sklearn's KFold(5) without shuffling: contiguous
 * blocks, the first N mod 5 of them one row longer. Configurations that differ only in their tree
 * count share one boosted fit with the largest count, scored after each count's prefix of trees: the
 * booster is deterministic and never looks ahead, so the prefix is exactly the smaller model.
 */
function crossValidate(masks: readonly Uint8Array[], values: Float64Array, featureCount: number, configs: readonly GridConfig[]): number[] {
  const rowCount = masks.length;
  const sums = new Array<number>(configs.length).fill(0);
  const groups = new Map<string, number[]>();
  configs.forEach((config, index) => {
    const key = `${config.maxDepth}/${config.learningRate}`;
    groups.set(key, [...(groups.get(key) ?? []), index]);
  });
  let start = 0;
  for (let fold = 0; fold < CV_FOLDS; fold += 1) {
    const size = Math.floor(rowCount / CV_FOLDS) + (fold < rowCount % CV_FOLDS ? 1 : 0);
    const end = start + size;
    const trainMasks = [...masks.slice(0, start), ...masks.slice(end)];
    const trainValues = new Float64Array(rowCount - size);
    trainValues.set(values.subarray(0, start), 0);
    trainValues.set(values.subarray(end), start);
    const testValues = values.subarray(start, end);
    const train = new PackedRows(trainMasks, featureCount);
    const test = new PackedRows(masks.slice(start, end), featureCount);
    for (const members of groups.values()) {
      const first = configs[members[0] as number] as GridConfig;
      const counts = members.map((index) => (configs[index] as GridConfig).trees);
      const largest = Math.max(...counts);
      const model = fitBoostedTrees(train, trainValues, undefined, undefined, lightGbmLike(first.maxDepth, largest, first.learningRate));
      const predicted = new Float64Array(size).fill(model.base);
      // Scores after each prefix length wanted; a model that stopped early is its own prefix.
      const scoreAt = new Map<number, number>();
      const wanted = [...new Set(counts)].sort((a, b) => a - b);
      let grown = 0;
      for (const count of wanted) {
        for (; grown < Math.min(count, model.trees.length); grown += 1) {
          const tree = model.trees[grown] as RegressionTree;
          for (let r = 0; r < size; r += 1) predicted[r] = (predicted[r] as number) + predictTree(tree, test, r);
        }
        scoreAt.set(count, rSquared(testValues, predicted));
      }
      for (const index of members) sums[index] = (sums[index] as number) + (scoreAt.get((configs[index] as GridConfig).trees) as number);
    }
    start = end;
  }
  return sums.map((sum) => sum / CV_FOLDS);
}

/** The exact Fourier spectrum of a boosted model, its initial constant (the training mean) on ∅. */
export function boostedSpectrum(model: BoostedTrees): Spectrum {
  const spectrum: Spectrum = new Map([[EMPTY_KEY, model.base]]);
  for (const tree of model.trees) addTreeSpectrum(tree, spectrum);
  // shapiq drops exact zeros, which matters only for its "at most n entries" shortcut.
  for (const [key, value] of spectrum) if (value === 0 && key !== EMPTY_KEY) spectrum.delete(key);
  return spectrum;
}

/**
 * ∅ followed by the smallest prefix of the non-constant keys, by descending energy F(S)², whose
 * energy reaches `share` of their total (the rule shapiq intends; spectral-explain keeps one key
 * fewer). Equal energies are ordered by key so the result does not depend on insertion order.
 */
export function truncateByEnergy(spectrum: Spectrum, share: number): InteractionKey[] {
  const entries: { key: InteractionKey; energy: number }[] = [];
  let total = 0;
  for (const [key, value] of spectrum) {
    if (key === EMPTY_KEY) continue;
    entries.push({ key, energy: value * value });
    total += value * value;
  }
  if (total === 0) return [EMPTY_KEY];
  entries.sort((a, b) => b.energy - a.energy || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const kept: InteractionKey[] = [EMPTY_KEY];
  let cumulative = 0;
  for (const { key, energy } of entries) {
    kept.push(key);
    cumulative += energy;
    if (cumulative / total >= share) break;
  }
  return kept;
}

export interface RidgeLooFit {
  /** β per support key, in the order given. */
  readonly coefficients: Float64Array;
  readonly alpha: number;
  /** Mean squared leave-one-out residual at the chosen α. */
  readonly looError: number;
}

/**
 * Ridge regression y ≈ Φβ without intercept on Φ[i, k] = (−1)^{|S_k ∩ kept(mask_i)|} (the repo's
 * character convention; ∅ is the column of ones and is penalised like the rest, as with
 * fit_intercept=False), the penalty chosen among RIDGE_ALPHAS by exact leave-one-out error, the first
 * of equal errors winning as in RidgeCV.
 *
 * One eigendecomposition serves all penalties: of the K × K Gram ΦᵀΦ when K ≤ N (sklearn's "svd"
 * mode) and of the N × N Gram ΦΦᵀ otherwise (its "eigen" mode). Either way the hat matrix is
 * H(α) = Σ_j γ_j(α)·a_j·a_jᵀ over modes a_j ∈ ℝᴺ, so the fitted values and leverages cost O(N·min(N, K))
 * per α, and the LOO residual is (y_i − ŷ_i)/(1 − H_ii).
 */
export function ridgeLeaveOneOut(
  masks: readonly Uint8Array[],
  values: Float64Array,
  support: readonly InteractionKey[],
  alphas: Float64Array = RIDGE_ALPHAS,
): RidgeLooFit {
  const rowCount = masks.length;
  const width = support.length;
  // Φ column-major: column k is contiguous.
  const phi = new Float64Array(rowCount * width);
  support.forEach((key, k) => {
    const features = indicesOf(key);
    for (let r = 0; r < rowCount; r += 1) {
      const mask = masks[r] as Uint8Array;
      let parity = 0;
      for (const feature of features) parity ^= mask[feature] as number;
      phi[k * rowCount + r] = parity === 0 ? 1 : -1;
    }
  });
  const primal = width <= rowCount;
  const size = primal ? width : rowCount;
  const gram = new Float64Array(size * size);
  if (primal) {
    for (let a = 0; a < width; a += 1)
      for (let b = 0; b <= a; b += 1) {
        let sum = 0;
        for (let r = 0; r < rowCount; r += 1) sum += (phi[a * rowCount + r] as number) * (phi[b * rowCount + r] as number);
        gram[a * width + b] = sum;
        gram[b * width + a] = sum;
      }
  } else {
    for (let k = 0; k < width; k += 1) {
      const column = k * rowCount;
      for (let i = 0; i < rowCount; i += 1) {
        const pi = phi[column + i] as number;
        const row = i * rowCount;
        for (let j = 0; j <= i; j += 1) gram[row + j] = (gram[row + j] as number) + pi * (phi[column + j] as number);
      }
    }
    for (let i = 0; i < rowCount; i += 1) for (let j = 0; j < i; j += 1) gram[j * rowCount + i] = gram[i * rowCount + j] as number;
  }
  const { values: eigenvalues, vectors } = symmetricEigen(gram, size);
  // Rounding can leave a null direction's eigenvalue slightly negative; the Gram is semidefinite.
  const lambda = Float64Array.from(eigenvalues, (value) => Math.max(0, value));

  // Modes a_j (contiguous, length N) and their projections a_jᵀy. Primal: a_j = Φ·v_j with
  // ‖a_j‖² = λ_j and γ_j = 1/(λ_j + α). Dual: a_j = u_j (unit) and γ_j = λ_j/(λ_j + α).
  const modes = new Float64Array(size * rowCount);
  const projections = new Float64Array(size);
  for (let j = 0; j < size; j += 1) {
    const mode = modes.subarray(j * rowCount, (j + 1) * rowCount);
    if (primal) {
      for (let k = 0; k < width; k += 1) {
        const v = vectors[j * width + k] as number;
        if (v === 0) continue;
        const column = k * rowCount;
        for (let r = 0; r < rowCount; r += 1) mode[r] = (mode[r] as number) + v * (phi[column + r] as number);
      }
    } else {
      mode.set(vectors.subarray(j * rowCount, (j + 1) * rowCount));
    }
    let projection = 0;
    for (let r = 0; r < rowCount; r += 1) projection += (mode[r] as number) * (values[r] as number);
    projections[j] = projection;
  }

  const fitted = new Float64Array(rowCount);
  const leverage = new Float64Array(rowCount);
  let bestAlpha = alphas[0] as number;
  let bestError = Number.POSITIVE_INFINITY;
  for (const alpha of alphas) {
    fitted.fill(0);
    leverage.fill(0);
    for (let j = 0; j < size; j += 1) {
      const l = lambda[j] as number;
      const gamma = (primal ? 1 : l) / (l + alpha);
      if (gamma === 0) continue;
      const scale = gamma * (projections[j] as number);
      const offset = j * rowCount;
      for (let r = 0; r < rowCount; r += 1) {
        const a = modes[offset + r] as number;
        fitted[r] = (fitted[r] as number) + scale * a;
        leverage[r] = (leverage[r] as number) + gamma * a * a;
      }
    }
    let error = 0;
    for (let r = 0; r < rowCount; r += 1) error += (((values[r] as number) - (fitted[r] as number)) / (1 - (leverage[r] as number))) ** 2;
    error /= rowCount;
    if (error < bestError) {
      bestError = error;
      bestAlpha = alpha;
    }
  }

  // β = Σ_j v_j·(a_jᵀy)/(λ_j + α) in the primal; β = Φᵀ·Σ_j u_j·(u_jᵀy)/(λ_j + α) in the dual.
  const coefficients = new Float64Array(width);
  if (primal) {
    for (let j = 0; j < size; j += 1) {
      const scale = (projections[j] as number) / ((lambda[j] as number) + bestAlpha);
      for (let k = 0; k < width; k += 1) coefficients[k] = (coefficients[k] as number) + scale * (vectors[j * width + k] as number);
    }
  } else {
    // Null directions of ΦΦᵀ contribute Φᵀu_j = 0 exactly; numerically Φᵀu_j is rounding noise that
    // 1/α would amplify at small α, so they are left out.
    const floor = (lambda[size - 1] as number) * 1e-12;
    const dual = new Float64Array(rowCount);
    for (let j = 0; j < size; j += 1) {
      if ((lambda[j] as number) <= floor) continue;
      const scale = (projections[j] as number) / ((lambda[j] as number) + bestAlpha);
      for (let r = 0; r < rowCount; r += 1) dual[r] = (dual[r] as number) + scale * (vectors[j * rowCount + r] as number);
    }
    for (let k = 0; k < width; k += 1) {
      let sum = 0;
      for (let r = 0; r < rowCount; r += 1) sum += (phi[k * rowCount + r] as number) * (dual[r] as number);
      coefficients[k] = sum;
    }
  }
  return { coefficients, alpha: bestAlpha, looError: bestError };
}
