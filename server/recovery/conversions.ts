import { EMPTY_KEY } from './interactionKey';
import { RELATIVE_ZERO, type Spectrum } from './spectrum';

/**
 * Basis conversions between sparse expansions. Every conversion here is a size-weighted sum over the
 * subsets of each support key: out(T) = Σ_{K ⊇ T} w(|K|, |T|)·in(K). The weight depends only on the two
 * sizes, so it is tabulated once and the work is O(Σ_K (number of subsets of K visited)), never 2^n.
 */

/** The weight a term of `termSize` features passes to each of its subsets of `subsetSize` features. */
export type SizeWeight = (termSize: number, subsetSize: number) => number;

/**
 * A conversion that would visit more subsets than this is refused: a key of degree 27 alone has 2^27
 * subsets, and a sparse expansion that large is not sparse any more.
 */
export const MAX_SUBSET_VISITS = 50_000_000;

/**
 * out(T) = Σ_{K ⊇ T, K in the support} weight(|K|, |T|)·spectrum(K) for every T with |T| ≤ maxSubsetSize.
 * Coefficients below RELATIVE_ZERO of the largest output are dropped as rounding noise; ∅ is always
 * present (and first), with 0 when nothing reaches it.
 */
export function sumOverSubsets(spectrum: Spectrum, maxSubsetSize: number, weight: SizeWeight): Spectrum {
  if (!(maxSubsetSize >= 0) || (!Number.isInteger(maxSubsetSize) && maxSubsetSize !== Number.POSITIVE_INFINITY)) {
    throw new RangeError(`The largest subset size must be a whole number ≥ 0 or Infinity; got ${maxSubsetSize}.`);
  }
  let maxDegree = 0;
  for (const key of spectrum.keys()) maxDegree = Math.max(maxDegree, key.length);
  // The table holds weight(κ, t) for every term size κ present and every subset size t ≤ min(κ, maxSubsetSize).
  const table: Float64Array[] = [];
  for (let termSize = 0; termSize <= maxDegree; termSize += 1) {
    const row = new Float64Array(Math.min(termSize, maxSubsetSize) + 1);
    for (let subsetSize = 0; subsetSize < row.length; subsetSize += 1) row[subsetSize] = weight(termSize, subsetSize);
    table.push(row);
  }
  checkWork(spectrum, table);

  const out: Spectrum = new Map([[EMPTY_KEY, 0]]);
  const add = (key: string, amount: number): void => {
    out.set(key, (out.get(key) ?? 0) + amount);
  };
  const positions = new Int32Array(Math.min(maxDegree, maxSubsetSize));
  for (const [key, coefficient] of spectrum) {
    if (!Number.isFinite(coefficient)) throw new RangeError(`The coefficient of a term of degree ${key.length} is ${coefficient}.`);
    if (coefficient === 0) continue;
    const termSize = key.length;
    const row = table[termSize] as Float64Array;
    for (let subsetSize = 0; subsetSize < row.length; subsetSize += 1) {
      const w = row[subsetSize] as number;
      if (w === 0) continue;
      const amount = w * coefficient;
      if (subsetSize === 0) {
        add(EMPTY_KEY, amount);
        continue;
      }
      if (subsetSize === termSize) {
        add(key, amount);
        continue;
      }
      // Lexicographic combinations of positions within the key; the key is sorted, so every subset key is too.
      for (let i = 0; i < subsetSize; i += 1) positions[i] = i;
      for (;;) {
        let subset = '';
        for (let i = 0; i < subsetSize; i += 1) subset += key.charAt(positions[i] as number);
        add(subset, amount);
        let i = subsetSize - 1;
        while (i >= 0 && positions[i] === termSize - subsetSize + i) i -= 1;
        if (i < 0) break;
        positions[i] = (positions[i] as number) + 1;
        for (let j = i + 1; j < subsetSize; j += 1) positions[j] = (positions[j - 1] as number) + 1;
      }
    }
  }
  return withoutNegligible(out);
}

/** Fourier → Möbius: M(T) = (−2)^{|T|}·Σ_{S ⊇ T} F(S), since Π_{i∈S}(1 − 2m_i) = Σ_{T⊆S} (−2)^{|T|} Π_{i∈T} m_i. */
export function fourierToMobius(fourier: Spectrum): Spectrum {
  return sumOverSubsets(fourier, Number.POSITIVE_INFINITY, (_termSize, subsetSize) => (-2) ** subsetSize);
}

/** Möbius → Fourier: F(S) = (−1)^{|S|}·Σ_{T ⊇ S} M(T)/2^{|T|}, since Π_{i∈T} m_i = Π_{i∈T} (1 − (−1)^{m_i})/2. */
export function mobiusToFourier(mobius: Spectrum): Spectrum {
  return sumOverSubsets(mobius, Number.POSITIVE_INFINITY, (termSize, subsetSize) => (-1) ** subsetSize / 2 ** termSize);
}

/**
 * The terms of degree ≤ maxDegree, in either basis. ∅ is always present. In the Fourier basis this is
 * the best degree-maxDegree approximation under uniform masks; in the Möbius basis it is not (it is only
 * exact where the function has no higher terms).
 */
export function truncateDegree(spectrum: Spectrum, maxDegree: number): Spectrum {
  if (!Number.isInteger(maxDegree) || maxDegree < 0) {
    throw new RangeError(`The maximal degree must be a whole number ≥ 0; got ${maxDegree}.`);
  }
  const out: Spectrum = new Map([[EMPTY_KEY, spectrum.get(EMPTY_KEY) ?? 0]]);
  for (const [key, value] of spectrum) if (key.length <= maxDegree && key !== EMPTY_KEY) out.set(key, value);
  return out;
}

/** Refuses conversions whose subset enumeration would not finish in reasonable time or memory. */
function checkWork(spectrum: Spectrum, table: readonly Float64Array[]): void {
  // visitsBySize[κ] = the subsets one term of size κ visits, counted once per size present.
  const visitsBySize = table.map((row, termSize) => {
    let visits = 0;
    let binomial = 1;
    for (let subsetSize = 0; subsetSize < row.length; subsetSize += 1) {
      if (row[subsetSize] !== 0) visits += binomial;
      binomial = (binomial * (termSize - subsetSize)) / (subsetSize + 1);
    }
    return visits;
  });
  let visits = 0;
  for (const key of spectrum.keys()) visits += visitsBySize[key.length] as number;
  if (visits > MAX_SUBSET_VISITS) {
    throw new RangeError(
      `This conversion would visit ${visits.toExponential(2)} subsets (limit ${MAX_SUBSET_VISITS.toExponential(0)}); ` +
        'the expansion has too many terms of high degree.',
    );
  }
}

/** Drops rounding noise (relative to the largest coefficient) and exact zeros, keeping ∅. */
function withoutNegligible(spectrum: Spectrum): Spectrum {
  let largest = 0;
  for (const value of spectrum.values()) largest = Math.max(largest, Math.abs(value));
  const threshold = largest * RELATIVE_ZERO;
  for (const [key, value] of spectrum) {
    if (key !== EMPTY_KEY && !(Math.abs(value) > threshold)) spectrum.delete(key);
  }
  return spectrum;
}
