import { signed } from '../../protocol/numberFormat';
import { spanTag } from '../../protocol/spanNumbers';
import type { BatchResult } from '../../protocol/batch';
import { escapeMarkdown } from './markdown';
import { shortText } from './spanText';

/**
 * A template over a data set, as Markdown: which of the template's spans matter across the inputs
 * (mean total effect, spread, range, how often in a top interaction), the interactions that recur,
 * and the inputs under which the template behaves differently.
 */
export function formatBatchMarkdown(result: BatchResult): string {
  const { aggregate } = result;
  const explained = result.inputs.length;
  const used = explained - aggregate.withoutFindings.length;
  const lines = [
    '# SPEX: a template across its inputs',
    '',
    `- Template: ${result.template.placeholders.map((name) => `{{${name}}}`).join(', ')}; ${result.spans} spans at ${result.granularity} granularity (the inputs' text is pinned)`,
    `- Inputs: ${explained} explained${result.skipped.length > 0 ? `, ${result.skipped.length} skipped (line${result.skipped.length === 1 ? '' : 's'} ${result.skipped.map((entry) => entry.line).join(', ')})` : ''}; ${used} with findings${aggregate.withoutFindings.length > 0 ? ` (the fit does not capture the model for line${aggregate.withoutFindings.length === 1 ? '' : 's'} ${aggregate.withoutFindings.map((input) => result.inputs[input]?.line).join(', ')}, left out of the figures)` : ''}`,
    `- Calls: ${result.calls.model} model, ${result.calls.cached} cached (a rerun after a stop reuses every stored call)`,
    '',
    '## Spans across the inputs',
    '',
    'Total effect (Shapley value) of each span of the template, over the inputs; "in top" counts the inputs where the span is part of one of their five strongest interactions.',
    '',
    '| Span | Mean | Spread | Range | In top | Text |',
    '|---|---:|---:|---|---:|---|',
  ];
  const ranked = [...aggregate.spans].sort((a, b) => Math.abs(b.mean) - Math.abs(a.mean));
  for (const span of ranked) {
    lines.push(
      `| ${spanTag(span.index)} | ${signed(span.mean)} | ${span.spread.toPrecision(3)} | ${signed(span.min)} … ${signed(span.max)} | ${span.inTopInteractions} of ${used} | ${escapeMarkdown(shortText(span.text, 80))} |`,
    );
  }
  lines.push('', '## Interactions that recur', '');
  if (aggregate.interactions.length === 0) lines.push('No interaction is among the five strongest for two inputs or more.');
  else {
    lines.push('| Spans | Kind | Inputs | Mean value |', '|---|---|---:|---:|');
    for (const term of aggregate.interactions)
      lines.push(`| ${term.features.map(spanTag).join('+')} | ${term.kind} | ${term.inputs} of ${used} | ${signed(term.mean)} |`);
  }
  lines.push('', '## Inputs where the template behaves differently', '');
  if (aggregate.outliers.length === 0)
    lines.push(used < 3 ? 'Too few inputs to tell (three or more are needed).' : 'None: every input is near the others.');
  else {
    for (const outlier of aggregate.outliers) {
      lines.push(
        `- Line ${outlier.line}: ${spanTag(outlier.span)} “${escapeMarkdown(shortText(aggregate.spans[outlier.span]?.text ?? '', 60))}” ${signed(outlier.difference)} from its mean (distance ${outlier.distance.toPrecision(3)} over all spans)`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
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
