import type { BatchResult } from '../../protocol/batch';
import { signed } from '../../protocol/numberFormat';
import { spanTag } from '../../protocol/spanNumbers';
import { renderHtml, renderMarkdown, type Report } from './sections';
import { shortText } from './spanText';

/**
 * A template over a data set: which of the template's spans matter across the inputs (mean total
 * effect, spread, range, how often in a top interaction), the interactions that recur, and the
 * inputs under which the template behaves differently.
 */
function batchReport(result: BatchResult): Report {
  const { aggregate } = result;
  const explained = result.inputs.length;
  const used = explained - aggregate.withoutFindings.length;
  const skipped =
    result.skipped.length > 0
      ? `, ${result.skipped.length} skipped (line${result.skipped.length === 1 ? '' : 's'} ${result.skipped.map((entry) => entry.line).join(', ')})`
      : '';
  const without =
    aggregate.withoutFindings.length > 0
      ? ` (the fit does not capture the model for line${aggregate.withoutFindings.length === 1 ? '' : 's'} ${aggregate.withoutFindings.map((input) => result.inputs[input]?.line).join(', ')}, left out of the figures)`
      : '';
  const ranked = [...aggregate.spans].sort((a, b) => Math.abs(b.mean) - Math.abs(a.mean));
  return {
    title: 'SPEX: a template across its inputs',
    sections: [
      {
        list: [
          [
            `Template: ${result.template.placeholders.map((name) => `{{${name}}}`).join(', ')}; ${result.spans} spans at ${result.granularity} granularity (the inputs' text is pinned)`,
          ],
          [`Inputs: ${explained} explained${skipped}; ${used} with findings${without}`],
          [`Calls: ${result.calls.model} model, ${result.calls.cached} cached (a rerun after a stop reuses every stored call)`],
        ],
      },
      {
        heading: 'Spans across the inputs',
        lines: [
          [
            'Total effect (Shapley value) of each span of the template, over the inputs; "in top" counts the inputs where the span is part of one of their five strongest interactions.',
          ],
        ],
        table: {
          headers: ['Span', 'Mean', 'Spread', 'Range', 'In top', 'Text'],
          align: 'lrrlrl',
          rows: ranked.map((span) => [
            [spanTag(span.index)],
            [signed(span.mean)],
            [span.spread.toPrecision(3)],
            [`${signed(span.min)} … ${signed(span.max)}`],
            [`${span.inTopInteractions} of ${used}`],
            [{ prompt: shortText(span.text, 80) }],
          ]),
        },
      },
      aggregate.interactions.length === 0
        ? { heading: 'Interactions that recur', lines: [['No interaction is among the five strongest for two inputs or more.']] }
        : {
            heading: 'Interactions that recur',
            table: {
              headers: ['Spans', 'Kind', 'Inputs', 'Mean value'],
              align: 'llrr',
              rows: aggregate.interactions.map((term) => [
                [term.features.map(spanTag).join('+')],
                [term.kind],
                [`${term.inputs} of ${used}`],
                [signed(term.mean)],
              ]),
            },
          },
      aggregate.outliers.length === 0
        ? {
            heading: 'Inputs where the template behaves differently',
            lines: [[used < 3 ? 'Too few inputs to tell (three or more are needed).' : 'None: every input is near the others.']],
          }
        : {
            heading: 'Inputs where the template behaves differently',
            list: aggregate.outliers.map((outlier) => [
              `Line ${outlier.line}: ${spanTag(outlier.span)} “`,
              { prompt: shortText(aggregate.spans[outlier.span]?.text ?? '', 60) },
              `” ${signed(outlier.difference)} from its mean (distance ${outlier.distance.toPrecision(3)} over all spans)`,
            ]),
          },
    ],
  };
}

export function formatBatchMarkdown(result: BatchResult): string {
  return renderMarkdown(batchReport(result));
}

export function formatBatchHtml(result: BatchResult): string {
  return renderHtml(batchReport(result));
}

/** One row per span of the template: `span,mean,spread,min,max,in_top,text` (text made formula-safe). */
export function formatBatchCsv(result: BatchResult): string {
  const cell = (text: string): string => {
    const safe = /^[=+\-@\t\r]/u.test(text) ? `'${text}` : text;
    return /[",\r\n]/u.test(safe) ? `"${safe.replace(/"/gu, '""')}"` : safe;
  };
  const rows = ['span,mean,spread,min,max,in_top,text'];
  for (const span of result.aggregate.spans)
    rows.push([span.index + 1, span.mean, span.spread, span.min, span.max, span.inTopInteractions, cell(span.text)].join(','));
  return `${rows.join('\r\n')}\r\n`;
}
