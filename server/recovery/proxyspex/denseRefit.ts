import { CharacterMatrix, fitRidge } from '../characterMatrix';
import { rSquared } from '../expansion';
import { variance } from '../statistics';
import { climb } from '../climb';
import { EMPTY_KEY, keyOfSorted, type InteractionKey } from '../interactionKey';
import type { Spectrum } from '../spectrum';

export interface DenseRefitInput {
  readonly masks: readonly Uint8Array[];
  readonly values: Float64Array;
  readonly featureCount: number;
  readonly trainRows: Int32Array;
  readonly validationRows: Int32Array;
  /** The sparse fit's support: always part of every candidate model. */
  readonly support: readonly InteractionKey[];
  /** The sparse fit's coefficients, by support position (to find its strongest features). */
  readonly supportValues: readonly number[];
  /** Further terms, strongest first (the tree proxy's spectrum). */
  readonly candidates: readonly InteractionKey[];
  readonly maxOrder: number;
  /**
   * A held-out mean squared error past which the search is not worth it: when the first trial is worse,
   * the search stops there (the caller's own model wins anyway) and that trial is returned.
   */
  readonly giveUpAbove?: number;
  /**
   * A setting to use instead of searching: every term, one solve on the training rows, and that fit
   * is the model returned (for targets without noise, such as a surrogate's own predictions).
   */
  readonly fixed?: { readonly growth: number; readonly ridge: number };
}

/**
 * Every subset, up to the recovery degree, of the features with the strongest single effects: when a
 * few features matter and act through a saturating function (a sentiment score, a probability), every
 * combination of them carries some weight, and this closure holds them all. As many features are
 * taken as keep the closure within `budget` terms.
 */
function closureOfStrongest(
  support: readonly InteractionKey[],
  values: readonly number[],
  maxOrder: number,
  budget: number,
): InteractionKey[] {
  const singles = support
    .map((key, index) => ({ key, size: Math.abs(values[index] ?? 0) }))
    .filter((term) => term.key.length === 1)
    .sort((a, b) => b.size - a.size)
    .map((term) => term.key.charCodeAt(0));
  let count = Math.min(singles.length, 12);
  const closureSize = (m: number): number => {
    let total = 0;
    for (let degree = 2, ways = (m * (m - 1)) / 2; degree <= Math.min(maxOrder, m); degree += 1, ways = (ways * (m - degree + 1)) / degree)
      total += ways;
    return total;
  };
  while (count > 1 && closureSize(count) > budget) count -= 1;
  const chosen = singles.slice(0, count).sort((a, b) => a - b);
  const keys: InteractionKey[] = [];
  for (let bits = 1; bits < 1 << chosen.length; bits += 1) {
    const members = chosen.filter((_, i) => (bits >> i) & 1);
    if (members.length >= 2 && members.length <= maxOrder) keys.push(keyOfSorted(members));
  }
  return keys;
}

export interface DenseRefit {
  readonly spectrum: Spectrum;
  /** R² on the validation rows of the chosen model fit on the training rows only. */
  readonly validationR2: number;
  /** That model's predictions of the validation rows, in their order (for blends the caller scores). */
  readonly validationPrediction: Float64Array;
  readonly terms: number;
  readonly ridge: number;
  readonly orderGrowth: number;
}

/**
 * Ridge penalties tried, as multiples of the training rows (ΦᵀΦ ≈ N·I, so α/N is the shrinkage per
 * term), strongest first. The search walks it from the middling one (PROBE.ridge), each solve starting
 * from its neighbour's solution, which conjugate gradients reach in a few iterations.
 */
const RIDGE_GRID = [0.5, 0.1, 1e-2, 1e-3, 1e-4];
/**
 * How much harder each further order is penalised: a term of order d pays α·g^(d−1). Real value
 * functions' energy falls with the order, so a prior that shrinks high orders more lets the model
 * hold more terms than it has masks without fitting noise with them. No growth (g = 1) was never the
 * best on the long-prompt benchmark and its solves were the slowest to converge; 64 was, on reviews.
 */
const ORDER_GROWTH_GRID = [4, 16, 64];
/** At most this many terms in a dense model (and never more than twice the training rows). */
const MAX_TERMS = 1500;
/**
 * The penalties and sizes are chosen on at most this many training rows: with more, the choice hardly
 * changes (α scales with the rows), and each trial solve would cost as much as the final fit on every
 * row (at 2,000 masks, 1,600 selection rows took 2.3 s of a 5.7 s fit).
 */
const SELECTION_ROWS = 1000;
/** Trial solves only rank models, so they stop at a looser tolerance than the final fit. */
const SELECTION_TOLERANCE = 1e-6;
const SELECTION_ITERATIONS = 50;
/** The one solve of a fixed setting runs to convergence on more rows than a trial. */
const FIXED_ITERATIONS = 150;
/** The first trial: the base terms at a middling penalty. */
const PROBE = { growth: 4, ridge: 0.01 };

/**
 * The model for value functions that are low-degree but not sparse (real LLM and sentiment outputs,
 * where 99 % of the energy sits in hundreds of coefficients): every single feature, the sparse
 * support, and the proxy's strongest further terms, sized together by ridge regression, with the
 * number of terms and the penalty chosen on the validation masks. The caller keeps it only when it
 * predicts those masks better than the sparse fit, so it never costs a sparse function its exactness.
 */
export function fitDenseRefit(input: DenseRefitInput): DenseRefit | undefined {
  const { masks, values, featureCount, trainRows, validationRows } = input;
  if (validationRows.length < 8) return undefined;
  // Every single feature is in the model: with fewer than two training rows per feature the fit is
  // barely determined, and the sparse fit and the trees do better (and cost far less) than it could.
  if (featureCount > trainRows.length) return undefined;
  const limit = Math.min(MAX_TERMS, 2 * trainRows.length);
  const base: InteractionKey[] = [EMPTY_KEY];
  const seen = new Set<InteractionKey>(base);
  const push = (key: InteractionKey): void => {
    if (!seen.has(key)) {
      seen.add(key);
      base.push(key);
    }
  };
  for (let i = 0; i < featureCount && base.length < limit; i += 1) push(keyOfSorted([i]));
  for (const key of input.support) if (base.length < limit) push(key);
  for (const key of closureOfStrongest(input.support, input.supportValues, input.maxOrder, Math.floor(limit / 2)))
    if (base.length < limit) push(key);
  const extra = input.candidates.filter((key) => !seen.has(key)).slice(0, Math.max(0, limit - base.length));
  const all = [...base, ...extra];
  if (all.length <= base.length && base.length <= input.support.length) return undefined;
  const matrix = new CharacterMatrix(masks, all.length);
  matrix.append(all);
  // The training rows arrive shuffled, so a prefix is a random sample of them.
  const selectionRows = trainRows.length > SELECTION_ROWS ? trainRows.subarray(0, SELECTION_ROWS) : trainRows;
  const selectionTarget = Float64Array.from(selectionRows, (row) => values[row] as number);
  const validationTarget = Float64Array.from(validationRows, (row) => values[row] as number);
  // Sizes double from the base to the whole pool; one within a quarter of the whole pool is as good as it.
  const sizes = new Set<number>([base.length]);
  for (let size = Math.max(base.length, 16) * 2; size < 0.75 * all.length; size *= 2) sizes.add(size);
  sizes.add(all.length);
  let best: { terms: number; ridge: number; growth: number; r2: number; prediction: Float64Array } | undefined;
  const prediction = new Float64Array(validationRows.length);
  // Trials are remembered, so that a path through a setting already tried (the probe) costs nothing.
  const tried = new Map<string, { beta: Float64Array; r2: number }>();
  const trial = (terms: number, growth: number, ridge: number, start: Float64Array | undefined): { beta: Float64Array; r2: number } => {
    const key = trialKey(terms, growth, ridge);
    const known = tried.get(key);
    if (known) return known;
    const penalty = penalties(all, terms, ridge * selectionRows.length, growth);
    const beta = fitRidge(
      matrix,
      selectionRows,
      selectionTarget,
      terms,
      penalty,
      start,
      SELECTION_TOLERANCE,
      SELECTION_ITERATIONS,
    ).coefficients;
    matrix.multiply(beta, validationRows, prediction);
    const r2 = rSquared(validationTarget, prediction);
    if (!best || r2 > best.r2) best = { terms, ridge, growth, r2, prediction: Float64Array.from(prediction) };
    const result = { beta, r2 };
    tried.set(key, result);
    return result;
  };
  // Along the penalty path the held-out fit rises to one peak, so the path is walked, not tried whole.
  // From the middling penalty towards weaker ones while the fit improves, else towards stronger ones:
  // the strongest penalties are rarely the best and weaker ones are where the fit gains. Each solve
  // starts from the solution of the penalty it steps from.
  const ridgePath = (terms: number, growth: number): number =>
    climb(RIDGE_GRID.length, RIDGE_GRID.indexOf(PROBE.ridge), (index, from) => {
      const start = index === from ? undefined : tried.get(trialKey(terms, growth, RIDGE_GRID[from] as number))?.beta;
      return trial(terms, growth, RIDGE_GRID[index] as number, start).r2;
    }).score;
  if (input.fixed) {
    const trainTarget = Float64Array.from(trainRows, (row) => values[row] as number);
    const penalty = penalties(all, all.length, input.fixed.ridge * trainRows.length, input.fixed.growth);
    const beta = fitRidge(
      matrix,
      trainRows,
      trainTarget,
      all.length,
      penalty,
      undefined,
      SELECTION_TOLERANCE,
      FIXED_ITERATIONS,
    ).coefficients;
    const fixedPrediction = new Float64Array(validationRows.length);
    matrix.multiply(beta, validationRows, fixedPrediction);
    return {
      spectrum: spectrumOf(all, beta, all.length),
      validationR2: rSquared(validationTarget, fixedPrediction),
      validationPrediction: fixedPrediction,
      terms: all.length,
      ridge: input.fixed.ridge,
      orderGrowth: input.fixed.growth,
    };
  }
  // A probe at a middling penalty first: when it is far behind the error the caller has to beat (a
  // sparse fit that is nearly exact), the further solves would be wasted.
  const probe = trial(base.length, PROBE.growth, PROBE.ridge, undefined);
  const probeError = (1 - probe.r2) * variance(validationTarget);
  if (!(input.giveUpAbove !== undefined && probeError > input.giveUpAbove)) {
    // The held-out fit is one-peaked in each setting, so the search walks instead of trying the whole
    // grid: on the smallest model from the middling growth up while the fit improves (down when the
    // first step up does not), then the larger models at the best growth, while they improve.
    const ascending = [...sizes].sort((a, b) => a - b);
    const smallest = ascending[0] as number;
    const growthWalk = climb(ORDER_GROWTH_GRID.length, ORDER_GROWTH_GRID.indexOf(PROBE.growth), (index) =>
      ridgePath(smallest, ORDER_GROWTH_GRID[index] as number),
    );
    const growth = ORDER_GROWTH_GRID[growthWalk.index] as number;
    let fit = growthWalk.score;
    for (const terms of ascending.slice(1)) {
      const larger = ridgePath(terms, growth);
      if (larger <= fit) break;
      fit = larger;
    }
  }
  if (!best) return undefined;
  const rows = Int32Array.from([...trainRows, ...validationRows]);
  const target = Float64Array.from(rows, (row) => values[row] as number);
  const finalPenalty = penalties(all, best.terms, best.ridge * rows.length, best.growth);
  const beta = fitRidge(matrix, rows, target, best.terms, finalPenalty, undefined, 1e-8, 300).coefficients;
  return {
    spectrum: spectrumOf(all, beta, best.terms),
    validationR2: best.r2,
    validationPrediction: best.prediction,
    terms: best.terms,
    ridge: best.ridge,
    orderGrowth: best.growth,
  };
}

/** The first `terms` coefficients as a spectrum, without the zeros (the constant always). */
function spectrumOf(keys: readonly InteractionKey[], beta: Float64Array, terms: number): Spectrum {
  const spectrum: Spectrum = new Map();
  for (let k = 0; k < terms; k += 1) {
    const value = beta[k] as number;
    if (k === 0 || Math.abs(value) > 1e-12) spectrum.set(keys[k] as InteractionKey, value);
  }
  return spectrum;
}

function trialKey(terms: number, growth: number, ridge: number): string {
  return `${terms}:${growth}:${ridge}`;
}

/** Per-term penalties: α·growth^(order − 1), and almost none on the constant (the mean is not shrunk). */
function penalties(keys: readonly InteractionKey[], terms: number, alpha: number, growth: number): Float64Array {
  return Float64Array.from({ length: terms }, (_, k) => {
    const order = (keys[k] as InteractionKey).length;
    return order === 0 ? alpha * 1e-9 : alpha * growth ** (order - 1);
  });
}
