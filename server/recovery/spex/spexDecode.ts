import { chaseDecode, DecoderScratch, decodeBits, parityWordsOf, type BchCode } from './bch';
import { walshHadamardAnalysis } from '../fastTransforms';
import { keyOfSorted } from '../interactionKey';
import type { Spectrum } from '../spectrum';
import { binOf, type SpexDesign } from './spexDesign';

/**
 * SPEX decoding (spex-reference.md §3.4–3.7 with the improvements of §6.2): bins from per-(group, delay)
 * Walsh–Hadamard transforms, classification of each bin as zero-, single- or multi-ton, BCH decoding
 * of singletons, and peeling across groups. The result is the peeled coefficients as they are; the
 * caller refits them on all queried masks.
 */

export type SpexDecoder = 'soft' | 'hard';

export interface SpexDecodeOptions {
  /** Chase soft decoding (default) or plain hard-decision decoding of the parity bits. */
  readonly decoder?: SpexDecoder;
  /**
   * The variance of the noise on each value f(m). Default: estimated from the bins (see
   * estimateBinNoise); exact data gives 0, so only exact singletons are accepted.
   */
  readonly noiseVariance?: number;
  /** A bin is a zeroton when its mean energy per delay is at most this many bin-noise variances; default 1.5. */
  readonly zerotonFactor?: number;
  /** A singleton's residual must keep less than this fraction of the bin's energy; default 0.5 (the reference's 0.9 lets partial peels through). */
  readonly residualRatio?: number;
  /** A singleton's residual energy must also be at most this many times its expected noise energy (P − 1)·σ²; default 3. */
  readonly residualNoiseFactor?: number;
  /** The most peeling rounds; default 100. */
  readonly maxIterations?: number;
  /** Chase: the number of least reliable parity bits that may be flipped; default 2t (at most p). */
  readonly chaseDepth?: number;
  /** Chase: the most flip patterns per bin, the empty one included; default depth·(depth + 1)/2. */
  readonly chasePatterns?: number;
}

export type SpexStopReason = 'converged' | 'stagnated' | 'maxIterations';

export interface SpexDiagnostics {
  /** Peeling rounds run. */
  readonly iterations: number;
  /** Classification outcomes summed over all rounds (a bin re-flagged by peeling is counted again). */
  readonly singletons: number;
  readonly multitons: number;
  readonly zerotons: number;
  /** Bins whose parity word no candidate decoded to (a subset of the multitons in spirit, counted apart). */
  readonly decodeFailures: number;
  /** converged: no bin left to check; stagnated: no new key for 14 rounds; maxIterations: the round limit. */
  readonly stoppedBecause: SpexStopReason;
  /** The noise variance per value f(m) used for the thresholds (given, or estimated). */
  readonly noiseVariance: number;
}

export interface SpexDecodeResult {
  /** The peeled Fourier coefficients (∅ included when it was found). */
  readonly spectrum: Spectrum;
  readonly diagnostics: SpexDiagnostics;
}

/** Rounds after which a run that finds no new key is declared stuck, and the window it is judged over. */
const STAGNATION_START = 15;
const STAGNATION_WINDOW = 14;
/** Energies below this fraction of the largest bin's are rounding error, whatever the noise estimate says. */
const RELATIVE_FLOOR = 1e-20;
/** For pure noise, |v| is half-normal with variance σ²(1 − 2/π); dividing by it calibrates the spread. */
const HALF_NORMAL_VARIANCE = 1 - 2 / Math.PI;

interface ResolvedOptions {
  readonly soft: boolean;
  readonly noiseVariance: number | undefined;
  readonly zerotonFactor: number;
  readonly residualRatio: number;
  readonly residualNoiseFactor: number;
  readonly maxIterations: number;
  readonly chaseDepth: number;
  readonly chasePatterns: number;
}

function resolveOptions(design: SpexDesign, options: SpexDecodeOptions): ResolvedOptions {
  const decoder = options.decoder ?? 'soft';
  if (decoder !== 'soft' && decoder !== 'hard') throw new RangeError(`The SPEX decoder is 'soft' or 'hard'; got ${String(decoder)}.`);
  const positive = (name: string, value: number | undefined, fallback: number, allowZero = false): number => {
    const resolved = value ?? fallback;
    if (!Number.isFinite(resolved) || resolved < 0 || (!allowZero && resolved === 0)) {
      throw new RangeError(`The SPEX option ${name} must be a ${allowZero ? 'non-negative' : 'positive'} finite number; got ${resolved}.`);
    }
    return resolved;
  };
  const noiseVariance = options.noiseVariance === undefined ? undefined : positive('noiseVariance', options.noiseVariance, 0, true);
  const residualRatio = positive('residualRatio', options.residualRatio, 0.5);
  if (residualRatio > 1)
    throw new RangeError(`The SPEX option residualRatio is a fraction of the bin's energy, at most 1; got ${residualRatio}.`);
  const p = design.code.parityBits;
  const chaseDepth = options.chaseDepth ?? Math.min(2 * design.t, p);
  if (!Number.isInteger(chaseDepth) || chaseDepth < 0 || chaseDepth > Math.min(p, 30)) {
    throw new RangeError(`The SPEX option chaseDepth must be an integer from 0 to ${Math.min(p, 30)}; got ${chaseDepth}.`);
  }
  const chasePatterns = options.chasePatterns ?? Math.max(1, (chaseDepth * (chaseDepth + 1)) / 2);
  if (!Number.isInteger(chasePatterns) || chasePatterns < 1) {
    throw new RangeError(`The SPEX option chasePatterns must be a positive integer; got ${chasePatterns}.`);
  }
  const maxIterations = options.maxIterations ?? 100;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new RangeError(`The SPEX option maxIterations must be a positive integer; got ${maxIterations}.`);
  }
  return {
    soft: decoder === 'soft',
    noiseVariance,
    zerotonFactor: positive('zerotonFactor', options.zerotonFactor, 1.5, true),
    residualRatio,
    residualNoiseFactor: positive('residualNoiseFactor', options.residualNoiseFactor, 3, true),
    maxIterations,
    chaseDepth,
    chasePatterns,
  };
}

/**
 * The bins of every group: bins[((c·2^b) + j)·P + d] = U_{c,d}[j] = 2^{−b} Σ_ℓ (−1)^{⟨j,ℓ⟩} f(M_c ℓ ⊕ δ_d),
 * which by the aliasing identity equals Σ_{k : M_cᵀk = j} F(k)·(−1)^{⟨δ_d, k⟩}. A bin's P values are
 * contiguous because classification reads them together.
 */
export function spexBins(design: SpexDesign, values: Float64Array): Float64Array {
  checkValues(design, values);
  const { groups, delayCount: P, binCount: B } = design;
  const bins = new Float64Array(groups * B * P);
  const segment = new Float64Array(B);
  for (let c = 0; c < groups; c += 1) {
    for (let d = 0; d < P; d += 1) {
      const start = (c * P + d) * B;
      segment.set(values.subarray(start, start + B));
      walshHadamardAnalysis(segment);
      for (let j = 0; j < B; j += 1) bins[(c * B + j) * P + d] = segment[j] as number;
    }
  }
  return bins;
}

function checkValues(design: SpexDesign, values: Float64Array): void {
  if (!(values instanceof Float64Array)) throw new TypeError('SPEX values must be a Float64Array.');
  if (values.length !== design.sampleCount) {
    throw new RangeError(`SPEX needs one value per design mask: ${design.sampleCount}; got ${values.length}.`);
  }
  for (let i = 0; i < values.length; i += 1) {
    if (!Number.isFinite(values[i])) throw new RangeError(`The value of design mask ${i} is ${values[i]}, not a finite number.`);
  }
}

/**
 * A robust estimate of the noise variance of one bin value, from the spread of |v_d| across the delays
 * of each bin, medianed over bins. A singleton's |v_d| are all |F(k)| up to noise, so its spread is the
 * noise alone (σ²); a zeroton's is half-normal (σ²(1 − 2/π)); only multitons spread more. The median is
 * therefore unaffected by signal as long as most bins hold at most one coefficient, which is the regime
 * where peeling works at all; exact data gives 0. Dividing by 1 − 2/π makes the estimate err high (up
 * to 2.75σ² when most bins are singletons), which only raises the thresholds.
 */
export function estimateBinNoise(bins: Float64Array, delayCount: number): number {
  const count = bins.length / delayCount;
  const spreads = new Float64Array(count);
  for (let bin = 0; bin < count; bin += 1) {
    // Two passes, so that an exact singleton's spread is 0 and not the rounding of a difference.
    let sum = 0;
    for (let d = bin * delayCount; d < (bin + 1) * delayCount; d += 1) sum += Math.abs(bins[d] as number);
    const mean = sum / delayCount;
    let spread = 0;
    for (let d = bin * delayCount; d < (bin + 1) * delayCount; d += 1) spread += (Math.abs(bins[d] as number) - mean) ** 2;
    spreads[bin] = spread / (delayCount - 1);
  }
  spreads.sort();
  const middle = count >> 1;
  const median = count % 2 === 1 ? (spreads[middle] as number) : ((spreads[middle - 1] as number) + (spreads[middle] as number)) / 2;
  return median / HALF_NORMAL_VARIANCE;
}

type Classification =
  | { readonly kind: 'zeroton' | 'multiton' | 'failure' }
  | { readonly kind: 'singleton'; readonly indices: number[]; readonly amplitude: number };

/**
 * Decodes a design's values (values[i] = f(designMask(design, i))) into the sparse Fourier
 * coefficients of degree ≤ t that peeling can reach.
 */
export function decodeSpex(design: SpexDesign, values: Float64Array, options: SpexDecodeOptions = {}): SpexDecodeResult {
  const resolved = resolveOptions(design, options);
  const bins = spexBins(design, values);
  const { groups, delayCount: P, binCount: B, code } = design;

  let largest = 0;
  for (let bin = 0; bin < groups * B; bin += 1) {
    let energy = 0;
    for (let d = bin * P; d < (bin + 1) * P; d += 1) energy += (bins[d] as number) ** 2;
    largest = Math.max(largest, energy / P);
  }
  const binNoise = resolved.noiseVariance === undefined ? estimateBinNoise(bins, P) : resolved.noiseVariance / B;
  const floor = RELATIVE_FLOOR * largest;
  const classifier = new BinClassifier(design, resolved, bins, {
    zeroton: (resolved.zerotonFactor * binNoise + floor) * P,
    residual: resolved.residualNoiseFactor * binNoise * (P - 1) + floor * P,
  });

  const spectrum: Spectrum = new Map();
  const flags = new Uint8Array(groups * B).fill(1);
  const found = new Map<string, { indices: number[]; sum: number; count: number }>();
  const history: number[] = [];
  const signWords = new Uint32Array(code.wordsPerColumn);
  let singletons = 0;
  let multitons = 0;
  let zerotons = 0;
  let decodeFailures = 0;
  let iterations = 0;
  let stoppedBecause: SpexStopReason = 'maxIterations';

  for (let iteration = 0; iteration < resolved.maxIterations; iteration += 1) {
    if (!flags.includes(1)) {
      stoppedBecause = 'converged';
      break;
    }
    iterations += 1;
    found.clear();
    for (let c = 0; c < groups; c += 1) {
      for (let j = 0; j < B; j += 1) {
        if (!flags[c * B + j]) continue;
        const outcome = classifier.classify(c, j);
        switch (outcome.kind) {
          case 'zeroton':
            zerotons += 1;
            flags[c * B + j] = 0;
            break;
          case 'multiton':
            multitons += 1;
            flags[c * B + j] = 0;
            break;
          case 'failure':
            decodeFailures += 1;
            flags[c * B + j] = 0;
            break;
          case 'singleton': {
            // The flag stays set: after the subtraction below the bin is checked again (and is then
            // normally a zeroton, or reveals what was hidden under the peeled coefficient).
            singletons += 1;
            const key = keyOfSorted(outcome.indices);
            const entry = found.get(key) ?? { indices: outcome.indices, sum: 0, count: 0 };
            entry.sum += outcome.amplitude;
            entry.count += 1;
            found.set(key, entry);
            break;
          }
        }
      }
    }
    // One amplitude per key and round: the mean of its estimates from the groups that saw it.
    for (const [key, entry] of found) {
      const amplitude = entry.sum / entry.count;
      spectrum.set(key, (spectrum.get(key) ?? 0) + amplitude);
      parityWordsOf(code, entry.indices, signWords);
      for (let c = 0; c < groups; c += 1) {
        const j = binOf(design, c, entry.indices);
        const offset = (c * B + j) * P;
        bins[offset] = (bins[offset] as number) - amplitude;
        for (let d = 1; d < P; d += 1) {
          const bit = ((signWords[(d - 1) >>> 5] as number) >>> ((d - 1) & 31)) & 1;
          bins[offset + d] = (bins[offset + d] as number) - (bit ? -amplitude : amplitude);
        }
        flags[c * B + j] = 1;
      }
    }
    history.push(spectrum.size);
    if (iteration >= STAGNATION_START && history[iteration] === history[iteration - STAGNATION_WINDOW]) {
      stoppedBecause = 'stagnated';
      break;
    }
  }
  if (stoppedBecause === 'maxIterations' && !flags.includes(1)) stoppedBecause = 'converged';

  return {
    spectrum,
    diagnostics: {
      iterations,
      singletons,
      multitons,
      zerotons,
      decodeFailures,
      stoppedBecause,
      noiseVariance: binNoise * B,
    },
  };
}

/** Classifies bins against fixed thresholds, reusing its work arrays across bins. */
class BinClassifier {
  private readonly code: BchCode;
  private readonly scratch: DecoderScratch;
  private readonly soft: Float64Array;
  private readonly hard: Uint8Array;
  private readonly words: Uint32Array;
  private readonly signs: Float64Array;

  constructor(
    private readonly design: SpexDesign,
    private readonly options: ResolvedOptions,
    private readonly bins: Float64Array,
    private readonly thresholds: { readonly zeroton: number; readonly residual: number },
  ) {
    this.code = design.code;
    this.scratch = new DecoderScratch(design.code);
    this.soft = new Float64Array(design.code.parityBits);
    this.hard = new Uint8Array(design.code.parityBits);
    this.words = new Uint32Array(design.code.wordsPerColumn);
    this.signs = new Float64Array(design.delayCount);
  }

  classify(group: number, bin: number): Classification {
    const P = this.design.delayCount;
    const offset = (group * this.design.binCount + bin) * P;
    const v = this.bins.subarray(offset, offset + P);
    let energy = 0;
    for (let d = 0; d < P; d += 1) energy += (v[d] as number) ** 2;
    if (energy <= this.thresholds.zeroton) return { kind: 'zeroton' };

    // Parity observations relative to the zero delay: v_d·sign(v_0)/rms. This orders and signs the bits
    // exactly as Re(v_d·v_0)/‖v‖² does, without ever dividing by a v_0 that may be near zero.
    const v0 = v[0] as number;
    const rms = Math.sqrt(energy / P);
    let candidates = 0;
    const accept = (indices: readonly number[]): boolean => {
      candidates += 1;
      return binOf(this.design, group, indices) === bin && this.residualAccepts(v, energy, indices);
    };
    for (const orientation of v0 >= 0 ? [1, -1] : [-1, 1]) {
      // The reverse orientation is a second chance only when v_0's sign is itself among the least reliable.
      if (orientation !== (v0 >= 0 ? 1 : -1) && !this.referenceIsUnreliable(v)) break;
      for (let q = 0; q < this.soft.length; q += 1) this.soft[q] = ((v[q + 1] as number) * orientation) / rms;
      const indices = this.decode(accept);
      if (indices !== undefined) return { kind: 'singleton', indices, amplitude: this.amplitude(v, indices) };
    }
    return { kind: candidates > 0 ? 'multiton' : 'failure' };
  }

  private decode(accept: (indices: readonly number[]) => boolean): number[] | undefined {
    const { code, options, scratch } = this;
    if (options.soft) return chaseDecode(code, this.soft, options.chaseDepth, options.chasePatterns, accept, scratch)?.indices;
    for (let q = 0; q < this.hard.length; q += 1) this.hard[q] = (this.soft[q] as number) < 0 ? 1 : 0;
    const result = decodeBits(code, this.hard, scratch);
    return result !== undefined && accept(result.indices) ? result.indices : undefined;
  }

  /** Whether |v_0| ranks among the Chase depth least reliable magnitudes of the bin. */
  private referenceIsUnreliable(v: Float64Array): boolean {
    const reference = Math.abs(v[0] as number);
    let smaller = 0;
    for (let d = 1; d < v.length; d += 1) if (Math.abs(v[d] as number) < reference) smaller += 1;
    return smaller < Math.max(1, this.options.chaseDepth);
  }

  /** Fills this.signs with σ(k)_d = (−1)^{⟨δ_d, k⟩} (σ_0 = +1). */
  private fillSigns(indices: readonly number[]): Float64Array {
    parityWordsOf(this.code, indices, this.words);
    this.signs[0] = 1;
    for (let d = 1; d < this.signs.length; d += 1)
      this.signs[d] = (((this.words[(d - 1) >>> 5] as number) >>> ((d - 1) & 31)) & 1) === 1 ? -1 : 1;
    return this.signs;
  }

  /** The least-squares amplitude ρ = (1/P) Σ_d σ_d v_d. */
  private amplitude(v: Float64Array, indices: readonly number[]): number {
    const signs = this.fillSigns(indices);
    let sum = 0;
    for (let d = 0; d < v.length; d += 1) sum += (signs[d] as number) * (v[d] as number);
    return sum / v.length;
  }

  /**
   * The verification of §3.5, made stricter: the residual v − ρσ(k) must keep less than residualRatio of
   * the energy AND be no larger than noise explains. It is summed term by term, since ‖v‖² − Pρ² would
   * lose exact singletons to cancellation.
   */
  private residualAccepts(v: Float64Array, energy: number, indices: readonly number[]): boolean {
    const rho = this.amplitude(v, indices);
    const signs = this.signs;
    let residual = 0;
    for (let d = 0; d < v.length; d += 1) residual += ((v[d] as number) - rho * (signs[d] as number)) ** 2;
    return residual < this.options.residualRatio * energy && residual <= this.thresholds.residual;
  }
}
