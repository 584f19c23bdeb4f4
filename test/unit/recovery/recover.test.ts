import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyOf } from '../../../server/recovery/interactionKey';
import { planRecovery } from '../../../server/recovery/plan';
import { seededRandom } from '../../../server/recovery/random';
import { recover } from '../../../server/recovery/recover';
import { recoverSpex } from '../../../server/recovery/spex/spex';
import type { Spectrum } from '../../../server/recovery/spectrum';
import { RecoveryError, type MaskEvaluator } from '../../../server/recovery/types';
import { countingEvaluator, plantedSpectrum, supportRecall, truthR2 } from '../../helpers/plantedFunctions';

/** Budgets at which SPEX decodes every planted term, hierarchy or not (documented in README, Performance). */
const SPEX_CASES = [
  { featureCount: 32, terms: 20, t: 4, budget: 5500, hierarchy: 'chain' },
  { featureCount: 64, terms: 32, t: 4, budget: 6000, hierarchy: 'none' },
  { featureCount: 128, terms: 32, t: 4, budget: 7000, hierarchy: 'chain' },
  { featureCount: 512, terms: 32, t: 4, budget: 8500, hierarchy: 'none' },
] as const;

describe('SPEX', () => {
  for (const { featureCount, terms, t, budget, hierarchy } of SPEX_CASES) {
    it(`decodes all ${terms} planted terms (degree ≤ ${t}, hierarchy: ${hierarchy}) at n = ${featureCount} within ${budget} calls`, async () => {
      const truth = plantedSpectrum({ featureCount, terms, maxDegree: t, random: seededRandom(featureCount), hierarchy });
      const { evaluate, calls } = countingEvaluator(truth, featureCount);
      const plan = planRecovery({ featureCount, budget, maxOrder: t, algorithm: 'spex' });
      const result = await recoverSpex(evaluate, { featureCount, budget, maxOrder: t, random: seededRandom(7) });
      assert.equal(supportRecall(truth, result.fourier), 1);
      assert.equal(result.fourier.size, truth.size, 'no spurious terms');
      assert.ok(truthR2(truth, result.fourier, featureCount, 99) > 0.9999);
      assert.ok((result.diagnostics.heldOutR2 ?? 0) > 0.9999);
      assert.ok(calls() <= plan.masks, `planned ${plan.masks}, used ${calls()}`);
      assert.ok(calls() <= budget);
    });
  }

  it('keeps R² ≥ 0.95 with noise (σ = 0.05) at n = 128', async () => {
    const featureCount = 128;
    const truth = plantedSpectrum({ featureCount, terms: 32, maxDegree: 4, random: seededRandom(3) });
    const { evaluate } = countingEvaluator(truth, 3, 0.05);
    const result = await recoverSpex(evaluate, { featureCount, budget: 7000, maxOrder: 4, random: seededRandom(4) });
    assert.ok(truthR2(truth, result.fourier, featureCount, 99) >= 0.95);
    assert.ok(supportRecall(truth, result.fourier) >= 0.9);
  });

  it('rejects a budget below its smallest design, naming the minimum', async () => {
    const evaluate: MaskEvaluator = (masks) => Promise.resolve(new Float64Array(masks.length));
    await assert.rejects(
      recoverSpex(evaluate, { featureCount: 100, budget: 200, random: seededRandom(1) }),
      /SPEX needs at least about \d+ model calls for 100 features; the budget is 200/u,
    );
  });
});

describe('planRecovery', () => {
  it('picks exact when every mask fits the budget, and says so', () => {
    const plan = planRecovery({ featureCount: 10, budget: 1024, maxOrder: 5, algorithm: 'auto' });
    assert.equal(plan.algorithm, 'exact');
    assert.equal(plan.masks, 1024);
    assert.match(plan.reason, /all 2\^10 = 1024 masks fit in the budget of 1024/u);
  });

  it('picks ProxySPEX when exact does not fit and SPEX cannot resolve many terms', () => {
    const plan = planRecovery({ featureCount: 11, budget: 1000, maxOrder: 5, algorithm: 'auto' });
    assert.equal(plan.algorithm, 'proxyspex');
    assert.equal(plan.masks, 1000);
    assert.equal(plan.batches, 4);
    assert.match(plan.reason, /2\^11 masks exceed the budget of 1000/u);
  });

  it('picks SPEX when the budget affords 2^8 bins per group', () => {
    const plan = planRecovery({ featureCount: 64, budget: 30_000, maxOrder: 5, algorithm: 'auto' });
    assert.equal(plan.algorithm, 'spex');
    assert.equal(plan.spexBins, 8);
    assert.ok(plan.masks <= 30_000);
  });

  it('lowers SPEX’s degree when the budget is small, and says so', () => {
    const plan = planRecovery({ featureCount: 64, budget: 800, maxOrder: 5, algorithm: 'spex' });
    assert.ok(plan.maxOrder < 5);
    assert.match(plan.reason, /affords degree \d, not 5/u);
  });

  it('rejects impossible requests with clear messages', () => {
    assert.throws(() => planRecovery({ featureCount: 0, budget: 100, maxOrder: 5, algorithm: 'auto' }), /at least one feature/u);
    assert.throws(() => planRecovery({ featureCount: 5000, budget: 100, maxOrder: 5, algorithm: 'auto' }), /At most 4,096 features/u);
    assert.throws(() => planRecovery({ featureCount: 20, budget: 0, maxOrder: 5, algorithm: 'auto' }), /positive whole number/u);
    assert.throws(
      () => planRecovery({ featureCount: 20, budget: 10, maxOrder: 5, algorithm: 'auto' }),
      /too small; ProxySPEX needs at least 16/u,
    );
    assert.throws(
      () => planRecovery({ featureCount: 12, budget: 1000, maxOrder: 5, algorithm: 'exact' }),
      /all 4096 masks, more than the budget of 1000/u,
    );
    assert.throws(
      () => planRecovery({ featureCount: 20, budget: 10 ** 7, maxOrder: 5, algorithm: 'exact' }),
      /at most 16 features; there are 20/u,
    );
    assert.throws(
      () => planRecovery({ featureCount: 20, budget: 1000, maxOrder: 9, algorithm: 'auto' }),
      /maxOrder must be a whole number from 1 to 8/u,
    );
    assert.throws(() => planRecovery({ featureCount: 300, budget: 300, maxOrder: 5, algorithm: 'spex' }), /SPEX needs at least about/u);
  });
});

describe('recover', () => {
  it('runs the planned algorithm and reports the plan and diagnostics', async () => {
    const truth = plantedSpectrum({ featureCount: 8, terms: 10, maxDegree: 3, random: seededRandom(1) });
    const { evaluate, calls } = countingEvaluator(truth, 1);
    const result = await recover(evaluate, { featureCount: 8, budget: 500 });
    assert.equal(result.plan.algorithm, 'exact');
    assert.equal(result.diagnostics.algorithm, 'exact');
    assert.equal(calls(), 256);
    for (const [key, value] of truth) assert.ok(Math.abs((result.fourier.get(key) ?? 0) - value) < 1e-9);
    assert.equal(result.diagnostics.heldOutR2, null);
  });

  it('reproduces a run exactly from its seed', async () => {
    const truth = plantedSpectrum({ featureCount: 40, terms: 12, maxDegree: 3, random: seededRandom(2) });
    const run = async (): Promise<Spectrum> =>
      (await recover(countingEvaluator(truth, 2, 0.05).evaluate, { featureCount: 40, budget: 600, seed: 5 })).fourier;
    assert.deepEqual([...(await run())], [...(await run())]);
  });

  it('streams partial results from ProxySPEX rounds', async () => {
    const truth = plantedSpectrum({ featureCount: 50, terms: 16, maxDegree: 3, random: seededRandom(3) });
    const seen: number[] = [];
    await recover(countingEvaluator(truth, 3).evaluate, {
      featureCount: 50,
      budget: 2000,
      onProgress: (progress) => seen.push(progress.masksQueried),
    });
    assert.ok(seen.length >= 2);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
    );
  });

  it('passes a first-order truth through every algorithm with the same signs', async () => {
    // f = 2·m_0 − m_3 (kept = 1): Fourier F({0}) = −1, F({3}) = +½.
    const evaluate: MaskEvaluator = (masks) => Promise.resolve(Float64Array.from(masks, (mask) => 2 * (mask[0] ?? 0) - (mask[3] ?? 0)));
    for (const algorithm of ['exact', 'proxyspex', 'spex'] as const) {
      const featureCount = 12;
      const budget = { exact: 4096, proxyspex: 2000, spex: 3000 }[algorithm];
      const result = await recover(evaluate, { featureCount, budget, algorithm, maxOrder: 3 });
      assert.equal(result.diagnostics.algorithm, algorithm);
      assert.ok(Math.abs((result.fourier.get(keyOf([0])) ?? 0) + 1) < 1e-6, `${algorithm}: F({0})`);
      assert.ok(Math.abs((result.fourier.get(keyOf([3])) ?? 0) - 0.5) < 1e-6, `${algorithm}: F({3})`);
    }
  });

  it('rejects a non-finite value and names its mask', async () => {
    const evaluate: MaskEvaluator = (masks) => Promise.resolve(Float64Array.from(masks, (_, i) => (i === 5 ? Number.NaN : 0)));
    await assert.rejects(
      recover(evaluate, { featureCount: 4, budget: 100 }),
      (error: unknown) => error instanceof RecoveryError && /returned NaN for mask 5/u.test(error.message),
    );
  });
});
