import type { RecoveryPlan } from '../recovery/plan';
import type { RecoverOptions } from '../recovery/recover';
import { RecoveryError, type Recovery, type RecoveryProgress, type ValueRange } from '../recovery/types';

/**
 * The messages between the engine and a recovery worker (recoveryWorker.ts). A worker runs one job,
 * a recovery or a fit of given samples, and asks the engine for the values of masks as it goes.
 * Masks and values cross the thread boundary as single transferred buffers, never as arrays of arrays.
 */

/** What recover() takes that can cross threads: everything but the signal, the callbacks and the SPEX decoder. */
export type RecoverJobOptions = Omit<RecoverOptions, 'signal' | 'onProgress' | 'spexDecoder'>;

/** fitFromSamples() options with the random source given as its seed. */
export interface FitJobOptions {
  readonly featureCount: number;
  readonly maxOrder?: number;
  readonly seed: number;
  readonly validationFraction?: number;
  readonly valueRange?: ValueRange;
}

/** Equal-length masks (one byte per feature, 1 = kept) laid end to end in one buffer. */
export interface PackedMasks {
  readonly featureCount: number;
  readonly count: number;
  readonly bytes: Uint8Array;
}

export type ToWorker =
  | { readonly kind: 'recover'; readonly options: RecoverJobOptions }
  | { readonly kind: 'fit'; readonly masks: PackedMasks; readonly values: Float64Array; readonly options: FitJobOptions }
  | { readonly kind: 'values'; readonly request: number; readonly values: Float64Array };

export type FromWorker =
  | { readonly kind: 'evaluate'; readonly request: number; readonly masks: PackedMasks }
  | { readonly kind: 'progress'; readonly progress: RecoveryProgress }
  | { readonly kind: 'done'; readonly recovery: Recovery & { readonly plan?: RecoveryPlan } }
  | { readonly kind: 'failed'; readonly error: WorkerFailure };

/** An error as it crosses threads: structured cloning keeps neither our error classes nor their names. */
export interface WorkerFailure {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

export function packMasks(masks: readonly Uint8Array[], featureCount: number): PackedMasks {
  const bytes = new Uint8Array(masks.length * featureCount);
  masks.forEach((mask, index) => {
    if (mask.length !== featureCount) throw new RangeError(`Mask ${index} has ${mask.length} entries; expected ${featureCount}.`);
    bytes.set(mask, index * featureCount);
  });
  return { featureCount, count: masks.length, bytes };
}

/** Views into the packed buffer: no copy. */
export function unpackMasks(packed: PackedMasks): Uint8Array[] {
  const { featureCount, bytes } = packed;
  return Array.from({ length: packed.count }, (_, index) => bytes.subarray(index * featureCount, (index + 1) * featureCount));
}

export function toFailure(error: unknown): WorkerFailure {
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { name: 'Error', message: String(error) };
}

/**
 * The error a failure was in the worker, as the same class where the engine's callers tell classes
 * apart (a RecoveryError is the user's to fix; a RangeError is a bad option), with the worker's stack.
 */
export function fromFailure(failure: WorkerFailure): Error {
  const error =
    failure.name === 'RecoveryError'
      ? new RecoveryError(failure.message)
      : failure.name === 'RangeError'
        ? new RangeError(failure.message)
        : failure.name === 'TypeError'
          ? new TypeError(failure.message)
          : new Error(failure.message);
  if (failure.stack !== undefined) error.stack = failure.stack;
  return error;
}
