import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bchParameters, buildBchCode, decodeHard, decodeSoft, parityOf, type BchCode } from '../../../server/recovery/spex/bch';
import {
  cyclotomicCoset,
  galoisField,
  gfAlphaPower,
  gfDivide,
  gfInverse,
  gfMultiply,
  gfPower,
  MAX_FIELD_DEGREE,
  minimalPolynomial,
  type GaloisField,
} from '../../../server/recovery/spex/galoisField';
import { randomInteger, seededRandom, type RandomSource } from '../../../server/recovery/random';

function randomSet(random: RandomSource, featureCount: number, size: number): number[] {
  const members = new Set<number>();
  while (members.size < size) members.add(randomInteger(random, featureCount));
  return [...members].sort((a, b) => a - b);
}

function distinctPositions(random: RandomSource, bound: number, count: number): number[] {
  return randomSet(random, bound, count);
}

/** Evaluates a GF(2) polynomial (coefficient array, lowest degree first) at a field element. */
function evaluateBinary(field: GaloisField, coefficients: ArrayLike<number>, point: number): number {
  let value = 0;
  for (let d = coefficients.length - 1; d >= 0; d -= 1) value = gfMultiply(field, value, point) ^ (coefficients[d] as number);
  return value;
}

/** The whole codeword of the set S in the code's position convention: parity at 0 … p−1, feature j at p + j. */
function codeword(code: BchCode, indices: readonly number[]): Uint8Array {
  const word = new Uint8Array(code.length);
  word.set(parityOf(code, indices));
  for (const index of indices) word[code.parityBits + index] = 1;
  return word;
}

/** Soft values of a clean parity word: sign from the bit (1 → negative), reliability in [1, 2). */
function cleanSoft(random: RandomSource, parity: Uint8Array): Float64Array {
  return Float64Array.from(parity, (bit) => (bit ? -1 : 1) * (1 + random()));
}

function softMetric(soft: Float64Array, indicesParity: Uint8Array): number {
  let metric = 0;
  for (let q = 0; q < soft.length; q += 1)
    if (((soft[q] as number) < 0 ? 1 : 0) !== indicesParity[q]) metric += Math.abs(soft[q] as number);
  return metric;
}

describe('GF(2^m)', () => {
  it('builds consistent log/antilog tables for every supported m', () => {
    for (let m = 2; m <= MAX_FIELD_DEGREE; m += 1) {
      const field = galoisField(m);
      assert.equal(field.order, 2 ** m - 1);
      assert.equal(galoisField(m), field, 'fields are cached');
      const seen = new Set<number>();
      for (let i = 0; i < field.order; i += 1) {
        const element = field.exp[i] as number;
        assert.ok(element > 0 && element < 2 ** m);
        assert.equal(field.log[element], i);
        seen.add(element);
      }
      assert.equal(seen.size, field.order, `α generates GF(2^${m})*`);
    }
  });

  it('multiplies, divides and raises to powers consistently', () => {
    const random = seededRandom(3);
    for (const m of [3, 8, 11, 14]) {
      const field = galoisField(m);
      for (let trial = 0; trial < 200; trial += 1) {
        const a = randomInteger(random, 2 ** m);
        const b = 1 + randomInteger(random, 2 ** m - 1);
        const c = randomInteger(random, 2 ** m);
        assert.equal(gfMultiply(field, a, b ^ c), gfMultiply(field, a, b) ^ gfMultiply(field, a, c), 'distributive');
        assert.equal(gfMultiply(field, gfDivide(field, a, b), b), a);
        assert.equal(gfMultiply(field, b, gfInverse(field, b)), 1);
        assert.equal(gfPower(field, b, 3), gfMultiply(field, b, gfMultiply(field, b, b)));
        assert.equal(gfPower(field, b, field.order), 1);
      }
      assert.equal(gfAlphaPower(field, -1), gfInverse(field, gfAlphaPower(field, 1)));
      assert.throws(() => gfDivide(field, 1, 0), RangeError);
    }
  });

  it('multiplies polynomials modulo the primitive polynomial (shift-and-add check)', () => {
    const field = galoisField(8);
    const slow = (a: number, b: number): number => {
      let product = 0;
      for (let bit = 0; bit < 8; bit += 1) {
        if ((b >> bit) & 1) product ^= a << bit;
      }
      for (let bit = 15; bit >= 8; bit -= 1) if ((product >> bit) & 1) product ^= field.primitivePolynomial << (bit - 8);
      return product;
    };
    for (let a = 0; a < 256; a += 7) for (let b = 0; b < 256; b += 5) assert.equal(gfMultiply(field, a, b), slow(a, b));
  });

  it('computes cyclotomic cosets and binary minimal polynomials', () => {
    assert.deepEqual(cyclotomicCoset(4, 3), [3, 6, 9, 12]);
    assert.deepEqual(cyclotomicCoset(4, 5), [5, 10]);
    assert.deepEqual(cyclotomicCoset(5, 9), cyclotomicCoset(5, 5));
    for (const m of [4, 6, 10]) {
      const field = galoisField(m);
      for (const i of [1, 3, 5, 7, 9]) {
        const polynomial = minimalPolynomial(field, i);
        const coefficients = Array.from({ length: 32 - Math.clz32(polynomial) }, (_, d) => (polynomial >> d) & 1);
        assert.equal(coefficients.length - 1, cyclotomicCoset(m, i).length, 'degree = coset size');
        for (const j of cyclotomicCoset(m, i)) assert.equal(evaluateBinary(field, coefficients, gfAlphaPower(field, j)), 0);
      }
    }
    // α's minimal polynomial is the primitive polynomial itself.
    assert.equal(minimalPolynomial(galoisField(6), 1), galoisField(6).primitivePolynomial);
  });

  it('rejects unsupported degrees', () => {
    for (const m of [0, 1, 15, 2.5, Number.NaN]) assert.throws(() => galoisField(m), /GF\(2\^m\) is supported/);
  });
});

describe('BCH parameters', () => {
  it('reproduce the t = 5 rows of the sample-count table', () => {
    const rows: [number, number, number, number, number][] = [
      // n, m, n_c, k_c, p
      [16, 6, 63, 36, 27],
      [64, 7, 127, 92, 35],
      [128, 8, 255, 215, 40],
      [256, 9, 511, 466, 45],
      [512, 10, 1023, 973, 50],
      [1024, 11, 2047, 1992, 55],
    ];
    for (const [n, m, length, dimension, parityBits] of rows) {
      assert.deepEqual(bchParameters(n, 5), { featureCount: n, t: 5, m, length, dimension, parityBits }, `n = ${n}`);
    }
  });

  it('switch code size exactly at the published ranges of n (t = 5)', () => {
    // P = p + 1 for n ≤ 1 → 15; 2–11 → 21; 12–36 → 28; 37–92 → 36; 93–215 → 41; 216–466 → 46;
    // 467–973 → 51; 974–1992 → 56; 1993–4035 → 61.
    const ranges: [number, number, number][] = [
      [1, 1, 15],
      [2, 11, 21],
      [12, 36, 28],
      [37, 92, 36],
      [93, 215, 41],
      [216, 466, 46],
      [467, 973, 51],
      [974, 1992, 56],
      [1993, 4035, 61],
    ];
    for (const [low, high, delays] of ranges) {
      assert.equal(bchParameters(low, 5).parityBits + 1, delays, `n = ${low}`);
      assert.equal(bchParameters(high, 5).parityBits + 1, delays, `n = ${high}`);
    }
    assert.equal(bchParameters(4036, 5).parityBits + 1, 66);
  });

  it('give the code sizes quoted for t = 4', () => {
    assert.deepEqual(
      [bchParameters(256, 4), bchParameters(1024, 4)].map(({ length, dimension, parityBits }) => [length, dimension, parityBits]),
      [
        [511, 475, 36],
        [2047, 2003, 44],
      ],
    );
  });

  it('are consistent for n = 4,096 and every t', () => {
    for (let t = 1; t <= 8; t += 1) {
      const { dimension, parityBits, length } = bchParameters(4096, t);
      assert.ok(dimension >= 4096);
      assert.equal(dimension + parityBits, length);
    }
  });

  it('reject bad feature counts and degrees with clear errors', () => {
    assert.throws(() => bchParameters(0, 5), /integer number of features from 1 to 4096; got 0/);
    assert.throws(() => bchParameters(4097, 5), /got 4097/);
    assert.throws(() => bchParameters(10.5, 5), /got 10.5/);
    assert.throws(() => bchParameters(16, 0), /correction capability t must be an integer from 1 to 8; got 0/);
    assert.throws(() => bchParameters(16, 9), /got 9/);
    assert.throws(() => buildBchCode(16, Number.NaN), RangeError);
  });
});

describe('BCH code', () => {
  it('has a generator with roots α^1 … α^2t and of degree p', () => {
    for (const [n, t] of [
      [16, 5],
      [200, 4],
      [4096, 8],
    ] as const) {
      const code = buildBchCode(n, t);
      assert.equal(code.generator.length, code.parityBits + 1);
      for (let i = 1; i <= 2 * t; i += 1)
        assert.equal(evaluateBinary(code.field, code.generator, gfAlphaPower(code.field, i)), 0, `α^${i}`);
    }
  });

  it('encodes systematically: (S ‖ parity(S)) is a codeword, and parity is linear in S', () => {
    const random = seededRandom(11);
    for (const [n, t] of [
      [16, 5],
      [1024, 4],
    ] as const) {
      const code = buildBchCode(n, t);
      assert.equal(code.delayRows.length, code.parityBits);
      for (let trial = 0; trial < 30; trial += 1) {
        const set = randomSet(random, n, 1 + randomInteger(random, 6));
        const word = codeword(code, set);
        for (let i = 1; i <= 2 * t; i += 1) assert.equal(evaluateBinary(code.field, word, gfAlphaPower(code.field, i)), 0);
        const parity = parityOf(code, set);
        for (let q = 0; q < code.parityBits; q += 1) {
          const xor = set.reduce((bit, j) => bit ^ ((code.delayRows[q] as Uint8Array)[j] as number), 0);
          assert.equal(parity[q], xor, `row ${q}`);
        }
      }
    }
    assert.throws(() => parityOf(buildBchCode(16, 5), [16]), /outside 0 … 15/);
  });

  for (const t of [4, 5]) {
    for (const n of [16, 64, 1024, 4096]) {
      it(`hard-decodes (0 ‖ parity(S)) back to S, also with t − |S| flipped parity bits (n = ${n}, t = ${t})`, () => {
        const random = seededRandom(n * 10 + t);
        const code = buildBchCode(n, t);
        for (let trial = 0; trial < 60; trial += 1) {
          const size = trial % (t + 1);
          const set = randomSet(random, n, size);
          const parity = parityOf(code, set);
          assert.deepEqual(decodeHard(code, parity), { indices: set, corrected: size });
          for (const q of distinctPositions(random, code.parityBits, t - size)) parity[q] = (parity[q] as number) ^ 1;
          assert.deepEqual(decodeHard(code, parity), { indices: set, corrected: t });
        }
      });
    }
  }

  it('only ever returns bounded-distance decodings, and fails on most random words', () => {
    const random = seededRandom(5);
    const code = buildBchCode(256, 5);
    let failures = 0;
    for (let trial = 0; trial < 300; trial += 1) {
      const word = Uint8Array.from({ length: code.parityBits }, () => (random() < 0.5 ? 1 : 0));
      const result = decodeHard(code, word);
      if (result === undefined) {
        failures += 1;
        continue;
      }
      const parity = parityOf(code, result.indices);
      const flipped = parity.reduce((count, bit, q) => count + (bit !== word[q] ? 1 : 0), 0);
      assert.ok(result.corrected <= 5);
      assert.equal(result.corrected, result.indices.length + flipped);
    }
    assert.ok(failures > 250, `${failures} of 300 random words rejected`);
  });

  it('rejects words whose only explanation uses a shortened position', () => {
    // n = 16 and n = 36 share GF(2^6) and g(x); feature 20 of the longer code is a shortened (forced
    // zero) position of the shorter one.
    const short = buildBchCode(16, 5);
    const long = buildBchCode(36, 5);
    assert.deepEqual(long.generator, short.generator);
    for (const set of [[20], [3, 20], [1, 2, 30, 35]]) {
      const parity = parityOf(long, set);
      assert.deepEqual(decodeHard(long, parity)?.indices, set);
      assert.equal(decodeHard(short, parity), undefined, `{${set.join(', ')}}`);
    }
  });

  it('checks the received parity word', () => {
    const code = buildBchCode(16, 5);
    assert.throws(() => decodeHard(code, new Uint8Array(26)), /needs 27 parity bits/);
    assert.throws(() => decodeHard(code, new Uint8Array(27).fill(2)), /Parity bit 0 is 2/);
  });
});

describe('Chase soft decoding', () => {
  it('returns a clean word at once, with metric 0', () => {
    const random = seededRandom(21);
    const code = buildBchCode(128, 5);
    for (let trial = 0; trial < 20; trial += 1) {
      const set = randomSet(random, 128, trial % 6);
      const result = decodeSoft(code, cleanSoft(random, parityOf(code, set)));
      assert.deepEqual(result, { indices: set, corrected: set.length, metric: 0, patternsTried: 1 });
    }
  });

  for (const [n, t] of [
    [64, 4],
    [1024, 5],
  ] as const) {
    it(`recovers words with more unreliable flips than hard decoding can (n = ${n}, t = ${t})`, () => {
      const random = seededRandom(n + t);
      const code = buildBchCode(n, t);
      let hardWins = 0;
      let softWins = 0;
      const trials = 150;
      for (let trial = 0; trial < trials; trial += 1) {
        const set = randomSet(random, n, trial % (t + 1));
        const truth = parityOf(code, set);
        const soft = cleanSoft(random, truth);
        // One or two flips beyond the hard decoder's reach, each on a bit of low reliability.
        const flips = t - set.length + 1 + (trial % 2);
        for (const q of distinctPositions(random, code.parityBits, flips)) soft[q] = -(soft[q] as number) * 0.1;
        const hardBits = Uint8Array.from(soft, (value) => (value < 0 ? 1 : 0));
        if (decodeHard(code, hardBits)?.indices.join() === set.join()) hardWins += 1;
        const result = decodeSoft(code, soft);
        assert.ok(result !== undefined, 'the truth is always reachable within the Chase patterns');
        assert.ok(result.patternsTried <= (2 * t * (2 * t + 1)) / 2);
        if (result.indices.join() === set.join()) softWins += 1;
        // Maximum likelihood among reachable candidates: never worse than the truth.
        else assert.ok(result.metric <= softMetric(soft, truth) + 1e-12, `metric ${result.metric} beats the truth's`);
      }
      assert.equal(hardWins, 0, 'beyond t errors the hard decoder cannot return the truth');
      assert.ok(softWins >= trials * 0.95, `soft decoding recovered ${softWins} of ${trials}`);
    });
  }

  it('prefers the lowest soft metric over a hard decision that needed corrections', () => {
    // Words that hard decoding maps to a far-off codeword while the truth lies within cheap flips:
    // returning the hard success unexamined (the reference code) gets these wrong.
    const random = seededRandom(77);
    const code = buildBchCode(64, 4);
    let cases = 0;
    for (let trial = 0; trial < 3000 && cases < 5; trial += 1) {
      const set = randomSet(random, 64, randomInteger(random, 5));
      const truth = parityOf(code, set);
      const soft = cleanSoft(random, truth);
      for (const q of distinctPositions(random, code.parityBits, 4 - set.length + 1)) soft[q] = -(soft[q] as number) * 0.1;
      const hard = decodeHard(
        code,
        Uint8Array.from(soft, (value) => (value < 0 ? 1 : 0)),
      );
      if (hard === undefined || softMetric(soft, parityOf(code, hard.indices)) <= softMetric(soft, truth)) continue;
      cases += 1;
      const result = decodeSoft(code, soft);
      assert.ok(result !== undefined);
      assert.notDeepEqual(result.indices, hard.indices, 'not the hard decision');
      assert.ok(result.metric <= softMetric(soft, truth) + 1e-12, 'at least as likely as the truth');
    }
    assert.ok(cases >= 1, 'the seed produces hard miscorrections to check');
  });

  it('never returns a candidate that accept rejects', () => {
    const random = seededRandom(31);
    const code = buildBchCode(64, 4);
    for (let trial = 0; trial < 40; trial += 1) {
      const set = randomSet(random, 64, 1 + (trial % 4));
      const soft = cleanSoft(random, parityOf(code, set));
      for (const q of distinctPositions(random, code.parityBits, 2)) soft[q] = -(soft[q] as number) * 0.1;
      const seen: string[] = [];
      const accept = (indices: readonly number[]): boolean => {
        seen.push(indices.join());
        return indices.join() !== set.join();
      };
      const result = decodeSoft(code, soft, { accept });
      assert.ok(seen.includes(set.join()), 'the truth was offered to accept');
      if (result !== undefined) assert.notDeepEqual(result.indices, set);
      assert.deepEqual(decodeSoft(code, soft, { accept: () => true })?.indices, set);
    }
  });

  it('respects the depth and pattern options', () => {
    const random = seededRandom(41);
    const code = buildBchCode(64, 4);
    const soft = Float64Array.from({ length: code.parityBits }, () => random() * 2 - 1);
    const limited = decodeSoft(code, soft, { depth: 4, maxPatterns: 3 });
    if (limited !== undefined) assert.ok(limited.patternsTried <= 3);
    assert.equal(
      decodeSoft(code, soft, { depth: 0 })?.indices,
      decodeHard(
        code,
        Uint8Array.from(soft, (v) => (v < 0 ? 1 : 0)),
      )?.indices,
    );
  });

  it('checks its input', () => {
    const code = buildBchCode(64, 4);
    assert.throws(() => decodeSoft(code, new Float64Array(3)), /needs 28 soft values/);
    const soft = new Float64Array(28);
    soft[5] = Number.NaN;
    assert.throws(() => decodeSoft(code, soft), /Soft value 5 is NaN/);
    assert.throws(() => decodeSoft(code, new Float64Array(28), { depth: 40 }), /Chase depth must be an integer from 0 to 28/);
    assert.throws(() => decodeSoft(code, new Float64Array(28), { maxPatterns: 0 }), /positive integer/);
  });
});
