import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anchorMasks, anchorValues, passThroughEmpty, passThroughFull } from '../../../server/recovery/anchors';
import { CompiledFourier } from '../../../server/recovery/expansion';
import { keyOf } from '../../../server/recovery/interactionKey';
import { uniformMask } from '../../../server/recovery/masks';
import { seededRandom } from '../../../server/recovery/random';
import type { Spectrum } from '../../../server/recovery/spectrum';

const N = 30;
const { full, empty } = anchorMasks(N);

/** Mean squared change between two expansions over uniform masks. */
function uniformChange(before: Spectrum, after: Spectrum): number {
  const random = seededRandom(8);
  const a = new CompiledFourier(before);
  const b = new CompiledFourier(after);
  let sum = 0;
  for (let i = 0; i < 4000; i += 1) {
    const mask = uniformMask(N, random);
    sum += (b.evaluate(mask) - a.evaluate(mask)) ** 2;
  }
  return sum / 4000;
}

describe('passing a surrogate through the full prompt’s value', () => {
  const spectrum: Spectrum = new Map([
    [keyOf([]), 0.4],
    [keyOf([2]), -0.7],
    [keyOf([5]), 0.3],
    [keyOf([2, 5]), 0.9],
    [keyOf([1, 3, 8]), -0.2],
  ]);

  it('meets it exactly, leaves the empty prompt’s value, and moves uniform masks far less than a constant shift would', () => {
    const before = new CompiledFourier(spectrum);
    const fullValue = before.evaluate(full) + 0.6;
    const corrected = passThroughFull(spectrum, N, fullValue);
    const after = new CompiledFourier(corrected);
    assert.ok(Math.abs(after.evaluate(full) - fullValue) < 1e-12);
    assert.ok(Math.abs(after.evaluate(empty) - before.evaluate(empty)) < 1e-12);
    // A constant shift would change every uniform mask by 0.6 (0.36 squared); this one shares the error over
    // the two singles and the one pair the spectrum holds: 0.09 / 2 + 0.09 / 1.
    const change = uniformChange(spectrum, corrected);
    assert.ok(change < 0.36 / 2, `mean squared change ${change}`);
    // The terms it already held, and no others; the constant untouched.
    assert.deepEqual([...corrected.keys()].sort(), [...spectrum.keys()].sort());
    assert.equal(corrected.get(keyOf([])), 0.4);
  });

  it('keeps an additive spectrum additive, spreading the correction over every feature where it holds none', () => {
    const constant: Spectrum = new Map([[keyOf([]), 1]]);
    const corrected = passThroughFull(constant, N, 3);
    const compiled = new CompiledFourier(corrected);
    assert.ok(Math.abs(compiled.evaluate(full) - 3) < 1e-12);
    // Without pairs the empty prompt moves the other way.
    assert.ok(Math.abs(compiled.evaluate(empty) - -1) < 1e-12);
    assert.equal([...corrected.keys()].filter((key) => key.length === 1).length, N);
    assert.equal([...corrected.keys()].filter((key) => key.length > 1).length, 0);
    // 2² over 30 singles, against 4 for a constant shift.
    assert.ok(uniformChange(constant, corrected) < 0.2);
    const one = passThroughFull(new Map([[keyOf([]), 2]]), 1, 5);
    assert.ok(Math.abs(new CompiledFourier(one).evaluate(Uint8Array.of(1)) - 5) < 1e-12);
  });

  it('leaves a spectrum that already passes, or has no full value, as it is', () => {
    const value = new CompiledFourier(spectrum).evaluate(full);
    assert.equal(passThroughFull(spectrum, N, value), spectrum);
    assert.equal(passThroughFull(spectrum, N, undefined), spectrum);
  });

  it('finds the anchors among scored masks', () => {
    const random = seededRandom(4);
    const masks = [uniformMask(N, random), empty, uniformMask(N, random), full];
    assert.deepEqual(anchorValues(masks, [5, 6, 7, 8], N), { full: 8, empty: 6 });
    assert.deepEqual(anchorValues(masks.slice(0, 3), [5, 6, 7], N), { empty: 6 });
  });
});

describe('passing a surrogate through the empty prompt’s value', () => {
  const spectrum: Spectrum = new Map([
    [keyOf([]), 0.4],
    [keyOf([2]), -0.7],
    [keyOf([5, 9]), 0.5],
  ]);
  const at = (expansion: Spectrum, mask: Uint8Array): number => new CompiledFourier(expansion).evaluate(mask);
  const error = 3;
  const corrected = passThroughEmpty(spectrum, N, at(spectrum, empty) + error, 5);

  it('meets it exactly and leaves the full prompt’s value as it was', () => {
    assert.ok(Math.abs(at(corrected, empty) - at(spectrum, empty) - error) < 1e-9);
    assert.ok(Math.abs(at(corrected, full) - at(spectrum, full)) < 1e-9);
  });

  it('barely moves masks that keep half or most of the spans, and moves those near the empty prompt most', () => {
    // A constant shift would move every uniform mask by the whole error (mean squared change 9).
    assert.ok(uniformChange(spectrum, corrected) < 0.01 * error * error, `${uniformChange(spectrum, corrected)}`);
    const random = seededRandom(12);
    const keeping = (share: number): number => {
      let sum = 0;
      for (let i = 0; i < 500; i += 1) {
        const mask = Uint8Array.from({ length: N }, () => (random() < share ? 1 : 0));
        sum += at(corrected, mask) - at(spectrum, mask);
      }
      return sum / 500;
    };
    assert.ok(Math.abs(keeping(0.9)) < 0.01 * error, `90 % kept: ${keeping(0.9)}`);
    assert.ok(keeping(0.1) > 0.4 * error, `10 % kept: ${keeping(0.1)}`);
  });

  it('is not made where it would move uniform masks more than allowed, and is where it would not', () => {
    // Four orders of up to 400 sets over 30 spans: a mean squared change of about 8·10⁻⁴ of the error².
    assert.equal(passThroughEmpty(spectrum, N, at(spectrum, empty) + error, 5, 1e-4 * error * error), spectrum);
    const allowed = passThroughEmpty(spectrum, N, at(spectrum, empty) + error, 5, 1e-2 * error * error);
    assert.ok(Math.abs(at(allowed, empty) - at(spectrum, empty) - error) < 1e-9);
    assert.ok(uniformChange(spectrum, allowed) < 1e-2 * error * error);
  });

  it('uses no order above the recovery degree, and leaves a spectrum that passes already as it is', () => {
    assert.ok([...passThroughEmpty(spectrum, N, at(spectrum, empty) + 1, 2).keys()].every((key) => key.length <= 2));
    assert.equal(passThroughEmpty(spectrum, N, at(spectrum, empty), 5), spectrum);
    assert.equal(passThroughEmpty(spectrum, N, undefined, 5), spectrum);
  });
});
