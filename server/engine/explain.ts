import type { Explanation, Interaction } from '../../protocol/explanation';
import { EXPLANATION_SCHEMA_VERSION } from '../../protocol/explanation';
import type { Granularity } from '../../protocol/features';
import { applyMask, type Masking } from '../ablation/mask';
import { segmentText } from '../ablation/segment';
import type { MaskScorer } from '../backends/scorer';
import { interactionIndex } from '../recovery/indices';
import type { IndexName } from '../recovery/indexNames';
import { EMPTY_KEY, indicesOf } from '../recovery/interactionKey';
import { fullMask, maskKey } from '../recovery/masks';
import type { RecoveryPlan } from '../recovery/plan';
import { planRecovery } from '../recovery/plan';
import { recover } from '../recovery/recover';
import type { Spectrum } from '../recovery/spectrum';
import type { AlgorithmChoice, MaskEvaluator } from '../recovery/types';
import { runPool } from './runPool';

export interface ExplainRequest {
  readonly text: string;
  readonly granularity: Granularity;
  readonly pin?: readonly string[];
  readonly masking: Masking;
  readonly scorer: MaskScorer;
  readonly algorithm: AlgorithmChoice;
  /** The most model calls the explanation may make. */
  readonly budget: number;
  /** Recovery degree t: the highest interaction order searched. */
  readonly maxOrder: number;
  readonly index: IndexName;
  /** The index order k: the largest interaction reported. */
  readonly order: number;
  /** How many interactions to report, strongest first; 0 reports every non-zero term (∅ included). */
  readonly top: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ExplainProgress) => void;
}

export interface ExplainProgress {
  /** Masks scored so far and the most the plan may score. */
  readonly done: number;
  readonly planned: number;
}

/** A problem with what was asked (no features, too many), as opposed to a failure of the model. */
export class ExplainError extends Error {
  override readonly name = 'ExplainError';
}

/** The most features one explanation takes: the numeric core's limit. */
export const MAX_FEATURES = 4096;

/**
 * Explains `text`: segments it into features, plans the recovery within the budget, scores the
 * masks the algorithm asks for through the scorer (each distinct mask once, with bounded
 * concurrency), and reports the chosen index of the recovered expansion.
 */
export async function explainText(request: ExplainRequest): Promise<Explanation> {
  const started = Date.now();
  const { features, pinned } = segmentText(request.text, {
    granularity: request.granularity,
    ...(request.pin ? { pin: request.pin } : {}),
  });
  const n = features.length;
  if (n === 0) throw new ExplainError('The text has no features to ablate at this granularity (it is empty, whitespace or pinned).');
  if (n > MAX_FEATURES) {
    throw new ExplainError(
      `The text has ${n} features at "${request.granularity}" granularity; at most ${MAX_FEATURES} can be explained at once. Choose a coarser granularity.`,
    );
  }
  const plan: RecoveryPlan = planRecovery({
    featureCount: n,
    budget: request.budget,
    maxOrder: request.maxOrder,
    algorithm: request.algorithm,
  });
  // The plan may score the full and empty prompts on top of its masks, to report both values.
  const planned = plan.masks + 2;
  const scored = new Map<string, number>();
  let modelMs = 0;
  const evaluate: MaskEvaluator = async (masks) => {
    const values = await runPool(masks.length, request.concurrency, async (index) => {
      request.signal?.throwIfAborted();
      const mask = masks[index] as Uint8Array;
      const key = maskKey(mask);
      const known = scored.get(key);
      if (known !== undefined) return known;
      const callStarted = Date.now();
      const value = await request.scorer.score({ mask, text: applyMask(request.text, features, mask, request.masking) }, request.signal);
      modelMs += Date.now() - callStarted;
      scored.set(key, value);
      request.onProgress?.({ done: scored.size, planned });
      return value;
    });
    return Float64Array.from(values);
  };
  const recovered = await recover(evaluate, {
    featureCount: n,
    budget: request.budget,
    maxOrder: request.maxOrder,
    algorithm: request.algorithm,
    seed: request.seed,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const [fullValue, emptyValue] = await evaluate([fullMask(n), new Uint8Array(n)]);
  const recoveryStarted = Date.now();
  const terms = interactionIndex(request.index, recovered.fourier, request.order);
  const interactions = strongest(terms, request.top);
  const recoveryMs = recovered.diagnostics.computeMs + (Date.now() - recoveryStarted);
  const { diagnostics } = recovered;
  return {
    version: EXPLANATION_SCHEMA_VERSION,
    text: request.text,
    granularity: request.granularity,
    features,
    pinned,
    target: null,
    model: request.scorer.description,
    valueFunction: { name: 'exec', reason: 'The scorer program defines the value.' },
    algorithm: { name: diagnostics.algorithm, reason: diagnostics.reason },
    index: request.index,
    order: request.order,
    maxOrder: plan.maxOrder,
    fullValue: fullValue as number,
    emptyValue: emptyValue as number,
    interactions,
    fourier: toInteractions(recovered.fourier),
    faithfulness: { r2: diagnostics.heldOutR2, heldOut: diagnostics.heldOutMasks },
    noiseFloor: null,
    calls: { model: scored.size, cached: 0, masks: scored.size },
    timing: { totalMs: Date.now() - started, modelMs, recoveryMs },
    partial: false,
  };
}

function toInteractions(spectrum: Spectrum): Interaction[] {
  return [...spectrum].map(([key, value]) => ({ features: indicesOf(key), value }));
}

/** Terms strongest first; `top` > 0 keeps that many non-empty terms, 0 keeps every non-zero term with ∅. */
function strongest(spectrum: Spectrum, top: number): Interaction[] {
  const terms = [...spectrum]
    .filter(([key, value]) => value !== 0 && (top === 0 || key !== EMPTY_KEY))
    .map(([key, value]) => ({ features: indicesOf(key), value }));
  terms.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.features.length - b.features.length);
  return top > 0 ? terms.slice(0, top) : terms;
}
