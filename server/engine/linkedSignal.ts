/**
 * A signal that aborts when any of its parents does, or after a timeout: what AbortSignal.any and
 * AbortSignal.timeout make, for a fraction of their cost. Every model call needs one or two (the
 * caller's cancel, the pool's close, the attempt's timeout), and Node's own cost about 50 µs a call
 * between them, with weak references for the garbage collector to chase. Here a parent carries one
 * listener however many calls follow it, so sixteen calls in flight add no listeners to the run's
 * signal; `dispose` (once the call has settled) lets the parents and the timer go.
 */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Whether the timeout, not a parent, aborted it. */
  readonly timedOut: boolean;
  /** Stops following the parents and the timer. Idempotent; needs no `this`, so it can be passed on as it is. */
  readonly dispose: () => void;
}

/** What each parent signal will call when it aborts, reached through that parent's single listener. */
const followers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `callback` once when `parent` aborts, through one listener per parent however many callbacks
 * wait on it (a mask's calls queued for a slot, its retries' sleeps): Node warns about a leak past ten
 * listeners on one signal. Returns what stops following. The caller checks `parent.aborted` first.
 */
export function onceAborted(parent: AbortSignal, callback: () => void): () => void {
  let callbacks = followers.get(parent);
  if (callbacks === undefined) {
    const created = new Set<() => void>();
    followers.set(parent, created);
    parent.addEventListener(
      'abort',
      () => {
        const waiting = [...created];
        created.clear();
        for (const call of waiting) call();
      },
      { once: true },
    );
    callbacks = created;
  }
  // A callback of its own, so that one function followed twice is two followers.
  const entry = (): void => callback();
  callbacks.add(entry);
  const set = callbacks;
  return () => set.delete(entry);
}

function follow(parent: AbortSignal, child: AbortController): () => void {
  return onceAborted(parent, () => child.abort(parent.reason));
}

/** A signal aborted by the first of `parents` to abort (with its reason) or, given `timeoutMs`, by a TimeoutError then. */
export function linkedSignal(parents: readonly (AbortSignal | undefined)[], timeoutMs?: number): LinkedSignal {
  const controller = new AbortController();
  const unfollow: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const dispose = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    for (const stop of unfollow.splice(0)) stop();
  };
  for (const parent of parents) {
    if (parent === undefined) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      dispose();
      return { signal: controller.signal, timedOut: false, dispose };
    }
    unfollow.push(follow(parent, controller));
  }
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      timedOut = true;
      dispose();
      controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }, timeoutMs);
    // As with AbortSignal.timeout, a pending timeout alone does not keep the process alive.
    timer.unref();
  }
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose,
  };
}
