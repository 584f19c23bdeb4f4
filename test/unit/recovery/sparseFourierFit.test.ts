import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indicesOf, keyOf } from '../../../server/recovery/interactionKey';
import { distinctUniformMasks } from '../../../server/recovery/masks';
import { DEFAULT_SPARSE_FIT, fitSparseFourier } from '../../../server/recovery/proxyspex/sparseFourierFit';
import { seededRandom, shuffle } from '../../../server/recovery/random';

const N = 16;
const WEIGHTS = Array.from({ length: N }, (_, i) => ((i * 7) % 5) - 2);

/**
 * Additive weights and two synergies. Features 4 and 9 have weight 1 each and a pair term −2·m₄·m₉:
 * in the Fourier basis their single terms cancel (−½ + ½), so the pair {4, 9} has no footprint of
 * single features for a search that extends the support to follow.
 */
function planted(mask: Uint8Array): number {
  let value = -20;
  for (let i = 0; i < N; i += 1) value += (WEIGHTS[i] as number) * (mask[i] as number);
  return value + 3 * (mask[1] as number) * (mask[2] as number) - 2 * (mask[4] as number) * (mask[9] as number);
}

describe('the sparse Fourier refit', () => {
  it('finds a pair whose features have no effect alone, from exact values, whatever the masks and the split', () => {
    for (let seed = 1; seed <= 8; seed += 1) {
      const masks = distinctUniformMasks(N, 600, seededRandom(seed * 7));
      const values = Float64Array.from(masks, planted);
      const order = shuffle(
        Array.from({ length: masks.length }, (_, i) => i),
        seededRandom(seed),
      );
      const fit = fitSparseFourier(
        {
          masks,
          values,
          trainRows: Int32Array.from(order.slice(120)),
          validationRows: Int32Array.from(order.slice(0, 120)),
          candidates: [],
        },
        { ...DEFAULT_SPARSE_FIT, maxOrder: 2 },
      );
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
