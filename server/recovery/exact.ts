import { keyOfBits } from './interactionKey';
import { mobiusTransform, walshHadamardAnalysis } from './fastTransforms';
import { spectrumFromTable, type Spectrum } from './spectrum';
import { checkValues, type AbortSignalLike, type MaskEvaluator, type Recovery } from './types';

/** Exact recovery enumerates every mask, so it stops being sensible well before this. */
export const EXACT_MAX_FEATURES = 16;

export interface ExactRecovery {
  readonly fourier: Spectrum;
  readonly mobius: Spectrum;
}

/** The number of masks exact recovery queries for n features: all 2^n of them. */
export function exactMaskCount(featureCount: number): number {
  checkFeatureCount(featureCount);
  return 2 ** featureCount;
}

/** Mask number `index` as a 0/1 vector: bit i of the index is feature i (1 = kept). */
export function exactMask(featureCount: number, index: number): Uint8Array {
  const mask = new Uint8Array(featureCount);
  for (let i = 0; i < featureCount; i += 1) mask[i] = (index >>> i) & 1;
  return mask;
}

/**
 * Both expansions of a function from its values on all 2^n masks (values[index] = f(exactMask(n, index))),
 * by the fast Walsh–Hadamard and Möbius transforms. No approximation: the result reproduces every value.
 */
export function recoverExact(featureCount: number, values: Float64Array): ExactRecovery {
  checkFeatureCount(featureCount);
  if (values.length !== 2 ** featureCount) {
    throw new RangeError(`Exact recovery of ${featureCount} features needs ${2 ** featureCount} values; got ${values.length}.`);
  }
  for (let i = 0; i < values.length; i += 1) {
    if (!Number.isFinite(values[i])) throw new RangeError(`The value of mask ${i} is ${values[i]}, not a finite number.`);
  }
  const fourierTable = Float64Array.from(values);
  walshHadamardAnalysis(fourierTable);
  const mobiusTable = Float64Array.from(values);
  mobiusTransform(mobiusTable);
  return {
    fourier: spectrumFromTable(fourierTable, keyOfBits),
    mobius: spectrumFromTable(mobiusTable, keyOfBits),
  };
}

function checkFeatureCount(featureCount: number): void {
  if (!Number.isInteger(featureCount) || featureCount < 1) {
    throw new RangeError(`Exact recovery needs at least one feature; got ${featureCount}.`);
  }
  if (featureCount > EXACT_MAX_FEATURES) {
    throw new RangeError(`Exact recovery enumerates 2^n masks and is limited to n ≤ ${EXACT_MAX_FEATURES}; got n = ${featureCount}.`);
  }
}

/**
 * Exact recovery through an evaluator: scores all 2^n masks in one batch and transforms them. The
 * held-out R² is null because nothing is estimated: the expansion reproduces every value.
 */
export async function recoverExactWith(
  evaluate: MaskEvaluator,
  featureCount: number,
  options: { readonly signal?: AbortSignalLike; readonly reason?: string } = {},
): Promise<Recovery & { readonly mobius: Spectrum }> {
  const count = exactMaskCount(featureCount);
  const started = Date.now();
  const masks = Array.from({ length: count }, (_, index) => exactMask(featureCount, index));
  options.signal?.throwIfAborted();
  const values = await evaluate(masks, options.signal);
  const evaluateMs = Date.now() - started;
  checkValues(values, masks);
  const { fourier, mobius } = recoverExact(featureCount, values);
  return {
    fourier,
    mobius,
    diagnostics: {
      algorithm: 'exact',
      reason: options.reason ?? 'chosen by the caller',
      masksQueried: count,
      batches: 1,
      heldOutR2: null,
      heldOutMasks: 0,
      supportSize: fourier.size,
      computeMs: Date.now() - started - evaluateMs,
      evaluateMs,
      stoppedBecause: `scored all ${count} masks`,
      rounds: [],
    },
  };
}
