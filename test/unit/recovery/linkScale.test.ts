import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompiledFourier, rSquared } from '../../../server/recovery/expansion';
import { fromLinkScale, toLinkScale } from '../../../server/recovery/linkScale';
import { surrogateOf } from '../../../server/recovery/surrogate';
import { fullMask, uniformMask } from '../../../server/recovery/masks';
import { fitFromSamples, recoverProxySpex } from '../../../server/recovery/proxyspex/proxySpex';
import { seededRandom } from '../../../server/recovery/random';
import { RecoveryError, type MaskEvaluator } from '../../../server/recovery/types';
import { banzhafValues } from '../../../server/recovery/indices';
import { chooseLink } from '../../../server/recovery/proxyspex/linkChoice';
import { plantedValence, saturatingValue } from '../../helpers/saturatingValue';

const N = 40;
const RANGE = { min: -1, max: 1 };
const evaluate: MaskEvaluator = (masks) => Promise.resolve(Float64Array.from(masks, saturatingValue));

function freshR2(predict: (masks: Uint8Array[]) => Float64Array): number {
  const random = seededRandom(404);
  const masks = Array.from({ length: 2000 }, () => uniformMask(N, random));
  return rSquared(Float64Array.from(masks, saturatingValue), predict(masks));
}

describe('a bounded value fit on its link scale', () => {
  it('maps a range onto the link scale and back', () => {
    for (const link of ['atanh', 'algebraic'] as const)
      for (const value of [-0.9, 0, 0.3, 0.99])
        assert.ok(Math.abs(fromLinkScale(toLinkScale(value, RANGE, link), RANGE, link) - value) < 1e-12, `${link} ${value}`);
    const probability = { min: 0, max: 1 };
    // For a probability the link scale is half the logit.
    assert.ok(Math.abs(toLinkScale(0.8, probability, 'atanh') - 0.5 * Math.log(0.8 / 0.2)) < 1e-12);
    // The ends stay finite.
    assert.ok(Number.isFinite(toLinkScale(1, RANGE, 'atanh')) && Number.isFinite(toLinkScale(-7, RANGE, 'algebraic')));
  });

  it('predicts a saturating value far better than a fit on the value itself, and passes through the full prompt', async () => {
    const options = { featureCount: N, budget: 400, maxOrder: 3, random: seededRandom(8) };
    const plain = await recoverProxySpex(evaluate, { ...options, random: seededRandom(8) });
    const linked = await recoverProxySpex(evaluate, { ...options, valueRange: RANGE });
    assert.equal(plain.linkScale, undefined);
    assert.ok(linked.linkScale, 'the recovery carries its link-scale surrogate');
    const surrogate = surrogateOf(linked);
    const plainR2 = freshR2((masks) => new CompiledFourier(plain.fourier).evaluateMany(masks));
    const linkedR2 = freshR2((masks) => surrogate.evaluateMany(masks));
    assert.ok(linkedR2 > 0.99, `link scale R² ${linkedR2.toFixed(4)}`);
    assert.ok(1 - linkedR2 < 0.25 * (1 - plainR2), `link scale R² ${linkedR2.toFixed(4)}, value scale ${plainR2.toFixed(4)}`);
    assert.ok(Math.abs(surrogate.evaluate(fullMask(N)) - saturatingValue(fullMask(N))) < 1e-9);
    // The held-out R² is the value scale's, and the distilled expansion's fidelity is reported.
    assert.ok((linked.diagnostics.heldOutR2 ?? 0) > 0.98, `held out ${linked.diagnostics.heldOutR2}`);
    const fidelity = linked.diagnostics.link?.fidelity ?? 0;
    assert.ok(fidelity > 0.8 && fidelity <= 1, `fidelity ${fidelity}`);
  });

  it('reports attributions on the value scale, in the direction of each span’s valence', async () => {
    const linked = await recoverProxySpex(evaluate, {
      featureCount: N,
      budget: 400,
      maxOrder: 3,
      random: seededRandom(8),
      valueRange: RANGE,
    });
    const banzhaf = banzhafValues(linked.fourier, N);
    const strongest = Array.from({ length: N }, (_, i) => i).sort((a, b) => Math.abs(plantedValence(b)) - Math.abs(plantedValence(a)));
    for (const span of strongest.slice(0, 8))
      assert.equal(Math.sign(banzhaf[span] as number), Math.sign(plantedValence(span)), `span ${span}: ${banzhaf[span]}`);
    // On the value's own scale an effect is at most the whole range.
    assert.ok(banzhaf.every((value) => Math.abs(value) < 2));
  });

  it('chooses the link on which the value is additive, and none for a value that does not saturate', () => {
    const random = seededRandom(21);
    const masks = Array.from({ length: 300 }, () => uniformMask(N, random));
    const sum = (mask: Uint8Array): number => mask.reduce((total, bit, i) => total + bit * plantedValence(i), 0);
    const choose = (value: (mask: Uint8Array) => number): string | undefined =>
      chooseLink(masks, Float64Array.from(masks, value), N, RANGE, seededRandom(2));
    assert.equal(choose(saturatingValue), 'algebraic');
    assert.equal(
      choose((mask) => Math.tanh(sum(mask) / 4)),
      'atanh',
    );
    // Additive and well inside the range: no link is better than none.
    assert.equal(
      choose((mask) => sum(mask) / 400),
      undefined,
    );
  });

  it('fits given samples on the link scale too (what a cancelled run shows)', () => {
    const random = seededRandom(5);
    const masks = Array.from({ length: 300 }, () => uniformMask(N, random));
    const values = Float64Array.from(masks, saturatingValue);
    const fit = fitFromSamples(masks, values, { featureCount: N, maxOrder: 3, random: seededRandom(6), valueRange: RANGE });
    assert.ok(fit.linkScale, 'a link-scale surrogate');
    assert.ok(freshR2((fresh) => surrogateOf(fit).evaluateMany(fresh)) > 0.99);
  });

  it('refuses a range that is empty or not finite', async () => {
    for (const valueRange of [
      { min: 1, max: 1 },
      { min: 0, max: Number.NaN },
    ])
      await assert.rejects(
        recoverProxySpex(evaluate, { featureCount: N, budget: 100, random: seededRandom(1), valueRange }),
        (error: unknown) => error instanceof RecoveryError && /valueRange needs finite min < max/u.test((error as Error).message),
      );
  });
});
