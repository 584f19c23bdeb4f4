import { CharacterMatrix, fitRidge } from '../characterMatrix';
import { rSquared } from '../expansion';
import { ByteRows, keptFeatureSums } from './featureSums';
import { variance } from '../statistics';
import { EMPTY_KEY, indicesOf, keyOfSorted, type InteractionKey } from '../interactionKey';
import type { Spectrum } from '../spectrum';

export interface SparseFitOptions {
  /** Highest interaction order a term may have (the recovery degree t). */
  readonly maxOrder: number;
  /** How many of the strongest terms are extended by one feature in each round. */
  readonly extendTop: number;
  /** At most this many terms (also capped at half the training rows). */
  readonly maxTerms: number;
  readonly maxRounds: number;
  /** z-score a term must reach to enter (0 = chosen from the number of tests, Bonferroni style). */
  readonly entryZ: number;
  /** z-score a term must keep to stay after the last refit. */
  readonly keepZ: number;
}

export const DEFAULT_SPARSE_FIT: SparseFitOptions = {
  maxOrder: 5,
  extendTop: 256,
  maxTerms: 4000,
  maxRounds: 16,
  entryZ: 0,
  keepZ: 3,
};

export interface SparseFitInput {
  readonly masks: readonly Uint8Array[];
  readonly values: Float64Array;
  readonly trainRows: Int32Array;
  readonly validationRows: Int32Array;
  /** Terms proposed by a proxy (the tree spectrum), strongest first; tested like any other. */
  readonly candidates: readonly InteractionKey[];
}

export interface SparseFit {
  /** The final expansion, refit on training and validation rows together. */
  readonly spectrum: Spectrum;
  /** R² on the validation rows of the expansion fit on training rows only (null without validation rows). */
  readonly validationR2: number | null;
  /** The training-rows fit's predictions of the validation rows, in their order (empty without them). */
  readonly validationPrediction: Float64Array;
  readonly trainingR2: number;
  readonly rounds: number;
  readonly stoppedBecause: string;
}

/**
 * Chooses the support of a sparse Fourier expansion and fits it, instead of keeping a fixed energy
 * fraction of a proxy's spectrum (which throws away the small high-order terms before any refit can
 * size them). Starting from the constant, each round fits the current support by ridge regression,
 * then tests every one-feature extension S ∪ {j} of the strongest terms S, and every proxy
 * candidate, against the residual: under uniform masks the characters are nearly orthogonal, so the
 * residual's correlation with a character estimates that term's coefficient, with standard error
 * σ/√N. Terms significant after a multiple-testing correction enter; rounds repeat until nothing
 * enters. A last refit drops terms whose coefficients are not distinguishable from zero.
 */
export function fitSparseFourier(input: SparseFitInput, options: SparseFitOptions): SparseFit {
  const { masks, values, trainRows, validationRows } = input;
  const packed = new ByteRows(masks, featureCountOf(masks));
  const trainCount = trainRows.length;
  const trainTarget = gather(values, trainRows);
  const matrix = new CharacterMatrix(masks, 256);
  const support: InteractionKey[] = [];
  const position = new Map<InteractionKey, number>();
  const add = (keys: readonly InteractionKey[]): void => {
    const fresh = keys.filter((key) => !position.has(key));
    for (const key of fresh) {
      position.set(key, support.length);
      support.push(key);
    }
    matrix.append(fresh);
  };
  add([EMPTY_KEY]);
  const termLimit = Math.max(1, Math.min(options.maxTerms, Math.floor(trainCount / 2)));
  const alpha = 1e-9 * trainCount;
  let beta: Float64Array = new Float64Array(1);
  const scanned = new Set<InteractionKey>();
  let fullSweep = false;
  let rounds = 0;
  let stoppedBecause = `reached ${options.maxRounds} rounds`;
  const residual = new Float64Array(trainCount);
  const targetVariance = variance(trainTarget);
  for (; rounds < options.maxRounds; rounds += 1) {
    beta = fitRidge(matrix, trainRows, trainTarget, support.length, alpha, beta).coefficients;
    computeResidual(matrix, trainRows, trainTarget, beta, residual);
    const residualVariance = meanSquare(residual);
    if (residualVariance <= targetVariance * 1e-20 + 1e-300) {
      stoppedBecause = 'the expansion fits the training masks exactly';
      break;
    }
    if (support.length >= termLimit) {
      stoppedBecause = `reached the term limit (${termLimit})`;
      break;
    }
    // Bases already scanned against an earlier residual are skipped until nothing new enters; then
    // one full sweep rescans them all before the search may stop.
    const bases = scanBases(support, beta, options.extendTop, options.maxOrder);
    const unscanned = bases.filter((key) => !scanned.has(key));
    const extendable = fullSweep || unscanned.length === 0 ? bases : unscanned;
    const sweeping = extendable.length === bases.length;
    // A pair whose features have no effect alone (a synergy that cancels their first-order terms, as
    // m₄·m₉ does against +m₄ + m₉) is out of reach of extensions of the support: a full sweep extends
    // every single feature too, where that scan is cheap.
    if (sweeping && options.maxOrder >= 2 && packed.featureCount <= FOOTPRINTLESS_SCAN_FEATURES) {
      const inSweep = new Set(extendable);
      for (let feature = 0; feature < packed.featureCount; feature += 1) {
        const single = keyOfSorted([feature]);
        if (!inSweep.has(single)) extendable.push(single);
      }
    }
    for (const key of extendable) scanned.add(key);
    const tests = extendable.length * packed.featureCount + input.candidates.length;
    const z = options.entryZ > 0 ? options.entryZ : bonferroniZ(tests);
    const threshold = z * Math.sqrt(residualVariance / trainCount);
    // Every scanned term scores its estimated coefficient; the weaker half of a large pool is kept
    // only down to a floor, as candidates for a validated greedy step.
    const floor = threshold / 4;
    const proposals = new Map<InteractionKey, number>();
    for (const key of extendable) scanExtensions(key, packed, masks, trainRows, residual, floor, position, proposals);
    // Proxy candidates are scored in the first round and in full sweeps only: between sweeps the
    // hierarchical scan finds what the new terms make reachable.
    const candidates = rounds === 0 || sweeping ? input.candidates : [];
    for (const key of candidates) {
      if (position.has(key) || proposals.has(key) || key.length > options.maxOrder) continue;
      const score = Math.abs(characterCorrelation(key, masks, trainRows, residual));
      if (score > floor) proposals.set(key, score);
    }
    const ranked = [...proposals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const significant = ranked.filter(([, score]) => score > threshold);
    // Enter the strongest proposals first and at most double the support per round, so a burst of
    // borderline terms cannot crowd out the fit that would explain them away.
    const room = Math.min(termLimit - support.length, Math.max(16, support.length));
    if (significant.length > 0) {
      add(significant.slice(0, room).map(([key]) => key));
      fullSweep = false;
    } else if (!sweeping) {
      fullSweep = true;
      continue;
    } else {
      // Nothing is significant against a residual that may still hold many terms (their variance
      // inflates the threshold). Try the strongest few anyway and keep them only if the error on
      // the validation masks drops.
      const tentative = ranked.slice(0, Math.min(room, GREEDY_STEP)).map(([key]) => key);
      if (tentative.length === 0 || validationRows.length === 0) {
        stoppedBecause = 'no remaining term is significant';
        break;
      }
      const before = validationError(matrix, validationRows, values, beta, support.length);
      const width = support.length;
      add(tentative);
      const trial = fitRidge(matrix, trainRows, trainTarget, support.length, alpha, grow(beta, support.length)).coefficients;
      const after = validationError(matrix, validationRows, values, trial, support.length);
      if (!(after < before * (1 - GREEDY_GAIN))) {
        support.length = width;
        for (const key of tentative) position.delete(key);
        matrix.truncate(width);
        stoppedBecause = 'no remaining term is significant or improves the validation error';
        break;
      }
      beta = trial;
      // The accepted terms are new bases: scan them before sweeping everything again.
      fullSweep = false;
      continue;
    }
    beta = grow(beta, support.length);
  }
  // Prune terms whose coefficients are within noise of zero, then refit the rest.
  beta = fitRidge(matrix, trainRows, trainTarget, support.length, alpha, beta).coefficients;
  computeResidual(matrix, trainRows, trainTarget, beta, residual);
  const degreesOfFreedom = Math.max(1, trainCount - support.length);
  const standardError = Math.sqrt((meanSquare(residual) * trainCount) / degreesOfFreedom / trainCount);
  const largest = beta.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  const kept = support.filter((key, index) => {
    const magnitude = Math.abs(beta[index] as number);
    return key === EMPTY_KEY || (magnitude > options.keepZ * standardError && magnitude > largest * 1e-10);
  });
  const prunedMatrix = new CharacterMatrix(masks, kept.length);
  prunedMatrix.append(kept);
  const trainFit = fitRidge(prunedMatrix, trainRows, trainTarget, kept.length, alpha).coefficients;
  const trainingPrediction = new Float64Array(trainCount);
  prunedMatrix.multiply(trainFit, trainRows, trainingPrediction);
  let validationR2: number | null = null;
  const prediction = new Float64Array(validationRows.length);
  if (validationRows.length > 0) {
    prunedMatrix.multiply(trainFit, validationRows, prediction);
    validationR2 = rSquared(gather(values, validationRows), prediction);
  }
  const allRows = Int32Array.from([...trainRows, ...validationRows]);
  const finalFit = fitRidge(prunedMatrix, allRows, gather(values, allRows), kept.length, alpha, trainFit).coefficients;
  const spectrum: Spectrum = new Map(kept.map((key, index) => [key, finalFit[index] as number]));
  return {
    spectrum,
    validationR2,
    validationPrediction: prediction,
    trainingR2: rSquared(trainTarget, trainingPrediction),
    rounds,
    stoppedBecause,
  };
}

/**
 * Adds to `proposals` every S ∪ {j} whose coefficient estimate mean(r·χ_S·χ_j) exceeds the threshold.
 * With w = r·χ_S, Σ_i w_i·(−1)^{m_ij} = Σw − 2·Σ_{i: m_ij = 1} w_i, one packed pass for all j.
 */
function scanExtensions(
  key: InteractionKey,
  packed: ByteRows,
  masks: readonly Uint8Array[],
  rows: Int32Array,
  residual: Float64Array,
  threshold: number,
  position: ReadonlyMap<InteractionKey, number>,
  proposals: Map<InteractionKey, number>,
): void {
  const features = indicesOf(key);
  const weights = new Float64Array(rows.length);
  let total = 0;
  for (let i = 0; i < rows.length; i += 1) {
    const mask = masks[rows[i] as number] as Uint8Array;
    let parity = 0;
    for (const feature of features) parity ^= mask[feature] as number;
    const w = parity === 0 ? (residual[i] as number) : -(residual[i] as number);
    weights[i] = w;
    total += w;
  }
  const kept = keptFeatureSums(packed, rows, weights);
  const inKey = new Set(features);
  for (let j = 0; j < packed.featureCount; j += 1) {
    if (inKey.has(j)) continue;
    const score = Math.abs((total - 2 * (kept[j] as number)) / rows.length);
    if (score <= threshold) continue;
    const extended = keyOfSorted([...features, j].sort((a, b) => a - b));
    if (position.has(extended)) continue;
    if (score > (proposals.get(extended) ?? 0)) proposals.set(extended, score);
  }
}

function featureCountOf(masks: readonly Uint8Array[]): number {
  return masks[0]?.length ?? 0;
}

function characterCorrelation(key: InteractionKey, masks: readonly Uint8Array[], rows: Int32Array, residual: Float64Array): number {
  const features = indicesOf(key);
  let sum = 0;
  for (let i = 0; i < rows.length; i += 1) {
    const mask = masks[rows[i] as number] as Uint8Array;
    let parity = 0;
    for (const feature of features) parity ^= mask[feature] as number;
    sum += parity === 0 ? (residual[i] as number) : -(residual[i] as number);
  }
  return sum / rows.length;
}

/** Terms tried per greedy step when none is significant on its own. */
const GREEDY_STEP = 4;
/** Up to this many features a full sweep scans every pair (n²/2 of them: 32,768 at 256). */
const FOOTPRINTLESS_SCAN_FEATURES = 256;
/** Relative drop of the validation error a greedy step must achieve to be kept. */
const GREEDY_GAIN = 0.01;

function grow(beta: Float64Array, width: number): Float64Array {
  const grown = new Float64Array(width);
  grown.set(beta.subarray(0, Math.min(width, beta.length)));
  return grown;
}

function validationError(matrix: CharacterMatrix, rows: Int32Array, values: Float64Array, beta: Float64Array, width: number): number {
  const prediction = new Float64Array(rows.length);
  matrix.multiply(beta.subarray(0, width), rows, prediction);
  let sum = 0;
  for (let i = 0; i < rows.length; i += 1) sum += ((values[rows[i] as number] as number) - (prediction[i] as number)) ** 2;
  return sum / Math.max(1, rows.length);
}

/** How many of the strongest terms are also combined in pairs to form scan bases. */
const PAIRED_BASES = 10;

/**
 * The sets whose one-feature extensions are scanned: the support terms with the largest coefficients
 * that can still grow, and the unions of pairs of the very strongest. The unions let a term be found
 * whose footprint is two smaller terms rather than one subset (e.g. {a, b, c} above {a} and {b}).
 */
function scanBases(support: readonly InteractionKey[], beta: Float64Array, count: number, maxOrder: number): InteractionKey[] {
  const strongest = support
    .map((key, index) => ({ key, magnitude: key === EMPTY_KEY ? Number.POSITIVE_INFINITY : Math.abs(beta[index] as number) }))
    .filter((term) => term.key.length < maxOrder)
    .sort((a, b) => b.magnitude - a.magnitude)
    .map((term) => term.key);
  const bases = new Set(strongest.slice(0, count));
  const paired = strongest.filter((key) => key !== EMPTY_KEY).slice(0, PAIRED_BASES);
  for (let i = 0; i < paired.length; i += 1) {
    for (let j = i + 1; j < paired.length; j += 1) {
      const union = [...new Set([...indicesOf(paired[i] as string), ...indicesOf(paired[j] as string)])].sort((a, b) => a - b);
      if (union.length < maxOrder) bases.add(keyOfSorted(union));
    }
  }
  return [...bases];
}

/** The z-score that keeps the chance of any false entry among `tests` null tests near 1 %. */
function bonferroniZ(tests: number): number {
  const p = 0.01 / Math.max(1, tests);
  // Upper-tail normal quantile, accurate to a few percent for small p (Abramowitz–Stegun 26.2.23).
  const t = Math.sqrt(-2 * Math.log(p / 2));
  return t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
}

function computeResidual(matrix: CharacterMatrix, rows: Int32Array, target: Float64Array, beta: Float64Array, out: Float64Array): void {
  matrix.multiply(beta, rows, out);
  for (let i = 0; i < rows.length; i += 1) out[i] = (target[i] as number) - (out[i] as number);
}

function gather(values: Float64Array, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i += 1) out[i] = values[rows[i] as number] as number;
  return out;
}

function meanSquare(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) sum += (values[i] as number) ** 2;
  return values.length > 0 ? sum / values.length : 0;
}
