import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompiledFourier, rSquared } from '../../../server/recovery/expansion';
import { uniformMask } from '../../../server/recovery/masks';
import { recoverProxySpex } from '../../../server/recovery/proxyspex/proxySpex';
import { seededRandom } from '../../../server/recovery/random';
import type { MaskEvaluator } from '../../../server/recovery/types';

const N = 60;
const WEIGHTS = Array.from({ length: N }, (_, i) => Math.cos(2 * i + 1));

/** Nearly additive over 60 spans (a faint saturation), like a sentiment score over sentences. */
function nearlyAdditive(mask: Uint8Array): number {
  const sum = mask.reduce((total, bit, i) => total + bit * (WEIGHTS[i] as number), 0);
  return sum + 0.3 * Math.tanh(sum / 4) ** 3;
}

describe('the additive model among ProxySPEX’s surrogates', () => {
  it('is kept where the value is nearly additive and noisy, where richer models fit the noise', async () => {
    const noise = seededRandom(12);
    // Noise as large as three spans' effects: what a richer model finds beyond the single spans is mostly noise.
    const evaluate: MaskEvaluator = (masks) =>
      Promise.resolve(Float64Array.from(masks, (mask) => nearlyAdditive(mask) + 3 * (noise() - 0.5)));
    const recovery = await recoverProxySpex(evaluate, {
      featureCount: N,
      budget: 300,
      maxOrder: 3,
      random: seededRandom(3),
      targetR2: 1,
      plateau: 0,
    });
    assert.equal(recovery.diagnostics.surrogate?.additive, 1, JSON.stringify(recovery.diagnostics.surrogate));
    // Beyond the single spans there is only the empty prompt's correction: a few hundred crumbs.
    const energy = (keep: (order: number) => boolean): number =>
      [...recovery.fourier].filter(([key]) => keep(key.length)).reduce((sum, [, value]) => sum + value * value, 0);
    assert.ok(energy((order) => order >= 2) < 1e-3 * energy((order) => order === 1), 'higher orders hold no real energy');
    const random = seededRandom(77);
    const fresh = Array.from({ length: 2000 }, () => uniformMask(N, random));
    const r2 = rSquared(Float64Array.from(fresh, nearlyAdditive), new CompiledFourier(recovery.fourier).evaluateMany(fresh));
    // The richer models kept before reached 0.942 here.
    assert.ok(r2 > 0.96, `R² ${r2} against the noiseless truth`);
  });
});
