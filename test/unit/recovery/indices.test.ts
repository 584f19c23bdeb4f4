import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fourierToMobius } from '../../../server/recovery/conversions';
import { recoverExact } from '../../../server/recovery/exact';
import { INDEX_NAMES, type IndexName } from '../../../server/recovery/indexNames';
import { banzhafValues, EMPTY_SET_MEANING, interactionIndex, shapleyValues } from '../../../server/recovery/indices';
import { EMPTY_KEY, keyOf } from '../../../server/recovery/interactionKey';
import { seededRandom } from '../../../server/recovery/random';
import type { Spectrum } from '../../../server/recovery/spectrum';
import {
  assertSpectraClose,
  banzhafBySubsets,
  biiByDefinition,
  fbiiByLeastSquares,
  fourierByDefinition,
  fsiiByLeastSquares,
  indexFromMobiusFormula,
  mobiusByDefinition,
  randomSparseSpectrum,
  randomValues,
  shapleyByPermutations,
  siiByDefinition,
  stiiByDefinition,
  valuesOfFourier,
} from './bruteForceIndices';

/** A function given by its values on all 2^n masks, with the Fourier expansion the indices start from. */
interface TestFunction {
  readonly label: string;
  readonly n: number;
  readonly values: Float64Array;
  readonly fourier: Spectrum;
}

function fromValues(label: string, n: number, values: Float64Array): TestFunction {
  return { label, n, values, fourier: recoverExact(n, values).fourier };
}

function fromFourier(label: string, n: number, fourier: Spectrum): TestFunction {
  return { label, n, values: valuesOfFourier(n, fourier), fourier };
}

function perFeature(baseline: number, values: readonly number[]): Spectrum {
  return new Map([[EMPTY_KEY, baseline], ...values.map((value, i): [string, number] => [keyOf([i]), value])]);
}

/** Every index of order k from its definition, over all 2^n values. */
function byDefinition(name: IndexName, fn: TestFunction, order: number): Spectrum {
  const { n, values } = fn;
  const empty = values[0] as number;
  switch (name) {
    case 'fourier':
      return fourierByDefinition(n, values, order);
    case 'mobius':
      return mobiusByDefinition(n, values, order);
    case 'shapley':
      return perFeature(empty, shapleyByPermutations(n, values));
    case 'banzhaf':
      return perFeature(biiByDefinition(n, values, 0).get(EMPTY_KEY) as number, banzhafBySubsets(n, values));
    case 'sii':
      return new Map([[EMPTY_KEY, empty], ...siiByDefinition(n, values, order)]);
    case 'bii':
      return biiByDefinition(n, values, order);
    case 'stii':
      return stiiByDefinition(n, values, order);
    case 'fbii':
      return fbiiByLeastSquares(n, values, order);
    case 'fsii':
      return fsiiByLeastSquares(n, values, order);
  }
}

function testFunctions(): TestFunction[] {
  const random = seededRandom(2024);
  return [
    fromValues('dense n = 6', 6, randomValues(6, random)),
    fromValues('dense n = 8', 8, randomValues(8, random)),
    fromFourier('sparse n = 6', 6, randomSparseSpectrum(6, 10, 4, random)),
    fromFourier('sparse n = 8', 8, randomSparseSpectrum(8, 16, 5, random)),
  ];
}

describe('interaction indices against their definitions', () => {
  const functions = testFunctions();
  for (const name of INDEX_NAMES) {
    it(`${name} matches its brute-force definition for k = 1, 2, 3 (n = 6 and 8, dense and sparse)`, () => {
      for (const fn of functions) {
        for (const order of [1, 2, 3]) {
          assertSpectraClose(
            interactionIndex(name, fn.fourier, order),
            byDefinition(name, fn, order),
            1e-9,
            `${name}, ${fn.label}, k = ${order}`,
          );
        }
      }
    });
  }

  it('the brute-force reference itself tells the indices apart (so the tests above can fail)', () => {
    const fn = functions[3] as TestFunction;
    const pairs: [IndexName, IndexName][] = [
      ['fsii', 'fbii'],
      ['fsii', 'stii'],
      ['sii', 'bii'],
      ['stii', 'sii'],
      ['fbii', 'mobius'],
    ];
    for (const [a, b] of pairs) {
      assert.throws(() => assertSpectraClose(interactionIndex(a, fn.fourier, 2), byDefinition(b, fn, 2), 1e-9, `${a} vs ${b}`));
    }
  });
});

describe("interaction indices against the docs' Möbius-basis formulas", () => {
  it('agree on random sparse functions among 64 features, k = 1..4', () => {
    const random = seededRandom(64);
    for (let trial = 0; trial < 3; trial += 1) {
      const fourier = randomSparseSpectrum(64, 50, 5, random);
      const mobius = fourierToMobius(fourier);
      for (const order of [1, 2, 3, 4]) {
        for (const name of ['sii', 'bii', 'stii', 'fbii', 'fsii'] as const) {
          assertSpectraClose(
            interactionIndex(name, fourier, order),
            indexFromMobiusFormula(name, mobius, order),
            1e-9,
            `${name}, k = ${order}`,
          );
        }
      }
    }
  });
});

describe('interaction index semantics', () => {
  it('gives the signs a reader expects', () => {
    // f = 3·m_0 + 0.5·m_1·m_2 − m_3: feature 0 raises the output, feature 3 lowers it.
    const n = 4;
    const values = Float64Array.from({ length: 1 << n }, (_, m) => 3 * (m & 1) + 0.5 * ((m >> 1) & (m >> 2) & 1) - ((m >> 3) & 1));
    const { fourier } = recoverExact(n, values);
    for (const name of ['shapley', 'banzhaf'] as const) {
      const index = interactionIndex(name, fourier, 1);
      assert.ok((index.get(keyOf([0])) as number) > 0, `${name} of a feature that raises f`);
      assert.ok((index.get(keyOf([3])) as number) < 0, `${name} of a feature that lowers f`);
    }
    const expected = [3, 0.25, 0.25, -1];
    for (const values of [shapleyValues(fourier), banzhafValues(fourier)]) {
      assert.equal(values.length, 4);
      values.forEach((value, i) => assert.ok(Math.abs(value - (expected[i] as number)) < 1e-12, `feature ${i}: ${value}`));
    }
    // AND is synergy, OR is redundancy.
    const and = recoverExact(2, Float64Array.from([0, 0, 0, 1])).fourier;
    const or = recoverExact(2, Float64Array.from([0, 1, 1, 1])).fourier;
    assert.ok((interactionIndex('mobius', and, 2).get(keyOf([0, 1])) as number) > 0);
    assert.ok((interactionIndex('mobius', or, 2).get(keyOf([0, 1])) as number) < 0);
    for (const name of ['sii', 'bii', 'stii', 'fsii', 'fbii'] as const) {
      assert.ok((interactionIndex(name, and, 2).get(keyOf([0, 1])) as number) > 0, `${name} of AND`);
      assert.ok((interactionIndex(name, or, 2).get(keyOf([0, 1])) as number) < 0, `${name} of OR`);
    }
  });

  it('collapses FSII, FBII and STII to Möbius when k ≥ the degree of the function', () => {
    const random = seededRandom(11);
    const fourier = randomSparseSpectrum(30, 40, 3, random);
    const degree = Math.max(...[...fourier.keys()].map((key) => key.length));
    assert.equal(degree, 3);
    const mobius = fourierToMobius(fourier);
    for (const order of [3, 4, 7]) {
      for (const name of ['fsii', 'fbii', 'stii'] as const) {
        assertSpectraClose(interactionIndex(name, fourier, order), mobius, 1e-12, `${name}, k = ${order}`);
      }
    }
    // Below the degree they differ from Möbius and from each other.
    const fsii = interactionIndex('fsii', fourier, 2);
    assert.throws(() => assertSpectraClose(fsii, interactionIndex('mobius', fourier, 2), 1e-6, 'fsii₂ vs mobius'));
    assert.throws(() => assertSpectraClose(fsii, interactionIndex('fbii', fourier, 2), 1e-6, 'fsii₂ vs fbii₂'));
  });

  it('relates the order-1 indices to Shapley and Banzhaf values', () => {
    const fourier = randomSparseSpectrum(40, 60, 5, seededRandom(13));
    const shapley = interactionIndex('shapley', fourier, 1);
    const banzhaf = interactionIndex('banzhaf', fourier, 1);
    // Shapley–Taylor, Faith-Shapley and SII of order 1 are the Shapley values, with the baseline f(∅).
    for (const name of ['stii', 'fsii', 'sii'] as const) assertSpectraClose(interactionIndex(name, fourier, 1), shapley, 1e-12, name);
    // BII of order 1 is the Banzhaf values with the mean F(∅).
    assertSpectraClose(interactionIndex('bii', fourier, 1), banzhaf, 1e-12, 'bii');
    assert.equal(banzhaf.get(EMPTY_KEY), fourier.get(EMPTY_KEY));
    // FBII of order 1 has the Banzhaf values too, but its ∅ is the value of the best linear fit at
    // "all removed", F(∅) + Σ_i F({i}) = F(∅) − Σ_i β_i/2, not F(∅).
    const fbii = interactionIndex('fbii', fourier, 1);
    let sumOfBanzhaf = 0;
    for (const [key, value] of banzhaf) if (key !== EMPTY_KEY) sumOfBanzhaf += value;
    assertSpectraClose(fbii, new Map([...banzhaf, [EMPTY_KEY, (fourier.get(EMPTY_KEY) ?? 0) - sumOfBanzhaf / 2]]), 1e-12, 'fbii₁');
    assert.ok(Math.abs(sumOfBanzhaf) > 0.01);
    // The baseline of the Shapley family is f(all removed) = M(∅), and efficiency holds.
    const mobius = fourierToMobius(fourier);
    assert.ok(Math.abs((shapley.get(EMPTY_KEY) as number) - (mobius.get(EMPTY_KEY) as number)) < 1e-12);
  });

  it('keeps efficiency: Shapley values, STII and FSII sum to f(all kept)', () => {
    const fn = testFunctions()[1] as TestFunction;
    const full = fn.values[(1 << fn.n) - 1] as number;
    const sum = (spectrum: Spectrum): number => [...spectrum.values()].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum(interactionIndex('shapley', fn.fourier, 1)) - full) < 1e-9);
    for (const order of [1, 2, 3]) {
      assert.ok(Math.abs(sum(interactionIndex('stii', fn.fourier, order)) - full) < 1e-9, `stii, k = ${order}`);
      assert.ok(Math.abs(sum(interactionIndex('fsii', fn.fourier, order)) - full) < 1e-9, `fsii, k = ${order}`);
    }
  });

  it('includes ∅ in every output and keeps sizes within the order', () => {
    const fourier = randomSparseSpectrum(50, 80, 5, seededRandom(17));
    for (const name of INDEX_NAMES) {
      assert.ok(EMPTY_SET_MEANING[name].length > 0);
      for (const order of [1, 2, 3]) {
        const index = interactionIndex(name, fourier, order);
        assert.ok(index.has(EMPTY_KEY), `${name} has ∅`);
        const largest = name === 'shapley' || name === 'banzhaf' ? 1 : order;
        for (const key of index.keys()) assert.ok(key.length <= largest, `${name}, k = ${order}: a term of size ${key.length}`);
      }
    }
    assert.deepEqual([...interactionIndex('fsii', new Map(), 2)], [[EMPTY_KEY, 0]]);
  });

  it('stays accurate for terms of high degree', () => {
    // One Fourier term K: SII(T) = (−2)^{|T|}/(m + 1) when m = |K∖T| is even and 0 when it is odd.
    const key = keyOf(Array.from({ length: 20 }, (_, i) => i));
    const fourier: Spectrum = new Map([[key, 1]]);
    assert.equal(interactionIndex('sii', fourier, 1).get(keyOf([0])), undefined);
    const odd: Spectrum = new Map([[keyOf(Array.from({ length: 21 }, (_, i) => i)), 1]]);
    assert.ok(Math.abs((interactionIndex('sii', odd, 1).get(keyOf([0])) as number) + 2 / 21) < 1e-15);
    assert.ok(Math.abs((interactionIndex('sii', fourier, 2).get(keyOf([3, 4])) as number) - 4 / 19) < 1e-15);
    assert.equal(interactionIndex('sii', odd, 2).get(keyOf([3, 4])), undefined);
  });

  it('fills dense per-feature arrays and checks the feature count', () => {
    const fourier = randomSparseSpectrum(12, 30, 4, seededRandom(19));
    const shapley = interactionIndex('shapley', fourier, 1);
    const banzhaf = interactionIndex('banzhaf', fourier, 1);
    const phi = shapleyValues(fourier, 15);
    const beta = banzhafValues(fourier, 15);
    assert.equal(phi.length, 15);
    for (let i = 0; i < 15; i += 1) {
      assert.ok(Math.abs((phi[i] as number) - (shapley.get(keyOf([i])) ?? 0)) < 1e-12);
      assert.ok(Math.abs((beta[i] as number) - (banzhaf.get(keyOf([i])) ?? 0)) < 1e-12);
    }
    assert.equal(shapleyValues(new Map([[keyOf([2, 9]), 1]])).length, 10);
    assert.throws(() => shapleyValues(new Map([[keyOf([2, 9]), 1]]), 5), /feature 9, but there are only 5/u);
    assert.throws(() => banzhafValues(new Map(), -1), /feature count/u);
  });

  it('rejects bad orders and unknown names with clear errors', () => {
    const fourier: Spectrum = new Map([[keyOf([0]), 1]]);
    for (const order of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => interactionIndex('fsii', fourier, order), {
        name: 'RangeError',
        message: /index order must be a whole number ≥ 1/u,
      });
    }
    assert.throws(() => interactionIndex('shapley', fourier, 0), RangeError);
    assert.throws(() => interactionIndex('owen' as IndexName, fourier, 2), {
      name: 'RangeError',
      message: /Unknown interaction index "owen"/u,
    });
  });
});
