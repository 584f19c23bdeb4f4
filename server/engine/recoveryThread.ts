import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RecoveryPlan } from '../recovery/plan';
import type { MaskEvaluator, Recovery, RecoveryProgress } from '../recovery/types';
import {
  fromFailure,
  packMasks,
  unpackMasks,
  type FitJobOptions,
  type FromWorker,
  type RecoverJobOptions,
  type ToWorker,
} from './recoveryMessages';

/**
 * The engine's side of a recovery worker (recoveryWorker.ts). Each job gets a thread of its own, so
 * that several explanations fit at once, and the thread is terminated the moment its signal aborts:
 * a fit that would take seconds more stops at once instead of holding up the cancel. The promise
 * settles as the same call in this thread would: with the result, the numeric core's error (same
 * class and message), the evaluator's own error, or the signal's reason.
 */

export interface RecoverHooks {
  readonly signal?: AbortSignal;
  /** Called between rounds, with the partial recovery where the algorithm has one. */
  readonly onProgress?: (progress: RecoveryProgress) => void;
}

/** recover(evaluate, options) in a worker thread; `evaluate` runs in this thread. */
export function recoverInWorker(
  evaluate: MaskEvaluator,
  options: RecoverJobOptions,
  hooks: RecoverHooks = {},
): Promise<Recovery & { readonly plan: RecoveryPlan }> {
  return runJob({ kind: 'recover', options }, [], hooks.signal, (message, reply, fail) => {
    if (message.kind === 'progress') hooks.onProgress?.(message.progress);
    else if (message.kind === 'evaluate') {
      evaluate(unpackMasks(message.masks)).then((values) => {
        // A copy of our own to transfer: the evaluator may keep or share the array it returned.
        const answer = Float64Array.from(values);
        reply({ kind: 'values', request: message.request, values: answer }, [answer.buffer]);
      }, fail);
    }
  }) as Promise<Recovery & { readonly plan: RecoveryPlan }>;
}

/** fitFromSamples(masks, values, options) in a worker thread. */
export function fitFromSamplesInWorker(
  masks: readonly Uint8Array[],
  values: Float64Array,
  options: FitJobOptions,
  signal?: AbortSignal,
): Promise<Recovery> {
  const packed = packMasks(masks, options.featureCount);
  const copy = Float64Array.from(values);
  return runJob({ kind: 'fit', masks: packed, values: copy, options }, [packed.bytes.buffer as ArrayBuffer, copy.buffer], signal, () => {
    // A fit asks for nothing on the way.
  });
}

type Relay = (message: FromWorker, reply: (message: ToWorker, transfer?: ArrayBuffer[]) => void, fail: (error: Error) => void) => void;

function runJob(job: ToWorker, transfer: ArrayBuffer[], signal: AbortSignal | undefined, relay: Relay): Promise<Recovery> {
  return new Promise((resolve, reject) => {
    // Failures are passed on as they are, as the same call in this thread would have thrown them.
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const worker = startWorker();
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      outcome();
    };
    const fail = (error: Error): void => settle(() => reject(error));
    const onAbort = (): void => fail(signal?.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });
    const reply = (message: ToWorker, replyTransfer: ArrayBuffer[] = []): void => {
      if (!settled) worker.postMessage(message, replyTransfer);
    };
    worker.on('message', (message: FromWorker) => {
      if (settled) return;
      if (message.kind === 'done') settle(() => resolve(message.recovery));
      else if (message.kind === 'failed') fail(fromFailure(message.error));
      else {
        try {
          relay(message, reply, fail);
        } catch (error) {
          fail(error as Error);
        }
      }
    });
    worker.on('error', (error) => fail(new Error(`The recovery worker failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => fail(new Error(`The recovery worker stopped (exit code ${code}) before it finished.`)));
    worker.postMessage(job, transfer);
  });
}

/**
 * Bundled (dist/cli.js, dist/server.js), the worker is dist/recoveryWorker.js beside the running
 * bundle. Run from source (tests and benchmarks under tsx) this file is TypeScript, and so is the
 * worker beside it: tsx's CommonJS hook, which a worker does not inherit, compiles it there.
 */
function startWorker(): Worker {
  const fromSource = path.extname(__filename) === '.ts';
  const worker = new Worker(path.join(__dirname, fromSource ? 'recoveryWorker.ts' : 'recoveryWorker.js'), {
    execArgv: fromSource ? ['--require', 'tsx/cjs'] : [],
    // The server's stdout carries JSON-RPC only: whatever a worker prints goes to stderr.
    stdout: true,
    stderr: true,
  });
  worker.stdout.pipe(process.stderr, { end: false });
  worker.stderr.pipe(process.stderr, { end: false });
  return worker;
}
