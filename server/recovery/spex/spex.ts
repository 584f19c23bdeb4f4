import { anchorMasks, anchorValues, passThroughFull } from '../anchors';
import { CharacterMatrix, fitRidge } from '../characterMatrix';
import { CompiledFourier, rSquared } from '../expansion';
import { EMPTY_KEY } from '../interactionKey';
import { distinctUniformMasks, maskKey } from '../masks';
import { SPEX_GROUPS, spexHoldout, spexParameters } from '../plan';
import type { RandomSource } from '../random';
import type { Spectrum } from '../spectrum';
import { decodeSpex, type SpexDecoder } from './spexDecode';
import { designMask, planSpexDesign, spexSampleCount } from './spexDesign';
import { checkValues, RecoveryError, type AbortSignalLike, type MaskEvaluator, type Recovery } from '../types';

export interface SpexOptions {
  readonly featureCount: number;
  /** The most distinct masks to score, design and hold-out together. */
  readonly budget: number;
  /** Recovery degree t (lowered, down to 2, when the budget cannot afford it). */
  readonly maxOrder?: number;
  readonly random: RandomSource;
  readonly decoder?: SpexDecoder;
  readonly signal?: AbortSignalLike;
  readonly reason?: string;
}

/**
 * SPEX: a structured design hashes the Fourier coefficients into bins whose BCH-coded delays spell
 * out the index of every bin holding one coefficient; peeling across the C groups resolves the rest.
 * The decoded support is then refit by least squares on every design mask (the published package
 * skips this refit), and the result is measured on random masks held out of the design.
 */
export async function recoverSpex(evaluate: MaskEvaluator, options: SpexOptions): Promise<Recovery> {
  const { featureCount, budget } = options;
  if (!Number.isInteger(featureCount) || featureCount < 1 || featureCount > 4096) {
    throw new RecoveryError(`SPEX needs between 1 and 4,096 features; got ${featureCount}.`);
  }
  const maxOrder = options.maxOrder ?? 5;
  if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > 8)
    throw new RecoveryError(`maxOrder must be a whole number from 1 to 8; got ${maxOrder}.`);
  const parameters = Number.isInteger(budget) && budget > 0 ? spexParameters(featureCount, budget, maxOrder) : undefined;
  if (!parameters) {
    const minimum = spexSampleCount(featureCount, 3, Math.min(2, maxOrder), SPEX_GROUPS) + spexHoldout(Math.max(1, budget));
    throw new RecoveryError(`SPEX needs at least about ${minimum} model calls for ${featureCount} features; the budget is ${budget}.`);
  }
  const started = Date.now();
  const design = planSpexDesign({ featureCount, b: parameters.b, t: parameters.t, groups: SPEX_GROUPS, random: options.random });

  // Many design masks repeat (ℓ = 0 gives the same delay vector in every group); each is scored once.
  const distinct: Uint8Array[] = [];
  const distinctIndex = new Map<string, number>();
  const designToDistinct = new Int32Array(design.sampleCount);
  for (let index = 0; index < design.sampleCount; index += 1) {
    const mask = designMask(design, index);
    const key = maskKey(mask);
    let position = distinctIndex.get(key);
    if (position === undefined) {
      position = distinct.length;
      distinctIndex.set(key, position);
      distinct.push(mask);
    }
    designToDistinct[index] = position;
  }
  const designCount = distinct.length;
  // The anchors (the full and the empty prompt) take the first places after the design; random
  // masks held out of the refit measure it.
  const room = Math.min(spexHoldout(budget), budget - designCount);
  const { full, empty } = anchorMasks(featureCount);
  const anchors = [full, empty].filter((mask) => !distinctIndex.has(maskKey(mask))).slice(0, Math.max(0, room));
  const holdout = distinctUniformMasks(
    featureCount,
    Math.max(0, room - anchors.length),
    options.random,
    new Set([...distinctIndex.keys(), ...anchors.map(maskKey)]),
  );
  const queried = [...distinct, ...anchors, ...holdout];

  options.signal?.throwIfAborted();
  const evaluateStarted = Date.now();
  const values = await evaluate(queried, options.signal);
  const evaluateMs = Date.now() - evaluateStarted;
  checkValues(values, queried);

  const designValues = Float64Array.from(designToDistinct, (position) => values[position] as number);
  const decoded = decodeSpex(design, designValues, options.decoder ? { decoder: options.decoder } : {});
  const fourier = passThroughFull(
    refit(decoded.spectrum, distinct, values.subarray(0, designCount)),
    featureCount,
    anchorValues(queried, values, featureCount).full,
  );
  const heldOutValues = values.subarray(designCount + anchors.length);
  const heldOutR2 = holdout.length >= 2 ? rSquared(heldOutValues, new CompiledFourier(fourier).evaluateMany(holdout)) : null;
  const peeling = decoded.diagnostics;
  return {
    fourier,
    diagnostics: {
      algorithm: 'spex',
      reason: options.reason ?? 'chosen by the caller',
      masksQueried: queried.length,
      batches: 1,
      heldOutR2,
      heldOutMasks: holdout.length,
      supportSize: fourier.size,
      computeMs: Date.now() - started - evaluateMs,
      evaluateMs,
      stoppedBecause: `decoded a design of 2^${design.b} bins × ${design.groups} groups × ${design.delayCount} delays at degree ${design.t}; peeling ${peeling.stoppedBecause} after ${peeling.iterations} rounds (${peeling.singletons} singletons, ${peeling.multitons} multitons)`,
      rounds: [],
    },
  };
}

/** Least squares on the decoded support (and ∅) over every distinct design mask. */
function refit(peeled: Spectrum, masks: readonly Uint8Array[], values: Float64Array): Spectrum {
  const support = [EMPTY_KEY, ...[...peeled.keys()].filter((key) => key !== EMPTY_KEY)];
  if (support.length >= masks.length / 2) return peeled.has(EMPTY_KEY) ? peeled : new Map([[EMPTY_KEY, 0], ...peeled]);
  const matrix = new CharacterMatrix(masks, support.length);
  matrix.append(support);
  const rows = Int32Array.from({ length: masks.length }, (_, i) => i);
  const initial = Float64Array.from(support, (key) => peeled.get(key) ?? 0);
  const { coefficients } = fitRidge(matrix, rows, values, support.length, 1e-9 * masks.length, initial);
  return new Map(support.map((key, index) => [key, coefficients[index] as number]));
}
