import { CompiledFourier, rSquared } from '../../../server/recovery/expansion';
import { distinctUniformMasks, fullMask } from '../../../server/recovery/masks';
import { seededRandom, type RandomSource } from '../../../server/recovery/random';
import type { Spectrum } from '../../../server/recovery/spectrum';
import type { Surrogate } from '../../../server/recovery/surrogate';
import type { WorkloadFunction } from './workloadFunction';

/**
 * The masks every recovery of a long workload is judged on, drawn once per workload with seeds of
 * their own: 2,000 distinct uniform masks (each span kept with probability ½, the distribution under
 * which the Fourier basis is orthonormal), 1,000 "mostly-kept" masks (each span kept with
 * probability 0.9: the what-ifs a user toggles in the panel, one or a few spans removed), and the
 * full and the empty prompt, which a surrogate must reproduce. All are scored through the product's
 * backend like any other mask (and cached).
 *
 * Training draws use seededRandom(seed) with small seeds (0, 1, 2, …). mulberry32 streams are one
 * sequence entered at different points, and the test seeds below enter it at least 50 million draws
 * away from the entry of every seed 0–63, far more than any run draws, so no test mask is a
 * training draw.
 */
export const UNIFORM_TEST_MASKS = 2000;
export const MOSTLY_KEPT_TEST_MASKS = 1000;
export const MOSTLY_KEPT_PROBABILITY = 0.9;
const UNIFORM_TEST_SEED = 0x7e57_0001;
const MOSTLY_KEPT_TEST_SEED = 0x7e57_0002;
/** Part of the published results' cache key: change it when the test sets change. */
export const TRUTH_SET_VERSION = `uniform ${UNIFORM_TEST_MASKS}@${UNIFORM_TEST_SEED}; kept ${MOSTLY_KEPT_TEST_MASKS}×${MOSTLY_KEPT_PROBABILITY}@${MOSTLY_KEPT_TEST_SEED}; full; empty`;

export interface TruthSet {
  readonly uniform: readonly Uint8Array[];
  readonly uniformValues: Float64Array;
  /** Independent draws (a mask may recur: they stand for the distribution, not for distinct what-ifs). */
  readonly mostlyKept: readonly Uint8Array[];
  readonly mostlyKeptValues: Float64Array;
  readonly full: number;
  readonly empty: number;
}

/** How well a surrogate predicts the truth set. */
export interface Accuracy {
  readonly uniformR2: number;
  readonly mostlyKeptR2: number;
  /** Predicted minus scored value of the full prompt. */
  readonly fullError: number;
  /** Predicted minus scored value of the empty prompt (every span removed, pins kept). */
  readonly emptyError: number;
}

function biasedMask(featureCount: number, keep: number, random: RandomSource): Uint8Array {
  const mask = new Uint8Array(featureCount);
  for (let i = 0; i < featureCount; i += 1) mask[i] = random() < keep ? 1 : 0;
  return mask;
}

export async function truthSet(workload: WorkloadFunction): Promise<TruthSet> {
  const n = workload.featureCount;
  const uniform = distinctUniformMasks(n, UNIFORM_TEST_MASKS, seededRandom(UNIFORM_TEST_SEED));
  const keptRandom = seededRandom(MOSTLY_KEPT_TEST_SEED);
  const mostlyKept = Array.from({ length: MOSTLY_KEPT_TEST_MASKS }, () => biasedMask(n, MOSTLY_KEPT_PROBABILITY, keptRandom));
  // One request for all, so a cold cache scores them in one queue (the llama backend orders it by prefix).
  const values = await workload.values([fullMask(n), new Uint8Array(n), ...uniform, ...mostlyKept]);
  return {
    uniform,
    uniformValues: values.slice(2, 2 + uniform.length),
    mostlyKept,
    mostlyKeptValues: values.slice(2 + uniform.length),
    full: values[0] as number,
    empty: values[1] as number,
  };
}

/** How well a surrogate (an expansion, or a recovery's link-scale surrogate: see surrogateOf) predicts the truth set. */
export function accuracy(truth: TruthSet, surrogate: Spectrum | Surrogate): Accuracy {
  const compiled = surrogate instanceof Map ? new CompiledFourier(surrogate) : surrogate;
  const n = truth.uniform[0]?.length ?? 0;
  const anchors = compiled.evaluateMany([fullMask(n), new Uint8Array(n)]);
  return {
    uniformR2: rSquared(truth.uniformValues, compiled.evaluateMany(truth.uniform)),
    mostlyKeptR2: rSquared(truth.mostlyKeptValues, compiled.evaluateMany(truth.mostlyKept)),
    fullError: (anchors[0] as number) - truth.full,
    emptyError: (anchors[1] as number) - truth.empty,
  };
}
