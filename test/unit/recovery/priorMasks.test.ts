import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompiledFourier, rSquared } from '../../../server/recovery/expansion';
import { maskKey, uniformMask } from '../../../server/recovery/masks';
import { recoverProxySpex } from '../../../server/recovery/proxyspex/proxySpex';
import { seededRandom } from '../../../server/recovery/random';
import type { MaskEvaluator } from '../../../server/recovery/types';

const N = 20;

/** Span 3 raises the value; spans 7 and 8 only together. */
function planted(mask: Uint8Array): number {
  return 1.5 * (mask[3] as number) + 2 * (mask[7] as number) * (mask[8] as number);
}

describe('ProxySPEX with the masks of an earlier run', () => {
  it('takes them into its first round within the budget, once each, and asks for nothing twice', async () => {
    const random = seededRandom(4);
    const priors = Array.from({ length: 40 }, () => uniformMask(N, random));
    priors.push(priors[0] as Uint8Array);
    const batches: Uint8Array[][] = [];
    const evaluate: MaskEvaluator = (masks) => {
      batches.push([...masks]);
      return Promise.resolve(Float64Array.from(masks, planted));
    };
    const recovery = await recoverProxySpex(evaluate, {
      featureCount: N,
      budget: 200,
      maxOrder: 3,
      random: seededRandom(9),
      // One round: the whole budget is drawn at once, so the count below does not depend on when sampling stops.
      maxRounds: 1,
      priorMasks: priors,
    });
    const first = new Set((batches[0] ?? []).map(maskKey));
    for (const prior of priors) assert.ok(first.has(maskKey(prior)), 'every prior is in the first round');
    const asked = batches.flat().map(maskKey);
    assert.equal(new Set(asked).size, asked.length, 'no mask asked for twice');
    assert.equal(asked.length, 200, 'the priors are masks of the budget (up to half of it): each one is a fresh draw saved');
    const check = seededRandom(77);
    const fresh = Array.from({ length: 500 }, () => uniformMask(N, check));
    const r2 = rSquared(Float64Array.from(fresh, planted), new CompiledFourier(recovery.fourier).evaluateMany(fresh));
    assert.ok(r2 > 0.99, `R² ${r2} on fresh masks`);
  });

  it('still draws half the budget fresh when the priors would fill it, since they cannot split what they lift', async () => {
    const random = seededRandom(5);
    const priors = Array.from({ length: 300 }, () => uniformMask(N, random));
    const fresh = new Set<string>();
    const priorKeys = new Set(priors.map(maskKey));
    const evaluate: MaskEvaluator = (masks) => {
      for (const mask of masks) if (!priorKeys.has(maskKey(mask))) fresh.add(maskKey(mask));
      return Promise.resolve(Float64Array.from(masks, planted));
    };
    await recoverProxySpex(evaluate, { featureCount: N, budget: 200, maxRounds: 1, random: seededRandom(9), priorMasks: priors });
    // Half the budget, 100 masks (the two anchors among them), is drawn fresh, on top of the 300 priors.
    assert.equal(fresh.size, 100);
  });

  it('refuses priors of the wrong length or with values other than 0 and 1', async () => {
    const evaluate: MaskEvaluator = (masks) => Promise.resolve(Float64Array.from(masks, planted));
    await assert.rejects(
      recoverProxySpex(evaluate, { featureCount: N, budget: 100, random: seededRandom(1), priorMasks: [new Uint8Array(N - 1)] }),
      /Mask 0 has 19 entries; expected 20/u,
    );
    await assert.rejects(
      recoverProxySpex(evaluate, { featureCount: N, budget: 100, random: seededRandom(1), priorMasks: [new Uint8Array(N).fill(2)] }),
      /masks are 0\/1/u,
    );
  });
});
