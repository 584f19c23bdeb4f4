/**
 * An interaction (a set of feature indices) as a compact Map key: the sorted indices, one UTF-16
 * code unit each. Feature indices are below 65,536 (n is limited to 4,096), so the key is exact,
 * short (one character per feature in the set) and hashes as fast as any string.
 */
export type InteractionKey = string;

export const EMPTY_KEY: InteractionKey = '';

/** The key of a set given as indices in any order; duplicates are an error. */
export function keyOf(indices: Iterable<number>): InteractionKey {
  const sorted = Array.from(indices).sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i += 1) {
    if (sorted[i] === sorted[i - 1]) throw new RangeError(`Feature ${sorted[i]} appears twice in one interaction.`);
  }
  return keyOfSorted(sorted);
}

/** The key of indices already sorted ascending and distinct (the hot path: no checks). */
export function keyOfSorted(sorted: ArrayLike<number>): InteractionKey {
  let key = '';
  for (let i = 0; i < sorted.length; i += 1) key += String.fromCharCode(sorted[i] as number);
  return key;
}

/** The sorted feature indices of a key. */
export function indicesOf(key: InteractionKey): number[] {
  const indices = new Array<number>(key.length);
  for (let i = 0; i < key.length; i += 1) indices[i] = key.charCodeAt(i);
  return indices;
}

/** The set of the bits of a small integer mask (bit i = feature i), as a key. */
export function keyOfBits(bits: number): InteractionKey {
  let key = '';
  for (let i = 0; bits !== 0; i += 1, bits >>>= 1) if (bits & 1) key += String.fromCharCode(i);
  return key;
}
