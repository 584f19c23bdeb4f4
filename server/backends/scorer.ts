/** One masked prompt to score: the mask (1 = feature kept) and the text the model sees under it. */
export interface ScoreRequest {
  readonly mask: Uint8Array;
  readonly text: string;
}

/**
 * A value function behind some model: turns masked prompts into numbers. Backends implement it;
 * the engine batches, caches and schedules calls to it.
 */
export interface MaskScorer {
  /** Names the backend and its model for logs and results (never secrets). */
  readonly description: string;
  score(request: ScoreRequest, signal?: AbortSignal): Promise<number>;
  close(): Promise<void>;
}

/** A failure of the model side (a crash, a bad answer, an unreachable endpoint), told in words a user can act on. */
export class BackendError extends Error {
  override readonly name = 'BackendError';
}
