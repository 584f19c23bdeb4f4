import type { Comparison, InteractionComparison, SpanComparison } from '../../protocol/comparison';
import { answerAsShown } from '../../protocol/answerText';
import { explanationGist } from '../../protocol/gist';
import { signed } from '../../protocol/numberFormat';
import { spanTag } from '../../protocol/spanNumbers';
import { describeVerdict, verdictOf } from '../../protocol/verdict';
import { renderHtml, renderMarkdown, type Line, type Report, type Section } from './sections';
import { shortText } from './spanText';

const STATUS_WORDS: Readonly<Record<SpanComparison['status'], string>> = {
  unchanged: 'unchanged',
  edited: 'edited',
  removed: 'removed in B',
  added: 'added in B',
};

const value = (number: number | null): string => (number === null ? '—' : signed(number));

/** "[3] → [4]": a span's numbers in the versions it is in. */
function spanNumbers(span: { readonly a?: number; readonly b?: number }): string {
  return `${span.a === undefined ? '—' : spanTag(span.a)} → ${span.b === undefined ? '—' : spanTag(span.b)}`;
}

function setNumbers(features: readonly number[] | undefined): string {
  return features ? features.map(spanTag).join('+') : '—';
}

/** Spans that changed most first; a span in one version only ranks by its effect there. */
function weight(span: SpanComparison): number {
  return span.change === null ? Math.max(Math.abs(span.valueA ?? 0), Math.abs(span.valueB ?? 0)) : Math.abs(span.change);
}

function spanText(span: SpanComparison): Line {
  return span.status === 'edited'
    ? [{ prompt: shortText(span.textA ?? '', 60) }, ' → ', { prompt: shortText(span.textB ?? '', 60) }]
    : [{ prompt: shortText(span.textA ?? span.textB ?? '', 90) }];
}

function interactionRow(term: InteractionComparison): Line[] {
  return [
    [setNumbers(term.featuresA)],
    [setNumbers(term.featuresB)],
    [term.kind],
    [value(term.valueA)],
    [value(term.valueB)],
    [value(term.change)],
  ];
}

/**
 * Two versions of a prompt compared: whether the answers differ first, then each version's verdict and
 * gist, the spans lined up with their total effect in A, in B and the change (the spans that changed
 * most first), and the strongest interactions of either version in both.
 */
function comparisonReport(comparison: Comparison): Report {
  const { a, b } = comparison;
  const answer = (text: string | null, cut: boolean | undefined): Line =>
    text === null ? ['(no answer text)'] : ['“', { prompt: shortText(answerAsShown(text, cut), 160) }, '”'];
  const summary: Section = {
    lines: [
      comparison.answers.differ
        ? [{ strong: 'The answers differ.' }, ' A: ', ...answer(a.target, a.targetCut), ' · B: ', ...answer(b.target, b.targetCut)]
        : [{ strong: 'Both versions give the same answer:' }, ' ', ...answer(a.target, a.targetCut)],
    ],
    list: [
      ['A: ', { prompt: describeVerdict(verdictOf(a)) }, '. ', { prompt: explanationGist(a) }],
      ['B: ', { prompt: describeVerdict(verdictOf(b)) }, '. ', { prompt: explanationGist(b) }],
      a.model === b.model ? ['Model: ', { prompt: a.model }] : ['Models: A ', { prompt: a.model }, ' · B ', { prompt: b.model }],
      [`Index: ${comparison.index}, order ≤ ${comparison.order}; span values are total effects (Shapley values).`],
    ],
  };
  if (comparison.tooDifferent) {
    return {
      title: 'SPEX comparison',
      sections: [
        summary,
        {
          lines: [
            [
              `The two versions share ${Math.round(comparison.alignedShare * 100)} % of their spans: too different to compare span by span. ` +
                'Each explanation is above in one sentence; explain them one at a time for the details.',
            ],
          ],
        },
      ],
    };
  }
  const changed = [...comparison.spans].sort((x, y) => weight(y) - weight(x));
  return {
    title: 'SPEX comparison',
    sections: [
      summary,
      {
        heading: 'Spans',
        table: {
          headers: ['A → B', 'Status', 'Text', 'Value in A', 'Value in B', 'Change'],
          align: 'lllrrr',
          rows: changed.map((span) => [
            [spanNumbers(span)],
            [STATUS_WORDS[span.status]],
            spanText(span),
            [value(span.valueA)],
            [value(span.valueB)],
            [value(span.change)],
          ]),
        },
      },
      comparison.interactions.length === 0
        ? { heading: 'Interactions', lines: [['Neither version has an interaction of two or more spans.']] }
        : {
            heading: 'Interactions',
            table: {
              headers: ['Spans in A', 'Spans in B', 'Kind', 'Value in A', 'Value in B', 'Change'],
              align: 'lllrrr',
              rows: comparison.interactions.map(interactionRow),
            },
          },
    ],
  };
}

export function formatComparisonMarkdown(comparison: Comparison): string {
  return renderMarkdown(comparisonReport(comparison));
}

export function formatComparisonHtml(comparison: Comparison): string {
  return renderHtml(comparisonReport(comparison));
}
