import { bchParameters, BCH_MAX_FEATURES, BCH_MAX_T, buildBchCode, type BchCode } from './bch';
import type { RandomSource } from '../random';

/**
 * The SPEX query design (spex-reference.md §3.3): C groups, each with a random hashing matrix
 * M_c ∈ {0,1}^{n×b}, and P = p + 1 delays (the zero vector, then the p BCH delay rows). Group c, delay d
 * and ℓ ∈ {0,1}^b query the mask M_c·ℓ ⊕ δ_d (mod 2). A Walsh–Hadamard transform over ℓ then hashes every
 * Fourier coefficient k into bin j = M_cᵀk, with sign (−1)^{⟨δ_d, k⟩} (the aliasing identity).
 *
 * Bit order: ℓ and bin indices j are b-bit integers whose most significant bit is coordinate 1, as in
 * the reference code; row i of M_c is stored as such an integer (column r of M_c is bit b − 1 − r). The
 * design for a smaller b′ is the sub-design of the ℓ whose b − b′ least significant bits are zero.
 *
 * Mask order: index = (group·P + delay)·2^b + ℓ, i.e. group-major, then delay, then ℓ ascending.
 */

export const SPEX_DEFAULT_GROUPS = 3;
export const SPEX_MIN_B = 1;
export const SPEX_MAX_B = 20;

export interface SpexDesignOptions {
  readonly featureCount: number;
  /** log2 of the number of bins per group. */
  readonly b: number;
  /** The maximum interaction degree, the BCH code's correction capability. */
  readonly t: number;
  /** The number of hashing groups C; default 3. */
  readonly groups?: number;
  /** The source of the hashing matrices' bits. */
  readonly random: RandomSource;
}

export interface SpexDesign {
  readonly featureCount: number;
  readonly b: number;
  readonly t: number;
  readonly groups: number;
  readonly code: BchCode;
  /** P = p + 1: the zero delay plus one delay per parity bit. */
  readonly delayCount: number;
  /** 2^b: bins per group, and queries per (group, delay). */
  readonly binCount: number;
  /** C·P·2^b: the number of masks in the design (repeats included). */
  readonly sampleCount: number;
  /** hashRows[c][i] is row i of M_c as a b-bit integer (coordinate 1 = most significant bit). */
  readonly hashRows: readonly Uint32Array[];
  /** The P delay vectors δ_0 = 0, δ_1 … δ_p (the BCH delay rows), each of length n. */
  readonly delays: readonly Uint8Array[];
}

/** Where a mask sits in the design. */
export interface DesignCoordinates {
  readonly group: number;
  readonly delay: number;
  /** ℓ as a b-bit integer. */
  readonly l: number;
}

function checkInteger(name: string, value: number, low: number, high: number): void {
  if (!Number.isInteger(value) || value < low || value > high) {
    const range = high === Number.MAX_SAFE_INTEGER ? `at least ${low}` : `from ${low} to ${high}`;
    throw new RangeError(`SPEX needs an integer ${name} ${range}; got ${value}.`);
  }
}

function checkDesignNumbers(featureCount: number, b: number, t: number, groups: number): void {
  checkInteger('feature count n', featureCount, 1, BCH_MAX_FEATURES);
  checkInteger('b (log2 of bins per group)', b, SPEX_MIN_B, SPEX_MAX_B);
  checkInteger('maximum degree t', t, 1, BCH_MAX_T);
  checkInteger('number of groups', groups, 1, Number.MAX_SAFE_INTEGER);
}

/**
 * The number of masks SPEX queries, C·(p + 1)·2^b, in closed form: no code, matrix or mask is built, so
 * budget planning is instant for any n (materialising a design just to count it is a reference defect).
 */
export function spexSampleCount(featureCount: number, b: number, t: number, groups: number = SPEX_DEFAULT_GROUPS): number {
  checkDesignNumbers(featureCount, b, t, groups);
  return groups * (bchParameters(featureCount, t).parityBits + 1) * 2 ** b;
}

/** Draws the hashing matrices (n·b fair bits per group, group by group, row by row) and builds the delays. */
export function planSpexDesign(options: SpexDesignOptions): SpexDesign {
  const { featureCount, b, t } = options;
  const groups = options.groups ?? SPEX_DEFAULT_GROUPS;
  checkDesignNumbers(featureCount, b, t, groups);
  if (typeof options.random !== 'function') throw new TypeError('SPEX needs a random source (a function returning numbers in [0, 1)).');
  const code = buildBchCode(featureCount, t);
  const hashRows: Uint32Array[] = [];
  for (let c = 0; c < groups; c += 1) {
    const rows = new Uint32Array(featureCount);
    for (let i = 0; i < featureCount; i += 1) {
      let row = 0;
      for (let r = 0; r < b; r += 1) if (options.random() < 0.5) row |= 1 << (b - 1 - r);
      rows[i] = row;
    }
    hashRows.push(rows);
  }
  const delays = [new Uint8Array(featureCount), ...code.delayRows];
  const delayCount = delays.length;
  const binCount = 2 ** b;
  return { featureCount, b, t, groups, code, delayCount, binCount, sampleCount: groups * delayCount * binCount, hashRows, delays };
}

/** The position of (group, delay, ℓ) in the design's mask order. */
export function designMaskIndex(design: SpexDesign, group: number, delay: number, l: number): number {
  checkInteger('group', group, 0, design.groups - 1);
  checkInteger('delay', delay, 0, design.delayCount - 1);
  checkInteger('ℓ', l, 0, design.binCount - 1);
  return (group * design.delayCount + delay) * design.binCount + l;
}

/** The (group, delay, ℓ) of the mask at `index`. */
export function designMaskCoordinates(design: SpexDesign, index: number): DesignCoordinates {
  checkInteger('mask index', index, 0, design.sampleCount - 1);
  const l = index % design.binCount;
  const rest = (index - l) / design.binCount;
  return { group: Math.floor(rest / design.delayCount), delay: rest % design.delayCount, l };
}

/** Parity of the set bits of a 32-bit integer. */
export function bitParity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** The mask at `index`: M_c·ℓ ⊕ δ_d, computed on the fly (into `into` when given, to avoid allocation). */
export function designMask(design: SpexDesign, index: number, into: Uint8Array = new Uint8Array(design.featureCount)): Uint8Array {
  const { group, delay, l } = designMaskCoordinates(design, index);
  const rows = design.hashRows[group] as Uint32Array;
  const shift = design.delays[delay] as Uint8Array;
  for (let i = 0; i < design.featureCount; i += 1) into[i] = bitParity((rows[i] as number) & l) ^ (shift[i] as number);
  return into;
}

/**
 * Every mask of the design in order (index = (group·P + delay)·2^b + ℓ). Masks repeat (ℓ = 0 gives δ_d
 * in every group), so callers should de-duplicate before querying the model. For large designs prefer
 * designMask, which builds one mask at a time.
 */
export function designMasks(design: SpexDesign): Uint8Array[] {
  const masks: Uint8Array[] = [];
  for (let index = 0; index < design.sampleCount; index += 1) masks.push(designMask(design, index));
  return masks;
}

/** The bin j = M_cᵀk of the set `indices` in group c (a b-bit integer, same bit order as ℓ). */
export function binOf(design: SpexDesign, group: number, indices: ArrayLike<number>): number {
  const rows = design.hashRows[group] as Uint32Array;
  let bin = 0;
  for (let i = 0; i < indices.length; i += 1) bin ^= rows[indices[i] as number] as number;
  return bin;
}
