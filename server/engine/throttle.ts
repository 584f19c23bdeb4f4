/** A stream of values thinned to at most one per interval, whose latest value is never lost. */
export interface Throttled<T> {
  /** Offers a value: passed on at once if the interval since the last one has passed, else held until it has. */
  push(value: T): void;
  /** Passes on the value held back, if any, now: the final state, before the caller reports the end. */
  flush(): void;
}

/**
 * Progress comes once per scored mask, up to thousands a second against a fast endpoint; a person
 * reads a few updates a second, and each update costs a write to a terminal or a JSON-RPC message.
 * The first value goes out at once, later ones at most every `intervalMs`, always the latest, and
 * the last one offered is passed on by the end of the interval after it (or by `flush`).
 */
export function throttleLatest<T>(emit: (value: T) => void, intervalMs: number, now: () => number = () => performance.now()): Throttled<T> {
  let lastEmitted = Number.NEGATIVE_INFINITY;
  let held: { readonly value: T } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const release = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const value = held;
    held = undefined;
    if (value === undefined) return;
    lastEmitted = now();
    emit(value.value);
  };
  return {
    push(value) {
      held = { value };
      if (timer !== undefined) return;
      const wait = lastEmitted + intervalMs - now();
      if (wait <= 0) release();
      // The run's own work keeps the process alive; a pending update alone should not.
      else timer = setTimeout(release, wait).unref();
    },
    flush: release,
  };
}

/** How often progress reaches a person: ten updates a second. */
export const PROGRESS_INTERVAL_MS = 100;
