import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ValueRange } from '../../server/recovery/types';
import type { Granularity } from '../../protocol/features';
import { applyMask } from '../../server/ablation/mask';
import { segmentText } from '../../server/ablation/segment';
import { createValueSource, type SourceOptions } from '../../server/engine/valueSource';
import { runPool } from '../../server/engine/runPool';
import { exactMask } from '../../server/recovery/exact';
import { REPO_ROOT } from '../../test/helpers/paths';
import { STORY, TINY_MODEL_PATH } from '../../test/llama/tinyModel';

/**
 * Real value functions with exact truth: a prompt small enough (n ≤ 14 spans) that every one of its
 * 2^n masks can be scored through the product's own backends, the llama backend running the tiny
 * TinyStories model and the exec backend running VADER. The table of all values is the ground truth
 * against which recoveries from a few hundred masks are measured.
 */
export interface RealFunction {
  readonly name: string;
  readonly description: string;
  readonly featureCount: number;
  /** values[index] = f(exactMask(featureCount, index)). */
  readonly values: Float64Array;
  /** What published ProxySPEX reaches on a function of this kind, from the explanation-quality issue. */
  readonly published: string;
}

export interface RealWorkload {
  readonly name: string;
  readonly description: string;
  readonly text: string;
  readonly granularity: Granularity;
  readonly backend: 'llama' | 'exec';
  readonly published: string;
  /** The interval the value lies in, declared to ours as a user would (--value-range): VADER's compound is in [−1, 1]. */
  readonly valueRange?: ValueRange;
}

const VADER_SCORER = `node ${JSON.stringify(path.join(REPO_ROOT, 'bench', 'quality', 'vaderScorer.mjs'))}`;

export const REAL_WORKLOADS: readonly RealWorkload[] = [
  {
    name: 'story, 12 sentences',
    description: 'TinyStories 260K (llama backend): log-probability of its 12-token continuation',
    text: `${STORY} "Can we fly the kite again tomorrow?" Tom smiled and said yes. They walked home together.`,
    granularity: 'sentence',
    backend: 'llama',
    published: '0.925 @ 1,000 (12-sentence story)',
  },
  {
    name: 'story, 13 words',
    description: 'TinyStories 260K (llama backend): log-probability of its 12-token continuation',
    text: 'Lily had a red ball. One day, she went to the park with',
    granularity: 'word',
    backend: 'llama',
    published: '0.86–0.95 @ 1,000',
  },
  {
    name: 'review, 14 words',
    description: 'VADER compound sentiment (exec backend)',
    valueRange: { min: -1, max: 1 },
    text: 'The food was not great, but staff were really friendly and the view amazing!',
    granularity: 'word',
    backend: 'exec',
    published: '0.863 @ 1,000 (14-word review)',
  },
  {
    name: 'review, 12 sentences',
    description: 'VADER compound sentiment (exec backend)',
    valueRange: { min: -1, max: 1 },
    text: [
      'We booked the lakeside room for our anniversary.',
      'Check-in was slow and the clerk seemed annoyed.',
      'The room itself was spotless and beautifully decorated.',
      'Sadly the air conditioning rattled all night.',
      'Breakfast was excellent, with fresh bread and great coffee.',
      'The pool was closed without any warning.',
      'Staff at the bar were wonderful and very funny.',
      'Parking cost far more than advertised.',
      'The view of the lake at sunset was stunning.',
      'Housekeeping never replaced the towels.',
      'Still, the spa treatment was the best I have ever had.',
      'Overall we would probably come back.',
    ].join(' '),
    granularity: 'sentence',
    backend: 'exec',
    published: '0.86–0.95 @ 1,000',
  },
];

const CACHE_DIRECTORY = path.join(REPO_ROOT, '.bench-cache', 'quality');

/**
 * The truth table of a workload: read from .bench-cache/ when an earlier run computed it for the
 * same text, backend and model, otherwise scored mask by mask through the backend (minutes for the
 * llama workloads) and stored with an atomic rename.
 */
export async function realFunction(workload: RealWorkload, log: (line: string) => void): Promise<RealFunction> {
  const { features } = segmentText(workload.text, { granularity: workload.granularity });
  const featureCount = features.length;
  if (featureCount > 16) throw new Error(`${workload.name}: ${featureCount} spans are too many for an exact truth table.`);
  const modelIdentity =
    workload.backend === 'llama' ? fileDigest(TINY_MODEL_PATH) : fileDigest(path.join(REPO_ROOT, 'bench', 'quality', 'vaderScorer.mjs'));
  const key = createHash('sha256')
    .update(JSON.stringify([workload.text, workload.granularity, workload.backend, modelIdentity]))
    .digest('hex')
    .slice(0, 16);
  const file = path.join(CACHE_DIRECTORY, `${key}.f64`);
  const result = (values: Float64Array): RealFunction => ({
    name: workload.name,
    description: workload.description,
    featureCount,
    values,
    published: workload.published,
  });
  if (existsSync(file)) {
    const bytes = readFileSync(file);
    if (bytes.byteLength === 8 * 2 ** featureCount)
      return result(new Float64Array(bytes.buffer, bytes.byteOffset, 2 ** featureCount).slice());
  }
  const options: SourceOptions = {
    backend: workload.backend,
    endpoints: [],
    value: 'auto',
    maxAnswerTokens: 12,
    concurrency: workload.backend === 'llama' ? 2 : 16,
    threads: 1,
    timeoutMs: 60_000,
    seed: 0,
    prompt: workload.text,
    ...(workload.backend === 'llama' ? { model: TINY_MODEL_PATH } : { exec: VADER_SCORER }),
  };
  const source = await createValueSource(options);
  const started = performance.now();
  try {
    const count = 2 ** featureCount;
    const scored = await runPool(count, workload.backend === 'llama' ? 8 : 64, async (index) => {
      const mask = exactMask(featureCount, index);
      const value = await source.score(applyMask(workload.text, features, mask, { kind: 'remove' }), mask);
      if ((index + 1) % 2048 === 0) log(`[quality] ${workload.name}: ${index + 1} of ${count} masks scored`);
      return value;
    });
    const values = Float64Array.from(scored);
    mkdirSync(CACHE_DIRECTORY, { recursive: true });
    writeFileSync(`${file}.tmp`, new Uint8Array(values.buffer));
    renameSync(`${file}.tmp`, file);
    log(`[quality] ${workload.name}: truth table of ${count} masks in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    return result(values);
  } finally {
    await source.close();
  }
}

function fileDigest(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
