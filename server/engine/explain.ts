import type { Explanation, Interaction } from '../../protocol/explanation';
import { EXPLANATION_SCHEMA_VERSION } from '../../protocol/explanation';
import type { Granularity } from '../../protocol/features';
import { applyMask, type Masking } from '../ablation/mask';
import { segmentText } from '../ablation/segment';
import type { MaskScorer } from '../backends/scorer';
import { EXACT_MAX_FEATURES, exactMask, exactMaskCount, recoverExact } from '../recovery/exact';
import { indicesOf } from '../recovery/interactionKey';
import type { Spectrum } from '../recovery/spectrum';
import { runPool } from './runPool';

export interface ExplainRequest {
  readonly text: string;
  readonly granularity: Granularity;
  readonly pin?: readonly string[];
  readonly masking: Masking;
  readonly scorer: MaskScorer;
  /** The index order k: the largest interaction reported. */
  readonly order: number;
  /** How many interactions to report, strongest first; 0 reports every non-zero term. */
  readonly top: number;
  readonly concurrency: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ExplainProgress) => void;
}

export interface ExplainProgress {
  readonly done: number;
  readonly planned: number;
}

/** A problem with what was asked (no features, too many), as opposed to a failure of the model. */
export class ExplainError extends Error {
  override readonly name = 'ExplainError';
}

/**
 * Explains `text`: segments it, scores every mask through the scorer, recovers the expansion and
 * reports the Möbius interactions up to the index order.
 */
export async function explainText(request: ExplainRequest): Promise<Explanation> {
  const started = performance.now();
  const { features, pinned } = segmentText(request.text, {
    granularity: request.granularity,
    ...(request.pin ? { pin: request.pin } : {}),
  });
  const n = features.length;
  if (n === 0) throw new ExplainError('The text has no features to ablate at this granularity (it is empty, whitespace or pinned).');
  if (n > EXACT_MAX_FEATURES) {
    throw new ExplainError(
      `The text has ${n} features at "${request.granularity}" granularity; exact recovery handles at most ${EXACT_MAX_FEATURES}. Choose a coarser granularity.`,
    );
  }
  const planned = exactMaskCount(n);
  let done = 0;
  let modelMs = 0;
  const values = await runPool(planned, request.concurrency, async (index) => {
    request.signal?.throwIfAborted();
    const mask = exactMask(n, index);
    const callStarted = performance.now();
    const value = await request.scorer.score({ mask, text: applyMask(request.text, features, mask, request.masking) }, request.signal);
    modelMs += performance.now() - callStarted;
    done += 1;
    request.onProgress?.({ done, planned });
    return value;
  });
  const recoveryStarted = performance.now();
  const recovered = recoverExact(n, Float64Array.from(values));
  const interactions = strongest(recovered.mobius, request.order, request.top);
  const recoveryMs = performance.now() - recoveryStarted;
  return {
    version: EXPLANATION_SCHEMA_VERSION,
    text: request.text,
    granularity: request.granularity,
    features,
    pinned,
    target: null,
    model: request.scorer.description,
    valueFunction: { name: 'exec', reason: 'The scorer program defines the value.' },
    algorithm: { name: 'exact', reason: `All 2^${n} = ${planned} masks were scored, so the expansion is exact.` },
    index: 'mobius',
    order: request.order,
    maxOrder: n,
    fullValue: values[planned - 1] as number,
    emptyValue: values[0] as number,
    interactions,
    fourier: toInteractions(recovered.fourier),
    faithfulness: { r2: null, heldOut: 0 },
    noiseFloor: null,
    calls: { model: planned, cached: 0, masks: planned },
    timing: { totalMs: performance.now() - started, modelMs, recoveryMs },
    partial: false,
  };
}

function toInteractions(spectrum: Spectrum): Interaction[] {
  return [...spectrum].map(([key, value]) => ({ features: indicesOf(key), value }));
}

/** Non-empty terms up to `order`, strongest first, at most `top` of them (0 = all). */
function strongest(spectrum: Spectrum, order: number, top: number): Interaction[] {
  const terms = toInteractions(spectrum).filter((term) => term.features.length > 0 && term.features.length <= order);
  terms.sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  return top > 0 ? terms.slice(0, top) : terms;
}
