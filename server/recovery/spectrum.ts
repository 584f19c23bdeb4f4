import type { InteractionKey } from './interactionKey';

/** A sparse expansion of a function on masks: interaction → coefficient, in one basis. */
export type Spectrum = Map<InteractionKey, number>;

/** Coefficients smaller than this, relative to the largest, are numerical noise of a transform. */
export const RELATIVE_ZERO = 1e-12;

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
