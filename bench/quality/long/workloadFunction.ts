import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Feature } from '../../../protocol/features';
import { applyMask } from '../../../server/ablation/mask';
import { segmentText } from '../../../server/ablation/segment';
import { blockRuleKey, DEFAULT_BLOCK_RULE } from '../../../server/backends/llama/blockPartition';
import { runPool } from '../../../server/engine/runPool';
import { createValueSource, type SourceOptions, type ValueSource } from '../../../server/engine/valueSource';
import { maskValueOf } from '../../../server/value/valueFunction';
import { REPO_ROOT } from '../../../test/helpers/paths';
import { TINY_MODEL_PATH } from '../../../test/llama/tinyModel';
import { LONG_CACHE_DIRECTORY, maskHex, ValueStore } from './valueStore';
import type { LongWorkload } from './workloads';

/**
 * One long workload as a value function over masks: its features, and the value of any mask as the
 * product's own backend scores it (the llama backend in process, or the exec backend running VADER),
 * read from the on-disk store when an earlier run scored it. The model is loaded only when a mask is
 * missing, so a warm run makes no model call at all.
 */

const VADER_SCORER_FILE = path.join(REPO_ROOT, 'bench', 'quality', 'vaderScorer.mjs');
/** The value settings every workload is scored with (they are part of the cache identity). */
const MAX_ANSWER_TOKENS = 12;
/** Masks queued at the backend at once: the llama backend orders what is queued by shared prefix. */
const LLAMA_IN_FLIGHT = 256;
const EXEC_IN_FLIGHT = 64;
/** New values are written to disk after every this many, so an interrupted run keeps what it paid for. */
const STORE_EVERY = 500;

function fileDigest(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function packageVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}

export class WorkloadFunction {
  readonly features: readonly Feature[];
  readonly featureCount: number;
  /** A digest of everything that decides a value except the mask. */
  readonly identity: string;
  private readonly store: ValueStore;
  private source: Promise<ValueSource> | undefined;
  private scored = 0;

  constructor(
    readonly workload: LongWorkload,
    private readonly log: (line: string) => void,
  ) {
    this.features = segmentText(workload.text, {
      granularity: workload.granularity,
      ...(workload.pin ? { pin: workload.pin } : {}),
    }).features;
    this.featureCount = this.features.length;
    const scorer =
      workload.backend === 'llama'
        ? {
            model: fileDigest(TINY_MODEL_PATH),
            runtime: `node-llama-cpp ${packageVersion('node-llama-cpp')}`,
            // Values decoded in other batch shapes differ in their last bits.
            blocks: blockRuleKey(DEFAULT_BLOCK_RULE),
            device: 'cpu',
            raw: true,
            value: 'auto',
            maxAnswerTokens: MAX_ANSWER_TOKENS,
          }
        : { scorer: fileDigest(VADER_SCORER_FILE), runtime: `vader-sentiment ${packageVersion('vader-sentiment')}` };
    this.identity = createHash('sha256')
      .update(
        JSON.stringify({
          text: workload.text,
          granularity: workload.granularity,
          pin: workload.pin ?? [],
          masking: 'remove',
          backend: workload.backend,
          scorer,
        }),
      )
      .digest('hex')
      .slice(0, 20);
    this.store = new ValueStore(path.join(LONG_CACHE_DIRECTORY, 'values', `${workload.name}-${this.identity}`));
  }

  /** Masks scored through the backend by this process so far (cache misses). */
  get scoredThroughBackend(): number {
    return this.scored;
  }

  /** Values of the masks: from the store, the missing ones scored through the backend and stored. */
  async values(masks: readonly Uint8Array[]): Promise<Float64Array> {
    const keys = masks.map(maskHex);
    const missing = new Map<string, Uint8Array>();
    keys.forEach((key, i) => {
      if (this.store.get(key) === undefined && !missing.has(key)) missing.set(key, masks[i] as Uint8Array);
    });
    if (missing.size > 0) await this.score([...missing]);
    return Float64Array.from(keys, (key) => this.store.get(key) as number);
  }

  private async score(entries: readonly (readonly [string, Uint8Array])[]): Promise<void> {
    const source = await this.openSource();
    const started = performance.now();
    for (let start = 0; start < entries.length; start += STORE_EVERY) {
      const batch = entries.slice(start, start + STORE_EVERY);
      const values = await runPool(batch.length, this.workload.backend === 'llama' ? LLAMA_IN_FLIGHT : EXEC_IN_FLIGHT, async (i) => {
        const mask = (batch[i] as readonly [string, Uint8Array])[1];
        const scored = maskValueOf(await source.score(applyMask(this.workload.text, this.features, mask, { kind: 'remove' }), mask));
        if (scored.bounded) throw new Error(`${this.workload.name}: the backend returned a bound, not an exact value.`);
        return scored.value;
      });
      this.store.add(new Map(batch.map(([key], i) => [key, values[i] as number])));
      this.scored += batch.length;
      const done = Math.min(start + STORE_EVERY, entries.length);
      const seconds = (performance.now() - started) / 1000;
      this.log(`[long] ${this.workload.name}: scored ${done} of ${entries.length} new masks (${(done / seconds).toFixed(1)} a second)`);
    }
  }

  private openSource(): Promise<ValueSource> {
    if (!this.source) {
      const options: SourceOptions = {
        backend: this.workload.backend,
        endpoints: [],
        value: 'auto',
        maxAnswerTokens: MAX_ANSWER_TOKENS,
        // One llama.cpp worker with one thread: the machine is shared, and the values do not depend on it.
        concurrency: 1,
        threads: 1,
        timeoutMs: 120_000,
        seed: 0,
        prompt: this.workload.text,
        ...(this.workload.backend === 'llama'
          ? { model: TINY_MODEL_PATH, raw: true }
          : { exec: `node ${JSON.stringify(VADER_SCORER_FILE)}` }),
      };
      this.source = createValueSource(options).then((source) => {
        this.log(
          `[long] ${this.workload.name}: ${source.model}; ${source.valueFunction.name}${source.target ? ` of ${JSON.stringify(source.target)}` : ''}`,
        );
        return source;
      });
    }
    return this.source;
  }

  /** Stops the backend, if one was started. */
  async close(): Promise<void> {
    const source = this.source;
    this.source = undefined;
    if (source) await (await source).close();
  }
}
