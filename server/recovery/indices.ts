import { sumOverSubsets, truncateDegree, type SizeWeight } from './conversions';
import { isIndexName, type IndexName } from './indexNames';
import type { Spectrum } from './spectrum';

/**
 * Interaction indices of an expansion, computed straight from its Fourier coefficients.
 *
 * Every index here is linear in the Möbius coefficients with a weight that depends only on sizes,
 * I(T) = Σ_{S ⊇ T} v(|S|, |T|)·M(S), and M(S) = (−2)^{|S|}·Σ_{K ⊇ S} F(K). Composing the two gives
 * I(T) = Σ_{K ⊇ T} w(|K|, |T|)·F(K) with w(κ, t) = Σ_j C(κ−t, j)·(−2)^{t+j}·v(t+j, t). We evaluate w in
 * exact rational arithmetic: the alternating sum cancels badly in floating point at high degree, and
 * going through the Möbius map would cost Σ 2^{|K|} map updates instead of Σ C(|K|, ≤ k).
 *
 * The order k (≥ 1) is the index order the user chose, not the degree of the recovered expansion: with
 * k at or above that degree FSII, FBII and STII all equal the Möbius coefficients.
 */

/** What the ∅ entry of each index means; every index's output contains ∅. */
export const EMPTY_SET_MEANING: Readonly<Record<IndexName, string>> = {
  fourier: 'F(∅): the mean output over uniformly random masks.',
  mobius: 'M(∅): the output with every feature removed.',
  shapley: 'The output with every feature removed, so that it plus all Shapley values is the output with every feature kept.',
  banzhaf: 'F(∅) = BII(∅): the mean output over uniformly random masks.',
  sii: 'The output with every feature removed (the baseline, as for Shapley values).',
  bii: 'BII(∅) = F(∅): the mean output over uniformly random masks.',
  stii: 'STII(∅) = the output with every feature removed; all STII terms sum to the output with every feature kept.',
  fsii: 'FSII(∅) = the output with every feature removed (an exact constraint of the fit); all terms sum to the full output.',
  fbii: 'FBII(∅): the order-k least-squares fit evaluated with every feature removed.',
};

/**
 * The named interaction index of order k for the function with Fourier expansion `fourier`. Keys of
 * size 1..k (size 1 only for Shapley and Banzhaf values) plus ∅ (see EMPTY_SET_MEANING):
 * - fourier, mobius: the coefficients of degree ≤ k in that basis;
 * - shapley, banzhaf: the per-feature values (k is validated but does not change them);
 * - sii, bii: Shapley / Banzhaf interaction indices of every set of size 1..k;
 * - stii: Shapley–Taylor of order k (Möbius below order k, the Taylor remainder share at order k);
 * - fsii, fbii: Faith-Shapley / Faith-Banzhaf of order k (weighted least-squares fits with terms of size ≤ k).
 * Values below 1e-12 of the largest are dropped as rounding noise.
 */
export function interactionIndex(name: IndexName, fourier: Spectrum, order: number): Spectrum {
  checkIndexName(name);
  checkIndexOrder(order);
  if (name === 'fourier') return truncateDegree(fourier, order);
  const maxSubsetSize = name === 'shapley' || name === 'banzhaf' ? 1 : order;
  return sumOverSubsets(fourier, maxSubsetSize, fourierWeight(name, order));
}

/**
 * Shapley values φ_i = Σ_{T ∋ i} M(T)/|T| = −2·Σ_{K ∋ i, |K| odd} F(K)/|K| as a dense array of length
 * featureCount (default: one past the largest feature index in the expansion). They sum to
 * f(all kept) − f(all removed).
 */
export function shapleyValues(fourier: Spectrum, featureCount?: number): Float64Array {
  const count = checkFeatureCount(fourier, featureCount);
  const weight = fourierWeight('shapley', 1);
  const values = new Float64Array(count);
  const weightBySize: number[] = [];
  for (const [key, coefficient] of fourier) {
    if (key.length === 0) continue;
    const w = (weightBySize[key.length] ??= weight(key.length, 1));
    if (w === 0) continue;
    for (let i = 0; i < key.length; i += 1) {
      const feature = key.charCodeAt(i);
      values[feature] = (values[feature] as number) + w * coefficient;
    }
  }
  return values;
}

/**
 * Banzhaf values β_i = Σ_{T ∋ i} M(T)/2^{|T|−1} = −2·F({i}): the mean change of the output when feature i
 * is kept instead of removed, over uniformly random other features. A dense array as for shapleyValues.
 */
export function banzhafValues(fourier: Spectrum, featureCount?: number): Float64Array {
  const count = checkFeatureCount(fourier, featureCount);
  const values = new Float64Array(count);
  for (const [key, coefficient] of fourier) if (key.length === 1) values[key.charCodeAt(0)] = -2 * coefficient;
  return values;
}

/** Throws a RangeError unless the order is a whole number ≥ 1. */
export function checkIndexOrder(order: number): void {
  if (!Number.isInteger(order) || order < 1) {
    throw new RangeError(`The index order must be a whole number ≥ 1; got ${order}.`);
  }
}

function checkIndexName(name: string): void {
  if (!isIndexName(name)) throw new RangeError(`Unknown interaction index "${name}".`);
}

function checkFeatureCount(fourier: Spectrum, featureCount: number | undefined): number {
  let largest = -1;
  for (const key of fourier.keys()) if (key.length > 0) largest = Math.max(largest, key.charCodeAt(key.length - 1));
  if (featureCount === undefined) return largest + 1;
  if (!Number.isInteger(featureCount) || featureCount < 0) {
    throw new RangeError(`The feature count must be a whole number ≥ 0; got ${featureCount}.`);
  }
  if (largest >= featureCount)
    throw new RangeError(`The expansion mentions feature ${largest}, but there are only ${featureCount} features.`);
  return featureCount;
}

/** w(κ, t): the weight F(K) with |K| = κ passes to each subset of size t under the index. */
function fourierWeight(name: Exclude<IndexName, 'fourier'>, order: number): SizeWeight {
  switch (name) {
    case 'mobius':
      return (_termSize, subsetSize) => (-2) ** subsetSize;
    case 'bii':
    case 'banzhaf':
      // BII(T) = (−2)^{|T|}·F(T): the Möbius weights 2^{−(s−t)} cancel every proper superset.
      return (termSize, subsetSize) => (termSize === subsetSize ? (-2) ** subsetSize : 0);
    case 'fbii':
      // The best fit of degree ≤ k under uniform masks is the Fourier expansion truncated to degree k.
      return (termSize, subsetSize) => (termSize <= order ? (-2) ** subsetSize : 0);
    case 'shapley':
    case 'sii':
    case 'stii':
    case 'fsii': {
      const mobiusWeight = MOBIUS_WEIGHTS[name];
      return (termSize, subsetSize) => composedWeight(termSize, subsetSize, (size) => mobiusWeight(size, subsetSize, order));
    }
  }
}

/** v(s, t, k): the weight M(S) with |S| = s passes to each subset of size t ≤ k, exactly. */
type MobiusWeight = (supersetSize: number, subsetSize: number, order: number) => Ratio;

const MOBIUS_WEIGHTS: Readonly<Record<'shapley' | 'sii' | 'stii' | 'fsii', MobiusWeight>> = {
  // SII(T) = Σ_{S ⊇ T} M(S)/(|S| − |T| + 1); ∅ carries the baseline M(∅) instead of the SII formula.
  shapley: (s, t) => (t === 0 ? indicator(s === 0) : ratio(1n, BigInt(s - t + 1))),
  sii: (s, t) => (t === 0 ? indicator(s === 0) : ratio(1n, BigInt(s - t + 1))),
  // STII: pure Möbius below the order; at the order each M(S) is shared equally among its C(|S|, k) k-subsets.
  stii: (s, t, k) => (t < k ? indicator(s === t) : ratio(1n, binomial(s, k))),
  // FSII (Tsai, Yeh and Ravikumar, JMLR 2023), with FSII(∅) = M(∅) from the exact constraint at ∅.
  fsii: (s, t, k) => {
    if (s === t) return ratio(1n, 1n);
    if (t === 0 || s <= k) return ratio(0n, 1n);
    const sign = (k - t) % 2 === 0 ? 1n : -1n;
    return ratio(sign * BigInt(t) * binomial(k, t) * binomial(s - 1, k), BigInt(k + t) * binomial(s + k - 1, k + t));
  },
};

/** w(κ, t) = Σ_{j=0}^{κ−t} C(κ−t, j)·(−2)^{t+j}·v(t+j), summed exactly and rounded once. */
function composedWeight(termSize: number, subsetSize: number, mobiusWeight: (supersetSize: number) => Ratio): number {
  const spare = termSize - subsetSize;
  let sum = ratio(0n, 1n);
  for (let j = 0; j <= spare; j += 1) {
    const v = mobiusWeight(subsetSize + j);
    if (v.numerator === 0n) continue;
    const factor = binomial(spare, j) * (-2n) ** BigInt(subsetSize + j);
    sum = add(sum, ratio(factor * v.numerator, v.denominator));
  }
  return toNumber(sum);
}

/** An exact fraction with a positive denominator. */
interface Ratio {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

function ratio(numerator: bigint, denominator: bigint): Ratio {
  const divisor = gcd(numerator < 0n ? -numerator : numerator, denominator);
  return divisor > 1n ? { numerator: numerator / divisor, denominator: denominator / divisor } : { numerator, denominator };
}

function indicator(condition: boolean): Ratio {
  return ratio(condition ? 1n : 0n, 1n);
}

function add(a: Ratio, b: Ratio): Ratio {
  return ratio(a.numerator * b.denominator + b.numerator * a.denominator, a.denominator * b.denominator);
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function binomial(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let result = 1n;
  for (let i = 0; i < Math.min(k, n - k); i += 1) result = (result * BigInt(n - i)) / BigInt(i + 1);
  return result;
}

/** The nearest double, also when numerator and denominator alone exceed the double range. */
function toNumber(value: Ratio): number {
  const bits = Math.max(value.numerator.toString(2).length, value.denominator.toString(2).length);
  const shift = BigInt(Math.max(0, bits - 1000));
  return Number(value.numerator >> shift) / Number(value.denominator >> shift);
}
