import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitFromSamplesInWorker, recoverInWorker } from '../../../server/engine/recoveryThread';
import { packMasks, unpackMasks } from '../../../server/engine/recoveryMessages';
import { fitFromSamples } from '../../../server/recovery/proxyspex/proxySpex';
import { seededRandom } from '../../../server/recovery/random';
import { recover, type RecoverOptions } from '../../../server/recovery/recover';
import { RecoveryError, type MaskEvaluator, type Recovery, type RecoveryProgress } from '../../../server/recovery/types';
import { plantedSpectrum, plantedValues } from '../../helpers/plantedFunctions';
import { waitFor } from '../../helpers/waitFor';

const FEATURES = 40;
const truth = plantedSpectrum({ featureCount: FEATURES, terms: 30, maxDegree: 3, random: seededRandom(11) });

/** The planted function with noise (so the trees run), recording every batch it is asked for. */
function recordingEvaluator(): { evaluate: MaskEvaluator; batches: Uint8Array[][] } {
  const values = plantedValues(truth, seededRandom(5), 0.05);
  const batches: Uint8Array[][] = [];
  return {
    batches,
    evaluate: (masks) => {
      batches.push(masks.map((mask) => Uint8Array.from(mask)));
      return Promise.resolve(values(masks));
    },
  };
}

/** Everything but the clock readings, which differ between any two runs. */
function withoutTimes(recovery: Recovery): unknown {
  return { ...recovery, diagnostics: { ...recovery.diagnostics, computeMs: 0, evaluateMs: 0 } };
}

const OPTIONS = { featureCount: FEATURES, budget: 600, maxOrder: 3, seed: 4 } satisfies RecoverOptions;

describe('recovery in a worker thread', () => {
  it('asks for the same masks, streams the same rounds and returns the same recovery as in this thread', async () => {
    const here = recordingEvaluator();
    const hereProgress: RecoveryProgress[] = [];
    const expected = await recover(here.evaluate, { ...OPTIONS, onProgress: (progress) => hereProgress.push(progress) });
    const there = recordingEvaluator();
    const thereProgress: RecoveryProgress[] = [];
    const actual = await recoverInWorker(there.evaluate, OPTIONS, { onProgress: (progress) => thereProgress.push(progress) });

    assert.equal(expected.diagnostics.algorithm, 'proxyspex');
    assert.ok(expected.diagnostics.rounds.length >= 2, 'the case runs in rounds');
    assert.deepEqual(there.batches, here.batches);
    assert.deepEqual(withoutTimes(actual), withoutTimes(expected));
    assert.ok(actual.fourier instanceof Map);
    assert.deepEqual(
      thereProgress.map((progress) => progress.partial && withoutTimes(progress.partial)),
      hereProgress.map((progress) => progress.partial && withoutTimes(progress.partial)),
    );
  });

  it('fits given samples as fitFromSamples does here', async () => {
    const random = seededRandom(8);
    const masks = Array.from({ length: 300 }, () => Uint8Array.from({ length: FEATURES }, () => (random() < 0.5 ? 1 : 0)));
    const values = plantedValues(truth, seededRandom(9), 0.05)(masks);
    const expected = fitFromSamples(masks, values, { featureCount: FEATURES, maxOrder: 3, random: seededRandom(2) });
    const actual = await fitFromSamplesInWorker(masks, values, { featureCount: FEATURES, maxOrder: 3, seed: 2 });
    assert.deepEqual(withoutTimes(actual), withoutTimes(expected));
  });

  it("passes on the numeric core's errors as the same classes with the same messages", async () => {
    const cases: { options: RecoverOptions; evaluate: MaskEvaluator; kind: typeof RecoveryError | typeof RangeError }[] = [
      // A bad budget, found when planning.
      { options: { ...OPTIONS, budget: 5, algorithm: 'proxyspex' }, evaluate: recordingEvaluator().evaluate, kind: RecoveryError },
      // A value that is not a number, found when the values come back.
      { options: OPTIONS, evaluate: (masks) => Promise.resolve(new Float64Array(masks.length).fill(Number.NaN)), kind: RecoveryError },
      // A bad tuning option, found deep in the fit.
      {
        options: { ...OPTIONS, proxySpex: { boosting: { learningRate: -1 } } },
        evaluate: recordingEvaluator().evaluate,
        kind: RangeError,
      },
    ];
    for (const { options, evaluate, kind } of cases) {
      const here = await recover(evaluate, options).then(
        () => assert.fail('the recovery should fail'),
        (error: unknown) => error,
      );
      assert.ok(here instanceof kind, `in this thread: ${String(here)}`);
      await assert.rejects(recoverInWorker(evaluate, options), (error: unknown) => {
        assert.ok(error instanceof kind, `in the worker: ${String(error)}`);
        assert.equal(error.name, here.name);
        assert.equal(error.message, here.message);
        return true;
      });
    }
    await assert.rejects(fitFromSamplesInWorker([new Uint8Array(FEATURES)], new Float64Array(1), { featureCount: FEATURES, seed: 0 }), {
      name: 'RecoveryError',
      message: 'Fitting needs at least 2 masks; got 1.',
    });
  });

  it("rejects with the evaluator's own error", async () => {
    class ScorerDown extends Error {}
    const failure = new ScorerDown('the scorer went away');
    await assert.rejects(
      recoverInWorker(() => Promise.reject(failure), OPTIONS),
      (error: unknown) => error === failure,
    );
  });

  it('stops at once on an abort, in the middle of a fit, with the signal’s reason', async () => {
    // A fit that takes seconds: many features, many masks, deep trees.
    const featureCount = 600;
    const weights = Float64Array.from({ length: featureCount }, (_, i) => Math.sin(i * 12.9898));
    const controller = new AbortController();
    let asked = 0;
    const evaluate: MaskEvaluator = (masks) => {
      asked += 1;
      return Promise.resolve(Float64Array.from(masks, (mask) => mask.reduce((sum, bit, i) => sum + bit * (weights[i] as number), 0)));
    };
    const reason = new Error('Cancelled.');
    const running = recoverInWorker(
      evaluate,
      { featureCount, budget: 4000, maxOrder: 8, seed: 1, proxySpex: { maxRounds: 1 } },
      {
        signal: controller.signal,
      },
    );
    // With one round, the only batch is answered before the single, long fit starts.
    await waitFor('the masks to be scored', () => (asked === 1 ? true : undefined));
    controller.abort(reason);
    await assert.rejects(running, (error: unknown) => error === reason);
    await assert.rejects(recoverInWorker(evaluate, OPTIONS, { signal: controller.signal }), (error: unknown) => error === reason);
  });

  it('packs masks end to end and reads them back as views', () => {
    const masks = [Uint8Array.of(1, 0, 1), Uint8Array.of(0, 0, 1), Uint8Array.of(1, 1, 1)];
    const packed = packMasks(masks, 3);
    assert.equal(packed.bytes.length, 9);
    const unpacked = unpackMasks(packed);
    assert.deepEqual(unpacked, masks);
    assert.ok(unpacked.every((mask) => mask.buffer === packed.bytes.buffer));
    assert.throws(() => packMasks([Uint8Array.of(1)], 3), /Mask 0 has 1 entries; expected 3/u);
  });
});
