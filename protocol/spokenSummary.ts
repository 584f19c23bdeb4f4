import { effectKind } from './effects';
import type { Explanation } from './explanation';
import { explanationGist } from './gist';
import { signed } from './numberFormat';
import { spanTag } from './spanNumbers';
import { hasFindings, verdictOf } from './verdict';

/** How many interactions a screen reader hears: the few that matter, not the list the eye can scan. */
const SPOKEN_INTERACTIONS = 3;

/**
 * What a screen reader says when an explanation arrives: the verdict, the one-sentence gist and the
 * strongest interactions, each with its spans, kind and value ("[1] and [3]: synergy +2.00"). The
 * panel's live region and the status bar's accessible label read it; the eye gets the same from the
 * header, the tints and the arcs.
 */
export function spokenSummary(explanation: Explanation): string {
  const verdict = verdictOf(explanation);
  const parts = [`SPEX explanation${explanation.partial === true ? ' so far' : ''}: ${verdict.label}.`, explanationGist(explanation)];
  if (hasFindings(verdict)) {
    const strongest = explanation.interactions
      .filter((term) => term.features.length >= 2 && !term.belowNoise)
      .sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
      .slice(0, SPOKEN_INTERACTIONS);
    if (strongest.length > 0) {
      const said = strongest.map(
        (term) =>
          `${term.features.map(spanTag).join(' and ')}: ${effectKind(explanation.index, term.features.length, term.value)} ${signed(term.value)}`,
      );
      parts.push(`Strongest interaction${strongest.length === 1 ? '' : 's'}: ${said.join('; ')}.`);
    } else parts.push('No interactions between spans.');
  }
  return parts.join(' ');
}
