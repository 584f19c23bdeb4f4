import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompiledFourier, rSquared } from '../../../server/recovery/expansion';
import { distinctMostlyKeptMasks } from '../../../server/recovery/masks';
import { recoverProxySpex } from '../../../server/recovery/proxyspex/proxySpex';
import { seededRandom } from '../../../server/recovery/random';
import type { MaskEvaluator } from '../../../server/recovery/types';

const N = 24;
const WEIGHTS = Array.from({ length: N }, (_, i) => 1 + 0.5 * Math.sin(3 * i + 1));
const TOTAL = WEIGHTS.reduce((sum, weight) => sum + weight, 0);

/**
 * A value that is flat on masks keeping about half the spans and bends only near the full prompt,
 * as a log-probability does when the answer needs nearly all of its context: a softplus of the kept
 * weight's share. Uniform masks alone leave that bend to extrapolation.
 */
function bendsNearFull(mask: Uint8Array): number {
  let kept = 0;
  for (let i = 0; i < N; i += 1) kept += (WEIGHTS[i] as number) * (mask[i] as number);
  return Math.log1p(Math.exp(12 * (kept / TOTAL - 0.8)));
}

describe('masks near the full prompt', () => {
  it('are a share of what ProxySPEX scores, and make the what-ifs users try (removing a span or two) far better predicted', async () => {
    const whatIfs = distinctMostlyKeptMasks(N, 600, seededRandom(99), new Set(), 0.85, 0.95);
    const truth = Float64Array.from(whatIfs, bendsNearFull);
    const run = async (mostlyKeptShare: number): Promise<{ r2: number; nearFull: number }> => {
      let nearFull = 0;
      const evaluate: MaskEvaluator = (masks) => {
        for (const mask of masks) if (mask.reduce((sum, bit) => sum + bit, 0) >= 0.8 * N) nearFull += 1;
        return Promise.resolve(Float64Array.from(masks, bendsNearFull));
      };
      const recovery = await recoverProxySpex(evaluate, {
        featureCount: N,
        budget: 400,
        maxOrder: 3,
        random: seededRandom(5),
        mostlyKeptShare,
        targetR2: 1,
        plateau: 0,
      });
      return { r2: rSquared(truth, new CompiledFourier(recovery.fourier).evaluateMany(whatIfs)), nearFull };
    };
    const uniform = await run(0);
    const mixed = await run(0.15);
    // Uniform masks keep ≥ 80 % of 24 spans about once in 400 draws; a share of 0.15 is about 60.
    assert.ok(uniform.nearFull <= 5, `${uniform.nearFull} near-full masks without the share`);
    assert.ok(mixed.nearFull >= 45, `${mixed.nearFull} near-full masks with the share`);
    assert.ok(mixed.r2 > uniform.r2 + 0.1, `what-if R² ${mixed.r2.toFixed(3)} with the share, ${uniform.r2.toFixed(3)} without`);
  });

  it('is refused outside [0, 0.5] with a clear message', async () => {
    await assert.rejects(
      recoverProxySpex(() => Promise.resolve(new Float64Array()), {
        featureCount: N,
        budget: 100,
        random: seededRandom(1),
        mostlyKeptShare: 0.7,
      }),
      /mostlyKeptShare must be in \[0, 0\.5\]; got 0\.7/u,
    );
  });
});
