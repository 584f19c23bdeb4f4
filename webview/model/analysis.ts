import { effectKind, isNegligible, type EffectKind } from '../../protocol/effects';
import { hasFindings, verdictOf } from '../../protocol/verdict';
import type { IndexName } from '../../server/recovery/indexNames';
import { interactionIndex } from '../../server/recovery/indices';
import { EMPTY_KEY, indicesOf, keyOfSorted, type InteractionKey } from '../../server/recovery/interactionKey';
import type { ExplanationModel } from './explanationModel';

/** One non-empty term of an interaction index. */
export interface Term {
  readonly key: InteractionKey;
  /** Sorted feature indices. */
  readonly features: readonly number[];
  readonly value: number;
  /** What the term says under its index: raises or lowers (one span), synergy or redundancy (a set). */
  readonly kind: Exclude<EffectKind, 'baseline'>;
  /** |value| does not exceed the measured noise floor. */
  readonly belowNoise: boolean;
}

/** An index of one order over an explanation: its terms, the span tints and each span's partners. */
export interface Analysis {
  readonly index: IndexName;
  readonly order: number;
  /** Non-empty terms with a non-zero value, strongest first. */
  readonly terms: readonly Term[];
  readonly byKey: ReadonlyMap<InteractionKey, Term>;
  /** The first-order value that tints each span, by feature index. */
  readonly firstOrder: Float64Array;
  /** The largest |first-order value|: the scale of the tints. */
  readonly largestFirstOrder: number;
  /** What firstOrder holds, e.g. "FSII value" or "Banzhaf value" (under the Fourier index). */
  readonly firstOrderName: string;
  /** Per feature, the terms of order ≥ 2 that contain it, strongest first. */
  readonly partners: readonly (readonly Term[])[];
  /** 'recomputed' from the expansion here, or 'reported' as the run sent it (when it carried no expansion). */
  readonly source: 'recomputed' | 'reported';
  /**
   * False when the fit does not capture the model (see protocol/verdict.ts): then there are no terms
   * and no tints, since a term of such a fit would be read as a finding.
   */
  readonly hasFindings: boolean;
}

export const INDEX_LABELS: Readonly<Record<IndexName, string>> = {
  fourier: 'Fourier',
  mobius: 'Möbius',
  shapley: 'Shapley',
  banzhaf: 'Banzhaf',
  sii: 'SII',
  bii: 'BII',
  fsii: 'FSII',
  fbii: 'FBII',
  stii: 'STII',
};

export const INDEX_DESCRIPTIONS: Readonly<Record<IndexName, string>> = {
  fourier: 'Fourier (Walsh–Hadamard) coefficients; spans are tinted by Banzhaf values, since Fourier signs are inverted.',
  mobius: 'Möbius (Harsanyi) dividends: the pure joint effect of each set.',
  shapley: 'Shapley values (first order only).',
  banzhaf: 'Banzhaf values (first order only).',
  sii: 'Shapley interaction index.',
  bii: 'Banzhaf interaction index.',
  fsii: 'Faith-Shapley interaction index.',
  fbii: 'Faith-Banzhaf interaction index.',
  stii: 'Shapley–Taylor interaction index.',
};

/** Shapley and Banzhaf values have only first-order terms; the order does not change them. */
export function indexHasOrders(index: IndexName): boolean {
  return index !== 'shapley' && index !== 'banzhaf';
}

/**
 * The index `index` of order `order`, computed by the recovery core from the stored expansion. An
 * explanation without a non-constant expansion can only show what its run reported.
 */
export function analyse(model: ExplanationModel, index: IndexName, order: number): Analysis {
  const explanation = model.explanation;
  const n = model.featureCount;
  const noiseFloor = explanation.noiseFloor ?? 0;
  const belowNoise = (value: number): boolean => noiseFloor > 0 && Math.abs(value) <= noiseFloor;
  const firstOrder = new Float64Array(n);
  const findings = hasFindings(verdictOf(explanation));
  const termOf = (key: string, features: readonly number[], value: number, belowNoiseFlag: boolean): Term => ({
    key,
    features,
    value,
    kind: effectKind(index, features.length, value) as Term['kind'],
    belowNoise: belowNoiseFlag,
  });
  let terms: Term[];
  let source: Analysis['source'];
  if (model.canRecompute) {
    source = 'recomputed';
    const spectrum = interactionIndex(index, model.spectrum, order);
    terms = [];
    let largest = 0;
    for (const [key, value] of spectrum) if (key !== EMPTY_KEY) largest = Math.max(largest, Math.abs(value));
    for (const [key, value] of spectrum) {
      if (key === EMPTY_KEY || isNegligible(value, largest)) continue;
      terms.push(termOf(key, indicesOf(key), value, belowNoise(value)));
    }
    // Fourier singletons are −½ × the effect of keeping a feature; Banzhaf values are that effect.
    const singletons = index === 'fourier' ? interactionIndex('banzhaf', model.spectrum, 1) : spectrum;
    for (let feature = 0; feature < n; feature += 1) firstOrder[feature] = singletons.get(keyOfSorted([feature])) ?? 0;
  } else {
    source = 'reported';
    index = explanation.index;
    order = explanation.order;
    terms = explanation.interactions
      .filter((term) => term.features.length > 0 && term.value !== 0)
      .map((term) => {
        const features = [...new Set(term.features)].sort((a, b) => a - b);
        return termOf(keyOfSorted(features), features, term.value, term.belowNoise === true);
      });
    explanation.featureValues.forEach((value, feature) => (firstOrder[feature] = value));
  }
  if (!findings) {
    terms = [];
    firstOrder.fill(0);
  }
  let largestSingle = 0;
  for (const value of firstOrder) largestSingle = Math.max(largestSingle, Math.abs(value));
  for (let feature = 0; feature < n; feature += 1) if (isNegligible(firstOrder[feature] as number, largestSingle)) firstOrder[feature] = 0;
  terms.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.features.length - b.features.length || (a.key < b.key ? -1 : 1));
  const partners: Term[][] = Array.from({ length: n }, () => []);
  for (const term of terms) if (term.features.length >= 2) for (const feature of term.features) partners[feature]?.push(term);
  let largestFirstOrder = 0;
  for (const value of firstOrder) largestFirstOrder = Math.max(largestFirstOrder, Math.abs(value));
  return {
    index,
    order,
    terms,
    byKey: new Map(terms.map((term) => [term.key, term])),
    firstOrder,
    largestFirstOrder,
    firstOrderName: `${INDEX_LABELS[index === 'fourier' ? 'banzhaf' : index]} value`,
    partners,
    source,
    hasFindings: findings,
  };
}
