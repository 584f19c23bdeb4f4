import { CharacterMatrix, fitRidge } from '../characterMatrix';
import { EMPTY_KEY, keyOfSorted, type InteractionKey } from '../interactionKey';
import type { Spectrum } from '../spectrum';

export interface FirstOrderFit {
  /** The training rows' fit's predictions of the validation rows, in their order. */
  readonly validationPrediction: Float64Array;
  /** The same model fit on every row. */
  readonly spectrum: Spectrum;
}

/**
 * Least squares on the constant and every single feature: the additive model LIME and ContextCite
 * fit. Where a value function is nearly additive over many spans (a sentiment score over sentences),
 * the richer models spend their masks on interactions that are not there, and this one predicts fresh
 * masks better; ProxySPEX keeps it then. Undefined with fewer than two training rows per feature.
 */
export function fitFirstOrder(
  masks: readonly Uint8Array[],
  values: Float64Array,
  featureCount: number,
  trainRows: Int32Array,
  validationRows: Int32Array,
  /**
   * A ridge penalty per training row where there are fewer than two rows per feature (plain least
   * squares is then barely determined, or not at all); without one such a fit is not made.
   */
  sparseRowsRidge?: number,
): FirstOrderFit | undefined {
  const underdetermined = featureCount > trainRows.length / 2;
  if (underdetermined && sparseRowsRidge === undefined) return undefined;
  const keys: InteractionKey[] = [EMPTY_KEY, ...Array.from({ length: featureCount }, (_, i) => keyOfSorted([i]))];
  const matrix = new CharacterMatrix(masks, keys.length);
  matrix.append(keys);
  // A whisper of ridge keeps spans that are (nearly) always kept together solvable.
  const solve = (rows: Int32Array, start?: Float64Array): Float64Array =>
    fitRidge(
      matrix,
      rows,
      Float64Array.from(rows, (row) => values[row] as number),
      keys.length,
      (underdetermined ? (sparseRowsRidge as number) : 1e-6) * rows.length,
      start,
      1e-10,
      300,
    ).coefficients;
  const trained = solve(trainRows);
  const validationPrediction = new Float64Array(validationRows.length);
  matrix.multiply(trained, validationRows, validationPrediction);
  const all = solve(Int32Array.from([...trainRows, ...validationRows]), trained);
  return { validationPrediction, spectrum: new Map(keys.map((key, k) => [key, all[k] as number])) };
}
