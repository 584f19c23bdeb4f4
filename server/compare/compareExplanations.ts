import type { Explanation } from '../../protocol/explanation';
import { effectKind } from '../../protocol/effects';
import { spanEffects } from '../../protocol/spanEffects';
import { sameAnswer } from '../../protocol/answerText';
import { interactionIndex } from '../recovery/indices';
import { keyOfSorted } from '../recovery/interactionKey';
import { spectrumFromTerms } from '../recovery/spectrum';
import { alignSpans, MIN_ALIGNED_SHARE } from './alignSpans';
import { changeSize, type Comparison, type InteractionComparison, type SpanComparison } from '../../protocol/comparison';

export type { Comparison, InteractionComparison, SpanComparison } from '../../protocol/comparison';

/** Interactions compared: the strongest of each version, at most this many in all. */
const COMPARED_INTERACTIONS = 20;

/**
 * Compares the explanations of two versions of a prompt made with the same settings (and the same
 * index and order): spans lined up by text, each with its total effect in A and in B; the strongest
 * interactions of either, each read in both versions where its spans all exist there.
 */
export function compareExplanations(a: Explanation, b: Explanation): Comparison {
  const alignment = alignSpans(
    a.features.map((feature) => feature.text),
    b.features.map((feature) => feature.text),
  );
  const effectsA = spanEffects(a, 'shapley');
  const effectsB = spanEffects(b, 'shapley');
  const spans: SpanComparison[] = alignment.spans.map((span) => {
    const valueA = span.a === undefined ? null : (effectsA[span.a] ?? 0);
    const valueB = span.b === undefined ? null : (effectsB[span.b] ?? 0);
    return {
      status: span.status,
      ...(span.a === undefined ? {} : { a: span.a, textA: a.features[span.a]?.text ?? '' }),
      ...(span.b === undefined ? {} : { b: span.b, textB: b.features[span.b]?.text ?? '' }),
      valueA,
      valueB,
      change: valueA === null || valueB === null ? null : valueB - valueA,
    };
  });
  const toB = new Map<number, number>();
  const toA = new Map<number, number>();
  for (const span of alignment.spans) {
    if (span.a !== undefined && span.b !== undefined) {
      toB.set(span.a, span.b);
      toA.set(span.b, span.a);
    }
  }
  const valuesA = interactionIndex(a.index, spectrumFromTerms(a.fourier), a.order);
  const valuesB = interactionIndex(b.index, spectrumFromTerms(b.fourier), b.order);
  const mapped = (features: readonly number[], through: ReadonlyMap<number, number>): number[] | undefined => {
    const out = features.map((feature) => through.get(feature));
    return out.every((feature): feature is number => feature !== undefined) ? [...out].sort((x, y) => x - y) : undefined;
  };
  const seen = new Set<string>();
  const interactions: InteractionComparison[] = [];
  const add = (featuresA: number[] | undefined, featuresB: number[] | undefined): void => {
    const key = `${featuresA?.join(',') ?? '-'}|${featuresB?.join(',') ?? '-'}`;
    if (seen.has(key)) return;
    seen.add(key);
    const valueA = featuresA ? (valuesA.get(keyOfSorted(featuresA)) ?? 0) : null;
    const valueB = featuresB ? (valuesB.get(keyOfSorted(featuresB)) ?? 0) : null;
    const larger =
      Math.abs(valueA ?? 0) >= Math.abs(valueB ?? 0) ? { value: valueA ?? 0, explanation: a } : { value: valueB ?? 0, explanation: b };
    const size = (featuresA ?? featuresB ?? []).length;
    interactions.push({
      ...(featuresA ? { featuresA } : {}),
      ...(featuresB ? { featuresB } : {}),
      kind: effectKind(larger.explanation.index, size, larger.value),
      valueA,
      valueB,
      change: valueA === null || valueB === null ? null : valueB - valueA,
    });
  };
  const strongest = (explanation: Explanation): number[][] =>
    explanation.interactions
      // Single spans are compared in the span table, by their total effect.
      .filter((term) => term.features.length >= 2)
      .slice(0, COMPARED_INTERACTIONS)
      .map((term) => [...term.features]);
  for (const features of strongest(a)) add(features, mapped(features, toB));
  for (const features of strongest(b)) add(mapped(features, toA), features);
  interactions.sort((x, y) => changeSize(y) - changeSize(x));
  return {
    version: 1,
    answers: { a: a.target, b: b.target, differ: !sameAnswer(a.target, b.target) },
    alignedShare: alignment.alignedShare,
    tooDifferent: alignment.alignedShare < MIN_ALIGNED_SHARE,
    index: a.index,
    order: a.order,
    spans,
    interactions: interactions.slice(0, COMPARED_INTERACTIONS),
    a,
    b,
  };
}
