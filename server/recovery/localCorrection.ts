import { climb } from './climb';
import { shuffle, type RandomSource } from './random';
import { RecoveryError } from './types';

/**
 * Corrections a surrogate adds near its two anchors, outside its expansion.
 *
 * A surrogate fit mostly on uniform masks (half the spans kept) extrapolates to the what-ifs users
 * try, which remove a span or two. There real values often step: on a 40-passage RAG context the
 * tiny model's log-probability drops by about 0.4 as soon as any passage is removed, whichever it is,
 * and then hardly more, a function of every span at once that no low-order expansion holds. The
 * near-full correction is a local model of what removing spans does, fit on the residuals of the
 * masks that keep most spans and faded out towards half kept:
 *
 *   c(x) = w(x)·(step·[some span removed] + Σᵢ removalᵢ·[span i removed]),  w(x) = (share kept)^power,
 *
 * 0 at the full prompt (nothing removed) and at the empty one (w = 0), and (½)^power of its size on
 * a uniform mask. The near-empty correction, offset·(share removed)^power, makes the surrogate pass
 * through the empty prompt's scored value where the expansion itself cannot without a cost on the
 * masks it was fit on; it is 0 at the full prompt.
 *
 * Indices are read from the expansion alone: these corrections change what-if predictions near the
 * anchors, not the attributions. They are made on the scale the surrogate is fit on (a bounded
 * value's link scale, see linkScale.ts).
 */
export interface NearFullCorrection {
  readonly power: number;
  readonly step: number;
  /** By feature: what removing it adds, on top of the step. */
  readonly removal: Float64Array;
  /** The ridge penalty it was fit with, per masks fit on (for the diagnostics). */
  readonly ridge: number;
  /** Its held-out mean squared error over that of no correction, in cross-validation (< 1). */
  readonly errorRatio: number;
}

export interface NearEmptyCorrection {
  readonly power: number;
  readonly offset: number;
}

export interface LocalCorrection {
  readonly nearFull?: NearFullCorrection;
  readonly nearEmpty?: NearEmptyCorrection;
}

/** What the corrections add to the expansion's prediction of a mask. */
export function localCorrectionAt(correction: LocalCorrection, mask: Uint8Array): number {
  const n = mask.length;
  if (n === 0) return 0;
  let kept = 0;
  for (let i = 0; i < n; i += 1) kept += mask[i] as number;
  let total = 0;
  const { nearFull, nearEmpty } = correction;
  if (nearFull && kept < n) {
    let removed = nearFull.step;
    for (let i = 0; i < n; i += 1) if (mask[i] === 0) removed += nearFull.removal[i] as number;
    total += (kept / n) ** nearFull.power * removed;
  }
  if (nearEmpty) total += nearEmpty.offset * ((n - kept) / n) ** nearEmpty.power;
  return total;
}

/** Powers for the near-full fade: at 4 a mask keeping 90 % gets 0.66 of the correction, at 16 0.19; the walk starts at 8. */
const NEAR_FULL_POWERS = [2, 4, 8, 16] as const;
const START_POWER = 8;
/** Ridge penalties per mask, a factor √10 apart; the walk starts at START_RIDGE. */
const RIDGE_GRID = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1] as const;
const START_RIDGE = 1e-3;
const FOLDS = 5;
/** Fewer masks keeping most spans than this, and there is too little to fit a local model on. */
export const MIN_NEAR_FULL_MASKS = 20;
/** A mask "keeps most spans" from this share on (a round's mostly-kept masks keep 85–95 %). */
const NEAR_FULL_SHARE = 0.75;
/** Rows whose squared fade weight is below this are left out of the normal equations (see foldNormalEquations). */
const NEGLIGIBLE_SQUARED_WEIGHT = 1e-6;
/** A correction is made only where cross-validation says it cuts the held-out error by at least this share. */
const MIN_GAIN = 0.02;

/**
 * The near-full correction of a surrogate from its residuals (value − prediction, on the scale it
 * was fit on) on the masks it was fit on, its fade and penalty chosen by 5-fold cross-validation;
 * undefined where too few masks keep most spans, or where it would not predict held-out masks better
 * than no correction.
 */
export function fitNearFullCorrection(
  masks: readonly Uint8Array[],
  residuals: Float64Array,
  featureCount: number,
  random: RandomSource,
): NearFullCorrection | undefined {
  if (residuals.length !== masks.length)
    throw new RecoveryError(`fitNearFullCorrection needs one residual per mask; got ${residuals.length} for ${masks.length}.`);
  if (featureCount < 1) return undefined;
  const keptShares = masks.map((mask) => {
    let kept = 0;
    for (let i = 0; i < featureCount; i += 1) kept += mask[i] as number;
    return kept / featureCount;
  });
  const nearFull = keptShares.filter((share) => share >= NEAR_FULL_SHARE && share < 1).length;
  if (nearFull < MIN_NEAR_FULL_MASKS) return undefined;
  const rows = masks.length;
  const folds = foldsOf(rows, random);
  let baseError = 0;
  for (let row = 0; row < rows; row += 1) baseError += (residuals[row] as number) ** 2;
  baseError /= rows;
  if (baseError === 0) return undefined;
  // The fade and the penalty are walked, not gridded (each walk stops where held-out error rises).
  const ridgeAt = new Map<number, number>();
  const powerWalk = climb(NEAR_FULL_POWERS.length, NEAR_FULL_POWERS.indexOf(START_POWER), (powerIndex) => {
    const normal = foldNormalEquations(masks, residuals, keptShares, featureCount, NEAR_FULL_POWERS[powerIndex] as number, folds);
    const ridgeWalk = climb(
      RIDGE_GRID.length,
      RIDGE_GRID.indexOf(START_RIDGE),
      (index) => -crossValidatedError(normal, RIDGE_GRID[index] as number, rows),
    );
    ridgeAt.set(powerIndex, RIDGE_GRID[ridgeWalk.index] as number);
    return ridgeWalk.score;
  });
  const best = {
    power: NEAR_FULL_POWERS[powerWalk.index] as number,
    ridge: ridgeAt.get(powerWalk.index) as number,
    error: -powerWalk.score,
  };
  if (best.error > (1 - MIN_GAIN) * baseError) return undefined;
  const normal = foldNormalEquations(masks, residuals, keptShares, featureCount, best.power, new Int32Array(rows));
  const beta = solveRidge(normal.gram, normal.moment, normal.size, best.ridge * rows);
  if (!beta) return undefined;
  return {
    power: best.power,
    step: beta[featureCount] as number,
    removal: beta.slice(0, featureCount),
    ridge: best.ridge,
    errorRatio: best.error / baseError,
  };
}

/**
 * The near-empty correction that makes a surrogate meet the empty prompt's value, `offset` being the
 * value minus the prediction there: the smallest fade power whose mean square over the masks fit on
 * stays within `allowedChange` (a share of the held-out error), 64 at most.
 */
export function nearEmptyCorrection(
  masks: readonly Uint8Array[],
  featureCount: number,
  offset: number,
  allowedChange: number,
): NearEmptyCorrection | undefined {
  if (featureCount < 1 || offset === 0 || !Number.isFinite(offset)) return undefined;
  const removedShares = masks.map((mask) => {
    let removed = 0;
    for (let i = 0; i < featureCount; i += 1) removed += 1 - (mask[i] as number);
    return removed / featureCount;
  });
  // The empty mask itself is where the correction is meant to act; it is not a cost.
  const others = removedShares.filter((share) => share < 1);
  const cost = (power: number): number =>
    others.length === 0 ? 0 : others.reduce((sum, share) => sum + (offset * share ** power) ** 2, 0) / others.length;
  for (const power of [4, 8, 16, 32]) if (cost(power) <= allowedChange) return { power, offset };
  return { power: 64, offset };
}

/** Each row's fold, 0…FOLDS−1, balanced and shuffled. */
function foldsOf(rows: number, random: RandomSource): Int32Array {
  const order = shuffle(
    Array.from({ length: rows }, (_, i) => i),
    random,
  );
  const folds = new Int32Array(rows);
  order.forEach((row, position) => {
    folds[row] = position % FOLDS;
  });
  return folds;
}

/** The normal equations of each fold's rows (and of all), for one fade power. */
interface FoldNormalEquations {
  readonly size: number;
  readonly gram: Float64Array;
  readonly moment: Float64Array;
  readonly foldGram: Float64Array[];
  readonly foldMoment: Float64Array[];
  /** The squared residuals of rows that keep every span, which no correction changes. */
  readonly uncorrected: number;
  /** Each fold's rows as sparse design rows, to predict them. */
  readonly foldRows: { readonly columns: Int32Array; readonly weight: number; readonly residual: number }[][];
}

function foldNormalEquations(
  masks: readonly Uint8Array[],
  residuals: Float64Array,
  keptShares: readonly number[],
  featureCount: number,
  power: number,
  folds: Int32Array,
): FoldNormalEquations {
  // Columns: one per feature ([removed]·w) and the step ([any removed]·w), every nonzero equal to w.
  const size = featureCount + 1;
  let foldCount = 1;
  for (const fold of folds) foldCount = Math.max(foldCount, fold + 1);
  const foldGram = Array.from({ length: foldCount }, () => new Float64Array(size * size));
  const foldMoment = Array.from({ length: foldCount }, () => new Float64Array(size));
  const foldRows: FoldNormalEquations['foldRows'] = Array.from({ length: foldCount }, () => []);
  let uncorrected = 0;
  const columns = new Int32Array(size);
  for (let row = 0; row < masks.length; row += 1) {
    const share = keptShares[row] as number;
    const residual = residuals[row] as number;
    if (share === 1) {
      uncorrected += residual * residual;
      continue;
    }
    const mask = masks[row] as Uint8Array;
    const weight = share ** power;
    let count = 0;
    for (let i = 0; i < featureCount; i += 1) if (mask[i] === 0) columns[count++] = i;
    columns[count++] = featureCount;
    const fold = folds[row] as number;
    (foldRows[fold] as FoldNormalEquations['foldRows'][number]).push({ columns: columns.slice(0, count), weight, residual });
    const moment = foldMoment[fold] as Float64Array;
    for (let k = 0; k < count; k += 1) {
      const column = columns[k] as number;
      moment[column] = (moment[column] as number) + weight * residual;
    }
    // A row this faint (a uniform mask at a high power) changes the solution by less than rounding
    // would; its residual still counts in the held-out error. The upper triangle only, mirrored below.
    const squared = weight * weight;
    if (squared < NEGLIGIBLE_SQUARED_WEIGHT) continue;
    const gram = foldGram[fold] as Float64Array;
    for (let k = 0; k < count; k += 1) {
      const base = (columns[k] as number) * size;
      for (let l = k; l < count; l += 1) {
        const cell = base + (columns[l] as number);
        gram[cell] = (gram[cell] as number) + squared;
      }
    }
  }
  const gram = new Float64Array(size * size);
  const moment = new Float64Array(size);
  for (let fold = 0; fold < foldCount; fold += 1) {
    const partial = foldGram[fold] as Float64Array;
    for (let a = 0; a < size; a += 1) for (let b = a + 1; b < size; b += 1) partial[b * size + a] = partial[a * size + b] as number;
    for (let k = 0; k < size * size; k += 1) gram[k] = (gram[k] as number) + (partial[k] as number);
    const partialMoment = foldMoment[fold] as Float64Array;
    for (let k = 0; k < size; k += 1) moment[k] = (moment[k] as number) + (partialMoment[k] as number);
  }
  return { size, gram, moment, foldGram, foldMoment, uncorrected, foldRows };
}

/** The mean squared held-out residual after the correction fit without each fold. */
function crossValidatedError(normal: FoldNormalEquations, ridgePerRow: number, rows: number): number {
  let squared = 0;
  const trainRows = (rows * (normal.foldGram.length - 1)) / normal.foldGram.length;
  normal.foldGram.forEach((foldGram, fold) => {
    const gram = new Float64Array(normal.gram.length);
    for (let k = 0; k < gram.length; k += 1) gram[k] = (normal.gram[k] as number) - (foldGram[k] as number);
    const foldMoment = normal.foldMoment[fold] as Float64Array;
    const moment = new Float64Array(normal.size);
    for (let k = 0; k < normal.size; k += 1) moment[k] = (normal.moment[k] as number) - (foldMoment[k] as number);
    const beta = solveRidge(gram, moment, normal.size, ridgePerRow * trainRows);
    for (const { columns, weight, residual } of normal.foldRows[fold] ?? []) {
      let prediction = 0;
      if (beta) for (const column of columns) prediction += beta[column] as number;
      squared += (residual - weight * prediction) ** 2;
    }
  });
  // Rows that keep every span are never corrected: their residuals count unchanged.
  return (squared + normal.uncorrected) / rows;
}

/**
 * Solves (gram + ridge·I)·β = moment by Cholesky; undefined where the system is not positive
 * definite (it is, for any ridge > 0, up to rounding).
 */
function solveRidge(gram: Float64Array, moment: Float64Array, size: number, ridge: number): Float64Array | undefined {
  const lower = new Float64Array(size * size);
  for (let i = 0; i < size; i += 1) {
    for (let j = 0; j <= i; j += 1) {
      let sum = (gram[i * size + j] as number) + (i === j ? ridge : 0);
      for (let k = 0; k < j; k += 1) sum -= (lower[i * size + k] as number) * (lower[j * size + k] as number);
      if (i === j) {
        if (!(sum > 0)) return undefined;
        lower[i * size + i] = Math.sqrt(sum);
      } else lower[i * size + j] = sum / (lower[j * size + j] as number);
    }
  }
  const solution = Float64Array.from(moment);
  for (let i = 0; i < size; i += 1) {
    let sum = solution[i] as number;
    for (let k = 0; k < i; k += 1) sum -= (lower[i * size + k] as number) * (solution[k] as number);
    solution[i] = sum / (lower[i * size + i] as number);
  }
  for (let i = size - 1; i >= 0; i -= 1) {
    let sum = solution[i] as number;
    for (let k = i + 1; k < size; k += 1) sum -= (lower[k * size + i] as number) * (solution[k] as number);
    solution[i] = sum / (lower[i * size + i] as number);
  }
  return solution;
}
