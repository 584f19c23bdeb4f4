import { answerAsShown } from '../../protocol/answerText';
import { explanationGist } from '../../protocol/gist';
import { signed } from '../../protocol/numberFormat';
import { spanTag } from '../../protocol/spanNumbers';
import { describeVerdict, verdictOf } from '../../protocol/verdict';
import type { Comparison, InteractionComparison, SpanComparison } from '../compare/compareExplanations';
import { escapeMarkdown } from './markdown';
import { shortText } from './spanText';

const STATUS_WORDS: Readonly<Record<SpanComparison['status'], string>> = {
  unchanged: 'unchanged',
  edited: 'edited',
  removed: 'removed in B',
  added: 'added in B',
};

const value = (number: number | null): string => (number === null ? '—' : signed(number));

/** "[3]" in A, "[4]" in B: a span's numbers in the versions it is in. */
function spanNumbers(span: { readonly a?: number; readonly b?: number }): string {
  return `${span.a === undefined ? '—' : spanTag(span.a)} → ${span.b === undefined ? '—' : spanTag(span.b)}`;
}

function setNumbers(features: readonly number[] | undefined): string {
  return features ? features.map(spanTag).join('+') : '—';
}

/**
 * Two versions of a prompt compared, as Markdown: whether the answers differ first, then each
 * version's verdict and gist, the spans lined up with their total effect in A, in B and the change
 * (the spans that changed most first), and the strongest interactions of either version in both.
 */
export function formatComparisonMarkdown(comparison: Comparison): string {
  const { a, b } = comparison;
  const lines: string[] = ['# SPEX comparison', ''];
  const answer = (text: string | null, cut: boolean | undefined): string =>
    text === null ? '(no answer text)' : `“${escapeMarkdown(shortText(answerAsShown(text, cut), 160))}”`;
  lines.push(
    comparison.answers.differ
      ? `**The answers differ.** A: ${answer(a.target, a.targetCut)} · B: ${answer(b.target, b.targetCut)}`
      : `**Both versions give the same answer:** ${answer(a.target, a.targetCut)}`,
    '',
    `- A: ${escapeMarkdown(describeVerdict(verdictOf(a)))}. ${escapeMarkdown(explanationGist(a))}`,
    `- B: ${escapeMarkdown(describeVerdict(verdictOf(b)))}. ${escapeMarkdown(explanationGist(b))}`,
    a.model === b.model ? `- Model: ${escapeMarkdown(a.model)}` : `- Models: A ${escapeMarkdown(a.model)} · B ${escapeMarkdown(b.model)}`,
    `- Index: ${comparison.index}, order ≤ ${comparison.order}; span values are total effects (Shapley values).`,
  );
  if (comparison.tooDifferent) {
    lines.push(
      '',
      `The two versions share ${Math.round(comparison.alignedShare * 100)} % of their spans: too different to compare span by span. ` +
        'Each explanation is above in one sentence; explain them one at a time for the details.',
    );
    return `${lines.join('\n')}\n`;
  }
  const changed = [...comparison.spans].sort((x, y) => weight(y) - weight(x));
  lines.push('', '## Spans', '', '| A → B | Status | Text | Value in A | Value in B | Change |', '|---|---|---|---:|---:|---:|');
  for (const span of changed) {
    const text =
      span.status === 'edited'
        ? `${escapeMarkdown(shortText(span.textA ?? '', 60))} → ${escapeMarkdown(shortText(span.textB ?? '', 60))}`
        : escapeMarkdown(shortText(span.textA ?? span.textB ?? '', 90));
    lines.push(
      `| ${spanNumbers(span)} | ${STATUS_WORDS[span.status]} | ${text} | ${value(span.valueA)} | ${value(span.valueB)} | ${value(span.change)} |`,
    );
  }
  lines.push('', '## Interactions', '');
  if (comparison.interactions.length === 0) lines.push('Neither version has an interaction of two or more spans.');
  else {
    lines.push('| Spans in A | Spans in B | Kind | Value in A | Value in B | Change |', '|---|---|---|---:|---:|---:|');
    for (const term of comparison.interactions) lines.push(interactionRow(term));
  }
  return `${lines.join('\n')}\n`;
}

function interactionRow(term: InteractionComparison): string {
  return `| ${setNumbers(term.featuresA)} | ${setNumbers(term.featuresB)} | ${term.kind} | ${value(term.valueA)} | ${value(term.valueB)} | ${value(term.change)} |`;
}

/** Spans that changed most first; a span in one version only ranks by its effect there. */
function weight(span: SpanComparison): number {
  return span.change === null ? Math.max(Math.abs(span.valueA ?? 0), Math.abs(span.valueB ?? 0)) : Math.abs(span.change);
}
