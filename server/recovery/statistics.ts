/** Small summaries of value arrays shared by the fits (population forms: divided by the count). */

export function mean(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) sum += values[i] as number;
  return values.length > 0 ? sum / values.length : 0;
}

/** Σ(x − x̄)² / N: the error of predicting the mean, the denominator of R². */
export function variance(values: Float64Array): number {
  const centre = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) sum += ((values[i] as number) - centre) ** 2;
  return values.length > 0 ? sum / values.length : 0;
}

/** Σ(target − prediction)² / N. */
export function meanSquaredError(target: Float64Array, prediction: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < target.length; i += 1) sum += ((target[i] as number) - (prediction[i] as number)) ** 2;
  return target.length > 0 ? sum / target.length : 0;
}
