import type { GpuChoice } from '../../protocol/device';
import { ExecScorer } from '../backends/exec';
import { createLlamaValueSource } from '../backends/llama/llamaScorer';
import type { ModelEndpoint } from '../backends/modelEndpoint';
import { OllamaEndpoint } from '../backends/ollamaEndpoint';
import { OpenAiEndpoint } from '../backends/openaiEndpoint';
import { BackendError } from '../backends/scorer';
import { ChatPromptEndpoint } from '../backends/chatPromptEndpoint';
import { fullPrompt, type PromptDocument } from '../ablation/promptDocument';
import { chooseValueFunction } from '../value/chooseValueFunction';
import type { WalkResult } from '../value/greedyWalk';
import type { ValueFunction, ValueFunctionChoice } from '../value/valueFunction';
import type { ExplainConfig } from '../lsp/explainConfig';
import type { ValueSource } from '../value/valueSource';
import { EndpointPool } from './endpointPool';
import { CallScheduler } from './scheduler';

export type { ValueSource } from '../value/valueSource';

export interface SourceOptions {
  readonly backend: 'ollama' | 'openai' | 'exec' | 'llama';
  readonly endpoints: readonly string[];
  readonly model?: string;
  readonly apiKey?: string;
  readonly api?: 'completions' | 'chat';
  readonly raw?: boolean;
  readonly exec?: string;
  readonly value: ValueFunctionChoice;
  readonly target?: string;
  readonly maxAnswerTokens: number;
  readonly concurrency: number;
  /** llama backend: llama.cpp threads per worker (0 = choose from the cores). */
  readonly threads?: number;
  /** llama backend: the GPU to run on (the CPU when absent). */
  readonly gpu?: GpuChoice;
  /** llama backend: how long an unused model stays loaded. */
  readonly idleTimeoutMs?: number;
  readonly timeoutMs: number;
  /** Retries of a failed call (default 6). */
  readonly retries?: number;
  readonly seed: number;
  /** The full, unmasked prompt (the value function is set up on it). */
  readonly prompt: string;
  /** Every prompt is a chat prompt's turns in the wire form (promptDocument.ts), sent as messages. */
  readonly chat?: boolean;
  readonly signal?: AbortSignal;
  /** HTTP backends: how generated-token log-probabilities are read (see ValueSetup); benchmarks compare them. */
  readonly logprobMethod?: 'walk' | 'tokenwise';
  /** HTTP backends: receives every greedy walk (benchmarks count calls per mask). */
  readonly onWalk?: (walk: WalkResult) => void;
}

export const DEFAULT_OPENAI_ENDPOINT = 'http://127.0.0.1:8000/v1';

/** Source options from an explanation's checked configuration (the CLI's flags or the server's options over settings). */
export function sourceOptionsFor(
  config: ExplainConfig,
  document: PromptDocument,
  signal: AbortSignal,
  apiKey: string | undefined,
): SourceOptions {
  return {
    backend: config.backend,
    endpoints: config.endpoints,
    api: config.api,
    raw: config.raw,
    value: config.value,
    maxAnswerTokens: config.maxAnswerTokens,
    concurrency: config.concurrency,
    threads: config.threads,
    gpu: config.gpu,
    idleTimeoutMs: config.llamaIdleTimeoutS * 1000,
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    seed: config.seed,
    prompt: fullPrompt(document),
    ...(document.chat ? { chat: true } : {}),
    signal,
    ...(config.model === undefined ? {} : { model: config.model }),
    ...(config.exec === undefined ? {} : { exec: config.exec }),
    ...(config.target === undefined ? {} : { target: config.target }),
    ...(apiKey === undefined ? {} : { apiKey }),
  };
}

export async function createValueSource(options: SourceOptions): Promise<ValueSource> {
  if (options.backend === 'exec') return execSource(options.exec ?? '', options.timeoutMs);
  if (options.backend === 'llama') {
    return createLlamaValueSource({
      model: options.model,
      raw: options.raw ?? false,
      chat: options.chat ?? false,
      value: options.value,
      maxAnswerTokens: options.maxAnswerTokens,
      concurrency: options.concurrency,
      threads: options.threads ?? 0,
      prompt: options.prompt,
      ...(options.gpu === undefined ? {} : { gpu: options.gpu }),
      ...(options.target === undefined ? {} : { target: options.target }),
      ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  const urls =
    options.endpoints.length > 0 ? options.endpoints : [options.backend === 'ollama' ? 'http://127.0.0.1:11434' : DEFAULT_OPENAI_ENDPOINT];
  const endpointFor = (url: string, model: string): ModelEndpoint => {
    const endpoint = plainEndpointFor(url, model);
    return options.chat ? new ChatPromptEndpoint(endpoint) : endpoint;
  };
  const plainEndpointFor = (url: string, model: string): ModelEndpoint =>
    options.backend === 'ollama'
      ? new OllamaEndpoint({ host: url, model, raw: options.raw ?? false, seed: options.seed })
      : new OpenAiEndpoint({
          baseURL: url,
          model,
          api: options.api ?? 'completions',
          seed: options.seed,
          ...(options.apiKey ? { apiKey: options.apiKey } : {}),
        });
  const scheduling = {
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
    ...(options.retries === undefined ? {} : { maxRetries: options.retries }),
  };
  // One scheduler per endpoint for the whole set-up and run, so that the model-list probe counts as
  // the endpoint having answered (then a refused connection is a restart, retried).
  const schedulers = urls.map(() => new CallScheduler(scheduling));
  let model = options.model;
  let probe: EndpointPool | undefined;
  let listedDigest: string | undefined;
  if (!model) {
    // Without --model, the first model the endpoint lists is explained, and the report names it.
    probe = new EndpointPool([endpointFor(urls[0] as string, '')], schedulers.slice(0, 1));
    const models = await probe.listModels(options.signal);
    model = models[0]?.name;
    // The list already names the model's digest: reading it again would be one more set-up call.
    listedDigest = models[0]?.digest;
    if (!model) {
      throw new BackendError(
        options.backend === 'ollama'
          ? `Ollama at ${urls[0]} has no models. Pull a small instruct model first, e.g. "ollama pull llama3.2:1b", or name one with --model.`
          : `The endpoint ${urls[0]} lists no models; name one with --model.`,
      );
    }
  }
  const chosenModel = model;
  const pool = new EndpointPool(
    urls.map((url) => endpointFor(url, chosenModel)),
    schedulers,
  );
  let digest: string | undefined;
  let valueFunction: ValueFunction;
  try {
    // A digest that cannot be read stops the run (after the scheduler's retries): keys without it
    // would miss every stored call and could serve stale ones after the model is pulled again.
    digest = listedDigest ?? (await pool.modelDigest(options.signal));
    valueFunction = await chooseValueFunction({
      endpoint: pool,
      choice: options.value,
      prompt: options.prompt,
      maxAnswerTokens: options.maxAnswerTokens,
      ...(options.target === undefined ? {} : { target: options.target }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.logprobMethod ? { logprobMethod: options.logprobMethod } : {}),
      ...(options.onWalk ? { onWalk: options.onWalk } : {}),
    });
  } catch (error) {
    pool.close();
    throw error;
  }
  // A chat prompt always goes to the chat API as messages, whatever --raw or --api say.
  const endpointKind = options.chat
    ? 'chat-messages'
    : options.backend === 'ollama'
      ? options.raw
        ? 'generate-raw'
        : 'chat'
      : (options.api ?? 'completions');
  const setupCalls = (probe?.requestsSent ?? 0) + pool.requestsSent;
  return {
    model: `${options.backend} ${chosenModel} at ${pool.url}`,
    valueFunction: { name: valueFunction.name, reason: valueFunction.reason },
    target: valueFunction.target,
    ...(valueFunction.targetCut ? { targetCut: true } : {}),
    callsPerMask: valueFunction.callsPerMask,
    ...(valueFunction.callsVary ? { callsVary: true } : {}),
    setupCalls,
    // Readers take differences, so the set-up's requests, counted once at the start, cancel out.
    scoringRequests: () => pool.requestsSent,
    keyParts: {
      backend: options.backend,
      endpointKind,
      model: chosenModel,
      ...(digest ? { modelDigest: digest } : {}),
      valueFunction: valueFunction.name,
      parameters: { ...valueFunction.parameters, temperature: 0, seed: options.seed },
      target: valueFunction.target,
    },
    score: (text, _mask, signal) => valueFunction.score(text, signal),
    generate: async (text, signal) => {
      const generation = await pool.generate(text, { maxTokens: options.maxAnswerTokens, ...(signal ? { signal } : {}) });
      return { text: generation.text, cut: generation.finishReason === 'length' };
    },
    close: () => {
      // Calls still retrying after the run failed or ended would keep the process alive for nothing.
      pool.close();
      return Promise.resolve();
    },
  };
}

function execSource(command: string, timeoutMs: number): ValueSource {
  const scorer = new ExecScorer({ command, timeoutMs });
  return {
    model: scorer.description,
    valueFunction: { name: 'exec', reason: 'the scorer program defines the value' },
    target: null,
    callsPerMask: 1,
    setupCalls: 0,
    keyParts: { backend: 'exec', model: command, valueFunction: 'exec', parameters: {} },
    score: (text, mask, signal) => scorer.score({ mask, text }, signal),
    close: () => scorer.close(),
  };
}
