/**
 * The contract between the engine and every backend. It lives below both, so that backends never
 * import the engine: the engine builds sources from backends, and backends only implement this.
 */
import type { ComputeDevice } from '../../protocol/device';
import type { Choice, TokenCounts } from '../../protocol/explanation';
import type { CallKeyParts } from '../cache/cacheKey';
import type { Scored } from './valueFunction';

/**
 * Where values come from, as the engine sees it: a scorer for masked prompts, what it measures, and
 * the identity of its calls for the cache (never a secret).
 */
/** A generated answer, and whether it stopped at the token limit rather than where the model ended it. */
export interface GeneratedAnswer {
  readonly text: string;
  readonly cut: boolean;
}

export interface ValueSource {
  /** Backend and model, for reports (e.g. "ollama llama3.2:1b at http://127.0.0.1:11434"). */
  readonly model: string;
  readonly valueFunction: Choice;
  /** The answer or label explained, where there is one. */
  readonly target: string | null;
  /** The answer was generated up to the token limit, so it stops mid-way. */
  readonly targetCut?: boolean;
  /** Model calls one masked prompt costs (the least, where `callsVary`). */
  readonly callsPerMask: number;
  /** True where the calls per mask depend on how the model answers each mask (the greedy walk). */
  readonly callsVary?: boolean;
  /** Model requests made so far (set-up included), where the backend counts requests: readers take differences. */
  scoringRequests?(): number;
  /** Prompt tokens the model evaluated so far, where the backend counts them (the llama backend). */
  tokensEvaluated?(): number;
  /**
   * Calls the set-up made before any mask was scored (listing models, reading the model's digest,
   * generating the answer to the full prompt, probing what the endpoint returns), retries included.
   * They are never cached: the digest must be read to key the cache, and the answer is what the run
   * explains, so a fully cached rerun still makes these and says so.
   */
  readonly setupCalls: number;
  /** Everything but the prompt that identifies a call, for cache keys. */
  readonly keyParts: Omit<CallKeyParts, 'text'>;
  /**
   * Masks the engine may queue at once when this is more than its concurrency: a backend that orders
   * its own queue (the llama backend's prefix reuse) wants to see a whole round of masks.
   */
  readonly preferredConcurrency?: number;
  /**
   * The model's own answer to a (masked) prompt, generated as the explained answer was (greedy, the
   * same token limit), where the backend generates text: Verify shows what the model now says.
   */
  generate?(text: string, signal?: AbortSignal): Promise<GeneratedAnswer>;
  /** The value of a masked prompt: a plain number is exact, a MaskValue may be an upper bound. */
  score(text: string, mask: Uint8Array, signal?: AbortSignal): Promise<Scored>;
  /** A line on what the scoring cost so far, where the backend measures it (the llama backend's prefix reuse). */
  usage?(): string;
  /** Where an in-process backend runs the model (the llama backend's device, layers and memory). */
  device?(): ComputeDevice;
  /** Tokens evaluated so far, where the backend counts them (the llama backend). */
  tokenCounts?(): TokenCounts;
  close(): Promise<void>;
}
