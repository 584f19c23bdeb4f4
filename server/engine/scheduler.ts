import { EndpointError } from '../backends/modelEndpoint';
import { abortReason, CallSlots } from './callSlots';
import { linkedSignal, onceAborted, type LinkedSignal } from './linkedSignal';

export interface SchedulerOptions {
  /** Calls in flight at most (the ceiling adaptive concurrency climbs back to). */
  readonly concurrency: number;
  /** Per-attempt timeout in milliseconds. */
  readonly timeoutMs: number;
  /** Retries after the first attempt (default 6). */
  readonly maxRetries?: number;
  /** First backoff delay (default 500 ms); it doubles per retry up to maxDelayMs (default 30 s). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Uniform [0, 1) numbers for jitter; injectable so tests are deterministic. */
  readonly random?: () => number;
  /** Waits before a retry; injectable so tests need no real time. */
  readonly sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
}

export interface SchedulerStats {
  readonly calls: number;
  readonly retries: number;
  readonly rateLimited: number;
  readonly inFlight: number;
  /** The current concurrency limit (lowered after 429s, raised again by successes). */
  readonly limit: number;
}

/**
 * Bounded concurrency with retries for one endpoint. A rate limit (429) halves the concurrency
 * limit and waits for Retry-After; every success after that raises it by one again (additive
 * increase, multiplicative decrease). Server errors, timeouts and dropped connections are retried
 * with exponential backoff and jitter; a missing model or a bad request fails at once. Nothing
 * answering fails at once while the endpoint has never answered (a wrong URL, a server not
 * started: the caller shows its help), and is retried like a 503 once it has (a restart mid-run).
 * Cancelling the caller's signal aborts the call in flight and every call waiting for a slot.
 */
export class CallScheduler {
  private readonly options: Required<SchedulerOptions>;
  /** The adaptive limit on calls in flight: halved after a 429, raised by one after each success. */
  private readonly slots: CallSlots;
  private calls = 0;
  private retries = 0;
  private rateLimited = 0;
  /** Whether any call has succeeded: from then on, nothing answering means a restart, worth waiting for. */
  private answered = false;

  constructor(options: SchedulerOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
      throw new RangeError(`concurrency must be a positive whole number; got ${options.concurrency}.`);
    if (!(options.timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive; got ${options.timeoutMs}.`);
    this.options = {
      maxRetries: 6,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      random: Math.random,
      sleep: abortableSleep,
      ...options,
    };
    this.slots = new CallSlots(options.concurrency);
  }

  stats(): SchedulerStats {
    return {
      calls: this.calls,
      retries: this.retries,
      rateLimited: this.rateLimited,
      inFlight: this.slots.inFlight,
      limit: this.slots.limit,
    };
  }

  /**
   * Runs `task` with a slot, a per-attempt timeout and retries; `task` must honour the signal it gets.
   * `lifetime` ends the call as `signal` does (a pool's close): the two are followed separately rather
   * than combined up front, because a combined signal per call costs more than the rest of the
   * scheduling, and only a wait (for a slot, or before a retry) needs one.
   */
  async run<T>(task: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal, lifetime?: AbortSignal): Promise<T> {
    const started = Date.now();
    const stopped = (): AbortSignal | undefined => (signal?.aborted ? signal : lifetime?.aborted ? lifetime : undefined);
    let waits: LinkedSignal | undefined;
    const forWaits = (): AbortSignal | undefined =>
      lifetime === undefined ? signal : signal === undefined ? lifetime : (waits ??= linkedSignal([signal, lifetime])).signal;
    try {
      for (let attempt = 0; ; attempt += 1) {
        stopped()?.throwIfAborted();
        if (!this.slots.tryAcquire()) await this.slots.acquire(forWaits());
        const stop = stopped();
        if (stop) {
          this.slots.release();
          throw abortReason(stop);
        }
        const attemptSignal = linkedSignal([signal, lifetime], this.options.timeoutMs);
        let failure: EndpointError;
        try {
          this.calls += 1;
          const result = await task(attemptSignal.signal);
          this.succeeded();
          return result;
        } catch (error) {
          const cancelled = stopped();
          if (cancelled) throw cancelled.reason instanceof Error ? cancelled.reason : error;
          if (attemptSignal.timedOut) failure = new EndpointError(`A model call timed out after ${this.options.timeoutMs} ms.`, true);
          else if (error instanceof EndpointError) failure = error;
          else throw error;
        } finally {
          attemptSignal.dispose();
          this.slots.release();
        }
        const restarting = failure.unreachable && this.answered;
        if (!(failure.retryable || restarting) || attempt >= this.options.maxRetries) {
          if (attempt === 0 && !restarting) throw failure;
          const seconds = ((Date.now() - started) / 1000).toFixed(1);
          // Help on starting a server fits only an endpoint that never answered.
          throw new EndpointError(
            `${failure.message.replace(/\.$/u, '')}${restarting ? ' after it had answered earlier in this run' : ''}; gave up after ${attempt + 1} attempt${attempt === 0 ? '' : 's'} in ${seconds} s.`,
            false,
            failure.status,
            undefined,
            failure.unreachable && !restarting,
          );
        }
        if (failure.status === 429) {
          this.rateLimited += 1;
          this.slots.limit = Math.max(1, Math.floor(this.slots.limit / 2));
        }
        this.retries += 1;
        const backoff = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** attempt) * (0.5 + this.options.random() / 2);
        await this.options.sleep(Math.max(failure.retryAfterMs ?? 0, backoff), forWaits());
      }
    } finally {
      waits?.dispose();
    }
  }

  private succeeded(): void {
    this.answered = true;
    if (this.slots.limit < this.options.concurrency) this.slots.limit += 1;
  }
}

/** Waits `milliseconds`, or rejects as soon as the signal aborts. */
export function abortableSleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const timer = setTimeout(() => {
      unfollow?.();
      resolve();
    }, milliseconds);
    const unfollow = signal
      ? onceAborted(signal, () => {
          clearTimeout(timer);
          reject(abortReason(signal));
        })
      : undefined;
  });
}
