import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { distinctUniformMasks } from '../../../server/recovery/masks';
import { seededRandom } from '../../../server/recovery/random';
import { surrogateOf } from '../../../server/recovery/surrogate';
import { recover } from '../../../server/recovery/recover';
import type { MaskEvaluator, Recovery } from '../../../server/recovery/types';
import { REPO_ROOT } from '../../../test/helpers/paths';
import { fitFirstOrder } from '../../firstOrder';
import { fitPublishedProxySpex } from '../publishedProxySpex';
import { accuracy, TRUTH_SET_VERSION, type Accuracy, type TruthSet } from './truthSets';
import { LONG_CACHE_DIRECTORY, maskHex, writeAtomically } from './valueStore';
import type { WorkloadFunction } from './workloadFunction';

/**
 * One workload, one budget, one seed, through the three contenders: ours (`recover`, algorithm
 * auto, as a user gets it), the published ProxySPEX pipeline re-implemented (on B and on 2B uniform
 * masks), and first-order least squares on exactly the masks ours asked for.
 */

export type PublishedGrid = 'shapiq' | 'quick';

export interface RunMetrics extends Accuracy {
  /** Distinct masks the algorithm had scored. */
  readonly masks: number;
  /** Masks the algorithm asked for again after they had been scored (0: the budget bought distinct masks). */
  readonly repeats: number;
  /** Process CPU time (user + system) of the fit alone, every value already cached. */
  readonly cpuMs: number;
  readonly wallMs: number;
}

export interface OursMetrics extends RunMetrics {
  readonly surrogate: string;
  readonly stoppedBecause: string;
  /** CPU milliseconds of each round's fit, in order (where the time goes). */
  readonly roundCpuMs: readonly number[];
  readonly supportSize: number;
}

export interface CaseResult {
  readonly budget: number;
  readonly seed: number;
  readonly ours: OursMetrics;
  readonly firstOrder: RunMetrics;
  /** Absent when the published pipeline was left out (`--no-published`). */
  readonly published?: RunMetrics;
  readonly publishedDouble?: RunMetrics;
}

const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

interface OursAttempt {
  readonly recovery: Recovery;
  readonly asked: Uint8Array[];
  readonly repeats: number;
  readonly cold: boolean;
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly roundCpuMs: number[];
}

async function oursAttempt(workload: WorkloadFunction, budget: number, seed: number): Promise<OursAttempt> {
  const requests = new Set<string>();
  const asked: Uint8Array[] = [];
  let repeats = 0;
  const roundCpuMs: number[] = [];
  let roundStart: NodeJS.CpuUsage | undefined;
  const evaluate: MaskEvaluator = async (masks) => {
    for (const mask of masks) {
      const key = maskHex(mask);
      if (requests.has(key)) repeats += 1;
      else requests.add(key);
      asked.push(mask);
    }
    const values = await workload.values(masks);
    roundStart = process.cpuUsage();
    return values;
  };
  const scoredBefore = workload.scoredThroughBackend;
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const recovery = await recover(evaluate, {
    featureCount: workload.featureCount,
    budget,
    seed,
    ...(workload.workload.valueRange ? { proxySpex: { valueRange: workload.workload.valueRange } } : {}),
    onProgress: () => {
      if (roundStart) roundCpuMs.push(cpuMsSince(roundStart));
    },
  });
  return {
    recovery,
    asked,
    repeats,
    cold: workload.scoredThroughBackend > scoredBefore,
    cpuMs: cpuMsSince(cpuStart),
    wallMs: performance.now() - wallStart,
    roundCpuMs,
  };
}

/**
 * Ours, timed on cached values: when a mask had to be scored first, the backend is stopped and the
 * (deterministic) recovery run again, so the CPU time is the fit's alone.
 */
async function runOurs(
  workload: WorkloadFunction,
  truth: TruthSet,
  budget: number,
  seed: number,
): Promise<{ metrics: OursMetrics; asked: Uint8Array[] }> {
  let attempt = await oursAttempt(workload, budget, seed);
  if (attempt.cold) {
    await workload.close();
    attempt = await oursAttempt(workload, budget, seed);
  }
  const { diagnostics } = attempt.recovery;
  const mix = diagnostics.surrogate;
  const surrogate = mix
    ? (
        [
          ['sparse', mix.sparse],
          ['dense', mix.dense],
          ['trees', mix.trees],
          ['additive', mix.additive ?? 0],
        ] as const
      )
        .filter(([, weight]) => weight > 0)
        .map(([kind, weight]) => (weight === 1 ? kind : `${weight.toFixed(2)} ${kind}`))
        .join(' + ')
    : diagnostics.algorithm;
  return {
    metrics: {
      // What a user's what-ifs get: the link-scale surrogate where the value is bounded.
      ...accuracy(truth, surrogateOf(attempt.recovery)),
      masks: diagnostics.masksQueried,
      repeats: attempt.repeats,
      cpuMs: attempt.cpuMs,
      wallMs: attempt.wallMs,
      surrogate: `${diagnostics.algorithm}: ${surrogate}`,
      stoppedBecause: diagnostics.stoppedBecause,
      roundCpuMs: attempt.roundCpuMs,
      supportSize: diagnostics.supportSize,
    },
    asked: attempt.asked,
  };
}

async function runFirstOrder(workload: WorkloadFunction, truth: TruthSet, asked: readonly Uint8Array[]): Promise<RunMetrics> {
  const values = await workload.values(asked);
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const fourier = fitFirstOrder(asked, values, workload.featureCount);
  return {
    ...accuracy(truth, fourier),
    masks: new Set(asked.map(maskHex)).size,
    repeats: 0,
    cpuMs: cpuMsSince(cpuStart),
    wallMs: performance.now() - wallStart,
  };
}

/**
 * The published pipeline's results do not change while ours is edited, so they are cached by what
 * decides them: the workload's values, the truth set, the masks (count and seed), the grid and the
 * code of the re-implementation. Edits to the shared boosted trees (server/recovery) are not part of
 * the key; `--refresh-published` recomputes.
 */
const PUBLISHED_CODE = ['bench/quality/publishedProxySpex.ts', 'bench/quality/symmetricEigen.ts'];
let publishedCodeDigest: string | undefined;

function publishedFile(workload: WorkloadFunction, masks: number, seed: number, grid: PublishedGrid): string {
  publishedCodeDigest ??= createHash('sha256')
    .update(PUBLISHED_CODE.map((file) => readFileSync(path.join(REPO_ROOT, file), 'utf8')).join('\0'))
    .digest('hex');
  const key = createHash('sha256')
    .update(JSON.stringify([workload.identity, TRUTH_SET_VERSION, masks, seed, grid, publishedCodeDigest]))
    .digest('hex')
    .slice(0, 20);
  return path.join(LONG_CACHE_DIRECTORY, 'published', `${workload.workload.name}-${masks}-${seed}-${grid}-${key}.json`);
}

export async function runPublished(
  workload: WorkloadFunction,
  truth: TruthSet,
  masksCount: number,
  seed: number,
  grid: PublishedGrid,
  refresh: boolean,
): Promise<RunMetrics> {
  const file = publishedFile(workload, masksCount, seed, grid);
  if (!refresh && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as RunMetrics;
  const masks = distinctUniformMasks(workload.featureCount, masksCount, seededRandom(seed));
  const values = await workload.values(masks);
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const fit = fitPublishedProxySpex(masks, values, workload.featureCount, { grid });
  const metrics: RunMetrics = {
    ...accuracy(truth, fit.fourier),
    masks: masks.length,
    repeats: 0,
    cpuMs: cpuMsSince(cpuStart),
    wallMs: performance.now() - wallStart,
  };
  writeAtomically(file, JSON.stringify(metrics));
  return metrics;
}

export interface CaseOptions {
  readonly grid: PublishedGrid;
  readonly published: boolean;
  readonly refreshPublished: boolean;
}

export async function runCase(
  workload: WorkloadFunction,
  truth: TruthSet,
  budget: number,
  seed: number,
  options: CaseOptions,
): Promise<CaseResult> {
  // The published masks first: a cold cache then scores them in large batches.
  const published = options.published
    ? await runPublished(workload, truth, budget, seed, options.grid, options.refreshPublished)
    : undefined;
  const publishedDouble = options.published
    ? await runPublished(workload, truth, 2 * budget, seed, options.grid, options.refreshPublished)
    : undefined;
  const { metrics: ours, asked } = await runOurs(workload, truth, budget, seed);
  const firstOrder = await runFirstOrder(workload, truth, asked);
  return { budget, seed, ours, firstOrder, ...(published ? { published } : {}), ...(publishedDouble ? { publishedDouble } : {}) };
}
