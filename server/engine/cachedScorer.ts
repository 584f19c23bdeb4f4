import type { CallKeyParts, CallParameterValue } from '../cache/cacheKey';
import { maskValueOf } from '../value/valueFunction';
import type { ValueSource } from './valueSource';

/** Where stored calls live; scoring only needs to key them, look them up and add to them. */
export interface CallStore {
  /** The call's key under the store's own secret (`CallCache.keyOf`). */
  keyOf(parts: CallKeyParts): string;
  /** Keys of calls that differ only in their text, the same as `keyOf`'s but cheaper (`CallCache.keyerOf`). */
  keyerOf?(parts: Omit<CallKeyParts, 'text'>): (text: string) => string;
  get(key: string): number | undefined;
  /** Must not reject for the disk's sake: a store that cannot write keeps the value in memory and says so itself. */
  set(key: string, value: number): Promise<void> | void;
}

export interface ScoredValue {
  readonly value: number;
  /** True when the value came from the store, not the model. */
  readonly cached: boolean;
  /** Milliseconds the model took (0 from the store). */
  readonly modelMs: number;
  /** The value is an upper bound of the exact one (see MaskValue); the store remembers it. */
  readonly bounded: boolean;
}

/**
 * The parameter that keys a value's companion entry, present (as 1) where the value is only an upper
 * bound. A separate entry keeps the store's format (one finite number per key) and its guarantees.
 */
const BOUND_MARK = 'upperBound';

/**
 * Scores masked prompts through a value source, answering from the call store when it holds the
 * call and storing every new answer. `extra` parameters make otherwise identical calls distinct
 * (the noise probe's repeats).
 */
export function cachedScorer(source: ValueSource, store: CallStore | undefined) {
  // Every masked prompt of a run shares the source's key parts: they are encoded once, on first use.
  let keyOfText: ((text: string) => string) | undefined;
  const keyOf = (text: string, extra: Readonly<Record<string, CallParameterValue>>): string | undefined => {
    if (store === undefined) return undefined;
    if (store.keyerOf !== undefined && Object.keys(extra).length === 0) return (keyOfText ??= store.keyerOf(source.keyParts))(text);
    return store.keyOf({ ...source.keyParts, parameters: { ...source.keyParts.parameters, ...extra }, text });
  };
  return async (
    text: string,
    mask: Uint8Array,
    signal?: AbortSignal,
    extra: Readonly<Record<string, CallParameterValue>> = {},
  ): Promise<ScoredValue> => {
    const key = keyOf(text, extra);
    const stored = key === undefined ? undefined : store?.get(key);
    const boundKey = (): string | undefined => keyOf(text, { ...extra, [BOUND_MARK]: true });
    if (stored !== undefined) {
      const mark = boundKey();
      return { value: stored, cached: true, modelMs: 0, bounded: mark !== undefined && store?.get(mark) === 1 };
    }
    const started = Date.now();
    const { value, bounded } = maskValueOf(await source.score(text, mask, signal));
    const modelMs = Date.now() - started;
    if (key !== undefined && store) {
      const mark = bounded ? boundKey() : undefined;
      // The mark is written first: a crash between the two writes leaves a mark without a value, never a bound read as exact.
      if (mark !== undefined) await store.set(mark, 1);
      await store.set(key, value);
    }
    return { value, cached: false, modelMs, bounded };
  };
}

export type CachedScore = ReturnType<typeof cachedScorer>;
