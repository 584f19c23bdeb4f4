import { onceAborted } from './linkedSignal';
/**
 * A counting semaphore for calls: at most `limit` run at once, the rest wait in arrival order. The
 * limit may change while calls run (a scheduler halves it after a 429 and raises it again): lowering
 * it lets running calls finish, raising it starts waiting ones at once. A wait ends early, with the
 * signal's reason, when its signal aborts.
 */
export class CallSlots {
  private running = 0;
  private currentLimit: number;
  /** The start of each waiting call, first come first served. */
  private readonly waiting: (() => void)[] = [];

  constructor(limit: number) {
    CallSlots.check(limit);
    this.currentLimit = limit;
  }

  get limit(): number {
    return this.currentLimit;
  }

  set limit(limit: number) {
    CallSlots.check(limit);
    this.currentLimit = limit;
    this.wake();
  }

  /** Calls holding a slot now. */
  get inFlight(): number {
    return this.running;
  }

  /** Runs `task` once a slot is free and frees the slot when it settles. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Takes a slot if one is free now, without waiting; true needs one release. */
  tryAcquire(): boolean {
    if (this.running >= this.currentLimit) return false;
    this.running += 1;
    return true;
  }

  /** Takes a slot, waiting for one if all are taken; every acquire needs one release. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.running < this.currentLimit) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const start = (): void => {
        unfollow?.();
        this.running += 1;
        resolve();
      };
      const unfollow = signal
        ? onceAborted(signal, () => {
            const index = this.waiting.indexOf(start);
            if (index >= 0) this.waiting.splice(index, 1);
            reject(abortReason(signal));
          })
        : undefined;
      this.waiting.push(start);
    });
  }

  release(): void {
    this.running -= 1;
    this.wake();
  }

  private wake(): void {
    while (this.running < this.currentLimit && this.waiting.length > 0) this.waiting.shift()?.();
  }

  private static check(limit: number): void {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`The slot limit must be a positive whole number; got ${limit}.`);
  }
}

/** The error an aborted wait rejects with: the signal's reason, or a plain one where that is not an Error. */
export function abortReason(signal: AbortSignal | undefined): Error {
  return signal?.reason instanceof Error ? signal.reason : new Error('Aborted.');
}
