import { Ollama, type ChatResponse, type GenerateResponse, type Logprob, type Message } from 'ollama';
import type { ChatTurn } from '../../protocol/explanation';
import { defaultHttpTransport, type HttpTransport } from './httpTransport';
import {
  EmptyContextError,
  EndpointError,
  errorForNetwork,
  errorForStatus,
  parseRetryAfter,
  type GenerateOptions,
  type Generation,
  type ModelEndpoint,
  type ModelInfo,
  type TokenLogprob,
  withRequiredLogprobs,
} from './modelEndpoint';
import { readUntilDivergence, streamWithOwnSignal, type StreamedPart } from './streamedGeneration';

export interface OllamaEndpointOptions {
  readonly host: string;
  readonly model: string;
  /**
   * Raw mode sends the prompt to /api/generate untemplated (for completion models); otherwise
   * /api/chat applies the model's own chat template once, and a forced answer prefix becomes a
   * prefilled assistant turn that the model continues.
   */
  readonly raw?: boolean;
  /** Generation seed (temperature is always 0). */
  readonly seed?: number;
  /** Where requests go out (default: the process's shared keep-alive transport). */
  readonly transport?: HttpTransport;
}

/** The local default, as Ollama itself uses it. */
export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';

/**
 * Ollama through the official `ollama` client, over a keep-alive transport shared by every request
 * (see httpTransport.ts). Every request gets its own client, whose fetch carries the caller's
 * AbortSignal and remembers the Retry-After header, which the client's own errors do not expose: the
 * client passes a signal of its own only to streamed requests, so a signal per request needs a fetch
 * per request, and a client costs about 2 µs to make.
 */
export class OllamaEndpoint implements ModelEndpoint {
  readonly kind = 'ollama' as const;
  readonly url: string;
  readonly model: string;
  requestsSent = 0;
  private readonly raw: boolean;
  private readonly seed: number;
  private readonly transport: HttpTransport;

  constructor(options: OllamaEndpointOptions) {
    this.url = options.host.replace(/\/+$/u, '');
    this.model = options.model;
    this.raw = options.raw ?? false;
    this.seed = options.seed ?? 0;
    this.transport = options.transport ?? defaultHttpTransport;
  }

  async version(signal?: AbortSignal): Promise<string | undefined> {
    return this.call(signal, async (client) => (await client.version()).version);
  }

  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    return this.call(signal, async (client) => (await client.list()).models.map((model) => ({ name: model.name, digest: model.digest })));
  }

  /**
   * The digest /api/tags lists for the model. Ollama lists every installed model with its digest,
   * so a model it does not list is an error (its first generation would fail too), never a cache
   * key without the digest. A listing that fails rejects, for the scheduler to retry.
   */
  async modelDigest(signal?: AbortSignal): Promise<string | undefined> {
    const models = await this.listModels(signal);
    const wanted = canonicalModelName(this.model);
    const listed = models.find((model) => canonicalModelName(model.name) === wanted);
    if (!listed) {
      const names = models.map((model) => model.name);
      throw new EndpointError(
        `Ollama at ${this.url} has no model "${this.model}" (${names.length > 0 ? `it lists ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}` : 'it lists none'}). Pull it with "ollama pull ${this.model}".`,
        false,
      );
    }
    // An Ollama-compatible server that lists no digests keys its calls by the name alone, every run alike.
    return listed.digest || undefined;
  }

  /** What every generation request carries: greedy decoding, the token limit, log-probabilities when asked for. */
  private commonRequest(options: GenerateOptions) {
    return {
      model: this.model,
      stream: false as const,
      // Ollama (to 0.13 at least) applies a repetition penalty of 1.1 before its greedy pick on many
      // models: without 1 here, "temperature 0" is not the most likely token. Prompts longer than the
      // context are cut silently unless truncation is refused; a refused one is a clear 400 instead.
      options: { temperature: 0, seed: this.seed, num_predict: options.maxTokens, repeat_penalty: 1 },
      truncate: false,
      ...(options.topLogprobs === undefined ? {} : { logprobs: true, top_logprobs: options.topLogprobs }),
    };
  }

  async generate(prompt: string, options: GenerateOptions): Promise<Generation> {
    if (this.raw) {
      const common = this.commonRequest(options);
      const streamed = streamedExpectation(options);
      // Ollama answers an empty prompt with a model-load response that carries no generation.
      if (prompt + (options.prefix ?? '') === '') throw new EmptyContextError(`Ollama at ${this.url} (model ${this.model})`);
      const request = { ...common, prompt: prompt + (options.prefix ?? ''), raw: true };
      if (streamed) {
        return this.streamUntilDivergence(options, streamed, async (client) =>
          mapParts(await client.generate({ ...request, stream: true }), (part) => part.response),
        );
      }
      const response: GenerateResponse = await this.call(options.signal, (client) => client.generate(request));
      return this.checked(
        { text: response.response ?? '', tokens: convertLogprobs(response.logprobs), finishReason: response.done_reason },
        options,
      );
    }
    return this.generateChat([{ role: 'user', content: prompt }], options);
  }

  /** /api/chat: the model's chat template applied once around the turns, a forced prefix as a prefilled assistant turn. */
  async generateChat(turns: readonly ChatTurn[], options: GenerateOptions): Promise<Generation> {
    const common = this.commonRequest(options);
    const streamed = streamedExpectation(options);
    const messages: Message[] = turns.map((turn) => ({ role: turn.role, content: turn.content }));
    if (options.prefix) messages.push({ role: 'assistant', content: options.prefix });
    if (streamed) {
      return this.streamUntilDivergence(options, streamed, async (client) =>
        mapParts(await client.chat({ ...common, messages, stream: true }), (part) => part.message.content),
      );
    }
    const response: ChatResponse = await this.call(options.signal, (client) => client.chat({ ...common, messages }));
    return this.checked(
      { text: response.message.content, tokens: convertLogprobs(response.logprobs), finishReason: response.done_reason },
      options,
    );
  }

  /**
   * A generation streamed and read until its first token that differs from the expected ones; the
   * request is closed there, and Ollama stops generating when its client goes away.
   */
  private streamUntilDivergence(
    options: GenerateOptions,
    expected: readonly string[],
    open: (client: Ollama) => Promise<AsyncIterable<StreamedPart>>,
  ): Promise<Generation> {
    return streamWithOwnSignal(options.signal, (own) =>
      this.call(own, async (client) => this.checked(await readUntilDivergence(await open(client), expected), options)),
    );
  }

  /** Inside the scheduled call, so that an answer missing the log-probabilities it must carry is retried. */
  private checked(generation: Generation, options: GenerateOptions): Generation {
    return withRequiredLogprobs(generation, options, `Ollama at ${this.url} (model ${this.model})`);
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    return this.call(signal, async (client) => (await client.embed({ model: this.model, input: [...texts] })).embeddings);
  }

  /** Runs one client call with the signal attached, turning every failure into an EndpointError. */
  private async call<T>(signal: AbortSignal | undefined, run: (client: Ollama) => Promise<T>): Promise<T> {
    this.requestsSent += 1;
    let retryAfterMs: number | undefined;
    const client = new Ollama({
      host: this.url,
      fetch: async (input, init) => {
        const response = await this.transport.fetch(input, signal ? { ...init, signal } : init);
        // Only a refusal carries a Retry-After worth reading.
        if (!response.ok) retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        return response;
      },
    });
    try {
      return await run(client);
    } catch (error) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : error;
      throw this.classify(error, retryAfterMs);
    }
  }

  private classify(error: unknown, retryAfterMs: number | undefined): EndpointError {
    const status = (error as { status_code?: unknown }).status_code;
    if (typeof status === 'number') {
      const message = error instanceof Error ? error.message : String(error);
      if (status === 404 && /not found/iu.test(message)) {
        return new EndpointError(
          `Ollama at ${this.url} has no model "${this.model}": ${message}. Pull it with "ollama pull ${this.model}".`,
          false,
          404,
        );
      }
      return errorForStatus(status, `Ollama at ${this.url} answered ${status}: ${message}`, retryAfterMs);
    }
    if (error instanceof SyntaxError)
      return new EndpointError(`Ollama at ${this.url} answered with malformed JSON: ${error.message}`, true);
    return errorForNetwork(error, this.url);
  }
}

/** The tokens a generation is streamed against (see streamedGeneration.ts), where it is worth streaming. */
function streamedExpectation(options: GenerateOptions): readonly string[] | undefined {
  return options.expected !== undefined && options.maxTokens > 1 ? options.expected : undefined;
}

/** Ollama's streamed chunks (of /api/chat or /api/generate) as generation parts. */
async function* mapParts<T extends { readonly logprobs?: Logprob[]; readonly done: boolean; readonly done_reason: string }>(
  chunks: AsyncIterable<T>,
  textOf: (chunk: T) => string | undefined,
): AsyncIterable<StreamedPart> {
  for await (const chunk of chunks) {
    yield { text: textOf(chunk) ?? '', tokens: convertLogprobs(chunk.logprobs) ?? [], finishReason: chunk.done ? chunk.done_reason : null };
  }
}

function convertLogprobs(logprobs: readonly Logprob[] | undefined): TokenLogprob[] | null {
  if (!logprobs || logprobs.length === 0) return null;
  // The alternatives are used as parsed (each carries its token and log-probability; the bytes beside them go unread).
  return logprobs.map((entry) => ({ token: entry.token, logprob: entry.logprob, top: entry.top_logprobs ?? [] }));
}

/** A model name as Ollama resolves it: lower case, the default registry and namespace dropped, ":latest" when untagged. */
export function canonicalModelName(name: string): string {
  const bare = name
    .trim()
    .toLowerCase()
    .replace(/^registry\.ollama\.ai\//u, '')
    .replace(/^library\//u, '');
  const lastPart = bare.slice(bare.lastIndexOf('/') + 1);
  return lastPart.includes(':') ? bare : `${bare}:latest`;
}
