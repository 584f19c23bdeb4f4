/**
 * Walks a grid of settings from index `start`: up while the score improves, and down instead where the
 * first step up does not (the held-out fit is one-peaked along each setting). `score(index, from)`
 * scores a setting, `from` being the one it steps from (the start steps from itself). Returns the best.
 */
export function climb(
  length: number,
  start: number,
  score: (index: number, from: number) => number,
): { readonly index: number; readonly score: number } {
  let best = { index: start, score: score(start, start) };
  for (const direction of [1, -1]) {
    let moved = false;
    for (let index = start + direction; index >= 0 && index < length; index += direction) {
      const next = score(index, index - direction);
      if (next <= best.score) break;
      best = { index, score: next };
      moved = true;
    }
    if (moved) break;
  }
  return best;
}
