/**
 * A value that saturates as VADER's compound sentiment does, x / √(x² + 15) of a sum x of per-span
 * valences: additive on its link scale, with interactions of every order on its own. The exec scorer
 * test/fixtures/scorers/saturatingScorer.mjs computes the same value from words w0, w1, ….
 */
export function plantedValence(index: number): number {
  return (((index * 37) % 11) - 5) / 2 + (index % 7 === 0 ? 1.5 : 0);
}

/** The value of a mask over spans 0…n−1, span i carrying plantedValence(i). */
export function saturatingValue(mask: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < mask.length; i += 1) if (mask[i] === 1) sum += plantedValence(i);
  return sum / Math.sqrt(sum * sum + 15);
}
