import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exactMask } from '../../../server/recovery/exact';
import { CompiledFourier, rSquared } from '../../../server/recovery/expansion';
import { keyOf } from '../../../server/recovery/interactionKey';
import { uniformMask } from '../../../server/recovery/masks';
import { fitFromSamples, proxySpexRounds, recoverProxySpex } from '../../../server/recovery/proxyspex/proxySpex';
import { seededRandom } from '../../../server/recovery/random';
import type { Spectrum } from '../../../server/recovery/spectrum';
import { RecoveryError, type MaskEvaluator } from '../../../server/recovery/types';
import { countingEvaluator, plantedSpectrum, plantedValues, supportRecall, truthR2 } from '../../helpers/plantedFunctions';
import { fitFirstOrder } from '../../../bench/firstOrder';

/**
 * A value function shaped like a sentiment score: a saturating normalisation x/√(x² + 15) of a
 * weighted sum of kept words, with a "but" that halves what comes before it and raises what follows,
 * and a negation that flips the sum when two words are kept together. Low-degree but not sparse: its
 * Fourier energy is spread over hundreds of coefficients, as real value functions' is.
 */
const SENTIMENT_WEIGHTS = [1.8, -1.2, 0, 2.4, 0.3, 0, -0.9, 1.1, 0, 0, 1.6, -0.4, 0, 0.7];
function sentimentLike(mask: Uint8Array): number {
  const but = 5;
  let sum = 0;
  SENTIMENT_WEIGHTS.forEach((weight, i) => {
    if (mask[i] === 1) sum += weight * (mask[but] === 1 ? (i < but ? 0.5 : 1.5) : 1);
  });
  if (mask[2] === 1 && mask[3] === 1) sum = -0.74 * sum;
  return sum / Math.sqrt(sum * sum + 15);
}

/** Budgets at which ProxySPEX finds every planted term (documented in README, Performance). */
const PLANTED_CASES = [
  { featureCount: 32, terms: 20, budget: 500, seed: 1 },
  { featureCount: 64, terms: 24, budget: 1000, seed: 2 },
  { featureCount: 64, terms: 32, budget: 1500, seed: 3 },
  { featureCount: 128, terms: 32, budget: 1500, seed: 4 },
] as const;

describe('ProxySPEX', () => {
  for (const { featureCount, terms, budget, seed } of PLANTED_CASES) {
    it(`finds all ${terms} planted terms (degree ≤ 4, hierarchy) at n = ${featureCount} within ${budget} calls`, async () => {
      const truth = plantedSpectrum({ featureCount, terms, maxDegree: 4, random: seededRandom(seed) });
      const { evaluate, calls } = countingEvaluator(truth, seed);
      const result = await recoverProxySpex(evaluate, { featureCount, budget, random: seededRandom(seed + 1000) });
      assert.equal(supportRecall(truth, result.fourier), 1);
      for (const [key, value] of truth)
        assert.ok(
          Math.abs((result.fourier.get(key) ?? 0) - value) < 1e-6,
          `coefficient of ${JSON.stringify([...key].map((c) => c.charCodeAt(0)))}`,
        );
      assert.ok(truthR2(truth, result.fourier, featureCount, seed) >= 0.999);
      assert.ok((result.diagnostics.heldOutR2 ?? 0) >= 0.95);
      assert.ok(calls() <= budget);
      assert.equal(result.diagnostics.masksQueried, calls());
    });
  }

  it('finds terms whose footprint is only their single features, with the tree proxy', async () => {
    const featureCount = 64;
    const truth = plantedSpectrum({ featureCount, terms: 24, maxDegree: 4, random: seededRandom(32), hierarchy: 'singletons' });
    const { evaluate } = countingEvaluator(truth, 32);
    const result = await recoverProxySpex(evaluate, { featureCount, budget: 1500, random: seededRandom(7) });
    assert.equal(supportRecall(truth, result.fourier), 1);
  });

  it('finds all 32 planted terms (degree ≤ 4, hierarchy) at n = 256 within 4,000 calls', async () => {
    const featureCount = 256;
    const truth = plantedSpectrum({ featureCount, terms: 32, maxDegree: 4, random: seededRandom(21) });
    const { evaluate, calls } = countingEvaluator(truth, 21);
    const result = await recoverProxySpex(evaluate, { featureCount, budget: 4000, random: seededRandom(22) });
    assert.equal(supportRecall(truth, result.fourier), 1);
    assert.ok(truthR2(truth, result.fourier, featureCount, 21) >= 0.999);
    assert.ok(calls() <= 4000);
  });

  it('fits a saturating, non-sparse function of 14 spans from 500 calls far better than first-order regression on the same masks', async () => {
    const featureCount = SENTIMENT_WEIGHTS.length;
    const asked: Uint8Array[] = [];
    const evaluate: MaskEvaluator = (masks) => {
      asked.push(...masks);
      return Promise.resolve(Float64Array.from(masks, sentimentLike));
    };
    const result = await recoverProxySpex(evaluate, { featureCount, budget: 500, random: seededRandom(1) });
    const all = Array.from({ length: 2 ** featureCount }, (_, index) => exactMask(featureCount, index));
    const truth = Float64Array.from(all, sentimentLike);
    const ours = rSquared(truth, new CompiledFourier(result.fourier).evaluateMany(all));
    const firstOrder = rSquared(
      truth,
      new CompiledFourier(fitFirstOrder(asked, Float64Array.from(asked, sentimentLike), featureCount)).evaluateMany(all),
    );
    assert.ok(ours >= 0.97, `R² ${ours.toFixed(3)} on all 2^14 masks`);
    assert.ok(ours > firstOrder + 0.3, `ours ${ours.toFixed(3)}, first-order ${firstOrder.toFixed(3)}`);
    // The reported held-out R² is an honest estimate of the R² on every mask.
    assert.ok(Math.abs((result.diagnostics.heldOutR2 ?? 0) - ours) < 0.05);
    // The surrogate blends the dense ridge model and the averaged trees; it is not a sparse pick.
    assert.ok((result.diagnostics.surrogate?.sparse ?? 1) < 1);
  });

  it('reaches R² ≥ 0.95 on a noisy planted function (σ = 0.1) at n = 128 within 2,500 calls', async () => {
    const featureCount = 128;
    const truth = plantedSpectrum({ featureCount, terms: 32, maxDegree: 4, random: seededRandom(5) });
    const { evaluate } = countingEvaluator(truth, 5, 0.1);
    const result = await recoverProxySpex(evaluate, { featureCount, budget: 2500, random: seededRandom(6) });
    assert.ok(truthR2(truth, result.fourier, featureCount, 5) >= 0.95);
    assert.ok(supportRecall(truth, result.fourier) >= 0.95);
  });

  it('stops sampling early once fresh masks are predicted, and says why', async () => {
    const featureCount = 64;
    const truth = plantedSpectrum({ featureCount, terms: 12, maxDegree: 3, random: seededRandom(8) });
    const { evaluate, calls } = countingEvaluator(truth, 8);
    const result = await recoverProxySpex(evaluate, { featureCount, budget: 4000, random: seededRandom(9) });
    assert.ok(calls() < 4000, `used ${calls()} calls`);
    assert.match(result.diagnostics.stoppedBecause, /predicted \d+ fresh masks with R² 1\.0000/u);
    assert.deepEqual(
      result.diagnostics.rounds.map((round) => round.masks),
      proxySpexRounds(4000, 4).slice(0, result.diagnostics.rounds.length),
    );
    assert.equal(supportRecall(truth, result.fourier), 1);
  });

  it('scores the full and the empty prompt first, spends the budget on distinct masks, never repeats one, and meets both anchors’ values', async () => {
    const featureCount = 40;
    const seen = new Set<string>();
    const asked: string[] = [];
    // A function no sparse expansion fits exactly, with noise: its surrogate misses most masks a little.
    const noise = seededRandom(3);
    const value = (mask: Uint8Array): number =>
      Math.tanh(mask.reduce((sum, bit, i) => sum + bit * Math.sin(i + 1), 0) / 3) + 0.05 * (noise() - 0.5);
    const scored = new Map<string, number>();
    const evaluate: MaskEvaluator = (masks) => {
      for (const mask of masks) {
        const key = mask.join('');
        assert.ok(!seen.has(key), 'a mask was asked twice');
        seen.add(key);
        asked.push(key);
      }
      return Promise.resolve(
        Float64Array.from(masks, (mask) => {
          const result = value(mask);
          scored.set(mask.join(''), result);
          return result;
        }),
      );
    };
    const recovery = await recoverProxySpex(evaluate, { featureCount, budget: 300, random: seededRandom(1), targetR2: 1, plateau: 0 });
    const full = '1'.repeat(featureCount);
    const empty = '0'.repeat(featureCount);
    assert.deepEqual(asked.slice(0, 2), [full, empty]);
    assert.equal(seen.size, 300);
    assert.equal(recovery.diagnostics.masksQueried, 300);
    // The surrogate passes exactly through the full and the empty prompt's values, though not through the other masks.
    const surrogate = new CompiledFourier(recovery.fourier);
    const at = (key: string): number => surrogate.evaluate(Uint8Array.from(key, (bit) => Number(bit)));
    assert.ok(Math.abs(at(full) - (scored.get(full) as number)) < 1e-9, `full: ${at(full)} vs ${scored.get(full)}`);
    assert.ok(Math.abs(at(empty) - (scored.get(empty) as number)) < 1e-9, `empty: ${at(empty)} vs ${scored.get(empty)}`);
    const misses = asked.slice(2).filter((key) => Math.abs(at(key) - (scored.get(key) as number)) > 1e-6).length;
    assert.ok(misses > 100, `the fit interpolates every mask (${misses} misses), so the anchors prove nothing`);
  });

  it('explains a first-order function with first-order terms only', async () => {
    const featureCount = 40;
    const truth: Spectrum = new Map([
      [keyOf([]), 1],
      [keyOf([3]), -0.8],
      [keyOf([17]), 0.5],
    ]);
    const { evaluate } = countingEvaluator(truth, 1);
    const result = await recoverProxySpex(evaluate, { featureCount, budget: 400, random: seededRandom(2) });
    assert.deepEqual([...result.fourier.keys()].sort(), [...truth.keys()].sort());
  });

  it('rejects bad options and bad values with clear messages', async () => {
    const evaluate: MaskEvaluator = (masks) => Promise.resolve(new Float64Array(masks.length));
    const random = seededRandom(1);
    await assert.rejects(recoverProxySpex(evaluate, { featureCount: 0, budget: 100, random }), /between 1 and 4,096 features; got 0/u);
    await assert.rejects(recoverProxySpex(evaluate, { featureCount: 10, budget: 5, random }), /budget of at least 16 masks; got 5/u);
    await assert.rejects(
      recoverProxySpex(evaluate, { featureCount: 10, budget: 100, random, maxOrder: 0 }),
      /maxOrder must be a whole number/u,
    );
    const nan: MaskEvaluator = (masks) => Promise.resolve(Float64Array.from(masks, (_, i) => (i === 3 ? Number.NaN : 0)));
    await assert.rejects(recoverProxySpex(nan, { featureCount: 10, budget: 100, random }), (error: unknown) => {
      assert.ok(error instanceof RecoveryError);
      assert.match(error.message, /returned NaN for mask 3/u);
      return true;
    });
    const infinite: MaskEvaluator = (masks) => Promise.resolve(new Float64Array(masks.length).fill(Number.POSITIVE_INFINITY));
    await assert.rejects(recoverProxySpex(infinite, { featureCount: 10, budget: 100, random }), /returned Infinity/u);
    const short: MaskEvaluator = () => Promise.resolve(new Float64Array(1));
    await assert.rejects(recoverProxySpex(short, { featureCount: 10, budget: 100, random }), /returned 1 values for \d+ masks/u);
  });

  it('stops when its signal is aborted', async () => {
    const controller = new AbortController();
    const evaluate: MaskEvaluator = (masks) => {
      controller.abort(new Error('cancelled by the user'));
      return Promise.resolve(new Float64Array(masks.length));
    };
    await assert.rejects(
      recoverProxySpex(evaluate, { featureCount: 50, budget: 1000, random: seededRandom(1), signal: controller.signal }),
      /cancelled by the user/u,
    );
  });

  it('computes the exact expansion when the budget covers every mask (here n = 1)', async () => {
    const evaluate: MaskEvaluator = (masks) => Promise.resolve(Float64Array.from(masks, (mask) => (mask[0] === 1 ? 3 : 1)));
    const result = await recoverProxySpex(evaluate, { featureCount: 1, budget: 16, random: seededRandom(1) });
    assert.equal(result.diagnostics.algorithm, 'exact');
    assert.ok(Math.abs((result.fourier.get(keyOf([])) ?? 0) - 2) < 1e-9);
    assert.ok(Math.abs((result.fourier.get(keyOf([0])) ?? 0) + 1) < 1e-9);
  });

  it('fits masks and values the caller already has, and rejects malformed masks', () => {
    const featureCount = 30;
    const truth = plantedSpectrum({ featureCount, terms: 8, maxDegree: 3, random: seededRandom(12) });
    const random = seededRandom(13);
    const masks = Array.from({ length: 600 }, () => uniformMask(featureCount, random));
    const values = plantedValues(truth, random)(masks);
    const result = fitFromSamples(masks, values, { featureCount, random });
    assert.equal(supportRecall(truth, result.fourier), 1);
    const bad = masks.slice(0, 20).map((mask) => Uint8Array.from(mask));
    (bad[4] as Uint8Array)[7] = 2;
    assert.throws(
      () => fitFromSamples(bad, values.subarray(0, 20), { featureCount, random }),
      /Mask 4 has 2 at feature 7; masks are 0\/1/u,
    );
    assert.throws(
      () => fitFromSamples([new Uint8Array(3), new Uint8Array(3)], new Float64Array(2), { featureCount, random }),
      /Mask 0 has 3 entries; expected 30/u,
    );
  });
});
