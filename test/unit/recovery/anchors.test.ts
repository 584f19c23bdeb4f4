import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anchorMasks, anchorValues, passThroughAnchors } from '../../../server/recovery/anchors';
import { CompiledFourier } from '../../../server/recovery/expansion';
import { keyOf } from '../../../server/recovery/interactionKey';
import { uniformMask } from '../../../server/recovery/masks';
import { seededRandom } from '../../../server/recovery/random';
import type { Spectrum } from '../../../server/recovery/spectrum';

const N = 12;
const { full, empty } = anchorMasks(N);

describe('passing a surrogate through its anchors (the full and the empty prompt)', () => {
  const spectrum: Spectrum = new Map([
    [keyOf([]), 0.4],
    [keyOf([2]), -0.7],
    [keyOf([5]), 0.3],
    [keyOf([2, 5]), 0.9],
    [keyOf([1, 3, 8]), -0.2],
  ]);

  it('meets both values exactly, keeps a sparse spectrum sparse, and moves uniform masks by the constant alone', () => {
    const before = new CompiledFourier(spectrum);
    const anchors = { full: before.evaluate(full) + 0.3, empty: before.evaluate(empty) - 0.1 };
    const corrected = passThroughAnchors(spectrum, N, anchors);
    const after = new CompiledFourier(corrected);
    assert.ok(Math.abs(after.evaluate(full) - anchors.full) < 1e-12);
    assert.ok(Math.abs(after.evaluate(empty) - anchors.empty) < 1e-12);
    assert.deepEqual([...corrected.keys()].sort(), [...spectrum.keys()].sort());
    // Only the constant and the single features the spectrum holds moved, the single ones equally.
    assert.ok(Math.abs((corrected.get(keyOf([])) as number) - (0.4 + (0.3 - 0.1) / 2)) < 1e-12);
    const shift = (corrected.get(keyOf([2])) as number) - -0.7;
    assert.ok(Math.abs((corrected.get(keyOf([5])) as number) - 0.3 - shift) < 1e-12);
    assert.equal(corrected.get(keyOf([2, 5])), 0.9);
    // A mask that keeps one of the two single features and removes the other sees the constant's change alone.
    const balanced = Uint8Array.from({ length: N }, (_, i) => (i === 2 || i === 7 ? 1 : 0));
    assert.ok(Math.abs(after.evaluate(balanced) - before.evaluate(balanced) - 0.1) < 1e-12);
  });

  it('shares the correction over every feature when the spectrum holds no single one', () => {
    const pairsOnly: Spectrum = new Map([
      [keyOf([]), 1],
      [keyOf([0, 1]), 0.5],
    ]);
    const corrected = passThroughAnchors(pairsOnly, N, { full: 2, empty: 0 });
    const after = new CompiledFourier(corrected);
    assert.ok(Math.abs(after.evaluate(full) - 2) < 1e-12);
    assert.ok(Math.abs(after.evaluate(empty)) < 1e-12);
    assert.equal([...corrected.keys()].filter((key) => key.length === 1).length, N);
  });

  it('shifts the constant alone with one anchor, and leaves a spectrum that already passes alone', () => {
    const value = new CompiledFourier(spectrum).evaluate(full);
    const shifted = passThroughAnchors(spectrum, N, { full: value + 1 });
    assert.ok(Math.abs((shifted.get(keyOf([])) as number) - 1.4) < 1e-12);
    assert.equal(shifted.get(keyOf([2])), -0.7);
    assert.equal(passThroughAnchors(spectrum, N, { full: value, empty: new CompiledFourier(spectrum).evaluate(empty) }), spectrum);
    assert.equal(passThroughAnchors(spectrum, N, {}), spectrum);
  });

  it('finds the anchors among scored masks', () => {
    const random = seededRandom(4);
    const masks = [uniformMask(N, random), empty, uniformMask(N, random), full];
    assert.deepEqual(anchorValues(masks, [5, 6, 7, 8], N), { full: 8, empty: 6 });
    assert.deepEqual(anchorValues(masks.slice(0, 3), [5, 6, 7], N), { empty: 6 });
  });
});
