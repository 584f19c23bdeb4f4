/**
 * A recovery worker thread (bundled as dist/recoveryWorker.js): runs one recovery or one fit of given
 * samples with the numeric core, so that the fits, which take seconds at large n, never hold up the
 * engine's thread (its model calls, progress, cancels, JSON-RPC). The engine side is recoveryThread.ts.
 */
import { parentPort } from 'node:worker_threads';
import { fitFromSamples } from '../recovery/proxyspex/proxySpex';
import { seededRandom } from '../recovery/random';
import { recover } from '../recovery/recover';
import type { MaskEvaluator } from '../recovery/types';
import { packMasks, toFailure, unpackMasks, type FromWorker, type ToWorker } from './recoveryMessages';

const port = parentPort;
if (!port) throw new Error('recoveryWorker runs only as a worker thread.');

const answers = new Map<number, (values: Float64Array) => void>();
let nextRequest = 0;

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

/** Asks the engine to score masks; the recovery awaits the answer as it would a local evaluator. */
function evaluatorFor(featureCount: number): MaskEvaluator {
  return (masks) => {
    const request = nextRequest;
    nextRequest += 1;
    const packed = packMasks(masks, featureCount);
    return new Promise((resolve) => {
      answers.set(request, resolve);
      send({ kind: 'evaluate', request, masks: packed }, [packed.bytes.buffer as ArrayBuffer]);
    });
  };
}

async function run(job: Exclude<ToWorker, { kind: 'values' }>): Promise<void> {
  try {
    if (job.kind === 'recover') {
      const recovery = await recover(evaluatorFor(job.options.featureCount), {
        ...job.options,
        onProgress: (progress) => send({ kind: 'progress', progress }),
      });
      send({ kind: 'done', recovery });
    } else {
      const { seed, ...options } = job.options;
      send({ kind: 'done', recovery: fitFromSamples(unpackMasks(job.masks), job.values, { ...options, random: seededRandom(seed) }) });
    }
  } catch (error) {
    send({ kind: 'failed', error: toFailure(error) });
  }
}

port.on('message', (message: ToWorker) => {
  if (message.kind === 'values') {
    const answer = answers.get(message.request);
    answers.delete(message.request);
    answer?.(message.values);
  } else void run(message);
});
