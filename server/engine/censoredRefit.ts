import { recoverExact } from '../recovery/exact';
import { CompiledFourier } from '../recovery/expansion';
import type { Recovery } from '../recovery/types';
import { fitFromSamplesInWorker } from './recoveryThread';

/** Scored masks where some values are only upper bounds of the exact ones (see MaskValue). */
export interface CensoredSamples {
  readonly masks: readonly Uint8Array[];
  readonly values: Float64Array;
  /** 1 where the value is an upper bound. */
  readonly bounded: Uint8Array;
}

/** How far below a bound, in the exact values' fit's held-out errors, a prediction must lie to replace it. */
const MARGIN_IN_ERRORS = 3;

/** Fewer exact values than this cannot say where the bounded ones lie. */
const MIN_EXACT_VALUES = 16;

export interface CensoredRefit {
  readonly recovery: Recovery;
  /** Bounded values replaced by a prediction below them. */
  readonly lowered: number;
}

/**
 * Refits a recovery whose samples include upper bounds, treating them as censored: the exact value
 * lies at or below each bound, and a bound taken as the value pulls the fit up exactly where the
 * answer was least likely (an answer token the model would not have listed). A fit on the exact
 * values alone predicts each bounded mask; the bound is replaced by that prediction where it is
 * lower by more than that fit's own error (it is then the better guess the bound allows), and kept
 * otherwise; the final fit then uses every mask (or, where every mask was scored, the exact transform
 * of the values so lowered). The recovery's sampling diagnostics are kept; its expansion and held-out figures
 * are the refit's. Undefined where there are too few exact values to predict from.
 */
export async function refitCensored(
  recovered: Recovery,
  samples: CensoredSamples,
  options: { readonly featureCount: number; readonly maxOrder: number; readonly seed: number },
  signal?: AbortSignal,
): Promise<CensoredRefit | undefined> {
  const exactRows: number[] = [];
  const boundedRows: number[] = [];
  samples.bounded.forEach((flag, row) => (flag ? boundedRows : exactRows).push(row));
  if (boundedRows.length === 0 || exactRows.length < MIN_EXACT_VALUES) return undefined;
  const fitOptions = { featureCount: options.featureCount, maxOrder: options.maxOrder, seed: options.seed };
  const fromExact = await fitFromSamplesInWorker(
    exactRows.map((row) => samples.masks[row] as Uint8Array),
    Float64Array.from(exactRows, (row) => samples.values[row] as number),
    fitOptions,
    signal,
  );
  const predictor = new CompiledFourier(fromExact.fourier);
  // A bound is lowered only where the fit is sure it lies below it: by more than the fit's own error
  // on masks it did not see. A bound close to the exact value (the usual case where the listing is
  // long) is better data than a prediction.
  const heldOutR2 = fromExact.diagnostics.heldOutR2;
  if (heldOutR2 === null || !Number.isFinite(heldOutR2)) return undefined;
  // Bounded masks lie where the answer was least likely, away from most exact ones, so the fit errs
  // more there than on the masks it held out: three times that error.
  const margin = MARGIN_IN_ERRORS * Math.sqrt(Math.max(0, 1 - heldOutR2) * variance(exactRows.map((row) => samples.values[row] as number)));
  const values = Float64Array.from(samples.values);
  let lowered = 0;
  for (const row of boundedRows) {
    const predicted = predictor.evaluate(samples.masks[row] as Uint8Array);
    if (predicted < (values[row] as number) - margin) {
      values[row] = predicted;
      lowered += 1;
    }
  }
  const reason = `${recovered.diagnostics.reason}; ${boundedRows.length} bounded values treated as censored (${lowered} lowered to a fit of the exact ones, which held out R² ${heldOutR2.toFixed(3)})`;
  const n = options.featureCount;
  if (recovered.diagnostics.algorithm === 'exact' && samples.masks.length === 2 ** n) {
    // Every mask was scored: the expansion stays the exact transform, now of the lowered values. Its
    // faithfulness is the imputing fit's, not "exact": some values were only bounded.
    const table = new Float64Array(2 ** n);
    samples.masks.forEach((mask, row) => {
      let index = 0;
      for (let i = 0; i < n; i += 1) index += (mask[i] as number) * 2 ** i;
      table[index] = values[row] as number;
    });
    return {
      lowered,
      recovery: {
        fourier: recoverExact(n, table).fourier,
        diagnostics: { ...recovered.diagnostics, heldOutR2, heldOutMasks: fromExact.diagnostics.heldOutMasks, reason },
      },
    };
  }
  const refit = await fitFromSamplesInWorker(samples.masks, values, fitOptions, signal);
  return {
    lowered,
    recovery: {
      fourier: refit.fourier,
      diagnostics: {
        ...recovered.diagnostics,
        heldOutR2: refit.diagnostics.heldOutR2,
        heldOutMasks: refit.diagnostics.heldOutMasks,
        supportSize: refit.diagnostics.supportSize,
        ...(refit.diagnostics.surrogate ? { surrogate: refit.diagnostics.surrogate } : {}),
        computeMs: recovered.diagnostics.computeMs + fromExact.diagnostics.computeMs + refit.diagnostics.computeMs,
        reason,
      },
    },
  };
}

function variance(values: readonly number[]): number {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Math.max(1, values.length - 1);
}
