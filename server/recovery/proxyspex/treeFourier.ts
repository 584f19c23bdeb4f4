import type { RegressionTree } from './gradientBoosting';
import { keyOfSorted } from '../interactionKey';
import type { Spectrum } from '../spectrum';

/**
 * The exact Fourier spectrum of regression trees on binary features. A leaf with value v reached
 * through conditions m_j = b_j for the distinct features J of its path is v·Π_{j∈J} 1[m_j = b_j],
 * and 1[m_j = b] = (1 + (−1)^b·(−1)^{m_j})/2, so it contributes v·2^{−|J|}·Π_{j∈S}(−1)^{b_j} to every
 * S ⊆ J. Repeated features on a path are merged (a contradictory path is unreachable and skipped),
 * which is the symmetric-difference rule the published code gets wrong (it uses a union). Summing
 * over leaves and trees reproduces the model exactly.
 */
export function addTreeSpectrum(tree: RegressionTree, into: Spectrum, scale = 1): void {
  // Within one tree, terms are keyed by a bit set over the tree's own features (at most 31 of them at
  // the depths used), so the 2^depth subsets of every leaf add into a Map of small integers; each
  // distinct term is turned into an interaction key once per tree. This halves a fit's spectrum reading.
  const local = new Map<number, number>();
  const features: number[] = [];
  for (let node = 0; node < tree.feature.length; node += 1) {
    const feature = tree.feature[node] as number;
    if (feature >= 0 && !local.has(feature)) {
      local.set(feature, features.length);
      features.push(feature);
    }
  }
  if (features.length > 30) {
    addTreeSpectrumByKeys(tree, into, scale);
    return;
  }
  const terms = new Map<number, number>();
  // The path so far as two bit sets over local features: those it conditions on, and those required to be kept.
  const visit = (node: number, conditioned: number, kept: number, depth: number): void => {
    const feature = tree.feature[node] as number;
    if (feature < 0) {
      const value = (tree.value[node] as number) * scale;
      if (value !== 0) addLocalLeaf(value / 2 ** depth, conditioned, kept, terms);
      return;
    }
    const bit = 1 << (local.get(feature) as number);
    if (conditioned & bit) {
      // A feature met again on the path: only the branch that agrees with the first condition is reachable.
      visit((kept & bit ? tree.right[node] : tree.left[node]) as number, conditioned, kept, depth);
      return;
    }
    visit(tree.left[node] as number, conditioned | bit, kept, depth + 1);
    visit(tree.right[node] as number, conditioned | bit, kept | bit, depth + 1);
  };
  visit(0, 0, 0, 0);
  const members: number[] = [];
  for (const [set, value] of terms) {
    members.length = 0;
    for (let i = 0, rest = set; rest !== 0; i += 1, rest >>>= 1) if (rest & 1) members.push(features[i] as number);
    members.sort((a, b) => a - b);
    // One flat string (concatenation builds a rope that every Map lookup would flatten again).
    const key = String.fromCharCode(...members);
    into.set(key, (into.get(key) ?? 0) + value);
  }
}

/** Adds weight·Π_{j∈S}(−1)^{b_j} to every subset S of the conditioned features (b_j = 1 where kept). */
function addLocalLeaf(weight: number, conditioned: number, kept: number, terms: Map<number, number>): void {
  // Enumerate the subsets of `conditioned` by the standard sub-mask walk.
  for (let subset = conditioned; ; subset = (subset - 1) & conditioned) {
    const sign = popcountIsOdd(subset & kept) ? -1 : 1;
    terms.set(subset, (terms.get(subset) ?? 0) + sign * weight);
    if (subset === 0) break;
  }
}

function popcountIsOdd(bits: number): boolean {
  let parity = 0;
  for (let rest = bits; rest !== 0; rest &= rest - 1) parity ^= 1;
  return parity === 1;
}

/** The same spectrum for trees with more distinct features than a bit set holds, keyed directly. */
function addTreeSpectrumByKeys(tree: RegressionTree, into: Spectrum, scale: number): void {
  const pathFeatures: number[] = [];
  const pathBits: number[] = [];
  const visit = (node: number): void => {
    const feature = tree.feature[node] as number;
    if (feature < 0) {
      addLeaf((tree.value[node] as number) * scale, pathFeatures, pathBits, into);
      return;
    }
    for (const [bit, child] of [
      [0, tree.left[node] as number],
      [1, tree.right[node] as number],
    ] as const) {
      pathFeatures.push(feature);
      pathBits.push(bit);
      visit(child);
      pathFeatures.pop();
      pathBits.pop();
    }
  };
  visit(0);
}

function addLeaf(value: number, features: readonly number[], bits: readonly number[], into: Spectrum): void {
  if (value === 0) return;
  // Merge repeated features; a feature required to be both 0 and 1 makes the leaf unreachable.
  const condition = new Map<number, number>();
  for (let i = 0; i < features.length; i += 1) {
    const feature = features[i] as number;
    const bit = bits[i] as number;
    const earlier = condition.get(feature);
    if (earlier !== undefined && earlier !== bit) return;
    condition.set(feature, bit);
  }
  const distinct = [...condition.keys()].sort((a, b) => a - b);
  const signs = distinct.map((feature) => (condition.get(feature) === 1 ? -1 : 1));
  const weight = value / 2 ** distinct.length;
  const subset: number[] = [];
  for (let bits = 0; bits < 1 << distinct.length; bits += 1) {
    subset.length = 0;
    let sign = 1;
    for (let i = 0; i < distinct.length; i += 1) {
      if ((bits >> i) & 1) {
        subset.push(distinct[i] as number);
        sign *= signs[i] as number;
      }
    }
    const key = keyOfSorted(subset);
    into.set(key, (into.get(key) ?? 0) + sign * weight);
  }
}
