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
