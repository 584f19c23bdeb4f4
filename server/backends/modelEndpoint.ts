/**
 * What SPEX needs from a language-model endpoint, whatever speaks behind it (Ollama's native API,
 * an OpenAI-compatible server). Value functions are built on these calls; the scheduler retries them.
 */

export type EndpointKind = 'ollama' | 'openai';

/** One generated (or echoed) token with its log-probability and the most likely alternatives. */
export interface TokenLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly top: readonly { readonly token: string; readonly logprob: number }[];
}

export interface Generation {
  readonly text: string;
  /** Per-token log-probabilities, or null when the endpoint returned none. */
  readonly tokens: readonly TokenLogprob[] | null;
  readonly finishReason: string;
}

export interface GenerateOptions {
  /** Most tokens to generate. */
  readonly maxTokens: number;
  /** Alternatives to return per position (0 = only the chosen token's log-probability, if any). */
  readonly topLogprobs?: number;
  /**
   * Text the answer is forced to start with: the model continues it. Ollama chat models take it as a
   * prefilled assistant turn; raw and completion endpoints get it appended to the prompt.
   */
  readonly prefix?: string;
  readonly signal?: AbortSignal;
}

export interface EchoedTokens {
  readonly tokens: readonly string[];
  readonly logprobs: readonly (number | null)[];
}

export interface ModelInfo {
  readonly name: string;
  readonly digest?: string;
}

export interface ModelEndpoint {
  readonly kind: EndpointKind;
  /** The base URL, without credentials. */
  readonly url: string;
  readonly model: string;
  listModels(signal?: AbortSignal): Promise<ModelInfo[]>;
  /** The model's content digest where the endpoint reports one (part of every cache key). */
  modelDigest(signal?: AbortSignal): Promise<string | undefined>;
  generate(prompt: string, options: GenerateOptions): Promise<Generation>;
  /**
   * Exact log-probabilities of the tokens of `continuation` after `prompt`, in one call, where the
   * endpoint can echo prompt log-probabilities (vLLM's /v1/completions); undefined where it cannot.
   * A token with no context before it (the first of an empty prompt) has a null log-probability.
   */
  continuationLogprobs?(prompt: string, continuation: string, signal?: AbortSignal): Promise<EchoedTokens | undefined>;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
  /** A short probe of the server (its version string, where it has one). */
  version(signal?: AbortSignal): Promise<string | undefined>;
}

/**
 * A failed call, classified so the scheduler knows whether to retry: rate limits, server errors,
 * timeouts and dropped connections are worth retrying; a missing model or a bad request is not.
 */
export class EndpointError extends Error {
  override readonly name = 'EndpointError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    /** From a Retry-After header, in milliseconds. */
    readonly retryAfterMs?: number,
    /** True when nothing answered at all (connection refused, unknown host). */
    readonly unreachable = false,
  ) {
    super(message);
  }
}

/** Parses a Retry-After header: seconds, or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Classifies an HTTP status into a retryable or final EndpointError. */
export function errorForStatus(status: number, message: string, retryAfterMs?: number): EndpointError {
  const retryable = status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
  return new EndpointError(message, retryable, status, retryAfterMs);
}

/** Classifies a network-level failure (no HTTP status). */
export function errorForNetwork(error: unknown, url: string): EndpointError {
  const code = networkCode(error);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH') {
    return new EndpointError(`Nothing answered at ${url} (${code}).`, false, undefined, undefined, true);
  }
  const message = describeCause(error);
  // A URL fetch refuses outright (a blocked port, a malformed URL) will not work on a retry either.
  const retryable = !/bad port|invalid url/iu.test(message);
  return new EndpointError(`The request to ${url} failed: ${message}${code ? ` (${code})` : ''}.`, retryable);
}

/** The innermost message of an error chain ("fetch failed" alone says nothing). */
function describeCause(error: unknown): string {
  const messages: string[] = [];
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof Error) messages.push(current.message);
    current = (current as { cause?: unknown }).cause;
  }
  return messages.length > 0 ? messages.join(': ') : String(error);
}

function networkCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
