import type { Explanation, Interaction, SamplingRound, TokenCounts } from '../../protocol/explanation';
import { EXPLANATION_SCHEMA_VERSION } from '../../protocol/explanation';
import { isNegligible } from '../../protocol/effects';
import { hasFindings, verdictOf } from '../../protocol/verdict';
import type { Feature, Granularity, PinnedSpan } from '../../protocol/features';
import { applyMask, type Masking } from '../ablation/mask';
import { segmentText } from '../ablation/segment';
import { interactionIndex } from '../recovery/indices';
import type { IndexName } from '../recovery/indexNames';
import { EMPTY_KEY, indicesOf, keyOfSorted } from '../recovery/interactionKey';
import { CompiledFourier } from '../recovery/expansion';
import { fullMask, maskKey } from '../recovery/masks';
import { planRecovery, type RecoveryPlan } from '../recovery/plan';
import type { Spectrum } from '../recovery/spectrum';
import type { AlgorithmChoice, MaskEvaluator, Recovery } from '../recovery/types';
import { cachedScorer, type CallStore } from './cachedScorer';
import { fitFromSamplesInWorker, recoverInWorker } from './recoveryThread';
import { runPool } from './runPool';
import type { ValueSource } from './valueSource';

export interface ExplainRequest {
  readonly text: string;
  readonly granularity: Granularity;
  readonly pin?: readonly string[];
  readonly masking: Masking;
  readonly source: ValueSource;
  /** Stored calls to reuse and add to; without one, every call goes to the model. */
  readonly cache?: CallStore;
  readonly algorithm: AlgorithmChoice;
  /** The most masks the explanation may score. */
  readonly budget: number;
  /** Recovery degree t: the highest interaction order searched. */
  readonly maxOrder: number;
  /** Anytime sampling: stop once the surrogate predicts fresh masks with at least this R² (default 0.999). */
  readonly targetR2?: number;
  /** Anytime sampling: stop once a round improves the R² on fresh masks by less than this (default 0.002). */
  readonly plateau?: number;
  readonly index: IndexName;
  /** The index order k: the largest interaction reported. */
  readonly order: number;
  /** How many interactions to report, strongest first; 0 reports every non-zero term (∅ included). */
  readonly top: number;
  readonly seed: number;
  /** Masks scored at once (the backend's scheduler bounds the calls behind them). */
  readonly concurrency: number;
  /** Scores of the full prompt taken to measure the noise floor (default 3; 0 skips it). */
  readonly noiseRepeats?: number;
  readonly signal?: AbortSignal;
  /**
   * When the signal aborts: false (default) rejects with its reason; true returns what the masks
   * scored so far explain, marked partial (a fit on every paid-for value, never a discarded run).
   */
  readonly partialOnAbort?: boolean;
  readonly onProgress?: (progress: ExplainProgress) => void;
  /** Receives early results (e.g. after each ProxySPEX round) before the final one. */
  readonly onPartial?: (explanation: Explanation) => void;
}

export interface ExplainProgress {
  /** Masks scored so far (from the cache or the model), the most the plan may score, and how many came from the cache. */
  readonly done: number;
  readonly planned: number;
  readonly cached: number;
  readonly elapsedMs: number;
  /** Time left if the plan runs to its end at the pace so far (the recovery may stop sooner). */
  readonly etaMs: number;
}

/** A problem with what was asked (no features, too many), as opposed to a failure of the model. */
export class ExplainError extends Error {
  override readonly name = 'ExplainError';
}

/**
 * How long, after a cancel, the fit of every scored mask may take before the last round's fit is
 * shown instead: the rest of the second a cancel is answered within goes to the report.
 */
const CANCEL_FIT_MS = 500;

/** The most features one explanation takes: the numeric core's limit. */
export const MAX_FEATURES = 4096;

export interface Segmented {
  readonly features: Feature[];
  readonly pinned: PinnedSpan[];
}

/** Segments and checks the feature count, the first step of every explanation and cost preview. */
export function segmentForExplanation(text: string, granularity: Granularity, pin: readonly string[] | undefined): Segmented {
  const segmented = segmentText(text, { granularity, ...(pin ? { pin } : {}) });
  const n = segmented.features.length;
  if (n === 0) throw new ExplainError('The text has no features to ablate at this granularity (it is empty, whitespace or pinned).');
  if (n > MAX_FEATURES) {
    throw new ExplainError(
      `The text has ${n} features at "${granularity}" granularity; at most ${MAX_FEATURES} can be explained at once. Choose a coarser granularity.`,
    );
  }
  return segmented;
}

/**
 * Explains `text`: segments it into features, plans the recovery within the budget, scores every
 * mask the algorithm asks for (each distinct masked prompt once: from the cache when it has it,
 * else from the model), measures the noise floor, and reports the chosen index of the expansion.
 */
export async function explainText(request: ExplainRequest): Promise<Explanation> {
  const started = Date.now();
  const { features, pinned } = segmentForExplanation(request.text, request.granularity, request.pin);
  const n = features.length;
  const plan: RecoveryPlan = planRecovery({
    featureCount: n,
    budget: request.budget,
    maxOrder: request.maxOrder,
    algorithm: request.algorithm,
  });
  const noiseRepeats = request.noiseRepeats ?? 3;
  const planned = plan.masks + 2;
  const scored = new Map<string, number>();
  const scoredMasks: Uint8Array[] = [];
  const inFlight = new Map<string, Promise<number>>();
  let modelCalls = 0;
  let cachedCalls = 0;
  let modelMs = 0;

  const score = cachedScorer(request.source, request.cache);
  const tokensBefore = request.source.tokenCounts?.();
  const scoreText = async (text: string, mask: Uint8Array, extra: Record<string, number> = {}): Promise<number> => {
    const result = await score(text, mask, request.signal, extra);
    if (result.cached) cachedCalls += 1;
    else modelCalls += 1;
    modelMs += result.modelMs;
    return result.value;
  };

  // A backend that orders its own queue (prefix reuse) is shown more masks at once than the concurrency.
  const queued = Math.max(request.concurrency, request.source.preferredConcurrency ?? 0);
  const evaluate: MaskEvaluator = async (masks) => {
    const values = await runPool(masks.length, queued, async (index) => {
      request.signal?.throwIfAborted();
      const mask = masks[index] as Uint8Array;
      const key = maskKey(mask);
      const known = scored.get(key);
      if (known !== undefined) return known;
      // A mask asked for twice at once (by the recovery and by the edge probes) is scored once.
      const pending = inFlight.get(key);
      if (pending) return pending;
      const scoring = scoreText(applyMask(request.text, features, mask, request.masking), mask);
      inFlight.set(key, scoring);
      let value: number;
      try {
        value = await scoring;
      } finally {
        inFlight.delete(key);
      }
      scored.set(key, value);
      scoredMasks.push(mask);
      const elapsedMs = Date.now() - started;
      request.onProgress?.({
        done: scored.size,
        planned,
        cached: cachedCalls,
        elapsedMs,
        etaMs: Math.round((elapsedMs / scored.size) * Math.max(0, planned - scored.size)),
      });
      return value;
    });
    return Float64Array.from(values);
  };

  const report = (recovered: Recovery, partial: boolean, fullValue: number, emptyValue: number, noiseFloor: number | null): Explanation => {
    const indexStarted = Date.now();
    const algorithm = { name: recovered.diagnostics.algorithm, reason: recovered.diagnostics.reason };
    const faithfulness = { r2: recovered.diagnostics.heldOutR2, heldOut: recovered.diagnostics.heldOutMasks };
    const fourier = toInteractions(recovered.fourier);
    const verdict = verdictOf({ faithfulness, noiseFloor, fourier, algorithm });
    // A fit that does not capture the model has no findings: its terms would be read as effects.
    const findings = hasFindings(verdict);
    const terms = interactionIndex(request.index, recovered.fourier, request.order);
    const interactions = findings ? flagNoise(strongest(terms, request.top), noiseFloor) : [];
    // Fourier singletons are −½ × the effect of keeping a feature; every other index reports the effect itself.
    const singletons = request.index === 'fourier' ? interactionIndex('banzhaf', recovered.fourier, 1) : terms;
    const singles = features.map((feature) => singletons.get(keyOfSorted([feature.index])) ?? 0);
    const largestSingle = singles.reduce((largest, value) => Math.max(largest, Math.abs(value)), 0);
    const featureValues = singles.map((value) => (findings && !isNegligible(value, largestSingle) ? value : 0));
    return {
      version: EXPLANATION_SCHEMA_VERSION,
      text: request.text,
      granularity: request.granularity,
      features,
      pinned,
      target: request.source.target,
      model: request.source.model,
      valueFunction: request.source.valueFunction,
      algorithm,
      index: request.index,
      order: request.order,
      maxOrder: plan.maxOrder,
      fullValue,
      emptyValue,
      interactions,
      featureValues,
      fourier,
      faithfulness,
      verdict,
      sampling: {
        budget: request.budget,
        rounds: samplingRounds(recovered),
        stoppedBecause: recovered.diagnostics.stoppedBecause,
        ...(recovered.diagnostics.surrogate ? { surrogate: recovered.diagnostics.surrogate } : {}),
      },
      noiseFloor,
      calls: {
        model: modelCalls,
        cached: cachedCalls,
        masks: scored.size,
        setup: request.source.setupCalls,
        ...tokensSince(tokensBefore, request.source.tokenCounts?.()),
      },
      timing: { totalMs: Date.now() - started, modelMs, recoveryMs: recovered.diagnostics.computeMs + (Date.now() - indexStarted) },
      partial,
    };
  };

  // The empty prompt and the noise probe do not depend on the recovery: they run alongside its first
  // round instead of after its last fit, where they would keep the model idle but for a few calls.
  const edges = evaluate([new Uint8Array(n)]);
  const noise = noiseRepeats > 0 ? measureNoise(request.text, fullMask(n), noiseRepeats, scoreText) : Promise.resolve(null);
  // Failures surface where they are awaited; these handlers only keep an early one from going unhandled.
  edges.catch(() => undefined);
  noise.catch(() => undefined);
  // The latest round's fit: what a cancel shows when a fit of every scored mask would keep it waiting.
  let latestPartial: Recovery | undefined;
  let recovered: Recovery;
  try {
    // The fits run in a worker thread: this one keeps scoring, reporting and answering meanwhile.
    recovered = await recoverInWorker(
      evaluate,
      {
        featureCount: n,
        budget: request.budget,
        maxOrder: request.maxOrder,
        algorithm: request.algorithm,
        seed: request.seed,
        proxySpex: {
          ...(request.targetR2 !== undefined ? { targetR2: request.targetR2 } : {}),
          ...(request.plateau !== undefined ? { plateau: request.plateau } : {}),
        },
      },
      {
        ...(request.signal ? { signal: request.signal } : {}),
        onProgress: (progress) => {
          if (!progress.partial) return;
          latestPartial = progress.partial;
          request.onPartial?.(report(progress.partial, true, Number.NaN, Number.NaN, null));
        },
      },
    );
  } catch (error) {
    if (!request.signal?.aborted || !request.partialOnAbort) throw error;
    return partialFromScored(error);
  }
  const [emptyValue] = await edges;
  const [fullValue] = await evaluate([fullMask(n)]);
  const noiseFloor = await noise;
  return report(recovered, false, fullValue as number, emptyValue as number, noiseFloor);

  /**
   * After a cancel: fit every value paid for so far (the full and empty values from the fit where
   * unscored), in a fresh worker. A cancel is answered within a second, so where that fit would take
   * longer and a sampling round has finished, the last round's fit is shown instead.
   */
  async function partialFromScored(cause: unknown): Promise<Explanation> {
    if (scoredMasks.length < 2) throw cause;
    const values = Float64Array.from(scoredMasks, (mask) => scored.get(maskKey(mask)) as number);
    const fallback = latestPartial;
    const deadline = fallback ? AbortSignal.timeout(CANCEL_FIT_MS) : undefined;
    let fitted: Recovery;
    let fitOn: string;
    try {
      fitted = await fitFromSamplesInWorker(
        scoredMasks,
        values,
        { featureCount: n, maxOrder: plan.maxOrder, seed: request.seed },
        deadline,
      );
      fitOn = 'fit on those';
    } catch (error) {
      if (!fallback || !deadline?.aborted) throw error;
      fitted = fallback;
      fitOn = `shown as the last round's fit on ${fallback.diagnostics.masksQueried} of them (a fit on all would not have finished within a second)`;
    }
    const surrogate = new CompiledFourier(fitted.fourier);
    const known = (mask: Uint8Array): number => scored.get(maskKey(mask)) ?? surrogate.evaluate(mask);
    const cancelled: Recovery = {
      ...fitted,
      diagnostics: {
        ...fitted.diagnostics,
        algorithm: plan.algorithm,
        reason: `${plan.reason}; cancelled after ${scoredMasks.length} masks, ${fitOn}`,
        stoppedBecause: `cancelled after ${scoredMasks.length} masks`,
      },
    };
    return report(cancelled, true, known(fullMask(n)), known(new Uint8Array(n)), null);
  }
}

/**
 * The sampling rounds of a recovery. Exact and SPEX recoveries, and a fit of what a cancel left,
 * score their masks in one go and report no rounds: they count as one round of all their masks.
 */
function samplingRounds(recovered: Recovery): SamplingRound[] {
  const { rounds, masksQueried, heldOutR2 } = recovered.diagnostics;
  if (rounds.length === 0) return [{ masks: masksQueried, freshR2: null, heldOutR2 }];
  return rounds.map((round) => ({ masks: round.masks, freshR2: round.freshR2, heldOutR2: round.validationR2 }));
}

/**
 * The spread of repeated scores of the full prompt: with temperature 0 and a fixed seed it should
 * be 0, and where the backend is not deterministic it is the scale below which no effect is real.
 * Each repeat has its own cache key, so a rerun reuses them too.
 */
async function measureNoise(
  text: string,
  mask: Uint8Array,
  repeats: number,
  scoreText: (text: string, mask: Uint8Array, extra: Record<string, number>) => Promise<number>,
): Promise<number> {
  const values = await Promise.all(Array.from({ length: repeats }, (_, repeat) => scoreText(text, mask, { noiseRepeat: repeat })));
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Math.max(1, values.length - 1);
  const spread = Math.sqrt(variance);
  // Differences at the last bits of a double are arithmetic, not noise.
  return spread <= 1e-9 * Math.max(1, Math.abs(mean)) ? 0 : spread;
}

/** Marks interactions whose magnitude does not exceed the noise floor. */
function flagNoise(interactions: Interaction[], noiseFloor: number | null): Interaction[] {
  if (noiseFloor === null || noiseFloor <= 0) return interactions;
  return interactions.map((term) => (Math.abs(term.value) <= noiseFloor ? { ...term, belowNoise: true } : term));
}

function toInteractions(spectrum: Spectrum): Interaction[] {
  return [...spectrum].map(([key, value]) => ({ features: indicesOf(key), value }));
}

/**
 * Terms strongest first; `top` > 0 keeps that many non-empty terms, 0 keeps every non-zero term with ∅.
 * Terms at the level of rounding (see isNegligible) are not effects and are never listed.
 */
function strongest(spectrum: Spectrum, top: number): Interaction[] {
  let largest = 0;
  for (const [key, value] of spectrum) if (key !== EMPTY_KEY) largest = Math.max(largest, Math.abs(value));
  const terms = [...spectrum]
    .filter(([key, value]) => (key === EMPTY_KEY ? top === 0 && value !== 0 : !isNegligible(value, largest)))
    .map(([key, value]) => ({ features: indicesOf(key), value }));
  terms.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.features.length - b.features.length);
  return top > 0 ? terms.slice(0, top) : terms;
}

/** The plan and cost of an explanation, known before any masked prompt is scored. */
export interface CostPreview {
  readonly features: number;
  readonly plan: RecoveryPlan;
  readonly valueFunction: ValueSource['valueFunction'];
  /** Masks and model calls at most (calls = masks × calls per mask, plus the noise probe). */
  readonly plannedMasks: number;
  readonly plannedCalls: number;
  /** From one timed score of the full prompt, divided by the concurrency. */
  readonly estimatedMs: number;
}

export async function previewCost(
  request: Pick<
    ExplainRequest,
    'text' | 'granularity' | 'pin' | 'source' | 'algorithm' | 'budget' | 'maxOrder' | 'concurrency' | 'noiseRepeats' | 'signal'
  >,
): Promise<CostPreview> {
  const { features } = segmentForExplanation(request.text, request.granularity, request.pin);
  const plan = planRecovery({
    featureCount: features.length,
    budget: request.budget,
    maxOrder: request.maxOrder,
    algorithm: request.algorithm,
  });
  const probeStarted = Date.now();
  await request.source.score(request.text, fullMask(features.length), request.signal);
  const perMaskMs = Date.now() - probeStarted;
  const plannedMasks = plan.masks + 2 + (request.noiseRepeats ?? 3);
  return {
    features: features.length,
    plan,
    valueFunction: request.source.valueFunction,
    plannedMasks,
    plannedCalls: plannedMasks * request.source.callsPerMask,
    estimatedMs: Math.round((plannedMasks * perMaskMs) / Math.max(1, request.concurrency)),
  };
}

/** The tokens a source evaluated between two of its counts (the set-up's are not the explanation's). */
function tokensSince(before: TokenCounts | undefined, after: TokenCounts | undefined): { tokens?: TokenCounts } {
  if (!before || !after) return {};
  return {
    tokens: {
      prompts: after.prompts - before.prompts,
      evaluated: after.evaluated - before.evaluated,
      whole: after.whole - before.whole,
      ideal: after.ideal - before.ideal,
    },
  };
}
