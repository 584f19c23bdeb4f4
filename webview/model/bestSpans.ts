import type { Surrogate } from '../../server/recovery/surrogate';
import { flips, type FlipRule } from './whatIf';

/** The backward search stops after this many removals: each step scores every remaining span. */
export const FLIP_SEARCH_LIMIT = 128;

export interface KeepResult {
  /** The spans kept, in the order the search chose them. */
  readonly kept: readonly number[];
  /** The surrogate's value with only those spans kept. */
  readonly value: number;
}

export interface FlipResult {
  /** The spans removed, in the order the search chose them. */
  readonly removed: readonly number[];
  readonly value: number;
  /** False when no set within FLIP_SEARCH_LIMIT removals flips the answer. */
  readonly flipped: boolean;
}

/**
 * Forward selection on the surrogate: starting from nothing kept, adds, k times, the span whose
 * addition keeps the answer most (moves the value furthest towards f(all kept)). Each step scores
 * all candidates in one evaluateMany batch.
 */
export function bestKeep(surrogate: Surrogate, featureCount: number, k: number, direction: 1 | -1): KeepResult {
  const mask = new Uint8Array(featureCount);
  const kept: number[] = [];
  let value = surrogate.evaluate(mask);
  for (let step = 0; step < Math.min(k, featureCount); step += 1) {
    const candidates: number[] = [];
    const masks: Uint8Array[] = [];
    for (let feature = 0; feature < featureCount; feature += 1) {
      if (mask[feature] === 1) continue;
      const next = mask.slice();
      next[feature] = 1;
      candidates.push(feature);
      masks.push(next);
    }
    const values = surrogate.evaluateMany(masks);
    let best = 0;
    for (let c = 1; c < values.length; c += 1) if (direction * ((values[c] as number) - (values[best] as number)) > 0) best = c;
    const chosen = candidates[best] as number;
    mask[chosen] = 1;
    kept.push(chosen);
    value = values[best] as number;
  }
  return { kept, value };
}

/**
 * Backward removal on the surrogate: from everything kept, removes the span whose removal moves the
 * value furthest towards f(all removed), until the value flips; then puts back every removed span
 * whose return keeps it flipped, so the set is as small as the greedy order allows.
 */
export function smallestFlip(surrogate: Surrogate, featureCount: number, rule: FlipRule): FlipResult {
  const mask = new Uint8Array(featureCount).fill(1);
  const removed: number[] = [];
  let value = surrogate.evaluate(mask);
  while (!flips(rule, value) && removed.length < Math.min(featureCount, FLIP_SEARCH_LIMIT)) {
    const candidates: number[] = [];
    const masks: Uint8Array[] = [];
    for (let feature = 0; feature < featureCount; feature += 1) {
      if (mask[feature] === 0) continue;
      const next = mask.slice();
      next[feature] = 0;
      candidates.push(feature);
      masks.push(next);
    }
    const values = surrogate.evaluateMany(masks);
    let best = 0;
    for (let c = 1; c < values.length; c += 1) if (rule.direction * ((values[c] as number) - (values[best] as number)) < 0) best = c;
    const chosen = candidates[best] as number;
    mask[chosen] = 0;
    removed.push(chosen);
    value = values[best] as number;
  }
  if (!flips(rule, value)) return { removed, value, flipped: false };
  // Greedy removal can pick up spans that later choices made unnecessary; returning them tightens the set.
  for (const feature of [...removed]) {
    mask[feature] = 1;
    const restored = surrogate.evaluate(mask);
    if (flips(rule, restored)) {
      removed.splice(removed.indexOf(feature), 1);
      value = restored;
    } else mask[feature] = 0;
  }
  return { removed, value, flipped: true };
}
