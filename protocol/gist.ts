import { effectKind } from './effects';
import type { Explanation } from './explanation';
import { spanTag } from './spanNumbers';
import { hasFindings, verdictOf } from './verdict';
import { spanEffects } from './spanEffects';

/** A span or interaction is named in the gist only from this share of the largest effect of its kind on. */
const NAMED_SHARE = 0.25;

/**
 * The explanation in one plain sentence, for the top of the panel, the editor's lens and the report:
 * "The answer depends mostly on [2] and on [1]+[3] together; [5] pulls against it." It names the spans
 * with the largest total effects (Shapley values, from the expansion; the index's own first-order
 * values without one), the strongest synergy and redundancy, and the span that lowers the value most,
 * each only where it carries at least a quarter of the largest effect of its kind. A fit without
 * findings says so instead.
 */
export function explanationGist(explanation: Explanation): string {
  const verdict = verdictOf(explanation);
  if (!hasFindings(verdict)) return "The fit does not capture the model's behaviour, so nothing here is a finding.";
  const subject = explanation.target === null ? 'The value' : 'The answer';
  const effects = spanEffects(explanation, 'shapley');
  const largest = effects.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  if (!(largest > 0)) return `${subject} does not depend on any span.`;
  const byEffect = effects.map((value, index) => ({ index, value })).sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  const lowering = byEffect.filter((entry) => entry.value <= -NAMED_SHARE * largest).slice(0, 1);
  const sets = explanation.interactions
    .filter((term) => term.features.length >= 2 && !term.belowNoise)
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  const largestSet = Math.abs(sets[0]?.value ?? 0);
  const strong = sets.filter((term) => Math.abs(term.value) >= NAMED_SHARE * Math.max(largestSet, largest));
  const synergy = strong.find((term) => effectKind(explanation.index, term.features.length, term.value) === 'synergy');
  const redundancy = strong.find((term) => effectKind(explanation.index, term.features.length, term.value) === 'redundancy');
  const joined = (features: readonly number[]): string => features.map(spanTag).join('+');
  // A span named in the synergy is not named again on its own: its total effect is mostly the pair's.
  const raising = byEffect
    .filter((entry) => entry.value >= NAMED_SHARE * largest && !(synergy?.features.includes(entry.index) ?? false))
    .slice(0, 2);
  const clauses: string[] = [];
  const drivers = raising.map((entry) => spanTag(entry.index));
  if (drivers.length > 0 || synergy) {
    const together = synergy ? `${joined(synergy.features)} together` : '';
    // "on [2] and on [1]+[3] together", but "on [2] and [4], and on [1]+[3] together": the comma keeps the pair apart.
    const objects =
      drivers.length === 0
        ? together
        : !synergy
          ? drivers.join(' and ')
          : `${drivers.join(' and ')}${drivers.length > 1 ? ',' : ''} and on ${together}`;
    clauses.push(`${subject} depends mostly on ${objects}`);
  } else clauses.push(`No span raises ${subject.toLowerCase()} by much`);
  if (redundancy) clauses.push(`${joined(redundancy.features)} stand in for each other`);
  if (lowering[0]) clauses.push(`${spanTag(lowering[0].index)} pulls against it`);
  return `${clauses.join('; ')}.`;
}
