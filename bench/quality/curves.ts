import { exactMask } from '../../server/recovery/exact';
import { CompiledFourier, rSquared } from '../../server/recovery/expansion';
import { distinctUniformMasks } from '../../server/recovery/masks';
import { seededRandom } from '../../server/recovery/random';
import { surrogateOf, type Surrogate } from '../../server/recovery/surrogate';
import type { ValueRange } from '../../server/recovery/types';
import { recover } from '../../server/recovery/recover';
import type { Spectrum } from '../../server/recovery/spectrum';
import type { MaskEvaluator } from '../../server/recovery/types';
import { fitFirstOrder } from '../firstOrder';
import { fitPublishedProxySpex } from './publishedProxySpex';
import type { RealFunction } from './realFunctions';

/**
 * Calls-to-R² curves on functions with exact truth: each algorithm is given budgets from 100 to
 * 2,000 calls, and its expansion is compared with the true value on all 2^n masks (uniform R²) and
 * on the masks that keep at least 80 % of the spans (the what-ifs users try: remove one or two spans).
 */
export const QUALITY_BUDGETS = [100, 250, 500, 1000, 2000] as const;
export const QUALITY_THRESHOLDS = [0.9, 0.95] as const;

/**
 * ours: `recover` with the defaults a user gets (`--algorithm auto`, anytime rounds);
 * published: the published ProxySPEX pipeline re-implemented (publishedProxySpex.ts) on uniform masks;
 * first-order: least squares on ∅ and the n singletons over exactly the masks ours scored.
 */
export type QualityAlgorithm = 'ours' | 'published' | 'first-order';

export interface CurvePoint {
  readonly budget: number;
  /** Model calls actually made (ours stops early once fresh masks are predicted). */
  readonly calls: number;
  readonly uniformR2: number;
  readonly mostlyKeptR2: number;
  /** The algorithm's own time, model calls excluded. */
  readonly computeMs: number;
}

/** Scores every mask of the truth table on an expansion: exact R² over all 2^n and over the mostly-kept masks. */
export class TruthScorer {
  private readonly masks: Uint8Array[];
  private readonly mostlyKept: Int32Array;
  private readonly truthMostlyKept: Float64Array;

  constructor(readonly truth: RealFunction) {
    const n = truth.featureCount;
    this.masks = Array.from({ length: 2 ** n }, (_, index) => exactMask(n, index));
    const keepAtLeast = Math.ceil(0.8 * n);
    const rows: number[] = [];
    this.masks.forEach((mask, index) => {
      if (mask.reduce((sum, bit) => sum + bit, 0) >= keepAtLeast) rows.push(index);
    });
    this.mostlyKept = Int32Array.from(rows);
    this.truthMostlyKept = Float64Array.from(rows, (row) => truth.values[row] as number);
  }

  /** The truth as a model: masks are looked up in the table (all were scored through the real backend). */
  evaluate: MaskEvaluator = (masks) =>
    Promise.resolve(
      Float64Array.from(masks, (mask) => this.truth.values[mask.reduce((index, bit, i) => index + bit * 2 ** i, 0)] as number),
    );

  /** R² of an expansion, or of a recovery's surrogate (its link-scale one where it has one), on all masks. */
  score(surrogate: Spectrum | Surrogate): { uniformR2: number; mostlyKeptR2: number } {
    const predicted = (surrogate instanceof Map ? new CompiledFourier(surrogate) : surrogate).evaluateMany(this.masks);
    return {
      uniformR2: rSquared(this.truth.values, predicted),
      mostlyKeptR2: rSquared(
        this.truthMostlyKept,
        Float64Array.from(this.mostlyKept, (row) => predicted[row] as number),
      ),
    };
  }
}

/**
 * The curves of all three algorithms on one function for one seed. First-order is fit on the very
 * masks ours asked for at each budget, so "never below first-order regression on the same masks" is
 * checked literally.
 */
export async function curves(
  scorer: TruthScorer,
  seed: number,
  budgets: readonly number[],
  publishedGrid: 'shapiq' | 'quick',
  valueRange?: ValueRange,
): Promise<Record<QualityAlgorithm, CurvePoint[]>> {
  const n = scorer.truth.featureCount;
  const result: Record<QualityAlgorithm, CurvePoint[]> = { ours: [], published: [], 'first-order': [] };
  for (const budget of budgets) {
    if (budget >= 2 ** n) continue;
    const asked: Uint8Array[] = [];
    const recording: MaskEvaluator = (masks) => {
      asked.push(...masks);
      return scorer.evaluate(masks);
    };
    const recovery = await recover(recording, { featureCount: n, budget, seed, ...(valueRange ? { proxySpex: { valueRange } } : {}) });
    result.ours.push({
      budget,
      calls: recovery.diagnostics.masksQueried,
      computeMs: recovery.diagnostics.computeMs,
      ...scorer.score(surrogateOf(recovery)),
    });
    const firstOrderStarted = performance.now();
    const firstOrder = fitFirstOrder(asked, await scorer.evaluate(asked), n);
    result['first-order'].push({
      budget,
      calls: asked.length,
      computeMs: performance.now() - firstOrderStarted,
      ...scorer.score(firstOrder),
    });
    const masks = distinctUniformMasks(n, budget, seededRandom(seed));
    const published = fitPublishedProxySpex(masks, await scorer.evaluate(masks), n, { grid: publishedGrid });
    result.published.push({ budget, calls: masks.length, computeMs: published.computeMs, ...scorer.score(published.fourier) });
  }
  return result;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The median of each budget's figures over seeds, and the lowest uniform R² any seed had. */
export function summarise(runs: readonly (readonly CurvePoint[])[]): (CurvePoint & { readonly worstUniformR2: number })[] {
  const first = runs[0] ?? [];
  return first.map((point, index) => {
    const at = (pick: (p: CurvePoint) => number): number[] => runs.map((run) => (run[index] ? pick(run[index]) : Number.NaN));
    return {
      budget: point.budget,
      calls: median(at((p) => p.calls)),
      uniformR2: median(at((p) => p.uniformR2)),
      mostlyKeptR2: median(at((p) => p.mostlyKeptR2)),
      computeMs: median(at((p) => p.computeMs)),
      worstUniformR2: Math.min(...at((p) => p.uniformR2)),
    };
  });
}

/** The fewest calls (among the budgets) at which the curve reaches the threshold, or undefined. */
export function callsToReach(points: readonly CurvePoint[], threshold: number): number | undefined {
  return points.find((point) => point.uniformR2 >= threshold)?.calls;
}
