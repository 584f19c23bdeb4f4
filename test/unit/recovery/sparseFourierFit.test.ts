import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indicesOf, keyOf } from '../../../server/recovery/interactionKey';
import { distinctUniformMasks } from '../../../server/recovery/masks';
import { DEFAULT_SPARSE_FIT, fitSparseFourier } from '../../../server/recovery/proxyspex/sparseFourierFit';
import { seededRandom, splitRows } from '../../../server/recovery/random';
import { additiveWithTwoPairs, TWO_PAIRS_FEATURES } from '../../helpers/plantedFunctions';

const N = TWO_PAIRS_FEATURES;
const planted = additiveWithTwoPairs;

describe('the sparse Fourier refit', () => {
  it('finds a pair whose features have no effect alone, from exact values, whatever the masks and the split', () => {
    for (let seed = 1; seed <= 8; seed += 1) {
      const masks = distinctUniformMasks(N, 600, seededRandom(seed * 7));
      const values = Float64Array.from(masks, planted);
      const { trainRows, validationRows } = splitRows(masks.length, 120, seededRandom(seed));
      const fit = fitSparseFourier({ masks, values, trainRows, validationRows, candidates: [] }, { ...DEFAULT_SPARSE_FIT, maxOrder: 2 });
      assert.ok((fit.validationR2 ?? 0) > 1 - 1e-6, `seed ${seed}: R² ${fit.validationR2} (${fit.stoppedBecause})`);
      assert.ok(
        Math.abs((fit.spectrum.get(keyOf([4, 9])) ?? 0) - -0.5) < 1e-6,
        `seed ${seed}: {4, 9} is ${fit.spectrum.get(keyOf([4, 9]))}`,
      );
      assert.equal(fit.spectrum.get(keyOf([4])), undefined);
      const spurious = [...fit.spectrum.keys()].filter(
        (key) => indicesOf(key).length === 2 && key !== keyOf([1, 2]) && key !== keyOf([4, 9]),
      );
      assert.deepEqual(spurious, []);
    }
  });
});
