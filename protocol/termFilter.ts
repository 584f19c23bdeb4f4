import { effectKind } from './effects';
import type { Explanation, Interaction } from './explanation';

/**
 * Which terms a reader is shown: the panel's filters, carried to the editor's marks and hovers and to
 * every export so that all of them list the same interactions.
 */
export interface TermFilter {
  /** Orders (set sizes) left out. */
  readonly hiddenOrders: readonly number[];
  /** Positive terms: synergy (order ≥ 2) or raises (order 1). */
  readonly synergy: boolean;
  /** Negative terms: redundancy (order ≥ 2) or lowers (order 1). */
  readonly redundancy: boolean;
  /** Terms smaller than this share of the largest are left out (0: none). */
  readonly minShare: number;
}

/** The shares offered; 1 % by default, which drops the long tail a fit of many spans leaves without hiding a finding. */
export const MIN_SHARE_CHOICES = [0, 0.01, 0.05, 0.1] as const;
export const DEFAULT_MIN_SHARE = 0.01;

export const SHOW_ALL_TERMS: TermFilter = { hiddenOrders: [], synergy: true, redundancy: true, minShare: 0 };

export function isTermFilter(value: unknown): value is TermFilter {
  if (typeof value !== 'object' || value === null) return false;
  const filter = value as Record<string, unknown>;
  return (
    Array.isArray(filter.hiddenOrders) &&
    filter.hiddenOrders.length <= 16 &&
    filter.hiddenOrders.every((order) => Number.isInteger(order) && (order as number) >= 0) &&
    typeof filter.synergy === 'boolean' &&
    typeof filter.redundancy === 'boolean' &&
    (MIN_SHARE_CHOICES as readonly unknown[]).includes(filter.minShare)
  );
}

/** Whether a term of this order, sign and size passes; `largest` is the largest |value| among the terms. */
export function passesFilter(
  term: { readonly order: number; readonly positive: boolean; readonly value: number },
  largest: number,
  filter: TermFilter,
): boolean {
  if (filter.hiddenOrders.includes(term.order)) return false;
  if (!(term.positive ? filter.synergy : filter.redundancy)) return false;
  return !(filter.minShare > 0 && Math.abs(term.value) < filter.minShare * largest);
}

/** "below 1 % of the largest": how the share reads in notes and reports. */
export function describeMinShare(minShare: number): string {
  return `below ${Math.round(minShare * 100)} % of the largest`;
}

/**
 * The explanation with only the interactions the filter lets through and, where it left any out, a
 * record of the filter and of how many (`view`), so a report says that it is not the whole list. The
 * expansion and the spans' values stay whole: tints and what-ifs do not depend on the filter.
 */
export function filteredExplanation(explanation: Explanation, filter: TermFilter): Explanation {
  const terms = explanation.interactions.filter((term) => term.features.length > 0);
  const largest = terms.reduce((max, term) => Math.max(max, Math.abs(term.value)), 0);
  const kept = (term: Interaction): boolean =>
    term.features.length === 0 ||
    passesFilter(
      {
        order: term.features.length,
        positive: ['raises', 'synergy'].includes(effectKind(explanation.index, term.features.length, term.value)),
        value: term.value,
      },
      largest,
      filter,
    );
  const interactions = explanation.interactions.filter(kept);
  const hiddenTerms = explanation.interactions.length - interactions.length;
  // Nothing left out: the explanation is whole, and a report has nothing to say about filters.
  if (hiddenTerms === 0) return explanation;
  return { ...explanation, interactions, view: { ...filter, hiddenOrders: [...filter.hiddenOrders], hiddenTerms } };
}

/** "3 terms left out by the panel's filters: below 1 % of the largest; order 3; redundancy", or '' without a view. */
export function describeView(explanation: Pick<Explanation, 'view'>): string {
  const view = explanation.view;
  if (!view) return '';
  const reasons = [
    ...(view.minShare > 0 ? [describeMinShare(view.minShare)] : []),
    ...(view.hiddenOrders.length > 0 ? [`order ${view.hiddenOrders.join(', ')}`] : []),
    ...(!view.synergy ? ['synergy and raising spans'] : []),
    ...(!view.redundancy ? ['redundancy and lowering spans'] : []),
  ];
  return `${view.hiddenTerms} term${view.hiddenTerms === 1 ? '' : 's'} left out by the panel's filters${reasons.length > 0 ? `: ${reasons.join('; ')}` : ''}`;
}
