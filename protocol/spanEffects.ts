import type { Explanation } from './explanation';
import { banzhafValues, shapleyValues } from '../server/recovery/indices';
import { EMPTY_KEY } from '../server/recovery/interactionKey';
import { spectrumFromTerms } from '../server/recovery/spectrum';

/** Whether an explanation carries an expansion beyond its constant (older or trimmed ones may not). */
export function carriesExpansion(explanation: Explanation): boolean {
  return explanation.fourier.some((term) => term.features.length > 0);
}

/**
 * Each span's effect, by feature index: its total effect (Shapley value) or mean effect (Banzhaf
 * value) computed from the expansion, or the first-order value of the explanation's own index. An
 * explanation without an expansion has only the last.
 */
export function spanEffects(explanation: Explanation, basis: 'shapley' | 'banzhaf' | 'index'): number[] {
  if (basis === 'index' || !carriesExpansion(explanation)) return [...explanation.featureValues];
  const spectrum = spectrumFromTerms(explanation.fourier);
  spectrum.delete(EMPTY_KEY);
  const n = explanation.features.length;
  return Array.from(basis === 'shapley' ? shapleyValues(spectrum, n) : banzhafValues(spectrum, n));
}
