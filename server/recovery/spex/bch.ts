import { cyclotomicCoset, galoisField, MAX_FIELD_DEGREE, minimalPolynomial, type GaloisField } from './galoisField';

/**
 * The narrow-sense primitive binary BCH code that SPEX uses to spell out the index of a singleton bin
 * (spex-reference.md §3.2, §3.6). Length 2^m − 1, designed distance 2t + 1, systematic, shortened to
 * a message of exactly n bits (one per feature).
 *
 * Position convention (ours; only self-consistency matters): a codeword is a polynomial c(x) over
 * GF(2) of degree < 2^m − 1. The p parity bits are the coefficients of x^0 … x^{p−1}, feature j is the
 * coefficient of x^{p+j}, and the positions p + n … 2^m − 2 are the shortened message slots, always 0.
 * The systematic codeword of a message k is k(x)·x^p + (k(x)·x^p mod g(x)).
 */

/** The largest maximum degree t the BCH code is built for (the product's setting goes up to 8). */
export const BCH_MAX_T = 8;
/** The largest number of features (the project's limit on n). */
export const BCH_MAX_FEATURES = 4096;

export interface BchParameters {
  /** The number of features n: the message length after shortening. */
  readonly featureCount: number;
  /** The correction capability t: any |S| + (flipped parity bits) ≤ t is decoded. */
  readonly t: number;
  /** The extension degree m of GF(2^m). */
  readonly m: number;
  /** The primitive code length n_c = 2^m − 1. */
  readonly length: number;
  /** The dimension k_c of the unshortened code (k_c ≥ n). */
  readonly dimension: number;
  /** The number of parity bits p = n_c − k_c = deg g. */
  readonly parityBits: number;
}

export interface BchCode extends BchParameters {
  readonly field: GaloisField;
  /** Generator polynomial coefficients g_0 … g_p (g_0 = g_p = 1). */
  readonly generator: Uint8Array;
  /**
   * The p delay rows: delayRows[q][j] is parity bit q of the systematic encoding of the unit message
   * e_j. By linearity the parity bits of a set S are the XOR of the rows' entries over S.
   */
  readonly delayRows: readonly Uint8Array[];
  /** The same parities, bit-packed per feature: feature j's parity bits are words [j·W, (j+1)·W). */
  readonly parityColumns: Uint32Array;
  /** W: 32-bit words per packed parity column. */
  readonly wordsPerColumn: number;
}

export interface HardDecodeResult {
  /** The feature indices (error positions inside the message part), sorted ascending. */
  readonly indices: number[];
  /** All corrected positions: features plus flipped parity bits. */
  readonly corrected: number;
}

export interface SoftDecodeResult extends HardDecodeResult {
  /** Σ |soft[q]| over the parity positions where the candidate's parity disagrees with the hard decisions. */
  readonly metric: number;
  /** How many flip patterns were hard-decoded, the plain hard decision included. */
  readonly patternsTried: number;
}

export interface ChaseOptions {
  /** The number of least reliable parity positions whose bits may be flipped; default 2t (at most p, at most 30). */
  readonly depth?: number;
  /** The most flip patterns tried, the empty one included; default depth·(depth + 1)/2. */
  readonly maxPatterns?: number;
  /**
   * A consistency check a candidate must pass before it can win (e.g. that it hashes to the bin it was
   * read from). Candidates that fail it are ignored, the hard decision included.
   */
  readonly accept?: (indices: readonly number[]) => boolean;
}

function checkCodeOptions(featureCount: number, t: number): void {
  if (!Number.isInteger(featureCount) || featureCount < 1 || featureCount > BCH_MAX_FEATURES) {
    throw new RangeError(`The BCH code needs an integer number of features from 1 to ${BCH_MAX_FEATURES}; got ${featureCount}.`);
  }
  if (!Number.isInteger(t) || t < 1 || t > BCH_MAX_T) {
    throw new RangeError(`The BCH correction capability t must be an integer from 1 to ${BCH_MAX_T}; got ${t}.`);
  }
}

/** |∪_{i=1}^{2t} C_i| modulo 2^m − 1: the degree of the generator polynomial. */
function generatorDegree(m: number, t: number): number {
  const order = (1 << m) - 1;
  const covered = new Uint8Array(order);
  let degree = 0;
  for (let i = 1; i <= 2 * t; i += 1) {
    if (covered[i % order]) continue;
    for (const member of cyclotomicCoset(m, i)) {
      covered[member] = 1;
      degree += 1;
    }
  }
  return degree;
}

/**
 * The code parameters for n features and correction capability t, in closed form from cyclotomic
 * cosets (no matrices), so it is instant even for n = 4,096. The smallest m with k_c ≥ n is chosen,
 * starting at ⌈log2(2t + 2)⌉ so that the designed distance fits in the code length.
 */
export function bchParameters(featureCount: number, t: number): BchParameters {
  checkCodeOptions(featureCount, t);
  const designedDistance = 2 * t + 1;
  for (let m = Math.max(2, Math.ceil(Math.log2(designedDistance + 1))); m <= MAX_FIELD_DEGREE; m += 1) {
    const length = (1 << m) - 1;
    const parityBits = generatorDegree(m, t);
    const dimension = length - parityBits;
    if (dimension >= featureCount) return { featureCount, t, m, length, dimension, parityBits };
  }
  throw new RangeError(`No BCH code over GF(2^m) with m ≤ ${MAX_FIELD_DEGREE} holds ${featureCount} features at t = ${t}.`);
}

/** Multiplies two GF(2) polynomials given as coefficient arrays (lowest degree first). */
function multiplyBinary(a: Uint8Array, b: Uint8Array): Uint8Array {
  const product = new Uint8Array(a.length + b.length - 1);
  for (let i = 0; i < a.length; i += 1) {
    if (!a[i]) continue;
    for (let j = 0; j < b.length; j += 1) product[i + j] = (product[i + j] as number) ^ (b[j] as number);
  }
  return product;
}

/** Builds the shortened systematic code and its p delay rows in O(n·p). */
export function buildBchCode(featureCount: number, t: number): BchCode {
  const parameters = bchParameters(featureCount, t);
  const { m, parityBits: p } = parameters;
  const field = galoisField(m);

  // g(x) = lcm of the minimal polynomials of α^1 … α^{2t}: one factor per distinct cyclotomic coset.
  let generator: Uint8Array = Uint8Array.of(1);
  const covered = new Uint8Array(field.order);
  for (let i = 1; i <= 2 * t; i += 1) {
    if (covered[i % field.order]) continue;
    for (const member of cyclotomicCoset(m, i)) covered[member] = 1;
    const bits = minimalPolynomial(field, i);
    const factor = new Uint8Array(32 - Math.clz32(bits));
    for (let d = 0; d < factor.length; d += 1) factor[d] = (bits >>> d) & 1;
    generator = multiplyBinary(generator, factor);
  }
  if (generator.length !== p + 1) throw new Error(`Internal error: the generator has degree ${generator.length - 1}, expected ${p}.`);

  // Remainders x^{p+j} mod g(x) for j = 0 … n−1, each from the previous one by a multiplication by x.
  const delayRows = Array.from({ length: p }, () => new Uint8Array(featureCount));
  const wordsPerColumn = Math.ceil(p / 32);
  const parityColumns = new Uint32Array(featureCount * wordsPerColumn);
  const remainder = generator.slice(0, p); // x^p ≡ g_0 + … + g_{p−1} x^{p−1} (mod g) over GF(2).
  for (let j = 0; j < featureCount; j += 1) {
    for (let q = 0; q < p; q += 1) {
      if (!remainder[q]) continue;
      (delayRows[q] as Uint8Array)[j] = 1;
      parityColumns[j * wordsPerColumn + (q >>> 5)] = (parityColumns[j * wordsPerColumn + (q >>> 5)] as number) | (1 << (q & 31));
    }
    const carry = remainder[p - 1] as number;
    for (let q = p - 1; q > 0; q -= 1) remainder[q] = (remainder[q - 1] as number) ^ (carry & (generator[q] as number));
    remainder[0] = carry & (generator[0] as number);
  }
  return { ...parameters, field, generator, delayRows, parityColumns, wordsPerColumn };
}

function checkIndices(code: BchCode, indices: ArrayLike<number>): void {
  for (let i = 0; i < indices.length; i += 1) {
    const index = indices[i] as number;
    if (!Number.isInteger(index) || index < 0 || index >= code.featureCount) {
      throw new RangeError(`Feature index ${index} is outside 0 … ${code.featureCount - 1}.`);
    }
  }
}

/** The p parity bits of the set S (each index counted once per occurrence, as XOR does). */
export function parityOf(code: BchCode, indices: ArrayLike<number>): Uint8Array {
  checkIndices(code, indices);
  const words = parityWordsOf(code, indices, new Uint32Array(code.wordsPerColumn));
  const parity = new Uint8Array(code.parityBits);
  for (let q = 0; q < code.parityBits; q += 1) parity[q] = ((words[q >>> 5] as number) >>> (q & 31)) & 1;
  return parity;
}

/**
 * The packed parity of S written into `into` (W words, bit q = parity bit q). No checks: callers in hot
 * loops pass indices they produced themselves.
 */
export function parityWordsOf(code: BchCode, indices: ArrayLike<number>, into: Uint32Array): Uint32Array {
  const words = code.wordsPerColumn;
  into.fill(0, 0, words);
  for (let i = 0; i < indices.length; i += 1) {
    const offset = (indices[i] as number) * words;
    for (let w = 0; w < words; w += 1) into[w] = (into[w] as number) ^ (code.parityColumns[offset + w] as number);
  }
  return into;
}

/**
 * Hard-decision decoding of the received word (all-zero message ‖ observed parity). The true codeword
 * of a set S is (S ‖ parity(S)), so the error pattern is S plus any flipped parity bits, and a
 * bounded-distance decoder returns S whenever |S| + flips ≤ t. Undefined when decoding fails.
 */
export function decodeHard(code: BchCode, parityBits: Uint8Array): HardDecodeResult | undefined {
  if (!(parityBits instanceof Uint8Array) || parityBits.length !== code.parityBits) {
    throw new RangeError(`Hard decoding needs ${code.parityBits} parity bits in a Uint8Array; got ${parityBits.length}.`);
  }
  for (let q = 0; q < parityBits.length; q += 1) {
    if (parityBits[q] !== 0 && parityBits[q] !== 1) throw new RangeError(`Parity bit ${q} is ${parityBits[q]}; bits are 0 or 1.`);
  }
  return decodeBits(code, parityBits, new DecoderScratch(code));
}

/** Work arrays reused across the many decodes of one soft decode or one SPEX run. */
export class DecoderScratch {
  readonly syndromes: Int32Array;
  readonly locator: Int32Array;
  readonly previous: Int32Array;
  readonly saved: Int32Array;
  readonly chienLogs: Int32Array;
  readonly chienSteps: Int32Array;
  readonly positions: Int32Array;
  readonly bits: Uint8Array;
  readonly parityWords: Uint32Array;

  constructor(code: BchCode) {
    const size = 2 * code.t + 2;
    this.syndromes = new Int32Array(2 * code.t);
    this.locator = new Int32Array(size);
    this.previous = new Int32Array(size);
    this.saved = new Int32Array(size);
    this.chienLogs = new Int32Array(size);
    this.chienSteps = new Int32Array(size);
    this.positions = new Int32Array(code.t);
    this.bits = new Uint8Array(code.parityBits);
    this.parityWords = new Uint32Array(code.wordsPerColumn);
  }
}

/**
 * The decoder proper: syndromes, Berlekamp–Massey, then a Chien search over the n + p positions that can
 * be in error. Roots in shortened positions are never counted, so they make the root count fall short
 * of deg Λ and the word is rejected, as it must be (those positions are forced zero).
 */
export function decodeBits(code: BchCode, bits: ArrayLike<number>, scratch: DecoderScratch): HardDecodeResult | undefined {
  const { field, t, parityBits: p, featureCount: n } = code;
  const { exp, log, order } = field;
  const syndromes = scratch.syndromes;

  // Syndromes S_i = r(α^i); only odd i are summed, because S_{2i} = S_i² over GF(2^m).
  let anyError = false;
  for (let i = 1; i <= 2 * t; i += 2) {
    let sum = 0;
    for (let q = 0; q < p; q += 1) if (bits[q]) sum ^= exp[(i * q) % order] as number;
    syndromes[i - 1] = sum;
    if (sum !== 0) anyError = true;
  }
  if (!anyError) return { indices: [], corrected: 0 };
  for (let i = 2; i <= 2 * t; i += 2) {
    const half = syndromes[i / 2 - 1] as number;
    syndromes[i - 1] = half === 0 ? 0 : (exp[2 * (log[half] as number)] as number);
  }

  // Berlekamp–Massey: the shortest LFSR (error locator Λ) that generates the syndromes.
  const locator = scratch.locator;
  const previous = scratch.previous;
  const saved = scratch.saved;
  locator.fill(0);
  previous.fill(0);
  locator[0] = 1;
  previous[0] = 1;
  let degree = 0;
  let shift = 1;
  let previousDiscrepancy = 1;
  const size = locator.length;
  for (let r = 0; r < 2 * t; r += 1) {
    let discrepancy = syndromes[r] as number;
    for (let i = 1; i <= degree; i += 1) {
      const c = locator[i] as number;
      const s = syndromes[r - i] as number;
      if (c !== 0 && s !== 0) discrepancy ^= exp[(log[c] as number) + (log[s] as number)] as number;
    }
    if (discrepancy === 0) {
      shift += 1;
      continue;
    }
    // coefficient = discrepancy / previousDiscrepancy, applied as Λ(x) −= coefficient·x^shift·B(x).
    const coefficientLog = (log[discrepancy] as number) - (log[previousDiscrepancy] as number) + order;
    const grows = 2 * degree <= r;
    if (grows) saved.set(locator);
    for (let i = 0; i + shift < size; i += 1) {
      const b = previous[i] as number;
      if (b !== 0) locator[i + shift] = (locator[i + shift] as number) ^ (exp[(coefficientLog + (log[b] as number)) % order] as number);
    }
    if (grows) {
      degree = r + 1 - degree;
      previous.set(saved);
      previousDiscrepancy = discrepancy;
      shift = 1;
    } else {
      shift += 1;
    }
  }
  if (degree > t || locator[degree] === 0) return undefined;

  // Chien search: position e is in error iff Λ(α^{−e}) = 0. Terms Λ_k·α^{−ek} are kept as logarithms
  // and advanced by −k per position; the search stops early once deg Λ roots are found.
  const logs = scratch.chienLogs;
  const steps = scratch.chienSteps;
  let terms = 0;
  for (let k = 1; k <= degree; k += 1) {
    const c = locator[k] as number;
    if (c === 0) continue;
    logs[terms] = log[c] as number;
    steps[terms] = order - k;
    terms += 1;
  }
  const positions = scratch.positions;
  let roots = 0;
  const searched = n + p;
  for (let e = 0; e < searched; e += 1) {
    let value = 1;
    for (let k = 0; k < terms; k += 1) {
      const current = logs[k] as number;
      value ^= exp[current] as number;
      const next = current + (steps[k] as number);
      logs[k] = next >= order ? next - order : next;
    }
    if (value === 0) {
      positions[roots] = e;
      roots += 1;
      if (roots === degree) break;
    }
  }
  if (roots !== degree) return undefined;
  const indices: number[] = [];
  for (let r = 0; r < roots; r += 1) {
    const position = positions[r] as number;
    if (position >= p) indices.push(position - p);
  }
  return { indices, corrected: roots };
}

/** A binary min-heap of flip patterns keyed by cost, for the k cheapest subset sums. */
class PatternHeap {
  private readonly costs: number[] = [];
  private readonly masks: number[] = [];
  private readonly lasts: number[] = [];

  get size(): number {
    return this.costs.length;
  }

  push(cost: number, mask: number, last: number): void {
    this.costs.push(cost);
    this.masks.push(mask);
    this.lasts.push(last);
    let i = this.costs.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { cost: number; mask: number; last: number } {
    const top = { cost: this.costs[0] as number, mask: this.masks[0] as number, last: this.lasts[0] as number };
    const end = this.costs.length - 1;
    this.swap(0, end);
    this.costs.pop();
    this.masks.pop();
    this.lasts.pop();
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.costs.length && this.less(left, smallest)) smallest = left;
      if (right < this.costs.length && this.less(right, smallest)) smallest = right;
      if (smallest === i) break;
      this.swap(i, smallest);
      i = smallest;
    }
    return top;
  }

  /** Ties are broken by the mask, so the enumeration order is deterministic. */
  private less(a: number, b: number): boolean {
    const ca = this.costs[a] as number;
    const cb = this.costs[b] as number;
    return ca < cb || (ca === cb && (this.masks[a] as number) < (this.masks[b] as number));
  }

  private swap(a: number, b: number): void {
    for (const array of [this.costs, this.masks, this.lasts]) {
      const value = array[a] as number;
      array[a] = array[b] as number;
      array[b] = value;
    }
  }
}

/**
 * Chase soft decoding. soft[q] < 0 means parity bit q is 1; |soft[q]| is how reliable that bit is. The
 * hard decision is tried first and returned at once when it explains every bit (metric 0). Otherwise
 * bits among the `depth` least reliable positions are flipped in patterns of increasing total
 * reliability (the cheapest subset sums, from a heap), and every distinct successful candidate that
 * `accept` allows, the hard decision's included, is scored by the soft metric: the reliability of the
 * parity bits it disagrees with. The lowest metric wins (ties: fewer corrections, then the cheaper
 * pattern). Picking the fewest corrections instead, as the reference code does, is not maximum
 * likelihood; returning any successful hard decision unexamined, as it also does, lets a far-off
 * codeword win over a near one.
 */
export function decodeSoft(code: BchCode, soft: Float64Array, options: ChaseOptions = {}): SoftDecodeResult | undefined {
  if (!(soft instanceof Float64Array) || soft.length !== code.parityBits) {
    throw new RangeError(`Soft decoding needs ${code.parityBits} soft values in a Float64Array; got ${soft.length}.`);
  }
  for (let q = 0; q < soft.length; q += 1) {
    if (!Number.isFinite(soft[q])) throw new RangeError(`Soft value ${q} is ${soft[q]}, not a finite number.`);
  }
  const depth = options.depth ?? Math.min(2 * code.t, code.parityBits);
  if (!Number.isInteger(depth) || depth < 0 || depth > Math.min(code.parityBits, 30)) {
    throw new RangeError(`The Chase depth must be an integer from 0 to ${Math.min(code.parityBits, 30)}; got ${depth}.`);
  }
  const maxPatterns = options.maxPatterns ?? Math.max(1, (depth * (depth + 1)) / 2);
  if (!Number.isInteger(maxPatterns) || maxPatterns < 1) {
    throw new RangeError(`The number of Chase patterns must be a positive integer; got ${maxPatterns}.`);
  }
  return chaseDecode(code, soft, depth, maxPatterns, options.accept, new DecoderScratch(code));
}

/** The Chase decoder without option checks, for callers that decode many words with one scratch. */
export function chaseDecode(
  code: BchCode,
  soft: Float64Array,
  depth: number,
  maxPatterns: number,
  accept: ((indices: readonly number[]) => boolean) | undefined,
  scratch: DecoderScratch,
): SoftDecodeResult | undefined {
  const p = code.parityBits;
  const hard = new Uint8Array(p);
  for (let q = 0; q < p; q += 1) hard[q] = (soft[q] as number) < 0 ? 1 : 0;

  let best: SoftDecodeResult | undefined;
  const seen = new Set<string>();
  const consider = (indices: number[]): void => {
    const id = indices.join(',');
    if (seen.has(id)) return;
    seen.add(id);
    if (accept !== undefined && !accept(indices)) return;
    const { metric, disagreements } = scoreCandidate(code, soft, hard, indices, scratch);
    const corrected = indices.length + disagreements;
    // Patterns come in increasing cost, so keeping the first of equal candidates prefers the cheaper pattern.
    if (best === undefined || metric < best.metric || (metric === best.metric && corrected < best.corrected)) {
      best = { indices, corrected, metric, patternsTried: 0 };
    }
  };

  const first = decodeBits(code, hard, scratch);
  if (first !== undefined) consider(first.indices);
  let tried = 1;
  // Read through a function: TypeScript's narrowing does not see the assignments made inside `consider`.
  const bestSoFar = (): SoftDecodeResult | undefined => best;
  // A candidate that explains every hard decision (metric 0) cannot be beaten: the common noise-free case.
  if (bestSoFar()?.metric === 0 || depth === 0) return finish(bestSoFar(), tried);

  // The `depth` least reliable positions, least reliable first (stable on ties, so deterministic).
  const order = Array.from({ length: p }, (_, q) => q).sort((a, b) => Math.abs(soft[a] as number) - Math.abs(soft[b] as number) || a - b);
  const chosen = order.slice(0, depth);
  const costs = chosen.map((q) => Math.abs(soft[q] as number));
  const heap = new PatternHeap();
  heap.push(costs[0] as number, 1, 0);
  const word = scratch.bits;
  while (tried < maxPatterns && heap.size > 0) {
    const { cost, mask, last } = heap.pop();
    // Any candidate with metric μ is reached by flipping its own disagreements among the chosen
    // positions, a pattern of cost ≤ μ that comes no later in this order than any other pattern reaching
    // it. So once patterns cost more than the best metric, nothing better can follow.
    const current = bestSoFar();
    if (current !== undefined && cost > current.metric) break;
    if (last + 1 < depth) {
      const nextCost = costs[last + 1] as number;
      heap.push(cost + nextCost, mask | (1 << (last + 1)), last + 1);
      heap.push(cost - (costs[last] as number) + nextCost, (mask & ~(1 << last)) | (1 << (last + 1)), last + 1);
    }
    tried += 1;
    word.set(hard);
    for (let i = 0; i < depth; i += 1) {
      if ((mask >>> i) & 1) {
        const q = chosen[i] as number;
        word[q] = (word[q] as number) ^ 1;
      }
    }
    const result = decodeBits(code, word, scratch);
    if (result !== undefined) consider(result.indices);
  }
  return finish(bestSoFar(), tried);
}

function finish(best: SoftDecodeResult | undefined, patternsTried: number): SoftDecodeResult | undefined {
  return best === undefined ? undefined : { ...best, patternsTried };
}

/**
 * How a candidate set disagrees with the hard decisions: the number of parity bits that differ and the
 * soft metric, the sum of their reliabilities |soft[q]|.
 */
function scoreCandidate(
  code: BchCode,
  soft: Float64Array,
  hard: Uint8Array,
  indices: readonly number[],
  scratch: DecoderScratch,
): { metric: number; disagreements: number } {
  const words = parityWordsOf(code, indices, scratch.parityWords);
  let metric = 0;
  let disagreements = 0;
  for (let q = 0; q < code.parityBits; q += 1) {
    if ((((words[q >>> 5] as number) >>> (q & 31)) & 1) !== hard[q]) {
      metric += Math.abs(soft[q] as number);
      disagreements += 1;
    }
  }
  return { metric, disagreements };
}
