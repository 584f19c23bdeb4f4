import OpenAI from 'openai';
import type { ChatTurn } from '../../protocol/explanation';
import { defaultHttpTransport, type HttpTransport } from './httpTransport';
import {
  EndpointError,
  errorForNetwork,
  errorForStatus,
  missingLogprobsError,
  parseRetryAfter,
  type GenerateOptions,
  type EchoedTokens,
  type Generation,
  type ModelEndpoint,
  type ModelInfo,
  type TokenLogprob,
  withRequiredLogprobs,
} from './modelEndpoint';
import { readUntilDivergence, streamWithOwnSignal, type StreamedPart } from './streamedGeneration';

export interface OpenAiEndpointOptions {
  /** Base URL including /v1, e.g. http://127.0.0.1:8000/v1. */
  readonly baseURL: string;
  readonly model: string;
  /** The key itself (read by the caller from an environment variable or SecretStorage); never logged. */
  readonly apiKey?: string;
  /**
   * `completions` sends raw prompts to /v1/completions (vLLM, llama.cpp server, LiteLLM): a forced
   * answer prefix is appended and prompt log-probabilities can be echoed. `chat` uses
   * /v1/chat/completions, where the server applies the chat template (OpenAI itself).
   */
  readonly api?: 'completions' | 'chat';
  readonly seed?: number;
  /** Where requests go out (default: the process's shared keep-alive transport). */
  readonly transport?: HttpTransport;
}

/**
 * An OpenAI-compatible endpoint through the official `openai` client, with the client's own retries
 * off: the scheduler retries with backoff that honours Retry-After and adapts concurrency. One client
 * per endpoint, over the keep-alive transport of httpTransport.ts; the client hands each request's
 * signal to that transport itself.
 */
export class OpenAiEndpoint implements ModelEndpoint {
  readonly kind = 'openai' as const;
  readonly url: string;
  readonly model: string;
  readonly api: 'completions' | 'chat';
  requestsSent = 0;
  private readonly client: OpenAI;
  private readonly seed: number;

  constructor(options: OpenAiEndpointOptions) {
    this.url = options.baseURL.replace(/\/+$/u, '');
    this.model = options.model;
    this.api = options.api ?? 'completions';
    this.seed = options.seed ?? 0;
    // Local servers need no key, but the client insists on one; a placeholder is not a secret.
    this.client = new OpenAI({
      baseURL: this.url,
      apiKey: options.apiKey ?? 'not-needed',
      maxRetries: 0,
      timeout: 24 * 3600 * 1000,
      fetch: (options.transport ?? defaultHttpTransport).fetch,
    });
  }

  version(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    return this.call(signal, async () => {
      const models: ModelInfo[] = [];
      for await (const model of this.client.models.list({ signal })) models.push({ name: model.id });
      return models;
    });
  }

  modelDigest(): Promise<string | undefined> {
    // OpenAI-compatible servers report no content digest; the model name is the cache identity.
    return Promise.resolve(undefined);
  }

  async generate(prompt: string, options: GenerateOptions): Promise<Generation> {
    const { signal } = options;
    const streamed = options.expected !== undefined && options.maxTokens > 1 ? options.expected : undefined;
    if (this.api === 'completions') {
      const request = {
        model: this.model,
        prompt: prompt + (options.prefix ?? ''),
        max_tokens: options.maxTokens,
        temperature: 0,
        seed: this.seed,
        ...(options.topLogprobs === undefined ? {} : { logprobs: Math.max(1, options.topLogprobs) }),
      };
      if (streamed) {
        return this.streamUntilDivergence(options, streamed, async (own) =>
          completionParts(await this.client.completions.create({ ...request, stream: true }, { signal: own })),
        );
      }
      const response = await this.call(signal, () => this.client.completions.create(request, { signal }));
      const choice = response.choices[0];
      if (!choice) throw new EndpointError(`${this.url} returned no completion.`, true);
      return this.checked({ text: choice.text, tokens: completionTokens(choice.logprobs), finishReason: choice.finish_reason }, options);
    }
    return this.generateChat([{ role: 'user', content: prompt }], options);
  }

  /** /v1/chat/completions, whatever `api` says: a message list goes through the server's chat template. */
  async generateChat(turns: readonly ChatTurn[], options: GenerateOptions): Promise<Generation> {
    const { signal } = options;
    const streamed = options.expected !== undefined && options.maxTokens > 1 ? options.expected : undefined;
    // A forced answer is a final assistant message for the server to continue: vLLM and SGLang need
    // the two fields below; servers that do not know them may ignore them or refuse the request,
    // and the set-up's probe tells which (see probeForcedPrefix).
    const messages = turns.map(chatMessageParam);
    if (options.prefix) messages.push({ role: 'assistant', content: options.prefix });
    const continuation = options.prefix ? { continue_final_message: true, add_generation_prompt: false } : {};
    const request = {
      model: this.model,
      messages,
      max_completion_tokens: options.maxTokens,
      temperature: 0,
      seed: this.seed,
      ...(options.topLogprobs === undefined ? {} : { logprobs: true, top_logprobs: options.topLogprobs }),
      ...continuation,
    };
    if (streamed) {
      return this.streamUntilDivergence(options, streamed, async (own) =>
        chatParts(await this.client.chat.completions.create({ ...request, stream: true }, { signal: own })),
      );
    }
    const response = await this.call(signal, () => this.client.chat.completions.create(request, { signal }));
    const choice = response.choices[0];
    if (!choice) throw new EndpointError(`${this.url} returned no chat completion.`, true);
    const tokens = chatTokens(choice.logprobs?.content);
    return this.checked(
      { text: choice.message.content ?? '', tokens: tokens && tokens.length > 0 ? tokens : null, finishReason: choice.finish_reason },
      options,
    );
  }

  /**
   * A generation streamed and read until its first token that differs from the expected ones; the
   * request is closed there (vLLM and llama.cpp's server stop generating for a closed connection).
   */
  private streamUntilDivergence(
    options: GenerateOptions,
    expected: readonly string[],
    open: (own: AbortSignal) => Promise<AsyncIterable<StreamedPart>>,
  ): Promise<Generation> {
    return streamWithOwnSignal(options.signal, (own) =>
      this.call(own, async () => this.checked(await readUntilDivergence(await open(own), expected), options)),
    );
  }

  /** Inside the scheduled call, so that an answer missing the log-probabilities it must carry is retried. */
  private checked(generation: Generation, options: GenerateOptions): Generation {
    return withRequiredLogprobs(generation, options, `${this.url} (model ${this.model})`);
  }

  async continuationLogprobs(
    prompt: string,
    continuation: string,
    signal?: AbortSignal,
    required = false,
  ): Promise<EchoedTokens | undefined> {
    if (this.api !== 'completions') return undefined;
    const response = await this.call(signal, () =>
      this.client.completions.create(
        { model: this.model, prompt: prompt + continuation, max_tokens: 1, echo: true, logprobs: 1, temperature: 0, seed: this.seed },
        { signal },
      ),
    );
    const logprobs = response.choices[0]?.logprobs;
    const offsets = logprobs?.text_offset;
    const values = logprobs?.token_logprobs;
    const names = logprobs?.tokens;
    if (!offsets || !values || !names) {
      if (required) throw missingLogprobsError(`${this.url} (model ${this.model})`);
      return undefined;
    }
    // The echoed tokens whose text starts inside the continuation are the answer's tokens; the one
    // generated token at the end (max_tokens 1) starts past it and is excluded.
    const start = prompt.length;
    const end = prompt.length + continuation.length;
    const tokens: string[] = [];
    const answer: (number | null)[] = [];
    for (let i = 0; i < offsets.length; i += 1) {
      const offset = offsets[i] as number;
      if (offset >= start && offset < end) {
        const value = values[i] as number | null | undefined;
        tokens.push(names[i] ?? '');
        answer.push(typeof value === 'number' ? value : null);
      }
    }
    if (answer.length > 0) return { tokens, logprobs: answer };
    if (required) throw missingLogprobsError(`${this.url} (model ${this.model})`);
    return undefined;
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    const response = await this.call(signal, () => this.client.embeddings.create({ model: this.model, input: [...texts] }, { signal }));
    return [...response.data].sort((a, b) => a.index - b.index).map((entry) => entry.embedding);
  }

  private async call<T>(signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    this.requestsSent += 1;
    try {
      return await run();
    } catch (error) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : error;
      throw this.classify(error);
    }
  }

  private classify(error: unknown): EndpointError {
    if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
      const message = error.message;
      if (error.status === 404 && /model/iu.test(message)) {
        return new EndpointError(`${this.url} has no model "${this.model}": ${message}`, false, 404);
      }
      if (error.status === 401 || error.status === 403) {
        return new EndpointError(`${this.url} refused the request (${error.status}): check the API key. ${message}`, false, error.status);
      }
      return errorForStatus(error.status, `${this.url} answered ${error.status}: ${message}`, parseRetryAfter(retryAfterHeader(error)));
    }
    if (error instanceof OpenAI.APIConnectionError) return errorForNetwork(error.cause ?? error, this.url);
    if (error instanceof SyntaxError) return new EndpointError(`${this.url} answered with malformed JSON: ${error.message}`, true);
    return errorForNetwork(error, this.url);
  }
}

/** A turn as the client types it: each role has its own message shape. */
function chatMessageParam(turn: ChatTurn): OpenAI.Chat.Completions.ChatCompletionMessageParam {
  switch (turn.role) {
    case 'system':
    case 'developer':
    case 'assistant':
      return { role: turn.role, content: turn.content };
    default:
      // A tool turn needs the id of a call this list does not carry; its text reaches the model as the user's.
      return { role: 'user', content: turn.content };
  }
}

/** The client types its error headers loosely; only Retry-After is read. */
function retryAfterHeader(error: { readonly headers?: unknown }): string | null | undefined {
  const headers = error.headers as { get?: (name: string) => string | null } | undefined;
  return typeof headers?.get === 'function' ? headers.get('retry-after') : undefined;
}

function chatTokens(content: readonly OpenAI.Chat.Completions.ChatCompletionTokenLogprob[] | null | undefined): TokenLogprob[] | undefined {
  return content?.map((entry) => ({
    token: entry.token,
    logprob: entry.logprob,
    top: entry.top_logprobs.map((alternative) => ({ token: alternative.token, logprob: alternative.logprob })),
  }));
}

/** Streamed chat chunks as generation parts (a chunk without choices, the usage at the end, adds nothing). */
async function* chatParts(chunks: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): AsyncIterable<StreamedPart> {
  for await (const chunk of chunks) {
    const choice = chunk.choices[0];
    if (choice)
      yield { text: choice.delta.content ?? '', tokens: chatTokens(choice.logprobs?.content) ?? [], finishReason: choice.finish_reason };
  }
}

/** Streamed completion chunks as generation parts. */
async function* completionParts(chunks: AsyncIterable<OpenAI.Completions.Completion>): AsyncIterable<StreamedPart> {
  for await (const chunk of chunks) {
    const choice = chunk.choices[0];
    if (choice) yield { text: choice.text, tokens: completionTokens(choice.logprobs) ?? [], finishReason: choice.finish_reason };
  }
}

function completionTokens(logprobs: OpenAI.Completions.CompletionChoice.Logprobs | null): TokenLogprob[] | null {
  const tokens = logprobs?.tokens;
  const values = logprobs?.token_logprobs;
  if (!tokens || !values || tokens.length === 0) return null;
  return tokens.map((token, i) => ({
    token,
    logprob: values[i] ?? Number.NEGATIVE_INFINITY,
    top: Object.entries(logprobs?.top_logprobs?.[i] ?? {}).map(([alternative, logprob]) => ({ token: alternative, logprob })),
  }));
}
