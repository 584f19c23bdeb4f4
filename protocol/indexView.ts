import { isNegligible } from './effects';
import type { Explanation, Interaction } from './explanation';
import { hasFindings, verdictOf } from './verdict';
import { carriesExpansion } from './spanEffects';
import { interactionIndex } from '../server/recovery/indices';
import type { IndexName } from '../server/recovery/indexNames';
import { EMPTY_KEY, indicesOf, keyOfSorted } from '../server/recovery/interactionKey';
import { spectrumFromTerms, type Spectrum } from '../server/recovery/spectrum';

/** What an explanation reports under an index: its strongest terms and each feature's first-order value. */
export interface IndexedTerms {
  readonly interactions: Interaction[];
  readonly featureValues: number[];
}

/**
 * The terms of an index computed from a Fourier expansion, as an explanation reports them: the `top`
 * strongest (0: every one, with ∅), flagged where within the noise floor, and each feature's
 * first-order value (for the Fourier index, whose singletons are −½ × the effect of keeping a feature,
 * the Banzhaf value). A fit without findings (see hasFindings) reports no terms and values of 0;
 * values at the level of rounding are 0.
 */
export function indexedTerms(
  fourier: Spectrum,
  featureCount: number,
  options: {
    readonly index: IndexName;
    readonly order: number;
    readonly top: number;
    readonly findings: boolean;
    readonly noiseFloor: number | null;
  },
): IndexedTerms {
  const terms = interactionIndex(options.index, fourier, options.order);
  const interactions = options.findings ? flagNoise(strongest(terms, options.top), options.noiseFloor) : [];
  const singletons = options.index === 'fourier' ? interactionIndex('banzhaf', fourier, 1) : terms;
  const singles = Array.from({ length: featureCount }, (_, feature) => singletons.get(keyOfSorted([feature])) ?? 0);
  const largestSingle = singles.reduce((largest, value) => Math.max(largest, Math.abs(value)), 0);
  const featureValues = singles.map((value) => (options.findings && !isNegligible(value, largestSingle) ? value : 0));
  return { interactions, featureValues };
}

/**
 * The explanation as it reads under another index and order, recomputed from its expansion with no
 * model call: what the editor's tints and hovers and the exports show once the panel switches index,
 * so that the three agree. As many terms as the run reported (all, where it reported ∅). An
 * explanation without an expansion (only its constant) can only be read under its own index.
 */
export function explanationUnderIndex(explanation: Explanation, index: IndexName, order: number): Explanation {
  if (index === explanation.index && order === explanation.order) return explanation;
  if (!carriesExpansion(explanation)) return explanation;
  const top = explanation.interactions.some((term) => term.features.length === 0) ? 0 : Math.max(1, explanation.interactions.length);
  const { interactions, featureValues } = indexedTerms(spectrumFromTerms(explanation.fourier), explanation.features.length, {
    index,
    order,
    top,
    findings: hasFindings(verdictOf(explanation)),
    noiseFloor: explanation.noiseFloor,
  });
  return { ...explanation, index, order, interactions, featureValues };
}

/** Marks interactions whose magnitude does not exceed the noise floor. */
function flagNoise(interactions: Interaction[], noiseFloor: number | null): Interaction[] {
  if (noiseFloor === null || noiseFloor <= 0) return interactions;
  return interactions.map((term) => (Math.abs(term.value) <= noiseFloor ? { ...term, belowNoise: true } : term));
}

/**
 * Terms strongest first; `top` > 0 keeps that many non-empty terms, 0 keeps every non-zero term with ∅.
 * Terms at the level of rounding (see isNegligible) are not effects and are never listed.
 */
function strongest(spectrum: Spectrum, top: number): Interaction[] {
  let largest = 0;
  for (const [key, value] of spectrum) if (key !== EMPTY_KEY) largest = Math.max(largest, Math.abs(value));
  const terms = [...spectrum]
    .filter(([key, value]) => (key === EMPTY_KEY ? top === 0 && value !== 0 : !isNegligible(value, largest)))
    .map(([key, value]) => ({ features: indicesOf(key), value }));
  terms.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.features.length - b.features.length);
  return top > 0 ? terms.slice(0, top) : terms;
}
