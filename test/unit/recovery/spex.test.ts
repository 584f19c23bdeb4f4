import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parityOf } from '../../../server/recovery/spex/bch';
import { indicesOf, keyOf } from '../../../server/recovery/interactionKey';
import { gaussian, seededRandom } from '../../../server/recovery/random';
import type { Spectrum } from '../../../server/recovery/spectrum';
import { decodeSpex, estimateBinNoise, spexBins, type SpexDecodeOptions } from '../../../server/recovery/spex/spexDecode';
import {
  binOf,
  designMask,
  designMaskCoordinates,
  designMaskIndex,
  designMasks,
  planSpexDesign,
  spexSampleCount,
  type SpexDesign,
} from '../../../server/recovery/spex/spexDesign';
import { compareSpectra, describeKey, designValues, evaluateSpectrum, plantSpectrum } from './plantedForSpex';

interface Scenario {
  readonly featureCount: number;
  readonly sparsity: number;
  readonly maxDegree: number;
  readonly b: number;
  readonly t: number;
  readonly seed: number;
  readonly noiseSd?: number;
}

function runScenario(scenario: Scenario, options: SpexDecodeOptions = {}) {
  const random = seededRandom(scenario.seed);
  const planted = plantSpectrum({
    featureCount: scenario.featureCount,
    sparsity: scenario.sparsity,
    maxDegree: scenario.maxDegree,
    random,
  });
  const design = planSpexDesign({ featureCount: scenario.featureCount, b: scenario.b, t: scenario.t, random });
  const values = designValues(design, planted, scenario.noiseSd ?? 0, random);
  const result = decodeSpex(design, values, options);
  return { planted, design, values, result, comparison: compareSpectra(planted, result.spectrum) };
}

function assertExact(planted: Spectrum, recovered: Spectrum): void {
  for (const [key, value] of planted) {
    const estimate = recovered.get(key);
    assert.ok(estimate !== undefined, `missing ${describeKey(key)}`);
    assert.ok(Math.abs(estimate - value) < 1e-9, `${describeKey(key)}: ${estimate} instead of ${value}`);
  }
  for (const key of recovered.keys()) assert.ok(planted.has(key), `spurious ${describeKey(key)}`);
}

describe('SPEX sample counts', () => {
  it('match the t = 5 table', () => {
    const table: [number, number, number, number][] = [
      // n, b = 4, b = 6, b = 8
      [16, 1344, 5376, 21504],
      [64, 1728, 6912, 27648],
      [128, 1968, 7872, 31488],
      [256, 2208, 8832, 35328],
      [512, 2448, 9792, 39168],
      [1024, 2688, 10752, 43008],
    ];
    for (const [n, b4, b6, b8] of table) {
      assert.deepEqual(
        [4, 6, 8].map((b) => spexSampleCount(n, b, 5)),
        [b4, b6, b8],
        `n = ${n}`,
      );
    }
  });

  it('match the other-t table at b = 8', () => {
    const table: [number, number[]][] = [
      // n, t = 2 … 6
      [16, [8448, 12288, 19200, 21504, 26112]],
      [64, [11520, 16896, 22272, 27648, 33024]],
      [128, [13056, 19200, 25344, 31488, 37632]],
      [256, [14592, 21504, 28416, 35328, 42240]],
      [1024, [17664, 26112, 34560, 43008, 51456]],
    ];
    for (const [n, counts] of table) {
      assert.deepEqual(
        [2, 3, 4, 5, 6].map((t) => spexSampleCount(n, 8, t)),
        counts,
        `n = ${n}`,
      );
    }
  });

  it('give the worked examples and scale with groups', () => {
    assert.equal(spexSampleCount(130, 8, 5), 31488);
    assert.equal(spexSampleCount(1024, 8, 4), 34560);
    assert.equal(spexSampleCount(256, 6, 4), 7104);
    assert.equal(spexSampleCount(1024, 8, 5, 1), 43008 / 3);
  });

  it('are defined for n = 4,096 at every b and t', () => {
    for (let t = 1; t <= 8; t += 1) for (let b = 1; b <= 20; b += 1) assert.ok(spexSampleCount(4096, b, t) > 0);
  });

  it('reject bad numbers with clear errors', () => {
    assert.throws(() => spexSampleCount(0, 6, 5), /integer feature count n from 1 to 4096; got 0/);
    assert.throws(() => spexSampleCount(4097, 6, 5), /got 4097/);
    assert.throws(() => spexSampleCount(64, 0, 5), /b \(log2 of bins per group\) from 1 to 20; got 0/);
    assert.throws(() => spexSampleCount(64, 21, 5), /got 21/);
    assert.throws(() => spexSampleCount(64, 6, 0), /maximum degree t from 1 to 8; got 0/);
    assert.throws(() => spexSampleCount(64, 6, 9), /got 9/);
    assert.throws(() => spexSampleCount(64, 6, 5, 0), /number of groups at least 1; got 0/);
    assert.throws(() => spexSampleCount(64, 6.5, 5), RangeError);
  });
});

describe('SPEX design', () => {
  it('holds zero plus the BCH delay rows, and reproducible hashing matrices', () => {
    const design = planSpexDesign({ featureCount: 40, b: 5, t: 4, random: seededRandom(1) });
    assert.equal(design.delayCount, design.code.parityBits + 1);
    assert.equal(design.sampleCount, spexSampleCount(40, 5, 4));
    assert.ok(design.delays[0]?.every((bit) => bit === 0));
    design.code.delayRows.forEach((row, q) => assert.deepEqual(design.delays[q + 1], row));
    for (const rows of design.hashRows) for (const row of rows) assert.ok(row >= 0 && row < 32);
    const again = planSpexDesign({ featureCount: 40, b: 5, t: 4, random: seededRandom(1) });
    assert.deepEqual(again.hashRows, design.hashRows);
    const other = planSpexDesign({ featureCount: 40, b: 5, t: 4, random: seededRandom(2) });
    assert.notDeepEqual(other.hashRows, design.hashRows);
  });

  it('orders masks group-major, then delay, then ℓ, each mask M_c·ℓ ⊕ δ_d', () => {
    const design = planSpexDesign({ featureCount: 23, b: 3, t: 2, groups: 2, random: seededRandom(4) });
    const masks = designMasks(design);
    assert.equal(masks.length, design.sampleCount);
    let index = 0;
    for (let group = 0; group < design.groups; group += 1) {
      for (let delay = 0; delay < design.delayCount; delay += 1) {
        for (let l = 0; l < design.binCount; l += 1, index += 1) {
          assert.equal(designMaskIndex(design, group, delay, l), index);
          assert.deepEqual(designMaskCoordinates(design, index), { group, delay, l });
          // The documented bit order: column r of M_c multiplies ℓ's bit b − 1 − r.
          const expected = new Uint8Array(design.featureCount);
          for (let i = 0; i < design.featureCount; i += 1) {
            let bit = design.delays[delay]?.[i] as number;
            for (let r = 0; r < design.b; r += 1) {
              const matrixEntry = ((design.hashRows[group]?.[i] as number) >> (design.b - 1 - r)) & 1;
              bit ^= matrixEntry & ((l >> (design.b - 1 - r)) & 1);
            }
            expected[i] = bit;
          }
          assert.deepEqual(masks[index], expected);
          assert.deepEqual(designMask(design, index), expected);
        }
      }
    }
    // ℓ = 0 queries the delay itself, in every group.
    assert.deepEqual(masks[designMaskIndex(design, 1, 3, 0)], design.delays[3]);
    assert.throws(() => designMaskCoordinates(design, design.sampleCount), /mask index from 0 to/);
    assert.throws(() => designMaskIndex(design, 2, 0, 0), /group from 0 to 1; got 2/);
  });

  it('reproduces the worked example of the reference (n = 8, b = 2)', () => {
    const planned = planSpexDesign({ featureCount: 8, b: 2, t: 1, groups: 1, random: seededRandom(1) });
    const bits = (text: string): Uint8Array => Uint8Array.from(text, (character) => Number(character));
    const u = bits('10110010');
    const w = bits('01100110');
    const delay = bits('11010001');
    // ℓ's first coordinate (the most significant bit) multiplies u, the second w.
    const hashRows = [Uint32Array.from(u, (bit, i) => (bit << 1) | (w[i] as number))];
    const design: SpexDesign = { ...planned, hashRows, delays: [new Uint8Array(8), delay], delayCount: 2, sampleCount: 8 };
    const masks = [0, 1, 2, 3].map((l) => Array.from(designMask(design, designMaskIndex(design, 0, 1, l))).join(''));
    assert.deepEqual(masks, ['11010001', '10110111', '01100011', '00000101']);
    // Key k lands in bin (⟨u,k⟩, ⟨w,k⟩).
    assert.equal(binOf(design, 0, [0]), 0b10);
    assert.equal(binOf(design, 0, [1]), 0b01);
    assert.equal(binOf(design, 0, [0, 1, 2]), 0b00);
  });

  it('rejects bad options with clear errors', () => {
    const random = seededRandom(1);
    assert.throws(() => planSpexDesign({ featureCount: 0, b: 4, t: 4, random }), /feature count n from 1 to 4096; got 0/);
    assert.throws(() => planSpexDesign({ featureCount: 20, b: 4, t: 0, random }), /maximum degree t from 1 to 8; got 0/);
    assert.throws(() => planSpexDesign({ featureCount: 20, b: 0, t: 4, random }), /b \(log2 of bins per group\) from 1 to 20; got 0/);
    assert.throws(() => planSpexDesign({ featureCount: 20, b: 21, t: 4, random }), /got 21/);
    assert.throws(() => planSpexDesign({ featureCount: 20, b: 4, t: 4, groups: 0, random }), /number of groups at least 1/);
    assert.throws(() => planSpexDesign({ featureCount: 20, b: 4, t: 4, random: undefined as unknown as () => number }), /random source/);
  });
});

describe('SPEX bins', () => {
  it('satisfy the aliasing identity U_{c,d}[j] = Σ_{M_cᵀk = j} F(k)(−1)^{⟨δ_d,k⟩}', () => {
    const random = seededRandom(8);
    const planted = plantSpectrum({ featureCount: 20, sparsity: 30, maxDegree: 5, random });
    const design = planSpexDesign({ featureCount: 20, b: 4, t: 5, random });
    const bins = spexBins(design, designValues(design, planted));
    const expected = new Float64Array(bins.length);
    for (const [key, value] of planted) {
      const indices = indicesOf(key);
      const parity = parityOf(design.code, indices);
      for (let c = 0; c < design.groups; c += 1) {
        const offset = (c * design.binCount + binOf(design, c, indices)) * design.delayCount;
        for (let d = 0; d < design.delayCount; d += 1) {
          expected[offset + d] = (expected[offset + d] as number) + (d > 0 && parity[d - 1] ? -value : value);
        }
      }
    }
    for (let i = 0; i < bins.length; i += 1) assert.ok(Math.abs((bins[i] as number) - (expected[i] as number)) < 1e-12, `bin entry ${i}`);
  });

  it('estimate the noise level from the spread of bin magnitudes', () => {
    const random = seededRandom(9);
    const planted = plantSpectrum({ featureCount: 128, sparsity: 41, maxDegree: 4, random });
    const design = planSpexDesign({ featureCount: 128, b: 6, t: 5, random });
    assert.ok(estimateBinNoise(spexBins(design, designValues(design, planted)), design.delayCount) < 1e-20, 'exact data: no noise');
    const sd = 0.2;
    const estimate = estimateBinNoise(spexBins(design, designValues(design, planted, sd, random)), design.delayCount) * design.binCount;
    assert.ok(estimate > sd ** 2 * 0.8 && estimate < sd ** 2 * 3, `estimated ${estimate} for ${sd ** 2}`);
  });
});

describe('SPEX decoding', () => {
  for (const t of [4, 5]) {
    for (const seed of [1, 2]) {
      it(`recovers a 40-sparse degree-≤4 function exactly at n = 128, b = 6, t = ${t} (seed ${seed})`, () => {
        const { planted, result, design } = runScenario({ featureCount: 128, sparsity: 40, maxDegree: 4, b: 6, t, seed });
        assert.equal(design.sampleCount, t === 5 ? 7872 : 6336);
        assertExact(planted, result.spectrum);
        assert.equal(result.diagnostics.stoppedBecause, 'converged');
        assert.ok(planted.has(keyOf([])) && result.spectrum.has(keyOf([])), 'the constant is recovered');
      });
    }
  }

  it('recovers a 32-sparse function exactly at n = 512, t = 4, b = 6', () => {
    const { planted, result } = runScenario({ featureCount: 512, sparsity: 32, maxDegree: 4, b: 6, t: 4, seed: 3 });
    assertExact(planted, result.spectrum);
  });

  it('recovers an 81-sparse function exactly at n = 512, t = 5, b = 7 (19,584 queries)', () => {
    const { planted, result, design } = runScenario({ featureCount: 512, sparsity: 81, maxDegree: 4, b: 7, t: 5, seed: 4 });
    assert.equal(design.sampleCount, 19584);
    assertExact(planted, result.spectrum);
  });

  it('is exact with the hard decoder too', () => {
    const { planted, result } = runScenario({ featureCount: 128, sparsity: 40, maxDegree: 4, b: 6, t: 5, seed: 5 }, { decoder: 'hard' });
    assertExact(planted, result.spectrum);
  });

  it('handles tiny feature counts', () => {
    for (const featureCount of [1, 2, 3]) {
      const random = seededRandom(featureCount);
      const planted = plantSpectrum({ featureCount, sparsity: 2 ** featureCount, maxDegree: featureCount, random });
      const design = planSpexDesign({ featureCount, b: featureCount, t: Math.max(1, featureCount), groups: 3, random });
      const { spectrum } = decodeSpex(design, designValues(design, planted));
      assertExact(planted, spectrum);
    }
  });

  it('returns nothing for the zero function and only ∅ for a constant', () => {
    const design = planSpexDesign({ featureCount: 50, b: 4, t: 4, random: seededRandom(6) });
    const zero = decodeSpex(design, new Float64Array(design.sampleCount));
    assert.equal(zero.spectrum.size, 0);
    assert.equal(zero.diagnostics.stoppedBecause, 'converged');
    const constant = decodeSpex(design, new Float64Array(design.sampleCount).fill(-3.25));
    assert.deepEqual([...constant.spectrum], [[keyOf([]), -3.25]]);
  });

  it('finds most keys under noise σ = 0.05, with accurate values and no wrong keys', () => {
    let found = 0;
    let total = 0;
    for (const seed of [11, 12]) {
      const { planted, result, comparison } = runScenario({
        featureCount: 128,
        sparsity: 41,
        maxDegree: 4,
        b: 6,
        t: 5,
        seed,
        noiseSd: 0.05,
      });
      found += comparison.found;
      total += planted.size;
      assert.ok(comparison.largestError < 0.05, `largest error ${comparison.largestError}`);
      assert.ok(comparison.largestSpurious < 0.1, `spurious ${comparison.spurious.map(describeKey).join(' ')}`);
      const noise = result.diagnostics.noiseVariance;
      assert.ok(noise > 0.05 ** 2 * 0.8 && noise < 0.05 ** 2 * 3, `noise estimate ${noise}`);
    }
    assert.ok(found >= total * 0.9, `${found} of ${total} keys found`);
  });

  it('recovers more under heavy noise with soft decoding than with hard decoding', () => {
    let soft = 0;
    let hard = 0;
    for (const seed of [1, 2, 3]) {
      const scenario = { featureCount: 128, sparsity: 41, maxDegree: 4, b: 6, t: 5, seed, noiseSd: 3 };
      const softRun = runScenario(scenario, { decoder: 'soft' }).comparison;
      const hardRun = runScenario(scenario, { decoder: 'hard' }).comparison;
      soft += softRun.found;
      hard += hardRun.found;
      for (const run of [softRun, hardRun]) assert.ok(run.largestSpurious < 0.3, `a wrong key of size ${run.largestSpurious}`);
    }
    assert.ok(soft >= hard + 10, `soft found ${soft}, hard ${hard}`);
    assert.ok(soft >= 0.75 * 3 * 41, `soft found ${soft}`);
  });

  it('never reports keys above degree t, even when the function has them', () => {
    const random = seededRandom(21);
    const planted = plantSpectrum({ featureCount: 256, sparsity: 60, maxDegree: 8, random });
    const design = planSpexDesign({ featureCount: 256, b: 7, t: 4, random });
    const { spectrum } = decodeSpex(design, designValues(design, planted));
    assert.ok(spectrum.size > 0);
    for (const [key, value] of spectrum) {
      assert.ok(key.length <= 4, `${describeKey(key)} has degree ${key.length}`);
      assert.ok(planted.has(key), `spurious ${describeKey(key)}`);
      assert.ok(Math.abs(value - (planted.get(key) as number)) < 1e-9);
    }
  });

  it('reproduces the function it recovered on fresh masks', () => {
    const { planted, result } = runScenario({ featureCount: 200, sparsity: 50, maxDegree: 4, b: 7, t: 5, seed: 31 });
    const random = seededRandom(99);
    for (let trial = 0; trial < 50; trial += 1) {
      const mask = Uint8Array.from({ length: 200 }, () => (random() < 0.5 ? 1 : 0));
      assert.ok(Math.abs(evaluateSpectrum(result.spectrum, mask) - evaluateSpectrum(planted, mask)) < 1e-9);
    }
  });

  it('decodes n = 1,024, t = 5, b = 8 (43,008 values) with noise', () => {
    const random = seededRandom(41);
    const planted = plantSpectrum({ featureCount: 1024, sparsity: 100, maxDegree: 5, random });
    const design = planSpexDesign({ featureCount: 1024, b: 8, t: 5, random });
    const values = designValues(design, planted, 0.1, random);
    const { spectrum } = decodeSpex(design, values);
    assert.ok(compareSpectra(planted, spectrum).found >= 95);
  });

  it('rejects bad values and options with clear errors', () => {
    const design = planSpexDesign({ featureCount: 20, b: 3, t: 2, random: seededRandom(1) });
    const values = new Float64Array(design.sampleCount);
    assert.throws(() => decodeSpex(design, new Float64Array(design.sampleCount - 1)), /one value per design mask: \d+; got \d+/);
    const withNaN = Float64Array.from(values);
    withNaN[7] = Number.NaN;
    assert.throws(() => decodeSpex(design, withNaN), /design mask 7 is NaN, not a finite number/);
    const withInfinity = Float64Array.from(values);
    withInfinity[0] = Number.POSITIVE_INFINITY;
    assert.throws(() => decodeSpex(design, withInfinity), /design mask 0 is Infinity/);
    assert.throws(() => decodeSpex(design, Array.from(values) as unknown as Float64Array), /Float64Array/);
    assert.throws(() => decodeSpex(design, values, { decoder: 'medium' as 'soft' }), /'soft' or 'hard'/);
    assert.throws(() => decodeSpex(design, values, { noiseVariance: -1 }), /noiseVariance must be a non-negative/);
    assert.throws(() => decodeSpex(design, values, { residualRatio: 2 }), /at most 1/);
    assert.throws(() => decodeSpex(design, values, { maxIterations: 0 }), /maxIterations/);
    assert.throws(() => decodeSpex(design, values, { chaseDepth: 99 }), /chaseDepth/);
  });

  it('uses a given noise variance instead of estimating one', () => {
    const random = seededRandom(51);
    const planted = plantSpectrum({ featureCount: 64, sparsity: 20, maxDegree: 3, random });
    const design = planSpexDesign({ featureCount: 64, b: 5, t: 4, random });
    const values = designValues(design, planted);
    for (let i = 0; i < values.length; i += 1) values[i] = (values[i] as number) + 0.01 * gaussian(random);
    const given = decodeSpex(design, values, { noiseVariance: 1e-4 });
    assert.equal(given.diagnostics.noiseVariance, 1e-4);
    assert.ok(compareSpectra(planted, given.spectrum).found >= 18);
    // A noise level far above the signal makes every bin a zeroton.
    assert.equal(decodeSpex(design, values, { noiseVariance: 1e6 }).spectrum.size, 0);
  });
});
