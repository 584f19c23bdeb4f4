import assert from 'node:assert/strict';
import { EMPTY_KEY, indicesOf, keyOf, keyOfBits, type InteractionKey } from '../../../server/recovery/interactionKey';
import { randomInteger, type RandomSource } from '../../../server/recovery/random';
import type { Spectrum } from '../../../server/recovery/spectrum';

/**
 * Reference implementations for the index tests: every index from its DEFINITION over all 2^n values of
 * a function (values[bits], bit i set = feature i kept), deliberately slow and independent of the closed
 * forms in server/recovery. Sets are bit masks here; results are Spectra keyed like the production code.
 */

export function popcount(bits: number): number {
  let count = 0;
  for (let rest = bits; rest !== 0; rest &= rest - 1) count += 1;
  return count;
}

export function factorial(n: number): number {
  let result = 1;
  for (let i = 2; i <= n; i += 1) result *= i;
  return result;
}

export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  return factorial(n) / (factorial(k) * factorial(n - k));
}

/** Every set of size ≤ maxSize among n features, as bit masks, smallest first. */
export function setsUpTo(n: number, maxSize: number): number[] {
  const sets: number[] = [];
  for (let bits = 0; bits < 1 << n; bits += 1) if (popcount(bits) <= maxSize) sets.push(bits);
  return sets.sort((a, b) => popcount(a) - popcount(b) || a - b);
}

/** Every subset of `bits`, as bit masks. */
export function subsetsOf(bits: number): number[] {
  const subsets: number[] = [];
  for (let sub = bits; ; sub = (sub - 1) & bits) {
    subsets.push(sub);
    if (sub === 0) break;
  }
  return subsets;
}

/** The discrete derivative Δ_S f(T) = Σ_{L ⊆ S} (−1)^{|S|−|L|} f(T ∪ L). */
export function derivative(values: Float64Array, set: number, at: number): number {
  let sum = 0;
  for (const part of subsetsOf(set)) sum += ((popcount(set) - popcount(part)) % 2 === 0 ? 1 : -1) * (values[at | part] as number);
  return sum;
}

/** F(S) = 2^{−n} Σ_m (−1)^{|S ∩ m|} f(m), for |S| ≤ maxDegree. */
export function fourierByDefinition(n: number, values: Float64Array, maxDegree: number): Spectrum {
  const out: Spectrum = new Map();
  for (const set of setsUpTo(n, maxDegree)) {
    let sum = 0;
    for (let mask = 0; mask < 1 << n; mask += 1) sum += (popcount(set & mask) % 2 === 0 ? 1 : -1) * (values[mask] as number);
    out.set(keyOfBits(set), sum / 2 ** n);
  }
  return out;
}

/** M(S) = Δ_S f(∅), for |S| ≤ maxDegree. */
export function mobiusByDefinition(n: number, values: Float64Array, maxDegree: number): Spectrum {
  return new Map(setsUpTo(n, maxDegree).map((set) => [keyOfBits(set), derivative(values, set, 0)]));
}

/** Shapley values as the average marginal contribution over all n! orders of adding features. */
export function shapleyByPermutations(n: number, values: Float64Array): number[] {
  const totals = new Array<number>(n).fill(0);
  const order = Array.from({ length: n }, (_, i) => i);
  let count = 0;
  const visit = (): void => {
    let coalition = 0;
    for (const feature of order) {
      totals[feature] = (totals[feature] as number) + (values[coalition | (1 << feature)] as number) - (values[coalition] as number);
      coalition |= 1 << feature;
    }
    count += 1;
  };
  // Heap's algorithm: every permutation exactly once.
  const c = new Array<number>(n).fill(0);
  visit();
  for (let i = 1; i < n;) {
    if ((c[i] as number) < i) {
      const j = i % 2 === 0 ? 0 : (c[i] as number);
      [order[j], order[i]] = [order[i] as number, order[j] as number];
      visit();
      c[i] = (c[i] as number) + 1;
      i = 1;
    } else {
      c[i] = 0;
      i += 1;
    }
  }
  assert.equal(count, factorial(n));
  return totals.map((total) => total / count);
}

/** Banzhaf values as the average marginal contribution over all subsets of the other features. */
export function banzhafBySubsets(n: number, values: Float64Array): number[] {
  return Array.from({ length: n }, (_, feature) => {
    let sum = 0;
    for (let coalition = 0; coalition < 1 << n; coalition += 1) {
      if (coalition & (1 << feature)) continue;
      sum += (values[coalition | (1 << feature)] as number) - (values[coalition] as number);
    }
    return sum / 2 ** (n - 1);
  });
}

/** Σ_{T ⊆ N∖S} weight(|T|)·Δ_S f(T). */
function weightedDerivativeSum(n: number, values: Float64Array, set: number, weight: (size: number) => number): number {
  const rest = ((1 << n) - 1) & ~set;
  let sum = 0;
  for (const at of subsetsOf(rest)) sum += weight(popcount(at)) * derivative(values, set, at);
  return sum;
}

/** SII(S) = Σ_{T ⊆ N∖S} (n−t−s)!·t!/(n−s+1)!·Δ_S f(T) for 1 ≤ |S| ≤ k. */
export function siiByDefinition(n: number, values: Float64Array, order: number): Spectrum {
  const out: Spectrum = new Map();
  for (const set of setsUpTo(n, order)) {
    const s = popcount(set);
    if (s === 0) continue;
    out.set(
      keyOfBits(set),
      weightedDerivativeSum(n, values, set, (t) => (factorial(n - t - s) * factorial(t)) / factorial(n - s + 1)),
    );
  }
  return out;
}

/** BII(S) = 2^{−(n−s)} Σ_{T ⊆ N∖S} Δ_S f(T) for 0 ≤ |S| ≤ k (BII(∅) is the mean value). */
export function biiByDefinition(n: number, values: Float64Array, order: number): Spectrum {
  const out: Spectrum = new Map();
  for (const set of setsUpTo(n, order))
    out.set(
      keyOfBits(set),
      weightedDerivativeSum(n, values, set, () => 2 ** -(n - popcount(set))),
    );
  return out;
}

/** STII of order k: Δ_S f(∅) for |S| < k, (k/n)·Σ_{T ⊆ N∖S} Δ_S f(T)/C(n−1, |T|) for |S| = k. */
export function stiiByDefinition(n: number, values: Float64Array, order: number): Spectrum {
  const out: Spectrum = new Map();
  for (const set of setsUpTo(n, order)) {
    const value =
      popcount(set) < order
        ? derivative(values, set, 0)
        : (order / n) * weightedDerivativeSum(n, values, set, (t) => 1 / binomial(n - 1, t));
    out.set(keyOfBits(set), value);
  }
  return out;
}

/**
 * FBII of order k: the coefficients β(S), |S| ≤ k, of g(T) = Σ_{S ⊆ T, |S| ≤ k} β(S) minimising
 * Σ_T (f(T) − g(T))² with every coalition weighted equally.
 */
export function fbiiByLeastSquares(n: number, values: Float64Array, order: number): Spectrum {
  const sets = setsUpTo(n, order);
  const rows: number[][] = [];
  const targets: number[] = [];
  for (let coalition = 0; coalition < 1 << n; coalition += 1) {
    rows.push(sets.map((set) => ((set & coalition) === set ? 1 : 0)));
    targets.push(values[coalition] as number);
  }
  const solution = solveLeastSquares(rows, targets);
  return new Map(sets.map((set, j) => [keyOfBits(set), solution[j] as number]));
}

/**
 * FSII of order k: as FBII but each coalition T weighted by the Shapley kernel
 * (n−1)/(C(n,|T|)·|T|·(n−|T|)), with g(∅) = f(∅) and g(N) = f(N) imposed exactly. The constraints are
 * eliminated: β(∅) = f(∅), and β({0}) = f(N) − f(∅) − Σ_{other S ≠ ∅} β(S); the rest is an unconstrained
 * weighted least-squares problem over the coalitions strictly between ∅ and N.
 */
export function fsiiByLeastSquares(n: number, values: Float64Array, order: number): Spectrum {
  const full = (1 << n) - 1;
  const empty = values[0] as number;
  const range = (values[full] as number) - empty;
  const eliminated = 1;
  const free = setsUpTo(n, order).filter((set) => set !== 0 && set !== eliminated);
  const rows: number[][] = [];
  const targets: number[] = [];
  for (let coalition = 1; coalition < full; coalition += 1) {
    const size = popcount(coalition);
    const root = Math.sqrt((n - 1) / (binomial(n, size) * size * (n - size)));
    const hasEliminated = (coalition & eliminated) === eliminated ? 1 : 0;
    rows.push(free.map((set) => root * (((set & coalition) === set ? 1 : 0) - hasEliminated)));
    targets.push(root * ((values[coalition] as number) - empty - hasEliminated * range));
  }
  const solution = solveLeastSquares(rows, targets);
  const out: Spectrum = new Map([[EMPTY_KEY, empty]]);
  let rest = range;
  free.forEach((set, j) => {
    out.set(keyOfBits(set), solution[j] as number);
    rest -= solution[j] as number;
  });
  out.set(keyOfBits(eliminated), rest);
  return out;
}

/**
 * The least-squares solution of rows·x ≈ targets by Householder QR (full column rank assumed): stable
 * enough that the reference is accurate to ~1e-12 on these small, well-posed problems.
 */
export function solveLeastSquares(rows: readonly (readonly number[])[], targets: readonly number[]): number[] {
  const m = rows.length;
  const p = rows[0]?.length ?? 0;
  assert.ok(m >= p, `least squares needs at least as many rows (${m}) as unknowns (${p})`);
  const a = rows.map((row) => Float64Array.from(row));
  const b = Float64Array.from(targets);
  const at = (i: number): Float64Array => a[i] as Float64Array;
  for (let j = 0; j < p; j += 1) {
    let norm = 0;
    for (let i = j; i < m; i += 1) norm += (at(i)[j] as number) ** 2;
    norm = Math.sqrt(norm);
    assert.ok(norm > 1e-12, `column ${j} is (numerically) dependent on the earlier ones`);
    const alpha = (at(j)[j] as number) > 0 ? -norm : norm;
    // v = x − alpha·e_j, stored in column j below the diagonal (and v_j separately).
    const v = new Float64Array(m - j);
    for (let i = j; i < m; i += 1) v[i - j] = at(i)[j] as number;
    v[0] = (v[0] as number) - alpha;
    let vNorm2 = 0;
    for (const x of v) vNorm2 += x * x;
    const reflect = (column: (i: number) => number, write: (i: number, value: number) => void): void => {
      let dot = 0;
      for (let i = j; i < m; i += 1) dot += (v[i - j] as number) * column(i);
      const scale = (2 * dot) / vNorm2;
      for (let i = j; i < m; i += 1) write(i, column(i) - scale * (v[i - j] as number));
    };
    for (let k = j; k < p; k += 1) {
      reflect(
        (i) => at(i)[k] as number,
        (i, value) => {
          at(i)[k] = value;
        },
      );
    }
    reflect(
      (i) => b[i] as number,
      (i, value) => {
        b[i] = value;
      },
    );
  }
  const x = new Array<number>(p).fill(0);
  for (let j = p - 1; j >= 0; j -= 1) {
    let sum = b[j] as number;
    for (let k = j + 1; k < p; k += 1) sum -= (at(j)[k] as number) * (x[k] as number);
    x[j] = sum / (at(j)[j] as number);
  }
  return x;
}

/** f(m) = Σ_S F(S)·(−1)^{|S ∩ m|} on all 2^n masks, term by term. */
export function valuesOfFourier(n: number, fourier: Spectrum): Float64Array {
  const values = new Float64Array(1 << n);
  for (const [key, coefficient] of fourier) {
    let set = 0;
    for (const i of indicesOf(key)) set |= 1 << i;
    for (let mask = 0; mask < 1 << n; mask += 1)
      values[mask] = (values[mask] as number) + (popcount(set & mask) % 2 === 0 ? coefficient : -coefficient);
  }
  return values;
}

/** f(m) = Σ_T M(T)·Π_{i∈T} m_i on all 2^n masks, term by term. */
export function valuesOfMobius(n: number, mobius: Spectrum): Float64Array {
  const values = new Float64Array(1 << n);
  for (const [key, coefficient] of mobius) {
    let set = 0;
    for (const i of indicesOf(key)) set |= 1 << i;
    for (let mask = 0; mask < 1 << n; mask += 1) if ((set & mask) === set) values[mask] = (values[mask] as number) + coefficient;
  }
  return values;
}

/** Uniform values in [−1, 1) on all 2^n masks: a dense function with terms of every degree. */
export function randomValues(n: number, random: RandomSource): Float64Array {
  return Float64Array.from({ length: 1 << n }, () => random() * 2 - 1);
}

/** `terms` distinct random sets of size 0..maxDegree among n features with coefficients in ±[0.1, 1). */
export function randomSparseSpectrum(n: number, terms: number, maxDegree: number, random: RandomSource): Spectrum {
  const spectrum: Spectrum = new Map();
  while (spectrum.size < terms) {
    const size = randomInteger(random, Math.min(maxDegree, n) + 1);
    const features = new Set<number>();
    while (features.size < size) features.add(randomInteger(random, n));
    const magnitude = 0.1 + 0.9 * random();
    spectrum.set(keyOf(features), random() < 0.5 ? -magnitude : magnitude);
  }
  return spectrum;
}

/**
 * The docs' Möbius-basis formulas (algorithms.md §2, spex-reference.md §4.1), summed naively over the
 * subsets of each Möbius key in floating point: an independent route to the same numbers at large n.
 */
export function indexFromMobiusFormula(name: 'sii' | 'bii' | 'stii' | 'fbii' | 'fsii', mobius: Spectrum, order: number): Spectrum {
  const k = order;
  const weight = (s: number, t: number): number => {
    switch (name) {
      case 'sii':
        return t === 0 ? (s === 0 ? 1 : 0) : 1 / (s - t + 1);
      case 'bii':
        return 2 ** -(s - t);
      case 'stii':
        return t < k ? (s === t ? 1 : 0) : 1 / binomial(s, k);
      case 'fbii':
        if (s === t) return 1;
        return s > k ? (-1) ** (k - t) * 2 ** -(s - t) * binomial(s - t - 1, k - t) : 0;
      case 'fsii':
        if (s === t) return 1;
        if (t === 0 || s <= k) return 0;
        return (((-1) ** (k - t) * t) / (k + t)) * binomial(k, t) * (binomial(s - 1, k) / binomial(s + k - 1, k + t));
    }
  };
  const out: Spectrum = new Map([[EMPTY_KEY, 0]]);
  for (const [key, coefficient] of mobius) {
    const s = key.length;
    for (let bits = 0; bits < 1 << s; bits += 1) {
      const t = popcount(bits);
      if (t > k) continue;
      let subset: InteractionKey = '';
      for (let i = 0; i < s; i += 1) if (bits & (1 << i)) subset += key.charAt(i);
      out.set(subset, (out.get(subset) ?? 0) + weight(s, t) * coefficient);
    }
  }
  return out;
}

/** Asserts two spectra agree entry by entry (a missing key counts as 0) to `tolerance`·max(1, largest |value|). */
export function assertSpectraClose(actual: Spectrum, expected: Spectrum, tolerance: number, label: string): void {
  let scale = 1;
  for (const value of expected.values()) scale = Math.max(scale, Math.abs(value));
  const keys = new Set([...actual.keys(), ...expected.keys()]);
  for (const key of keys) {
    const a = actual.get(key) ?? 0;
    const e = expected.get(key) ?? 0;
    assert.ok(
      Math.abs(a - e) <= tolerance * scale,
      `${label}: at {${indicesOf(key).join(', ')}} got ${a}, expected ${e} (difference ${Math.abs(a - e)}, allowed ${tolerance * scale})`,
    );
  }
}
