/**
 * The order in which queued token sequences are evaluated, so that each worker's next sequence shares
 * as long a prefix as possible with what its KV cache already holds. Sequences are kept sorted
 * lexicographically by token id; neighbours in that order share the longest prefixes, so a worker
 * takes the neighbour of its cached sequence and walks through the queue in order, while cold
 * workers start at evenly spread places so that they do not leapfrog one another.
 */

export interface TokenSequence {
  readonly tokens: readonly number[];
}

/** How many leading tokens two sequences share. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const length = Math.min(a.length, b.length);
  let i = 0;
  while (i < length && a[i] === b[i]) i += 1;
  return i;
}

/** Lexicographic order of token ids; a sequence sorts before every longer sequence it is a prefix of. */
export function compareTokens(a: readonly number[], b: readonly number[]): number {
  const shared = commonPrefixLength(a, b);
  if (shared < a.length && shared < b.length) return (a[shared] as number) - (b[shared] as number);
  return a.length - b.length;
}

export class PrefixQueue<T extends TokenSequence> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.splice(this.lowerBound(item.tokens), 0, item);
  }

  /** Removes an item (a cancelled request); false when it is no longer queued. */
  remove(item: T): boolean {
    const index = this.items.indexOf(item);
    if (index < 0) return false;
    this.items.splice(index, 1);
    return true;
  }

  /**
   * Takes the item to evaluate next on a worker whose cache holds `cached`: the sorted neighbour that
   * shares the longest prefix with it (the following one on a tie, so a worker moves forward). A cold
   * worker (nothing cached) takes the item at its share of the queue, `slot` of `slots`.
   */
  take(cached: readonly number[], slot: number, slots: number): T | undefined {
    if (this.items.length === 0) return undefined;
    let index: number;
    if (cached.length === 0) {
      index = Math.min(this.items.length - 1, Math.floor((slot * this.items.length) / Math.max(1, slots)));
    } else {
      index = Math.min(this.lowerBound(cached), this.items.length - 1);
      const before = this.items[index - 1];
      const at = this.items[index] as T;
      if (before && commonPrefixLength(before.tokens, cached) > commonPrefixLength(at.tokens, cached)) index -= 1;
    }
    return this.items.splice(index, 1)[0];
  }

  private lowerBound(tokens: readonly number[]): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareTokens((this.items[middle] as T).tokens, tokens) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
