import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitBaggedTrees } from '../../../server/recovery/proxyspex/baggedTrees';
import { exactMask } from '../../../server/recovery/exact';
import { CompiledFourier, rSquared } from '../../../server/recovery/expansion';
import { keyOf } from '../../../server/recovery/interactionKey';
import { uniformMask } from '../../../server/recovery/masks';
import { seededRandom } from '../../../server/recovery/random';
import { pruneSpectrum, weightedSum, type Spectrum } from '../../../server/recovery/spectrum';

/** An AND of two features plus one single effect: something three splits of a tree express exactly. */
function andFunction(mask: Uint8Array): number {
  return 2 * (mask[1] as number) * (mask[4] as number) - 0.5 * (mask[6] as number) + 1;
}

describe('fitBaggedTrees', () => {
  const featureCount = 8;
  const random = seededRandom(3);
  const masks = Array.from({ length: 400 }, () => uniformMask(featureCount, random));
  const values = Float64Array.from(masks, andFunction);
  const rows = Int32Array.from(masks.keys());

  it('reads the averaged trees out as one exact spectrum that reproduces the function it learned', () => {
    const bagged = fitBaggedTrees(masks, values, rows, featureCount, seededRandom(1));
    assert.equal(bagged.treesPerBag.length, 4);
    const all = Array.from({ length: 2 ** featureCount }, (_, index) => exactMask(featureCount, index));
    const truth = Float64Array.from(all, andFunction);
    // Boosting with shrinkage converges towards the function; its spectrum holds the AND's terms.
    assert.ok(rSquared(truth, new CompiledFourier(bagged.spectrum).evaluateMany(all)) > 0.99);
    for (const key of [keyOf([1]), keyOf([4]), keyOf([1, 4]), keyOf([6])]) assert.ok(bagged.spectrum.has(key));
    // The AND's Fourier coefficient of {1, 4} is 2/4 = 0.5.
    assert.ok(Math.abs((bagged.spectrum.get(keyOf([1, 4])) ?? 0) - 0.5) < 0.05);
  });

  it('repeats a run from its seed and differs with another seed', () => {
    const first = fitBaggedTrees(masks, values, rows, featureCount, seededRandom(5));
    const again = fitBaggedTrees(masks, values, rows, featureCount, seededRandom(5));
    assert.deepEqual([...first.spectrum], [...again.spectrum]);
    const other = fitBaggedTrees(masks, values, rows, featureCount, seededRandom(6));
    assert.notDeepEqual([...first.spectrum], [...other.spectrum]);
  });

  it('rejects bad options with clear messages', () => {
    assert.throws(
      () => fitBaggedTrees(masks, values, rows, featureCount, random, { bags: 0 }),
      /bags must be a positive whole number; got 0/u,
    );
    assert.throws(
      () => fitBaggedTrees(masks, values, rows, featureCount, random, { sampleShare: 1 }),
      /sampleShare must be in \(0, 1\); got 1/u,
    );
  });
});

describe('spectrum combinations', () => {
  it('weights and sums expansions term by term', () => {
    const first: Spectrum = new Map([
      ['', 1],
      [keyOf([0]), 2],
    ]);
    const second: Spectrum = new Map([
      [keyOf([0]), -2],
      [keyOf([1, 2]), 4],
    ]);
    const sum = weightedSum([
      [first, 0.5],
      [second, 0.25],
    ]);
    assert.deepEqual(
      [...sum].sort(),
      [
        ['', 0.5],
        [keyOf([0]), 0.5],
        [keyOf([1, 2]), 1],
      ].sort(),
    );
  });

  it('prunes the weakest further terms, keeping the constant and every single feature', () => {
    const spectrum: Spectrum = new Map([
      ['', 5],
      [keyOf([0]), 1e-9],
      [keyOf([1]), 0.3],
      [keyOf([0, 1]), 1],
      [keyOf([1, 2]), 0.1],
      [keyOf([2, 3]), 0.001],
    ]);
    // Energies of the further terms: 1, 0.01 and 10⁻⁶; 99.5 % needs the first two, 99 % the first alone.
    const pruned = pruneSpectrum(spectrum, 0.995, 100);
    assert.deepEqual([...pruned.keys()].sort(), ['', keyOf([0]), keyOf([1]), keyOf([0, 1]), keyOf([1, 2])].sort());
    assert.deepEqual([...pruneSpectrum(spectrum, 0.99, 100).keys()].sort(), ['', keyOf([0]), keyOf([1]), keyOf([0, 1])].sort());
    // The term cap wins over the energy share.
    assert.deepEqual([...pruneSpectrum(spectrum, 1, 4).keys()].sort(), ['', keyOf([0]), keyOf([1]), keyOf([0, 1])].sort());
  });
});
