import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompiledFourier, rSquared } from '../../../server/recovery/expansion';
import { keyOf } from '../../../server/recovery/interactionKey';
import { uniformMask } from '../../../server/recovery/masks';
import { seededRandom } from '../../../server/recovery/random';
import { plantedSpectrum } from '../../helpers/plantedFunctions';

describe('CompiledFourier', () => {
  it('evaluates f(m) = Σ F(S)·(−1)^{|S ∩ kept|}', () => {
    const compiled = new CompiledFourier(
      new Map([
        [keyOf([]), 1],
        [keyOf([0]), 2],
        [keyOf([0, 2]), -3],
      ]),
    );
    // Mask 101: features 0 and 2 kept. χ_{0} = −1, χ_{0,2} = +1.
    assert.equal(compiled.evaluate(Uint8Array.from([1, 0, 1])), 1 - 2 - 3);
    assert.equal(compiled.evaluate(Uint8Array.from([0, 0, 0])), 1 + 2 - 3);
  });

  it('gives the same values in bit-sliced batches as one mask at a time, for any batch length', () => {
    const random = seededRandom(4);
    for (const featureCount of [5, 64, 300]) {
      const compiled = new CompiledFourier(
        plantedSpectrum({ featureCount, terms: Math.min(200, 2 ** featureCount - 1), maxDegree: 5, random, hierarchy: 'none' }),
      );
      for (const count of [0, 1, 31, 32, 33, 100]) {
        const masks = Array.from({ length: count }, () => uniformMask(featureCount, random));
        const batch = compiled.evaluateMany(masks);
        assert.equal(batch.length, count);
        masks.forEach((mask, i) => assert.ok(Math.abs((batch[i] as number) - compiled.evaluate(mask)) < 1e-9));
      }
    }
  });
});

describe('rSquared', () => {
  it('is 1 for a perfect prediction, 0 for the mean, negative when worse', () => {
    assert.equal(rSquared([1, 2, 3], [1, 2, 3]), 1);
    assert.equal(rSquared([1, 2, 3], [2, 2, 2]), 0);
    assert.ok(rSquared([1, 2, 3], [3, 2, 1]) < 0);
    assert.equal(rSquared([5, 5], [5, 5]), 1);
  });
});
