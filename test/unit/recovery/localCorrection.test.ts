import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompiledFourier, rSquared } from '../../../server/recovery/expansion';
import {
  fitNearFullCorrection,
  localCorrectionAt,
  MIN_NEAR_FULL_MASKS,
  nearEmptyCorrection,
} from '../../../server/recovery/localCorrection';
import { distinctMostlyKeptMasks, fullMask, uniformMask } from '../../../server/recovery/masks';
import { recoverProxySpex } from '../../../server/recovery/proxyspex/proxySpex';
import { gaussian, seededRandom } from '../../../server/recovery/random';
import { explanationSurrogate, localCorrectionRecord, surrogateOf } from '../../../server/recovery/surrogate';
import { RecoveryError, type MaskEvaluator } from '../../../server/recovery/types';
import { meanSquaredError } from '../../../server/recovery/statistics';
import { indicesOf } from '../../../server/recovery/interactionKey';

const N = 40;
/** The spans whose removal costs something on top of the step (a few passages that hold the answer). */
const KEY_SPANS = new Map([
  [3, -0.9],
  [17, -0.6],
  [29, 0.4],
]);

/**
 * A value like the tiny model's log-probability on a 40-passage RAG context: a smooth trend in the
 * kept spans that a low-order expansion holds, plus a step of −0.5 as soon as any span is removed
 * and a few spans whose removal costs more; the step and those costs fade as more is removed (a
 * prompt missing half its passages has lost that structure anyway).
 */
function ragLike(mask: Uint8Array): number {
  let kept = 0;
  let trend = 0;
  for (let i = 0; i < N; i += 1) {
    kept += mask[i] as number;
    trend += (mask[i] as number) * 0.05 * Math.cos(i);
  }
  if (kept === N) return trend;
  let local = -0.5;
  for (const [span, cost] of KEY_SPANS) if (mask[span] === 0) local += cost;
  return trend + local * (kept / N) ** 6;
}

function trainingMasks(seed: number, uniform: number, mostlyKept: number): Uint8Array[] {
  const random = seededRandom(seed);
  const masks = [fullMask(N), new Uint8Array(N), ...Array.from({ length: uniform }, () => uniformMask(N, random))];
  return [...masks, ...distinctMostlyKeptMasks(N, mostlyKept, random, new Set())];
}

/** Residuals of the smooth trend alone (the part an expansion holds), as a fit would leave them. */
function trendResiduals(masks: readonly Uint8Array[]): Float64Array {
  return Float64Array.from(masks, (mask) => {
    let trend = 0;
    for (let i = 0; i < N; i += 1) trend += (mask[i] as number) * 0.05 * Math.cos(i);
    return ragLike(mask) - trend;
  });
}

describe('the correction near the full prompt', () => {
  it('learns the step and the costly removals from the residuals, and is 0 at both anchors', () => {
    const masks = trainingMasks(1, 850, 150);
    const correction = fitNearFullCorrection(masks, trendResiduals(masks), N, seededRandom(2));
    assert.ok(correction, 'a correction is made');
    assert.ok(correction.errorRatio < 0.5, `held-out error ratio ${correction.errorRatio}`);
    assert.equal(localCorrectionAt({ nearFull: correction }, fullMask(N)), 0);
    assert.equal(localCorrectionAt({ nearFull: correction }, new Uint8Array(N)), 0);
    // The costliest span's removal weighs most, with its sign.
    const removal = Array.from(correction.removal);
    const strongest = removal.reduce((best, value, i) => (Math.abs(value) > Math.abs(removal[best] as number) ? i : best), 0);
    assert.equal(strongest, 3);
    assert.ok((removal[3] as number) < 0 && (removal[29] as number) > 0, `removal weights ${removal[3]}, ${removal[29]}`);
    // On fresh what-ifs (each span kept with probability 0.9) it takes most of the residual away.
    const random = seededRandom(3);
    const whatIfs = Array.from({ length: 600 }, () => Uint8Array.from({ length: N }, () => (random() < 0.9 ? 1 : 0)));
    const residuals = trendResiduals(whatIfs);
    const corrected = Float64Array.from(
      whatIfs,
      (mask, row) => (residuals[row] as number) - localCorrectionAt({ nearFull: correction }, mask),
    );
    const before = meanSquaredError(residuals, new Float64Array(whatIfs.length));
    const after = meanSquaredError(corrected, new Float64Array(whatIfs.length));
    assert.ok(after < 0.25 * before, `mean square ${before.toFixed(4)} → ${after.toFixed(4)}`);
  });

  it('is not made from noise, nor from too few masks that keep most spans', () => {
    const masks = trainingMasks(4, 850, 150);
    const random = seededRandom(5);
    const noise = Float64Array.from(masks, () => 0.3 * gaussian(random));
    assert.equal(fitNearFullCorrection(masks, noise, N, seededRandom(6)), undefined);
    const few = trainingMasks(7, 900, MIN_NEAR_FULL_MASKS - 5);
    assert.equal(fitNearFullCorrection(few, trendResiduals(few), N, seededRandom(8)), undefined);
    assert.throws(() => fitNearFullCorrection(masks, new Float64Array(3), N, seededRandom(9)), RecoveryError);
  });
});

describe('the correction near the empty prompt', () => {
  it('meets the empty prompt exactly, leaves the full prompt alone, and stays within its allowance elsewhere', () => {
    const masks = trainingMasks(10, 900, 100);
    const allowance = 1e-4;
    const correction = nearEmptyCorrection(masks, N, 2.5, allowance);
    assert.ok(correction);
    assert.equal(localCorrectionAt({ nearEmpty: correction }, new Uint8Array(N)), 2.5);
    assert.equal(localCorrectionAt({ nearEmpty: correction }, fullMask(N)), 0);
    const others = masks.filter((mask) => mask.some((bit) => bit === 1));
    const meanSquare = others.reduce((sum, mask) => sum + localCorrectionAt({ nearEmpty: correction }, mask) ** 2, 0) / others.length;
    assert.ok(meanSquare <= allowance, `mean square ${meanSquare}`);
    assert.equal(nearEmptyCorrection(masks, N, 0, allowance), undefined);
  });
});

describe('ProxySPEX near its anchors', () => {
  const evaluate: MaskEvaluator = (masks) => Promise.resolve(Float64Array.from(masks, ragLike));
  const whatIfR2 = (predict: (masks: Uint8Array[]) => Float64Array): number => {
    const random = seededRandom(11);
    const whatIfs = Array.from({ length: 1000 }, () => Uint8Array.from({ length: N }, () => (random() < 0.9 ? 1 : 0)));
    return rSquared(Float64Array.from(whatIfs, ragLike), predict(whatIfs));
  };

  it('predicts the what-ifs users try far better than its expansion alone, and meets both anchors', async () => {
    const recovery = await recoverProxySpex(evaluate, { featureCount: N, budget: 600, maxOrder: 3, random: seededRandom(12) });
    assert.ok(recovery.localCorrection?.nearFull, 'the fit corrects near the full prompt');
    const surrogate = surrogateOf(recovery);
    const withCorrection = whatIfR2((masks) => surrogate.evaluateMany(masks));
    const expansionAlone = whatIfR2((masks) => new CompiledFourier(recovery.fourier).evaluateMany(masks));
    assert.ok(
      withCorrection > 0.8 && withCorrection > expansionAlone + 0.2,
      `what-if R² ${withCorrection.toFixed(3)}, alone ${expansionAlone.toFixed(3)}`,
    );
    assert.ok(Math.abs(surrogate.evaluate(fullMask(N)) - ragLike(fullMask(N))) < 1e-9);
    assert.ok(Math.abs(surrogate.evaluate(new Uint8Array(N)) - ragLike(new Uint8Array(N))) < 1e-9);
    // An explanation carries the correction, and the panel's surrogate predicts as the recovery's does.
    const terms = [...recovery.fourier].map(([key, value]) => ({ features: indicesOf(key), value }));
    const panel = explanationSurrogate({ fourier: terms, localCorrection: localCorrectionRecord(recovery.localCorrection) });
    const random = seededRandom(13);
    for (let trial = 0; trial < 20; trial += 1) {
      const mask = Uint8Array.from({ length: N }, () => (random() < 0.85 ? 1 : 0));
      assert.ok(Math.abs((panel?.evaluate(mask) ?? Number.NaN) - surrogate.evaluate(mask)) < 1e-9);
    }
  });

  it('makes no correction near the full prompt for a low-order function its expansion holds', async () => {
    const smooth: MaskEvaluator = (masks) =>
      Promise.resolve(
        Float64Array.from(masks, (mask) => mask.reduce((sum, bit, i) => sum + bit * Math.sin(i), 0) + 0.5 * mask[1]! * mask[2]!),
      );
    const recovery = await recoverProxySpex(smooth, { featureCount: N, budget: 400, maxOrder: 3, random: seededRandom(14) });
    assert.equal(recovery.localCorrection?.nearFull, undefined);
  });
});
