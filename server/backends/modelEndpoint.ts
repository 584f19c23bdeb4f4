/**
 * What SPEX needs from a language-model endpoint, whatever speaks behind it (Ollama's native API,
 * an OpenAI-compatible server). Value functions are built on these calls; the scheduler retries them.
 */

import type { ChatTurn } from '../../protocol/explanation';

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
  /**
   * The caller reads log-probabilities from the answer, so an answer without them is a fault of the
   * endpoint (a retryable EndpointError), not a capability to fall back from. Probes leave it unset.
   */
  readonly requireLogprobs?: boolean;
  /**
   * The tokens the caller expects the generation to be (a greedy walk's answer, from where it forces
   * it on). An endpoint may stream the generation and stop at the first token that differs, returning
   * it up to and including that token with finish reason `diverged` (streamedGeneration.ts): what the
   * model would generate after it is never read, so it is never generated.
   */
  readonly expected?: readonly string[];
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
  /** Requests sent to the server so far, retries included: what the report counts as set-up calls. */
  readonly requestsSent?: number;
  listModels(signal?: AbortSignal): Promise<ModelInfo[]>;
  /**
   * The model's content digest (part of every cache key), or undefined where the endpoint never
   * reports one (OpenAI-compatible servers: the model name is the identity). Where the endpoint does
   * report digests, a failed lookup rejects: a run must not key its calls differently by accident.
   */
  modelDigest(signal?: AbortSignal): Promise<string | undefined>;
  generate(prompt: string, options: GenerateOptions): Promise<Generation>;
  /**
   * A chat prompt's turns sent as messages, through the server's chat template whatever the
   * endpoint's raw or completion setting (a message list has no meaning without one); a forced
   * answer prefix is a final assistant turn the model continues.
   */
  generateChat?(turns: readonly ChatTurn[], options: GenerateOptions): Promise<Generation>;
  /**
   * Exact log-probabilities of the tokens of `continuation` after `prompt`, in one call, where the
   * endpoint can echo prompt log-probabilities (vLLM's /v1/completions); undefined where it cannot.
   * A token with no context before it (the first of an empty prompt) has a null log-probability.
   * With `required`, an answer without them is a retryable EndpointError instead of undefined.
   */
  continuationLogprobs?(prompt: string, continuation: string, signal?: AbortSignal, required?: boolean): Promise<EchoedTokens | undefined>;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
  /** A short probe of the server (its version string, where it has one). */
  version(signal?: AbortSignal): Promise<string | undefined>;
  /**
   * An endpoint whose calls all go to one server, for a series of calls that share a prompt (a greedy
   * walk's): that server's prompt cache then keeps the prompt between them. Absent on a single server.
   */
  session?(): ModelEndpoint;
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
    /**
     * True when nothing answered at all (connection refused, unknown host). The scheduler retries it
     * only on an endpoint that has answered before (a restart mid-run); at set-up it fails at once.
     */
    readonly unreachable = false,
  ) {
    super(message);
  }
}

/**
 * A call the endpoint cannot make because the model would see no text at all (Ollama answers an
 * empty raw prompt by loading the model, with no generation): what the model does with no context
 * cannot be read there, and value functions bound it instead.
 */
export class EmptyContextError extends EndpointError {
  constructor(who: string) {
    super(`${who} cannot generate from an empty prompt (it answers one by loading the model).`, false);
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
  return new EndpointError(message, isRetryableStatus(status), status, retryAfterMs);
}

/** Statuses worth another attempt: timeouts, conflicts, rate limits and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/**
 * The retryable fault of a 200 answer without the log-probabilities that were asked for (a proxy
 * that strips fields, a server mid-upgrade). The run never switches value functions over it.
 */
export function missingLogprobsError(who: string): EndpointError {
  return new EndpointError(
    `${who} answered without the log-probabilities it was asked for. SPEX does not switch value functions on its own: run again, or choose --value similarity to explain without log-probabilities.`,
    true,
  );
}

/**
 * Returns a generation whose caller needs its log-probabilities, or throws the retryable fault above.
 * A model that ended its answer at once (Ollama lists nothing for the end of an answer) is returned
 * as it is, without tokens: it cannot do otherwise at temperature 0, and the caller bounds the answer
 * token it did not give (see endedAtOnce).
 */
export function withRequiredLogprobs(generation: Generation, options: GenerateOptions, who: string): Generation {
  if (!options.requireLogprobs || generation.tokens || endedAtOnce(generation)) return generation;
  throw missingLogprobsError(who);
}

/** The model chose the end of its answer as the first token: nothing generated, nothing listed. */
export function endedAtOnce(generation: Generation): boolean {
  return generation.text === '' && generation.finishReason !== 'length' && (generation.tokens?.length ?? 0) === 0;
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
