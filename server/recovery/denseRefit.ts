import { CharacterMatrix, fitRidge } from './characterMatrix';
import { rSquared } from './expansion';
import { EMPTY_KEY, keyOfSorted, type InteractionKey } from './interactionKey';
import type { Spectrum } from './spectrum';

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
  readonly validationR2: number;
  readonly terms: number;
  readonly ridge: number;
}

/** Ridge penalties tried, as multiples of the training rows (ΦᵀΦ ≈ N·I, so α/N is the shrinkage per term). */
const RIDGE_GRID = [1e-4, 1e-2, 0.1, 0.5];
/** At most this many terms in a dense model (and never more than half the training rows). */
const MAX_TERMS = 1500;

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
  const limit = Math.min(MAX_TERMS, Math.floor(trainRows.length / 2));
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
  const trainTarget = Float64Array.from(trainRows, (row) => values[row] as number);
  const validationTarget = Float64Array.from(validationRows, (row) => values[row] as number);
  const sizes = new Set<number>([base.length]);
  for (let size = Math.max(base.length, 16); size < all.length; size *= 2) sizes.add(size);
  sizes.add(all.length);
  let best: { terms: number; ridge: number; r2: number } | undefined;
  const prediction = new Float64Array(validationRows.length);
  for (const terms of [...sizes].sort((a, b) => a - b)) {
    for (const ridge of RIDGE_GRID) {
      const beta = fitRidge(matrix, trainRows, trainTarget, terms, ridge * trainRows.length, undefined, 1e-8, 300).coefficients;
      matrix.multiply(beta, validationRows, prediction);
      const r2 = rSquared(validationTarget, prediction);
      if (!best || r2 > best.r2) best = { terms, ridge, r2 };
    }
  }
  if (!best) return undefined;
  const rows = Int32Array.from([...trainRows, ...validationRows]);
  const target = Float64Array.from(rows, (row) => values[row] as number);
  const beta = fitRidge(matrix, rows, target, best.terms, best.ridge * rows.length, undefined, 1e-8, 300).coefficients;
  const spectrum: Spectrum = new Map();
  for (let k = 0; k < best.terms; k += 1) {
    const value = beta[k] as number;
    if (k === 0 || Math.abs(value) > 1e-12) spectrum.set(all[k] as InteractionKey, value);
  }
  return { spectrum, validationR2: best.r2, terms: best.terms, ridge: best.ridge };
}
