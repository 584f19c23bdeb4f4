import { indicesOf, type InteractionKey } from './interactionKey';
import type { Spectrum } from './spectrum';

/**
 * A Fourier expansion compiled for evaluation: the terms' feature indices laid out in one flat array,
 * so evaluating a mask is a tight loop of XORs with no allocation (about 20 µs per mask for 1,000
 * terms of degree ≤ 5; evaluateMany is 5–30 times faster per mask).
 */
export class CompiledFourier {
  readonly keys: readonly InteractionKey[];
  readonly coefficients: Float64Array;
  private readonly starts: Uint32Array;
  private readonly features: Uint16Array;

  constructor(spectrum: Spectrum) {
    this.keys = [...spectrum.keys()];
    this.coefficients = Float64Array.from(spectrum.values());
    this.starts = new Uint32Array(this.keys.length + 1);
    let total = 0;
    for (let t = 0; t < this.keys.length; t += 1) {
      this.starts[t] = total;
      total += (this.keys[t] as string).length;
    }
    this.starts[this.keys.length] = total;
    this.features = new Uint16Array(total);
    this.keys.forEach((key, t) => this.features.set(indicesOf(key), this.starts[t]));
  }

  /** f̂(mask) = Σ_S F(S)·(−1)^{|S ∩ kept|}. */
  evaluate(mask: Uint8Array): number {
    const { coefficients, starts, features } = this;
    let sum = 0;
    for (let t = 0; t < coefficients.length; t += 1) {
      let parity = 0;
      const end = starts[t + 1] as number;
      for (let p = starts[t] as number; p < end; p += 1) parity ^= mask[features[p] as number] as number;
      sum += parity === 0 ? (coefficients[t] as number) : -(coefficients[t] as number);
    }
    return sum;
  }

  /**
   * Evaluates many masks 32 at a time, bit-sliced: word w_i holds feature i of 32 masks, a term's
   * parities for all 32 are the XOR of its features' words, and Σ_t F_t·(−1)^{parity} is gathered per
   * byte of the parity word in 256-bin accumulators. A term costs a few operations per 32 masks
   * instead of a few per mask: thousands of masks per millisecond for a thousand terms.
   */
  evaluateMany(masks: readonly Uint8Array[]): Float64Array {
    const values = new Float64Array(masks.length);
    const { coefficients, starts } = this;
    const slots = this.featureSlots();
    const words = new Int32Array(slots.features.length);
    const accumulators = new Float64Array(4 * 256);
    const low = new Float64Array(16);
    const high = new Float64Array(16);
    let constant = 0;
    for (let t = 0; t < coefficients.length; t += 1) constant += coefficients[t] as number;
    for (let first = 0; first < masks.length; first += 32) {
      const count = Math.min(32, masks.length - first);
      words.fill(0);
      const features = slots.features;
      for (let j = 0; j < count; j += 1) {
        const mask = masks[first + j] as Uint8Array;
        for (let slot = 0; slot < words.length; slot += 1)
          words[slot] = (words[slot] as number) | (((mask[features[slot] as number] as number) & 1) << j);
      }
      accumulators.fill(0);
      for (let t = 0; t < coefficients.length; t += 1) {
        let parity = 0;
        const end = starts[t + 1] as number;
        for (let p = starts[t] as number; p < end; p += 1) parity ^= words[slots.slotOf[p] as number] as number;
        if (parity === 0) continue;
        const c = coefficients[t] as number;
        accumulators[parity & 255] = (accumulators[parity & 255] as number) + c;
        accumulators[256 + ((parity >>> 8) & 255)] = (accumulators[256 + ((parity >>> 8) & 255)] as number) + c;
        accumulators[512 + ((parity >>> 16) & 255)] = (accumulators[512 + ((parity >>> 16) & 255)] as number) + c;
        accumulators[768 + (parity >>> 24)] = (accumulators[768 + (parity >>> 24)] as number) + c;
      }
      // Mask j's value is Σ_t F_t − 2·Σ_{t: parity bit j set} F_t; the second sum is the sum of the
      // accumulator bins of byte ⌊j/8⌋ whose bit j mod 8 is set, folded through the two nibbles.
      for (let byte = 0; byte < 4 && byte * 8 < count; byte += 1) {
        low.fill(0);
        high.fill(0);
        for (let v = 0; v < 256; v += 1) {
          const bin = accumulators[byte * 256 + v] as number;
          low[v & 15] = (low[v & 15] as number) + bin;
          high[v >> 4] = (high[v >> 4] as number) + bin;
        }
        for (let bit = 0; bit < 8; bit += 1) {
          const j = byte * 8 + bit;
          if (j >= count) break;
          const nibbles = bit < 4 ? low : high;
          let odd = 0;
          for (let v = 0; v < 16; v += 1) if ((v >> (bit & 3)) & 1) odd += nibbles[v] as number;
          values[first + j] = constant - 2 * odd;
        }
      }
    }
    return values;
  }

  private slots: { features: Uint16Array; slotOf: Uint16Array } | undefined;

  /** The distinct features the terms use, and each term entry's index among them. */
  private featureSlots(): { features: Uint16Array; slotOf: Uint16Array } {
    if (this.slots) return this.slots;
    const slotByFeature = new Map<number, number>();
    const slotOf = new Uint16Array(this.features.length);
    for (let p = 0; p < this.features.length; p += 1) {
      const feature = this.features[p] as number;
      let slot = slotByFeature.get(feature);
      if (slot === undefined) {
        slot = slotByFeature.size;
        slotByFeature.set(feature, slot);
      }
      slotOf[p] = slot;
    }
    this.slots = { features: Uint16Array.from(slotByFeature.keys()), slotOf };
    return this.slots;
  }
}

/** Evaluates a Fourier spectrum on masks (compile once with CompiledFourier when evaluating often). */
export function evaluateFourier(spectrum: Spectrum, masks: readonly Uint8Array[]): Float64Array {
  return new CompiledFourier(spectrum).evaluateMany(masks);
}

/**
 * The coefficient of determination, 1 − Σ(y − ŷ)² / Σ(y − ȳ)². A constant target gives 1 when it is
 * predicted exactly and −∞ otherwise is avoided: it returns 0 then, since no variance is explained.
 */
export function rSquared(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const count = actual.length;
  if (count === 0) return Number.NaN;
  let mean = 0;
  for (let i = 0; i < count; i += 1) mean += actual[i] as number;
  mean /= count;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < count; i += 1) {
    const y = actual[i] as number;
    residual += (y - (predicted[i] as number)) ** 2;
    total += (y - mean) ** 2;
  }
  if (total <= 1e-300) return residual <= 1e-18 * count ? 1 : 0;
  return 1 - residual / total;
}
