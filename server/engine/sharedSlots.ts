import type { ValueSource } from './valueSource';

/**
 * A fixed number of call slots shared by every explanation that calls the same endpoints. Each
 * explanation has its own scheduler (retries, adaptive limits); without a shared bound, three at
 * once would put three times the configured concurrency on one endpoint. Waiting calls take slots
 * in arrival order, so explanations running together progress together, and an endpoint stays busy
 * while any of them is fitting.
 */
export class SharedSlots {
  private running = 0;
  /** The start of each waiting call, first come first served. */
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`The slot limit must be a positive whole number; got ${limit}.`);
  }

  /** Runs `task` once a slot is free; an abort while waiting rejects with the signal's reason. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.running < this.limit) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const start = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.waiting.splice(this.waiting.indexOf(start), 1);
        // The same reason throwIfAborted() gives a call that was aborted before it waited.
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(start);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter; only when none waits does it become free.
    if (next) next();
    else this.running -= 1;
  }
}

/** `source` with every masked prompt scored in one of `slots`. */
export function withSharedSlots(source: ValueSource, slots: SharedSlots): ValueSource {
  return {
    model: source.model,
    valueFunction: source.valueFunction,
    target: source.target,
    callsPerMask: source.callsPerMask,
    setupCalls: source.setupCalls,
    keyParts: source.keyParts,
    ...(source.preferredConcurrency === undefined ? {} : { preferredConcurrency: source.preferredConcurrency }),
    ...(source.usage ? { usage: () => source.usage?.() ?? '' } : {}),
    score: (text, mask, signal) => slots.run(() => source.score(text, mask, signal), signal),
    close: () => source.close(),
  };
}
