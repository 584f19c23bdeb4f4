import type { ChatPromptInfo, Explanation, Interaction, Refinement, SamplingRound, TokenCounts } from '../../protocol/explanation';
import { EXPLANATION_SCHEMA_VERSION } from '../../protocol/explanation';
import { hasFindings, verdictOf } from '../../protocol/verdict';
import type { Feature, Granularity, PinnedSpan } from '../../protocol/features';
import type { Masking } from '../ablation/mask';
import { fullPrompt, promptWithMask, segmentPrompt, type PromptDocument } from '../ablation/promptDocument';
import type { IndexName } from '../recovery/indexNames';
import { indicesOf } from '../recovery/interactionKey';
import { anchorMasks } from '../recovery/anchors';
import { distinctUniformMasks, fullMask, maskKey } from '../recovery/masks';
import { seededRandom } from '../recovery/random';
import { planRecovery, type RecoveryPlan } from '../recovery/plan';
import type { Spectrum } from '../recovery/spectrum';
import type { AlgorithmChoice, MaskEvaluator, Recovery, ValueRange } from '../recovery/types';
import { localCorrectionRecord, surrogateOf } from '../recovery/surrogate';
import { cachedScorer, type CallStore } from './cachedScorer';
import { refitCensored } from './censoredRefit';
import { indexedTerms } from '../../protocol/indexView';
import { fitFromSamplesInWorker, recoverInWorker } from './recoveryThread';
import { runPool } from './runPool';
import type { ValueSource } from './valueSource';

export interface ExplainRequest {
  readonly text: string;
  /** How the text is read (a chat prompt's spans and masking); plain text when absent. */
  readonly document?: PromptDocument;
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
  /**
   * Fit bounded values as censored (default true; see censoredRefit.ts). Benchmarks turn it off to
   * measure what it changes.
   */
  readonly censorBounds?: boolean;
  /** Scores of the full prompt taken to measure the noise floor (default 3; 0 skips it). */
  readonly noiseRepeats?: number;
  /**
   * The interval the value is known to lie in (a sentiment score, a cosine): ProxySPEX then fits it
   * on its link scale (see server/recovery/linkScale.ts).
   */
  readonly valueRange?: ValueRange;
  readonly signal?: AbortSignal;
  /**
   * When the signal aborts: false (default) rejects with its reason; true returns what the masks
   * scored so far explain, marked partial (a fit on every paid-for value, never a discarded run).
   */
  readonly partialOnAbort?: boolean;
  readonly onProgress?: (progress: ExplainProgress) => void;
  /** Receives early results (e.g. after each ProxySPEX round) before the final one. */
  readonly onPartial?: (explanation: Explanation) => void;
  /** The spans to explain, where they are not the text segmented at `granularity` (a drill-down's). */
  readonly segmented?: Segmented;
  /**
   * A drill-down's coarser masks, lifted to `segmented` (see drillDown.ts): they join the first round
   * on top of the budget, and the cache answers them. `refinement` is reported with how many it did.
   */
  readonly priorMasks?: readonly Uint8Array[];
  readonly refinement?: Omit<Refinement, 'lifted' | 'reused'>;
  /** Receives every mask the run scored (a drill-down lifts them into the next, finer run). */
  readonly onScoredMasks?: (masks: readonly Uint8Array[]) => void;
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
export function segmentForExplanation(document: PromptDocument, granularity: Granularity, pin: readonly string[] | undefined): Segmented {
  const segmented = segmentPrompt(document, granularity, pin);
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
  const document = documentOf(request);
  const { features, pinned } = request.segmented ?? segmentForExplanation(documentOf(request), request.granularity, request.pin);
  const n = features.length;
  const priorKeys = new Set((request.priorMasks ?? []).map(maskKey));
  /** Prior masks the cache answered: the calls a drill-down saved. */
  let reusedPriors = 0;
  const noiseRepeats = request.noiseRepeats ?? 3;
  const extraRepeats = noiseRepeatsInBudget(noiseRepeats);
  const plan: RecoveryPlan = planRecovery({
    featureCount: n,
    budget: request.budget,
    reserved: extraRepeats,
    maxOrder: request.maxOrder,
    algorithm: request.algorithm,
  });
  const planned = plan.masks + extraRepeats;
  const scored = new Map<string, number>();
  const scoredMasks: Uint8Array[] = [];
  const inFlight = new Map<string, Promise<number>>();
  let modelCalls = 0;
  let cachedCalls = 0;
  let modelMs = 0;
  /** Masks whose value is an upper bound, not exact (see MaskValue). */
  const boundedKeys = new Set<string>();
  const requestsBefore = request.source.scoringRequests?.();
  // A failed score of the empty prompt or of the noise probe stops the recovery at once, not after it.
  const failFast = new AbortController();
  let earlyFailure: { readonly error: unknown } | undefined;
  const failEarly = (error: unknown): void => {
    if (request.signal?.aborted || earlyFailure) return;
    earlyFailure = { error };
    failFast.abort(error);
  };
  const signal = request.signal ? AbortSignal.any([request.signal, failFast.signal]) : failFast.signal;

  const score = cachedScorer(request.source, request.cache);
  const tokensBefore = request.source.tokenCounts?.();
  const scoreText = async (text: string, mask: Uint8Array, extra: Record<string, number> = {}): Promise<number> => {
    const result = await score(text, mask, signal, extra);
    if (result.cached) cachedCalls += 1;
    else modelCalls += 1;
    if (result.cached && priorKeys.size > 0 && Object.keys(extra).length === 0 && priorKeys.has(maskKey(mask))) reusedPriors += 1;
    modelMs += result.modelMs;
    if (result.bounded && Object.keys(extra).length === 0) boundedKeys.add(maskKey(mask));
    return result.value;
  };

  // A backend that orders its own queue (prefix reuse) is shown more masks at once than the concurrency.
  const queued = Math.max(request.concurrency, request.source.preferredConcurrency ?? 0);
  /** When each mask was first asked for: the order a fit of all scored masks takes them in. */
  const askedAt = new Map<string, number>();
  const inAskedOrder = (masks: readonly Uint8Array[]): Uint8Array[] =>
    [...masks].sort((a, b) => (askedAt.get(maskKey(a)) ?? 0) - (askedAt.get(maskKey(b)) ?? 0));
  const evaluate: MaskEvaluator = async (masks) => {
    for (const mask of masks) {
      const key = maskKey(mask);
      if (!askedAt.has(key)) askedAt.set(key, askedAt.size);
    }
    const values = await runPool(masks.length, queued, async (index) => {
      signal.throwIfAborted();
      const mask = masks[index] as Uint8Array;
      const key = maskKey(mask);
      const known = scored.get(key);
      if (known !== undefined) return known;
      // A mask asked for twice at once (by the recovery and by the edge probes) is scored once.
      const pending = inFlight.get(key);
      if (pending) return pending;
      const scoring = scoreText(promptWithMask(document, features, mask, request.masking), mask);
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

  // A declared range the scores do not keep to is a mistake worth saying: the fit then ignores it.
  const outsideRange = (): string => {
    const range = request.valueRange;
    if (!range) return '';
    let outside = 0;
    for (const value of scored.values()) if (value < range.min || value > range.max) outside += 1;
    return outside === 0
      ? ''
      : `; ${outside} of ${scored.size} scored values lie outside the declared range ${range.min}…${range.max}, so it may not describe this value`;
  };

  const report = (recovered: Recovery, partial: boolean, fullValue: number, emptyValue: number, noiseFloor: number | null): Explanation => {
    const indexStarted = Date.now();
    const algorithm = { name: recovered.diagnostics.algorithm, reason: `${recovered.diagnostics.reason}${outsideRange()}` };
    const faithfulness = { r2: recovered.diagnostics.heldOutR2, heldOut: recovered.diagnostics.heldOutMasks };
    const fourier = toInteractions(recovered.fourier);
    const verdict = verdictOf({ faithfulness, noiseFloor, fourier, algorithm });
    // A fit that does not capture the model has no findings: its terms would be read as effects.
    const findings = hasFindings(verdict);
    const { interactions, featureValues } = indexedTerms(recovered.fourier, features.length, {
      index: request.index,
      order: request.order,
      top: request.top,
      findings,
      noiseFloor,
    });
    return {
      version: EXPLANATION_SCHEMA_VERSION,
      text: request.text,
      ...(request.document?.chat ? { chat: chatInfo(request.document.chat) } : {}),
      granularity: request.granularity,
      features,
      pinned,
      target: request.source.target,
      ...(request.source.targetCut ? { targetCut: true } : {}),
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
      ...(recovered.linkScale
        ? {
            linkScale: {
              min: recovered.linkScale.range.min,
              max: recovered.linkScale.range.max,
              link: recovered.linkScale.link,
              fourier: toInteractions(recovered.linkScale.fourier),
              fidelity: recovered.diagnostics.link?.fidelity ?? Number.NaN,
            },
          }
        : {}),
      ...(recovered.localCorrection ? { localCorrection: localCorrectionRecord(recovered.localCorrection) } : {}),
      faithfulness,
      verdict,
      sampling: {
        budget: request.budget,
        ...(extraRepeats > 0 ? { noiseRepeats: extraRepeats } : {}),
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
        bounded: boundedKeys.size,
        ...(requestsBefore === undefined ? {} : { requests: (request.source.scoringRequests?.() ?? requestsBefore) - requestsBefore }),
        ...tokensSince(tokensBefore, request.source.tokenCounts?.()),
      },
      timing: { totalMs: Date.now() - started, modelMs, recoveryMs: recovered.diagnostics.computeMs + (Date.now() - indexStarted) },
      ...(request.source.device ? { device: request.source.device() } : {}),
      partial,
      ...(request.refinement ? { refinement: { ...request.refinement, lifted: priorKeys.size, reused: reusedPriors } } : {}),
    };
  };

  // The empty prompt and the noise probe do not depend on the recovery: they run alongside its first
  // round instead of after its last fit, where they would keep the model idle but for a few calls.
  const edges = evaluate([new Uint8Array(n)]);
  const noise =
    noiseRepeats > 0
      ? measureNoise(
          async () => (await evaluate([fullMask(n)]))[0] as number,
          (repeat) => scoreText(fullPrompt(document), fullMask(n), { noiseRepeat: repeat }),
          extraRepeats,
        )
      : Promise.resolve(null);
  // A failure here stops the recovery at once (the run's first masks show whether scoring works at all).
  edges.catch(failEarly);
  noise.catch(failEarly);
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
        reserved: extraRepeats,
        maxOrder: request.maxOrder,
        algorithm: request.algorithm,
        seed: request.seed,
        proxySpex: {
          ...(request.targetR2 !== undefined ? { targetR2: request.targetR2 } : {}),
          ...(request.plateau !== undefined ? { plateau: request.plateau } : {}),
          ...(request.valueRange ? { valueRange: request.valueRange } : {}),
          ...(request.priorMasks && request.priorMasks.length > 0 ? { priorMasks: request.priorMasks } : {}),
        },
      },
      {
        signal,
        onProgress: (progress) => {
          if (!progress.partial) return;
          latestPartial = progress.partial;
          request.onPartial?.(report(progress.partial, true, Number.NaN, Number.NaN, null));
        },
      },
    );
  } catch (error) {
    if (earlyFailure) throw earlyFailure.error;
    if (!request.signal?.aborted || !request.partialOnAbort) throw error;
    return partialFromScored(error);
  }
  const [emptyValue] = await edges;
  const [fullValue] = await evaluate([fullMask(n)]);
  const noiseFloor = await noise;
  if (boundedKeys.size > 0 && request.censorBounds !== false) {
    // Masks in the order they were asked for, not the order their scores arrived in (which the network
    // decides), so that the refit's seeded split, and the explanation, repeat run after run.
    const asked = inAskedOrder(scoredMasks);
    const censored = await refitCensored(
      recovered,
      {
        masks: asked,
        values: Float64Array.from(asked, (mask) => scored.get(maskKey(mask)) as number),
        bounded: Uint8Array.from(asked, (mask) => (boundedKeys.has(maskKey(mask)) ? 1 : 0)),
      },
      { featureCount: n, maxOrder: plan.maxOrder, seed: request.seed },
      signal,
    );
    if (censored) recovered = censored.recovery;
  }
  request.onScoredMasks?.(inAskedOrder(scoredMasks));
  return report(recovered, false, fullValue as number, emptyValue as number, noiseFloor);

  /**
   * After a cancel: fit every value paid for so far (the full and empty values from the fit where
   * unscored), in a fresh worker. A cancel is answered within a second, so where that fit would take
   * longer and a sampling round has finished, the last round's fit is shown instead.
   */
  async function partialFromScored(cause: unknown): Promise<Explanation> {
    if (scoredMasks.length < 2) throw cause;
    const asked = inAskedOrder(scoredMasks);
    const values = Float64Array.from(asked, (mask) => scored.get(maskKey(mask)) as number);
    const fallback = latestPartial;
    const deadline = fallback ? AbortSignal.timeout(CANCEL_FIT_MS) : undefined;
    let fitted: Recovery;
    let fitOn: string;
    try {
      fitted = await fitFromSamplesInWorker(
        asked,
        values,
        { featureCount: n, maxOrder: plan.maxOrder, seed: request.seed, ...(request.valueRange ? { valueRange: request.valueRange } : {}) },
        deadline,
      );
      fitOn = 'fit on those';
    } catch (error) {
      if (!fallback || !deadline?.aborted) throw error;
      fitted = fallback;
      fitOn = `shown as the last round's fit on ${fallback.diagnostics.masksQueried} of them (a fit on all would not have finished within a second)`;
    }
    const surrogate = surrogateOf(fitted);
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
 * The first score is the full prompt's own (the one the recovery uses); each repeat has its own cache
 * key, so a rerun reuses them too.
 */
async function measureNoise(
  scoreFull: () => Promise<number>,
  scoreRepeat: (repeat: number) => Promise<number>,
  repeats: number,
): Promise<number> {
  const values = await Promise.all([scoreFull(), ...Array.from({ length: repeats }, (_, repeat) => scoreRepeat(repeat + 1))]);
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Math.max(1, values.length - 1);
  const spread = Math.sqrt(variance);
  // Differences at the last bits of a double are arithmetic, not noise.
  return spread <= 1e-9 * Math.max(1, Math.abs(mean)) ? 0 : spread;
}

/**
 * The scores of the full prompt the noise probe adds to the one the recovery takes anyway: they are
 * paid from the budget, which buys masks and these repeats and nothing else.
 */
export function noiseRepeatsInBudget(noiseRepeats: number): number {
  return Math.max(0, noiseRepeats - 1);
}

function toInteractions(spectrum: Spectrum): Interaction[] {
  return [...spectrum].map(([key, value]) => ({ features: indicesOf(key), value }));
}

/** The plan and cost of an explanation, estimated from a few masks scored before the run. */
export interface CostPreview {
  readonly features: number;
  readonly plan: RecoveryPlan;
  readonly valueFunction: ValueSource['valueFunction'];
  /** Scores the run takes at most: its masks (the anchors among them) and the noise probe's repeats, the budget at most. */
  readonly plannedMasks: number;
  /** Model calls: masks × the calls per mask measured on the sample (fixed methods: their count). */
  readonly plannedCalls: number;
  /** From the sample's time, at the run's concurrency. */
  readonly estimatedMs: number;
  /** What scoring the sample measured. */
  readonly sample: PreviewSample;
}

export interface PreviewSample {
  /** Masks scored for the preview (the full prompt and the first masks the run will ask for). */
  readonly masks: number;
  /** Of them, answered by the cache (they cost nothing and say nothing about time). */
  readonly cached: number;
  /** Model requests per mask scored by the model, where the backend counts requests. */
  readonly requestsPerMask: number | null;
  /** Prompt tokens the model evaluated per mask, where the backend counts them (the llama backend). */
  readonly tokensPerMask: number | null;
  /** Masks whose value is only an upper bound. */
  readonly bounded: number;
}

/** Masks a preview scores: enough to see the calls per mask vary, few enough to answer in seconds. */
export const PREVIEW_MASKS = 8;

/**
 * Previews an explanation's cost by scoring a few masks first: the full prompt and the first masks
 * the run itself will draw (ProxySPEX's first round, same seed), through the cache where there is
 * one, so that a run after the preview pays for none of them again. Calls per mask, tokens per mask
 * and time come from what the sample cost.
 */
export async function previewCost(
  request: Pick<
    ExplainRequest,
    | 'text'
    | 'granularity'
    | 'pin'
    | 'masking'
    | 'source'
    | 'cache'
    | 'algorithm'
    | 'budget'
    | 'maxOrder'
    | 'concurrency'
    | 'noiseRepeats'
    | 'seed'
    | 'signal'
  >,
): Promise<CostPreview> {
  const document = documentOf(request);
  const { features } = segmentForExplanation(document, request.granularity, request.pin);
  const n = features.length;
  const extraRepeats = noiseRepeatsInBudget(request.noiseRepeats ?? 3);
  const plan = planRecovery({
    featureCount: n,
    budget: request.budget,
    reserved: extraRepeats,
    maxOrder: request.maxOrder,
    algorithm: request.algorithm,
  });
  const plannedMasks = plan.masks + extraRepeats;
  // The anchors, then the first uniform masks ProxySPEX draws with the same seed (proxySpex.ts).
  const { full, empty } = anchorMasks(n);
  const sampleMasks = [
    full,
    empty,
    ...distinctUniformMasks(
      n,
      Math.max(0, Math.min(PREVIEW_MASKS, plan.masks) - 2),
      seededRandom(request.seed),
      new Set([maskKey(full), maskKey(empty)]),
    ),
  ];
  const { source } = request;
  const score = cachedScorer(source, request.cache);
  const requestsBefore = source.scoringRequests?.();
  const tokensBefore = source.tokensEvaluated?.();
  let cached = 0;
  let bounded = 0;
  const started = Date.now();
  await runPool(sampleMasks.length, Math.max(1, request.concurrency), async (index) => {
    const mask = sampleMasks[index] as Uint8Array;
    const result = await score(promptWithMask(document, features, mask, request.masking), mask, request.signal);
    if (result.cached) cached += 1;
    if (result.bounded) bounded += 1;
  });
  const elapsedMs = Date.now() - started;
  const fromModel = sampleMasks.length - cached;
  const perModelMask = (before: number | undefined, after: number | undefined): number | null =>
    before === undefined || after === undefined || fromModel === 0 ? null : (after - before) / fromModel;
  const requestsPerMask = perModelMask(requestsBefore, source.scoringRequests?.());
  const tokensPerMask = perModelMask(tokensBefore, source.tokensEvaluated?.());
  const callsPerMask = source.callsVary && requestsPerMask !== null ? requestsPerMask : source.callsPerMask;
  // The sample kept min(concurrency, its size) masks in flight; the run keeps `concurrency` in flight.
  const inFlight = Math.min(Math.max(1, request.concurrency), Math.max(1, fromModel));
  const msPerMask = fromModel > 0 ? ((elapsedMs / fromModel) * inFlight) / Math.max(1, request.concurrency) : 0;
  return {
    features: n,
    plan,
    valueFunction: source.valueFunction,
    plannedMasks,
    plannedCalls: Math.round(plannedMasks * callsPerMask),
    estimatedMs: Math.round(plannedMasks * msPerMask),
    sample: { masks: sampleMasks.length, cached, requestsPerMask, tokensPerMask, bounded },
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

/** The request's text as a document: its chat prompt where it has one, else plain text. */
export function documentOf(request: Pick<ExplainRequest, 'text' | 'document'>): PromptDocument {
  return request.document ?? { text: request.text };
}

function chatInfo(chat: NonNullable<PromptDocument['chat']>): ChatPromptInfo {
  return { syntax: chat.syntax, roles: chat.messages.map((message) => message.role) };
}
