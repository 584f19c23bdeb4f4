import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fourierToMobius, mobiusToFourier, sumOverSubsets, truncateDegree } from '../../../server/recovery/conversions';
import { recoverExact } from '../../../server/recovery/exact';
import { EMPTY_KEY, keyOf } from '../../../server/recovery/interactionKey';
import { seededRandom } from '../../../server/recovery/random';
import type { Spectrum } from '../../../server/recovery/spectrum';
import { assertSpectraClose, randomSparseSpectrum, randomValues, valuesOfFourier, valuesOfMobius } from './bruteForceIndices';

function spectrum(entries: [number[], number][]): Spectrum {
  return new Map(entries.map(([indices, value]) => [keyOf(indices), value]));
}

describe('Fourier ↔ Möbius conversions', () => {
  it('converts single terms as the derivation says', () => {
    // m_0 = ½ − ½·(−1)^{m_0}: F = {∅: ½, {0}: −½} is M = {{0}: 1}.
    assertSpectraClose(
      fourierToMobius(
        spectrum([
          [[], 0.5],
          [[0], -0.5],
        ]),
      ),
      spectrum([[[0], 1]]),
      1e-15,
      'm_0',
    );
    // m_0·m_1 = ¼(1 − χ_0)(1 − χ_1).
    assertSpectraClose(
      mobiusToFourier(spectrum([[[0, 1], 1]])),
      spectrum([
        [[], 0.25],
        [[0], -0.25],
        [[1], -0.25],
        [[0, 1], 0.25],
      ]),
      1e-15,
      'm_0 m_1',
    );
    // χ_{0,1,2} = Π(1 − 2m_i): M(T) = (−2)^{|T|} for every T ⊆ {0, 1, 2}.
    const mobius = fourierToMobius(spectrum([[[0, 1, 2], 1]]));
    assert.equal(mobius.size, 8);
    assert.equal(mobius.get(keyOf([0, 2])), 4);
    assert.equal(mobius.get(keyOf([0, 1, 2])), -8);
  });

  it('round-trips random sparse functions (n up to 64, degree ≤ 5, 50 terms) to 1e-9', () => {
    const random = seededRandom(101);
    for (const n of [8, 20, 64]) {
      for (let trial = 0; trial < 5; trial += 1) {
        const fourier = randomSparseSpectrum(n, 50, 5, random);
        const mobius = fourierToMobius(fourier);
        assertSpectraClose(mobiusToFourier(mobius), fourier, 1e-9, `Fourier → Möbius → Fourier, n = ${n}`);
        assertSpectraClose(fourierToMobius(mobiusToFourier(fourier)), fourier, 1e-9, `Möbius → Fourier → Möbius, n = ${n}`);
      }
    }
  });

  it("agrees with recoverExact's full tables at n = 8", () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 3; trial += 1) {
      const { fourier, mobius } = recoverExact(8, randomValues(8, random));
      assertSpectraClose(fourierToMobius(fourier), mobius, 1e-10, 'Fourier → Möbius');
      assertSpectraClose(mobiusToFourier(mobius), fourier, 1e-10, 'Möbius → Fourier');
    }
  });

  it('gives a Möbius expansion with the same values on every mask (n = 10)', () => {
    const random = seededRandom(3);
    const fourier = randomSparseSpectrum(10, 30, 6, random);
    const fromFourier = valuesOfFourier(10, fourier);
    const fromMobius = valuesOfMobius(10, fourierToMobius(fourier));
    for (let mask = 0; mask < fromFourier.length; mask += 1) {
      assert.ok(Math.abs((fromFourier[mask] as number) - (fromMobius[mask] as number)) < 1e-9, `mask ${mask}`);
    }
  });

  it('always keeps ∅ and drops terms that cancel exactly', () => {
    assert.deepEqual([...fourierToMobius(new Map())], [[EMPTY_KEY, 0]]);
    // F(∅) = M({0})/2 + M({0,1})/4 = 0 is kept; F({0}) = −(M({0})/2 + M({0,1})/4) = 0 is dropped.
    const fourier = mobiusToFourier(
      spectrum([
        [[0], 2],
        [[0, 1], -4],
      ]),
    );
    assert.equal(fourier.get(EMPTY_KEY), 0);
    assert.equal(fourier.has(keyOf([0])), false);
    assert.deepEqual([...fourier.keys()].sort(), [EMPTY_KEY, keyOf([1]), keyOf([0, 1])].sort());
  });

  it('round-trips 2,000 terms of degree ≤ 5 among 4,096 features', () => {
    const fourier = randomSparseSpectrum(4096, 2000, 5, seededRandom(5));
    assertSpectraClose(mobiusToFourier(fourierToMobius(fourier)), fourier, 1e-9, 'round trip');
  });

  it('rejects non-finite coefficients and hopeless expansions', () => {
    assert.throws(() => fourierToMobius(spectrum([[[0], Number.NaN]])), /NaN/u);
    const tooDeep = keyOf(Array.from({ length: 30 }, (_, i) => i));
    assert.throws(() => fourierToMobius(new Map([[tooDeep, 1]])), /would visit 1\.07e\+9 subsets/u);
    assert.throws(() => sumOverSubsets(new Map(), 1.5, () => 1), /whole number/u);
  });
});

describe('truncateDegree', () => {
  it('keeps the terms of degree ≤ d and always ∅', () => {
    const input = spectrum([
      [[0], 1],
      [[0, 1], 2],
      [[0, 1, 2], 3],
    ]);
    assert.deepEqual(
      [...truncateDegree(input, 2)],
      [
        [EMPTY_KEY, 0],
        [keyOf([0]), 1],
        [keyOf([0, 1]), 2],
      ],
    );
    assert.deepEqual([...truncateDegree(input, 0)], [[EMPTY_KEY, 0]]);
    assert.equal(truncateDegree(input, 7).size, 4);
  });

  it('rejects negative and fractional degrees', () => {
    assert.throws(() => truncateDegree(new Map(), -1), /whole number ≥ 0; got -1/u);
    assert.throws(() => truncateDegree(new Map(), 1.5), /got 1\.5/u);
  });
});
