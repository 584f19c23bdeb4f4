import { isRemoteEndpoint } from '../backends/remoteEndpoint';
import type { Explanation } from '../../protocol/explanation';
import type {
  CostEstimate,
  ExplainTextResult,
  ListModelsResult,
  ServerInitializationOptions,
  VerifyMaskResult,
  CompareTextsResult,
  VerifiedAnswer,
} from '../../protocol/server';
import { fullPrompt, promptWithMask, readPrompt, type PromptDocument } from '../ablation/promptDocument';
import { isAllWhitespace } from '../ablation/whitespace';
import { CallCache } from '../cache/callCache';
import { defaultCacheDirectory } from '../cache/cacheDirectory';
import { cachedScorer, type CachedScore } from '../engine/cachedScorer';
import { EndpointPool } from '../engine/endpointPool';
import { explainText, previewCost, type ExplainProgress, type ExplainRequest, type Segmented } from '../engine/explain';
import { DrillDownError, drillRequest } from '../engine/drillDown';
import { compareExplanations } from '../compare/compareExplanations';
import { runBatch } from '../batch/runBatch';
import { TemplateError } from '../batch/template';
import { InputsError } from '../batch/inputs';
import type { BatchResult } from '../../protocol/batch';
import { isGranularity } from '../../protocol/features';
import { sameAnswer } from '../../protocol/answerText';
import { CallSlots } from '../engine/callSlots';
import { withSharedSlots } from '../engine/sharedSlots';
import { createValueSource, DEFAULT_OPENAI_ENDPOINT, sourceOptionsFor, type ValueSource } from '../engine/valueSource';
import type { GeneratedAnswer } from '../value/valueSource';
import { releaseAllModels } from '../backends/llama/modelRegistry';
import { listOllamaModels, ollamaStoreDirectory } from '../backends/llama/ollamaStore';
import { OllamaEndpoint } from '../backends/ollamaEndpoint';
import { OpenAiEndpoint } from '../backends/openaiEndpoint';
import { explanationSurrogate } from '../recovery/surrogate';
import { resolveExplainConfig, type ExplainConfig } from './explainConfig';
import { MAX_TEXT_LENGTH } from './validate';

/** A finished explanation kept for what-if verification: its scorer, text and features. */
interface Session {
  readonly explanation: Explanation;
  /** How the text was read: a chat prompt's masks are sent as messages. */
  readonly document: PromptDocument;
  readonly config: ExplainConfig;
  readonly score: CachedScore;
  readonly source: ValueSource;
  /**
   * Answers generated for Verify, by mask ('' for the full prompt). Kept in memory only: the call
   * cache on disk holds keyed hashes and numbers, never prompt or answer text.
   */
  readonly answers: Map<string, Promise<GeneratedAnswer>>;
  /** Every mask the run scored: a drill-down from this explanation lifts and reuses them. */
  readonly masks: readonly Uint8Array[];
}

/** How many finished explanations stay verifiable; older ones release their model connections. */
const KEPT_SESSIONS = 20;
/** Bytes of scored masks each kept explanation holds for drill-downs (a byte per span and mask). */
const KEPT_MASK_BYTES = 16 * 1024 * 1024;

export interface ExplainCallbacks {
  readonly signal: AbortSignal;
  /** A drill-down request (RefineParams), checked here: it names a kept explanation of the same text. */
  readonly refine?: unknown;
  /** The spans to explain where they are given, not segmented (a template's own spans in a batch). */
  readonly segmented?: Segmented;
  /**
   * Keep the explanation for Verify and drill-downs (default true). A batch's hundred inputs are not
   * kept: they would push the explanation in the panel out of the last twenty.
   */
  readonly keep?: boolean;
  readonly onStarted?: (id: string) => void;
  readonly onProgress?: (progress: ExplainProgress) => void;
  readonly onPartial?: (id: string, explanation: Explanation) => void;
}

/** A problem with the request itself, as opposed to a failure of the model. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
}

/**
 * Everything the language server does, without the JSON-RPC plumbing: settings and API key,
 * the call cache, running explanations (several at once, each with an id), and the finished ones
 * kept for spex/verify. The server entry point only translates requests into these calls.
 */
export class ExplainService {
  private settings: Record<string, unknown> = {};
  private apiKey: string | undefined;
  private cache: Promise<CallCache> | undefined;
  private readonly sessions = new Map<string, Session>();
  /** Call slots per endpoint set and concurrency, shared by the explanations running at once (see withSharedSlots). */
  private readonly endpointSlots = new Map<string, CallSlots>();
  private nextId = 1;

  constructor(
    private readonly options: ServerInitializationOptions = {},
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  updateSettings(settings: unknown): void {
    this.settings = typeof settings === 'object' && settings !== null ? { ...(settings as Record<string, unknown>) } : {};
  }

  setApiKey(apiKey: string | null): void {
    this.apiKey = apiKey ?? undefined;
  }

  async explain(text: unknown, options: unknown, callbacks: ExplainCallbacks): Promise<Omit<ExplainTextResult, 'documentUri' | 'range'>> {
    const prompt = checkText(text);
    const config = resolveExplainConfig(options, this.settings);
    // Given spans (a batch's template) are plain text; anything else is read as the settings say.
    const document = callbacks.segmented ? { text: prompt } : readPrompt(prompt, config.promptFormat);
    const drill = this.drillFrom(callbacks.refine, document, config);
    const source = await this.source(config, document, callbacks.signal);
    const id = `explanation-${this.nextId}`;
    this.nextId += 1;
    callbacks.onStarted?.(id);
    const cache = await this.openCache();
    let masks: readonly Uint8Array[] = [];
    try {
      const explanation = await explainText({
        text: prompt,
        ...(document.chat ? { document } : {}),
        ...drill,
        ...(callbacks.segmented ? { segmented: callbacks.segmented } : {}),
        granularity: drill.granularity ?? config.granularity,
        onScoredMasks: (scored) => {
          // Twenty kept explanations of thousands of spans and masks would hold gigabytes: each keeps its first masks up to a cap.
          masks = scored.slice(0, Math.floor(KEPT_MASK_BYTES / Math.max(1, scored[0]?.length ?? 1)));
        },
        pin: config.pin,
        masking: config.masking,
        source,
        cache,
        algorithm: config.algorithm,
        budget: config.budget,
        maxOrder: config.maxOrder,
        targetR2: config.targetR2,
        plateau: config.plateau,
        ...(config.valueRange ? { valueRange: config.valueRange } : {}),
        index: config.index,
        order: config.order,
        top: config.top,
        seed: config.seed,
        concurrency: config.concurrency,
        signal: callbacks.signal,
        partialOnAbort: true,
        ...(callbacks.onProgress ? { onProgress: callbacks.onProgress } : {}),
        ...(callbacks.onPartial ? { onPartial: (partial: Explanation) => callbacks.onPartial?.(id, partial) } : {}),
      });
      if (callbacks.keep === false) await source.close();
      else this.keep(id, { explanation, document, config, source, score: cachedScorer(source, cache), answers: new Map(), masks });
      return { id, explanation, cancelled: callbacks.signal.aborted };
    } catch (error) {
      await source.close();
      throw error;
    }
  }

  /**
   * A template over its inputs (see server/batch/runBatch.ts): each filled template explained like any
   * text, with the template's own spans as the features, and the whole aggregated.
   */
  async batch(
    template: unknown,
    inputs: unknown,
    options: unknown,
    onBroken: unknown,
    callbacks: ExplainCallbacks & { readonly onInput?: (position: number, count: number) => void },
  ): Promise<BatchResult> {
    if (typeof template !== 'string') throw new RequestError('"template" must be a string: the text of a template with {{placeholders}}.');
    if (typeof inputs !== 'string') throw new RequestError('"inputs" must be a string: the text of a JSON Lines file of inputs.');
    if (onBroken !== undefined && onBroken !== 'skip' && onBroken !== 'stop')
      throw new RequestError('"onBroken" must be "skip" or "stop".');
    const config = resolveExplainConfig(options, this.settings);
    try {
      return await runBatch({
        template,
        inputs,
        granularity: config.granularity,
        onBroken: onBroken ?? 'skip',
        signal: callbacks.signal,
        explain: async (rendered, _input, position, count, signal) => {
          callbacks.onInput?.(position, count);
          const { explanation } = await this.explain(rendered.text, options, {
            ...callbacks,
            signal,
            segmented: { features: rendered.features, pinned: rendered.pinned },
            keep: false,
          });
          return explanation;
        },
      });
    } catch (error) {
      // A template or an inputs file that cannot be read is a problem with the request, told as such.
      if (error instanceof TemplateError || error instanceof InputsError) throw new RequestError(error.message);
      throw error;
    }
  }

  /**
   * Explains two versions with the same settings (B with `modelB` where given), one after the other,
   * both kept like any explanation, and compares them span by span.
   */
  async compare(a: unknown, b: unknown, options: unknown, modelB: unknown, callbacks: ExplainCallbacks): Promise<CompareTextsResult> {
    if (typeof a !== 'string') throw new RequestError('"a" must be a string: the first version of the text.');
    if (typeof b !== 'string') throw new RequestError('"b" must be a string: the second version of the text.');
    if (modelB !== undefined && (typeof modelB !== 'string' || modelB.trim() === ''))
      throw new RequestError('"modelB" must be the name of a model.');
    const first = await this.explain(a, options, callbacks);
    if (callbacks.signal.aborted) throw new RequestError('Cancelled before the second version was explained.');
    const optionsB =
      modelB === undefined ? options : { ...(typeof options === 'object' && options !== null ? options : {}), model: modelB };
    const second = await this.explain(b, optionsB, callbacks);
    return {
      comparison: compareExplanations(first.explanation, second.explanation),
      idA: first.id,
      idB: second.id,
      cancelled: callbacks.signal.aborted,
    };
  }

  /**
   * The spans, lifted masks and record of a drill-down from a kept explanation, or nothing for a plain
   * run. The explanation must be of this very text, and its spans splittable at the unit asked for.
   */
  private drillFrom(
    refine: unknown,
    document: PromptDocument,
    config: ExplainConfig,
  ): Partial<Pick<ExplainRequest, 'granularity' | 'segmented' | 'priorMasks' | 'refinement'>> {
    if (refine === undefined) return {};
    if (typeof refine !== 'object' || refine === null)
      throw new RequestError('"refine" must be an object: {explanationId, split, granularity}.');
    const { explanationId, split, granularity } = refine as Record<string, unknown>;
    if (typeof explanationId !== 'string') throw new RequestError('"refine.explanationId" must be the id an explanation returned.');
    const session = this.sessions.get(explanationId);
    if (!session)
      throw new RequestError(`No explanation "${explanationId}" is kept (the last ${KEPT_SESSIONS} are); explain the text again.`);
    const coarse = session.explanation;
    if (coarse.text !== document.text)
      throw new RequestError('The text has changed since it was explained; explain it again before drilling down.');
    if (!isGranularity(granularity))
      throw new RequestError('"refine.granularity" must be token, word, sentence, line, paragraph, message or separator:REGEX.');
    if (
      !Array.isArray(split) ||
      split.length === 0 ||
      !split.every((index) => Number.isInteger(index) && index >= 0 && index < coarse.features.length)
    )
      throw new RequestError(`"refine.split" must list span indices of that explanation (0 to ${coarse.features.length - 1}).`);
    if (config.masking.kind !== 'remove')
      throw new RequestError('A drill-down reuses calls only with masking "remove" (a placeholder per piece is another prompt).');
    try {
      return drillRequest(session, split as number[], granularity, session.document);
    } catch (error) {
      if (error instanceof DrillDownError) throw new RequestError(error.message);
      throw error;
    }
  }

  async estimate(text: unknown, options: unknown, signal: AbortSignal): Promise<CostEstimate> {
    const prompt = checkText(text);
    const config = resolveExplainConfig(options, this.settings);
    const document = readPrompt(prompt, config.promptFormat);
    const source = await this.source(config, document, signal);
    // The preview's masks are the run's first ones: scored through the cache, the run pays for them once.
    const cache = await this.openCache();
    try {
      const preview = await previewCost({
        text: prompt,
        ...(document.chat ? { document } : {}),
        granularity: config.granularity,
        pin: config.pin,
        masking: config.masking,
        seed: config.seed,
        source,
        cache,
        algorithm: config.algorithm,
        budget: config.budget,
        maxOrder: config.maxOrder,
        concurrency: config.concurrency,
        signal,
      });
      return {
        features: preview.features,
        algorithm: preview.plan.algorithm,
        reason: preview.plan.reason,
        plannedMasks: preview.plannedMasks,
        plannedCalls: preview.plannedCalls,
        valueFunction: preview.valueFunction,
        estimatedMs: preview.estimatedMs,
        sample: preview.sample,
        remote: isRemote(config),
      };
    } finally {
      await source.close();
    }
  }

  async verify(explanationId: unknown, mask: unknown, signal: AbortSignal): Promise<VerifyMaskResult> {
    if (typeof explanationId !== 'string') throw new RequestError('"explanationId" must be the id an explanation returned.');
    const session = this.sessions.get(explanationId);
    if (!session)
      throw new RequestError(`No explanation "${explanationId}" is kept (the last ${KEPT_SESSIONS} are); explain the text again.`);
    const { explanation } = session;
    if (!Array.isArray(mask) || mask.length !== explanation.features.length || !mask.every((bit) => bit === 0 || bit === 1)) {
      throw new RequestError(`"mask" must be a list of ${explanation.features.length} zeros and ones (1 = feature kept).`);
    }
    const bits = Uint8Array.from(mask as number[]);
    const text = promptWithMask(session.document, explanation.features, bits, session.config.masking);
    const scored = await session.score(text, bits, signal);
    const answer = await verifiedAnswer(session, text, bits, signal);
    // The panel's prediction: through the link-scale surrogate where the value was fit on one.
    const surrogate = explanationSurrogate(explanation);
    // An explanation without terms predicts 0, as an empty expansion does.
    return { value: scored.value, predicted: surrogate?.evaluate(bits) ?? 0, cached: scored.cached, ...(answer ? { answer } : {}) };
  }

  async listModels(options: unknown, signal: AbortSignal): Promise<ListModelsResult> {
    const config = resolveExplainConfig(options, this.settings);
    if (config.backend === 'exec') return { endpoint: `exec: ${config.exec ?? ''}`, models: [] };
    if (config.backend === 'llama') {
      // The llama backend runs GGUF files; the models pulled with Ollama are the ones it can name.
      const store = ollamaStoreDirectory();
      return { endpoint: `Ollama model store ${store}`, models: (await listOllamaModels(store)).map((name) => ({ name })) };
    }
    const url = config.endpoints[0] ?? (config.backend === 'ollama' ? 'http://127.0.0.1:11434' : DEFAULT_OPENAI_ENDPOINT);
    const endpoint =
      config.backend === 'ollama'
        ? new OllamaEndpoint({ host: url, model: '' })
        : new OpenAiEndpoint({ baseURL: url, model: '', ...(this.apiKey ? { apiKey: this.apiKey } : {}) });
    const models = await new EndpointPool([endpoint], { concurrency: 1, timeoutMs: config.timeoutMs, maxRetries: 1 }).listModels(signal);
    return { endpoint: url, models };
  }

  async clearCache(): Promise<{ removed: number }> {
    const cache = await this.openCache();
    const removed = cache.stats().entries;
    await cache.clear();
    return { removed };
  }

  async dispose(): Promise<void> {
    for (const session of this.sessions.values()) await session.source.close();
    this.sessions.clear();
    await (await this.cache?.catch(() => undefined))?.close();
    // Models the llama backend loaded are shared by the whole process and go when the server stops.
    await releaseAllModels();
  }

  /**
   * Explanations run at once, each with its own fits in its own worker thread. Those that call the
   * same model endpoints share that endpoint's concurrency; an exec scorer (a process of each
   * explanation's own) and the llama backend (its model's worker pool) bound their own work.
   */
  private async source(config: ExplainConfig, document: PromptDocument, signal: AbortSignal): Promise<ValueSource> {
    const source = await createValueSource(sourceOptionsFor(config, document, signal, this.apiKey));
    if (config.backend !== 'ollama' && config.backend !== 'openai') return source;
    const urls =
      config.endpoints.length > 0 ? config.endpoints : [config.backend === 'ollama' ? 'http://127.0.0.1:11434' : DEFAULT_OPENAI_ENDPOINT];
    const key = JSON.stringify([config.backend, [...urls].sort(), config.concurrency]);
    let slots = this.endpointSlots.get(key);
    if (!slots) {
      slots = new CallSlots(config.concurrency * urls.length);
      this.endpointSlots.set(key, slots);
    }
    return withSharedSlots(source, slots);
  }

  /** The cache opens on first use; if it cannot, explanations still run, uncached, with a warning. */
  private openCache(): Promise<CallCache> {
    this.cache ??= CallCache.open(this.options.cacheDirectory ?? defaultCacheDirectory(), {
      ...(this.options.cacheMaxBytes ? { maxBytes: this.options.cacheMaxBytes } : {}),
      onWarning: this.warn,
    }).catch((error: unknown) => {
      this.warn(`The call cache could not be opened, so model calls are not stored: ${(error as Error).message}`);
      return CallCache.inMemory();
    });
    return this.cache;
  }

  /**
   * The endpoints outside this machine that a run with these options would send the prompt to (none
   * for the exec scorer and the llama backend), without contacting any of them: the MCP server's
   * consent check runs before the first call.
   */
  remoteEndpoints(options: unknown): string[] {
    return remoteEndpointsOf(resolveExplainConfig(options, this.settings));
  }

  /** A kept explanation (the last twenty), for readers outside the JSON-RPC server (the MCP server's resources). */
  keptExplanation(id: string): Explanation | undefined {
    return this.sessions.get(id)?.explanation;
  }

  /** The ids of the kept explanations, oldest first. */
  keptIds(): string[] {
    return [...this.sessions.keys()];
  }

  private keep(id: string, session: Session): void {
    this.sessions.set(id, session);
    while (this.sessions.size > KEPT_SESSIONS) {
      const oldest = this.sessions.keys().next().value as string;
      void this.sessions.get(oldest)?.source.close();
      this.sessions.delete(oldest);
    }
  }
}

function checkText(text: unknown): string {
  if (typeof text !== 'string') throw new RequestError('"text" must be a string: the text to explain.');
  // Whitespace as segmentation sees it: a text of U+FEFF alone is not empty, a text of NELs is.
  if (isAllWhitespace(text)) throw new RequestError('The text to explain is empty.');
  if (text.length > MAX_TEXT_LENGTH)
    throw new RequestError(
      `The text has ${text.length} characters; the limit is ${MAX_TEXT_LENGTH}. Select a smaller part of the document.`,
    );
  return text;
}

/** The endpoints off this machine a run would send prompts to: none for the exec scorer and the llama backend, nor for the defaults (no endpoint given: on this machine). */
function remoteEndpointsOf(config: Pick<ExplainConfig, 'backend' | 'endpoints'>): string[] {
  if (config.backend === 'exec' || config.backend === 'llama') return [];
  return config.endpoints.filter(isRemoteEndpoint);
}

/** True when prompts would leave this machine: any endpoint whose host is not a loopback name. */
export function isRemote(config: Pick<ExplainConfig, 'backend' | 'endpoints'>): boolean {
  return remoteEndpointsOf(config).length > 0;
}

/**
 * What the model answers the masked prompt, beside its answer to the full prompt: the explained
 * answer where the model generated it, else (a target the user gave) the full prompt's own answer,
 * generated once. Each mask's answer is generated once per explanation.
 */
async function verifiedAnswer(session: Session, text: string, mask: Uint8Array, signal: AbortSignal): Promise<VerifiedAnswer | undefined> {
  const generate = session.source.generate?.bind(session.source);
  if (!generate) return undefined;
  const once = (key: string, prompt: string): Promise<GeneratedAnswer> => {
    let answer = session.answers.get(key);
    if (!answer) {
      answer = generate(prompt, signal);
      session.answers.set(key, answer);
      // A failed or cancelled generation is tried again next time, not remembered.
      answer.catch(() => session.answers.delete(key));
    }
    return answer;
  };
  const { explanation, config } = session;
  const original =
    config.target === undefined && explanation.target !== null
      ? { text: explanation.target, cut: explanation.targetCut === true }
      : await once('', fullPrompt(session.document));
  const masked = mask.every((bit) => bit === 1) ? original : await once(mask.join(''), text);
  return {
    text: masked.text,
    cut: masked.cut,
    original: original.text,
    originalCut: original.cut,
    changed: !sameAnswer(masked.text, original.text),
  };
}
