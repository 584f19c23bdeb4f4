/**
 * In-place butterflies over a full table of 2^n values, indexed by mask (bit i set = feature i kept).
 * Each runs in O(n · 2^n) with no allocation; they are the exact reference the sampled algorithms are
 * tested against.
 */

function checkPowerOfTwo(values: Float64Array): void {
  const length = values.length;
  if (length === 0 || (length & (length - 1)) !== 0) {
    throw new RangeError(`A full table needs 2^n values; got ${length}.`);
  }
}

/**
 * Walsh–Hadamard analysis in the project's convention: afterwards values[s] = F(S) with
 * f(m) = Σ_S F(S)·(−1)^{|S ∩ m|}, i.e. F(S) = 2^{−n} Σ_m f(m)·(−1)^{|S ∩ m|}.
 */
export function walshHadamardAnalysis(values: Float64Array): void {
  checkPowerOfTwo(values);
  const length = values.length;
  for (let half = 1; half < length; half <<= 1) {
    for (let block = 0; block < length; block += half << 1) {
      for (let i = block; i < block + half; i += 1) {
        const a = values[i] as number;
        const b = values[i + half] as number;
        values[i] = a + b;
        values[i + half] = a - b;
      }
    }
  }
  const scale = 1 / length;
  for (let i = 0; i < length; i += 1) values[i] = (values[i] as number) * scale;
}

/** Walsh–Hadamard synthesis: turns a table of F(S) back into f(m). */
export function walshHadamardSynthesis(coefficients: Float64Array): void {
  walshHadamardAnalysis(coefficients);
  const length = coefficients.length;
  for (let i = 0; i < length; i += 1) coefficients[i] = (coefficients[i] as number) * length;
}

/** Möbius transform: afterwards values[t] = M(T) = Σ_{U ⊆ T} (−1)^{|T|−|U|} f(U). */
export function mobiusTransform(values: Float64Array): void {
  checkPowerOfTwo(values);
  const length = values.length;
  for (let bit = 1; bit < length; bit <<= 1) {
    for (let mask = 0; mask < length; mask += 1) {
      if (mask & bit) values[mask] = (values[mask] as number) - (values[mask ^ bit] as number);
    }
  }
}

/** Zeta transform, the inverse of the Möbius transform: f(m) = Σ_{T ⊆ m} M(T). */
export function zetaTransform(values: Float64Array): void {
  checkPowerOfTwo(values);
  const length = values.length;
  for (let bit = 1; bit < length; bit <<= 1) {
    for (let mask = 0; mask < length; mask += 1) {
      if (mask & bit) values[mask] = (values[mask] as number) + (values[mask ^ bit] as number);
    }
  }
}
