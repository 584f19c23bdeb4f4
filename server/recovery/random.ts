/**
 * Seeded randomness for the numeric core. Every algorithm takes a RandomSource instead of calling
 * Math.random, so a seed reproduces a run exactly, in tests and for users.
 */

/** Uniform numbers in [0, 1). */
export type RandomSource = () => number;

/** mulberry32: small, fast, and good enough for sampling masks and shuffling. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform random bit. */
export function randomBit(random: RandomSource): number {
  return random() < 0.5 ? 1 : 0;
}

/** A uniform integer in [0, bound). */
export function randomInteger(random: RandomSource, bound: number): number {
  return Math.floor(random() * bound);
}

/** Shuffles in place (Fisher–Yates). */
export function shuffle<T>(items: T[], random: RandomSource): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = randomInteger(random, i + 1);
    const swap = items[i] as T;
    items[i] = items[j] as T;
    items[j] = swap;
  }
  return items;
}

/** Rows 0…count−1 shuffled and split: the first `heldOut` to judge a fit by, the rest to fit on. */
export function splitRows(count: number, heldOut: number, random: RandomSource): { trainRows: Int32Array; validationRows: Int32Array } {
  const order = shuffle(
    Array.from({ length: count }, (_, i) => i),
    random,
  );
  return { validationRows: Int32Array.from(order.slice(0, heldOut)), trainRows: Int32Array.from(order.slice(heldOut)) };
}

/** A standard normal sample (Box–Muller), for noise in planted test functions. */
export function gaussian(random: RandomSource): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
