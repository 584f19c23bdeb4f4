import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mobiusTransform, walshHadamardAnalysis, walshHadamardSynthesis, zetaTransform } from '../../server/recovery/fastTransforms';
import { exactMask, recoverExact } from '../../server/recovery/exact';
import { indicesOf, keyOf } from '../../server/recovery/interactionKey';
import { seededRandom } from '../../server/recovery/random';

function randomTable(n: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  return Float64Array.from({ length: 2 ** n }, () => random() * 2 - 1);
}

describe('fast transforms', () => {
  it('pins the Fourier convention: (−1)^{m_i} is +1 when feature i is removed', () => {
    // f(m) = m_0: 1 when feature 0 is kept. Then f = ½ − ½·(−1)^{m_0}, so F(∅) = ½ and F({0}) = −½.
    const { fourier } = recoverExact(2, Float64Array.from([0, 1, 0, 1]));
    assert.equal(fourier.get(keyOf([])), 0.5);
    assert.equal(fourier.get(keyOf([0])), -0.5);
    assert.equal(fourier.size, 2);
  });

  it('pins the Möbius convention: M(T) is the joint effect of keeping T', () => {
    // f(m) = m_0 · m_1 (an AND): its only dividend is M({0, 1}) = 1.
    const { mobius } = recoverExact(2, Float64Array.from([0, 0, 0, 1]));
    assert.deepEqual(
      [...mobius],
      [
        [keyOf([]), 0],
        [keyOf([0, 1]), 1],
      ],
    );
  });

  it('round-trips Walsh–Hadamard and Möbius on random tables', () => {
    for (const n of [1, 3, 8, 12]) {
      const table = randomTable(n, n);
      const fourier = Float64Array.from(table);
      walshHadamardAnalysis(fourier);
      walshHadamardSynthesis(fourier);
      const mobius = Float64Array.from(table);
      mobiusTransform(mobius);
      zetaTransform(mobius);
      for (let i = 0; i < table.length; i += 1) {
        assert.ok(Math.abs((fourier[i] as number) - (table[i] as number)) < 1e-9);
        assert.ok(Math.abs((mobius[i] as number) - (table[i] as number)) < 1e-9);
      }
    }
  });

  it('recovers expansions that reproduce every value', () => {
    const n = 6;
    const table = randomTable(n, 42);
    const { fourier, mobius } = recoverExact(n, table);
    for (let index = 0; index < table.length; index += 1) {
      const mask = exactMask(n, index);
      let fromFourier = 0;
      for (const [key, value] of fourier) fromFourier += value * indicesOf(key).reduce((sign, i) => sign * (mask[i] === 1 ? -1 : 1), 1);
      let fromMobius = 0;
      for (const [key, value] of mobius) if (indicesOf(key).every((i) => mask[i] === 1)) fromMobius += value;
      assert.ok(Math.abs(fromFourier - (table[index] as number)) < 1e-9);
      assert.ok(Math.abs(fromMobius - (table[index] as number)) < 1e-9);
    }
  });

  it('rejects bad sizes and values', () => {
    assert.throws(() => walshHadamardAnalysis(new Float64Array(3)), /2\^n values; got 3/u);
    assert.throws(() => recoverExact(0, new Float64Array(1)), /at least one feature/u);
    assert.throws(() => recoverExact(17, new Float64Array(1)), /n ≤ 16/u);
    assert.throws(() => recoverExact(2, Float64Array.from([0, Number.NaN, 0, 0])), /mask 1 is NaN/u);
  });
});
