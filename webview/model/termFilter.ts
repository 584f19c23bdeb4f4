import type { Term } from './analysis';
import { passesFilter, type TermFilter } from '../../protocol/termFilter';

export type { TermFilter } from '../../protocol/termFilter';

export const SORT_KEYS = ['strength', 'value', 'order', 'position'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface TermSort {
  readonly key: SortKey;
  readonly descending: boolean;
}

/** The terms the filters let through, in the order given; shares are of the largest |value| among all of `terms`. */
export function filterTerms(terms: readonly Term[], filter: TermFilter): Term[] {
  const largest = terms.reduce((max, term) => Math.max(max, Math.abs(term.value)), 0);
  return terms.filter((term) =>
    passesFilter(
      { order: term.features.length, positive: term.kind === 'synergy' || term.kind === 'raises', value: term.value },
      largest,
      filter,
    ),
  );
}

/**
 * Sorts terms by one key, ties broken by strength and then by position so the order is stable.
 * Strength is |value|; position is the first span's place in the text.
 */
export function sortTerms(terms: readonly Term[], sort: TermSort): Term[] {
  const primary = (term: Term): number => {
    switch (sort.key) {
      case 'strength':
        return Math.abs(term.value);
      case 'value':
        return term.value;
      case 'order':
        return term.features.length;
      case 'position':
        return term.features[0] ?? 0;
    }
  };
  const direction = sort.descending ? -1 : 1;
  return [...terms].sort(
    (a, b) =>
      direction * (primary(a) - primary(b)) ||
      Math.abs(b.value) - Math.abs(a.value) ||
      (a.features[0] ?? 0) - (b.features[0] ?? 0) ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}
