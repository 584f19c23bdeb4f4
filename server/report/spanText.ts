import type { Explanation, Interaction } from '../../protocol/explanation';

/** Each feature's first-order effect under the explanation's index (0 when the index has no singleton term). */
export function firstOrderValues(explanation: Explanation): Float64Array {
  const values = new Float64Array(explanation.features.length);
  for (const term of explanation.interactions) {
    if (term.features.length === 1) values[term.features[0] as number] = term.value;
  }
  return values;
}

/** Synergy (positive) or redundancy (negative) for sets; raises or lowers for single features. */
export function kindOf(term: Interaction): string {
  if (term.features.length === 0) return 'baseline';
  if (term.features.length === 1) return term.value >= 0 ? 'raises' : 'lowers';
  return term.value >= 0 ? 'synergy' : 'redundancy';
}

/** A feature's text on one line, shortened for tables. */
export function shortText(text: string, limit: number): string {
  const oneLine = text.replace(/\s+/gu, ' ').trim();
  return oneLine.length > limit ? `${oneLine.slice(0, limit - 1)}…` : oneLine;
}
