import { keyOfSorted, type InteractionKey } from './interactionKey';

/** A sparse expansion of a function on masks: interaction → coefficient, in one basis. */
export type Spectrum = Map<InteractionKey, number>;

/** Coefficients smaller than this, relative to the largest, are numerical noise of a transform. */
export const RELATIVE_ZERO = 1e-12;

/** A spectrum from terms as the protocol carries them: sorted feature indices and a value. */
export function spectrumFromTerms(terms: readonly { readonly features: readonly number[]; readonly value: number }[]): Spectrum {
  return new Map(terms.map((term) => [keyOfSorted(term.features), term.value]));
}

/** The non-negligible entries of a full coefficient table (index bit i = feature i in the set). */
export function spectrumFromTable(table: Float64Array, keyOfIndex: (index: number) => InteractionKey): Spectrum {
  let largest = 0;
  for (let i = 0; i < table.length; i += 1) largest = Math.max(largest, Math.abs(table[i] as number));
  const threshold = largest * RELATIVE_ZERO;
  const spectrum: Spectrum = new Map();
  for (let i = 0; i < table.length; i += 1) {
    const value = table[i] as number;
    if (i === 0 || Math.abs(value) > threshold) spectrum.set(keyOfIndex(i), value);
  }
  return spectrum;
}

/** Σ_j w_j·S_j of expansions in one basis: the expansion of the weighted sum of their functions. */
export function weightedSum(parts: readonly (readonly [Spectrum, number])[]): Spectrum {
  const sum: Spectrum = new Map();
  for (const [spectrum, weight] of parts) {
    if (weight === 0) continue;
    for (const [key, value] of spectrum) sum.set(key, (sum.get(key) ?? 0) + weight * value);
  }
  return sum;
}

/**
 * The constant, every first-order term, and the strongest further terms until they hold `energyShare`
 * of the further terms' energy (Σ coefficient²), at most `maxTerms` entries in all. Under uniform
 * masks the dropped energy is exactly the mean squared change of the predictions, so a share of
 * 0.99995 changes R² by at most 5·10⁻⁵ of the variance the further terms explain.
 */
export function pruneSpectrum(spectrum: Spectrum, energyShare: number, maxTerms: number): Spectrum {
  const kept: Spectrum = new Map();
  const further: [string, number][] = [];
  for (const [key, value] of spectrum) {
    if (key.length <= 1) kept.set(key, value);
    else if (value !== 0) further.push([key, value]);
  }
  further.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || (a[0] < b[0] ? -1 : 1));
  const total = further.reduce((sum, [, value]) => sum + value * value, 0);
  let held = 0;
  for (const [key, value] of further) {
    if (kept.size >= maxTerms || held >= energyShare * total) break;
    kept.set(key, value);
    held += value * value;
  }
  return kept;
}
