/**
 * The batch panel: a template explained over a data set, as a table of the template's spans across
 * the inputs. Each row names the span (tinted by its mean total effect), gives the mean, spread,
 * range and how often it is in a top interaction, and draws a strip with one cell per input, tinted
 * by the span's effect under that input on one scale for the whole table, so a line that matters
 * for some inputs and not others shows at a glance. A cell, or an outlier's row, opens that input's
 * explanation in the explanation panel. Recurring interactions and outlying inputs follow.
 */
import type { BatchResult } from '../../protocol/batch';
import type { ShowBatchMessage } from '../../protocol/reportView';
import { spanEffects } from '../../protocol/spanEffects';
import { spanTag } from '../../protocol/spanNumbers';
import { h } from '../dom';
import { cell, header } from './table';
import { plain, plural, shorten, signed } from '../format';
import type { ReportHost } from '../reportHost';
import { tintOf } from '../view/colourScale';
import { renderReportToolbar } from './reportToolbar';

export interface BatchParts {
  readonly summary: HTMLElement;
  readonly toolbar: HTMLElement;
  readonly notice: HTMLElement;
  readonly spanTable: HTMLTableElement;
  readonly termTable: HTMLTableElement;
  readonly outlierTable: HTMLTableElement;
}

export class BatchApp {
  constructor(
    private readonly parts: BatchParts,
    host: ReportHost,
  ) {
    renderReportToolbar(parts.toolbar, 'showBatch', 'aggregate, with every input’s explanation,', host);
    // One listener for every cell and outlier row: each carries the input it opens.
    const open = (event: Event): void => {
      const target = event.target instanceof HTMLElement ? event.target.closest<HTMLElement>('[data-input]') : null;
      if (target?.dataset.input !== undefined) host.post({ type: 'showInput', input: Number(target.dataset.input) });
    };
    parts.spanTable.addEventListener('click', open);
    parts.outlierTable.addEventListener('click', open);
  }

  /** Draws a report (the page's start-up checks and saves what it is given, see main.ts). */
  render(message: ShowBatchMessage): void {
    const started = performance.now();
    const { batch } = message;
    const { parts } = this;
    const count = batch.inputs.length;
    parts.summary.textContent =
      `${message.template} over ${message.inputs}: ${plural(count, 'input')} explained` +
      `${batch.skipped.length > 0 ? ` (${plural(batch.skipped.length, 'line')} skipped)` : ''} · ` +
      `${plural(batch.spans, 'template span')} · ${batch.calls.model.toLocaleString('en-US')} model calls, ` +
      `${batch.calls.cached.toLocaleString('en-US')} cached`;
    const left = batch.aggregate.withoutFindings;
    const skipped = batch.skipped.map((entry) => `line ${entry.line}: ${entry.reason}`);
    parts.notice.hidden = left.length === 0 && skipped.length === 0;
    parts.notice.textContent = [
      left.length > 0
        ? `${plural(left.length, 'input')} whose fit does not capture the model ${left.length === 1 ? 'is' : 'are'} left out of the figures (${left
            .map((input) => `line ${batch.inputs[input]?.line ?? '?'}`)
            .join(', ')}).`
        : '',
      skipped.length > 0 ? `Skipped: ${skipped.slice(0, 5).join('; ')}${skipped.length > 5 ? '; …' : ''}.` : '',
    ]
      .filter((sentence) => sentence !== '')
      .join(' ');
    parts.spanTable.replaceChildren(...spanRows(batch));
    parts.termTable.replaceChildren(...termRows(batch));
    parts.outlierTable.replaceChildren(...outlierRows(batch));
    performance.measure('spex:render', { start: started });
  }
}

/** The template's text of span `index` (the same in every input: the template's own spans). */
function spanText(batch: BatchResult, index: number): string {
  return batch.aggregate.spans.find((span) => span.index === index)?.text ?? batch.inputs[0]?.explanation.features[index]?.text ?? '';
}

function spanRows(batch: BatchResult): HTMLElement[] {
  const effects = batch.inputs.map((entry) => spanEffects(entry.explanation, 'shapley'));
  const left = new Set(batch.aggregate.withoutFindings);
  // One scale for the strip: the largest effect of any span under any input that fits.
  const largest = Math.max(0, ...effects.flatMap((values, input) => (left.has(input) ? [] : values.map(Math.abs))));
  const largestMean = Math.max(0, ...batch.aggregate.spans.map((span) => Math.abs(span.mean)));
  const rows = batch.aggregate.spans.map((span) => {
    const tint = tintOf(span.mean, largestMean);
    const name = h('span', { className: `feature ${tint.tone}`, text: shorten(span.text, 80), title: span.text });
    name.style.setProperty('--strength', tint.strength.toFixed(3));
    const strip = h('div', {
      className: 'strip',
      attributes: { role: 'group', 'aria-label': `${spanTag(span.index)} under each input` },
    });
    batch.inputs.forEach((entry, input) => {
      const value = effects[input]?.[span.index] ?? 0;
      const noFit = left.has(input);
      const cellTint = tintOf(value, largest);
      const label = `line ${entry.line}: ${noFit ? 'the fit does not capture the model' : signed(value)}; open this input's explanation`;
      const button = h('button', {
        className: `strip-cell ${noFit ? 'no-fit' : cellTint.tone}`,
        title: label,
        attributes: { 'aria-label': label, 'data-input': String(input), type: 'button' },
      });
      button.style.setProperty('--strength', cellTint.strength.toFixed(3));
      strip.append(button);
    });
    return h(
      'tr',
      { attributes: { 'data-span': String(span.index) } },
      // The strip sits under the span's text: the text keeps the widest column, even at a narrow split.
      h('td', { className: 'span-text' }, h('div', {}, h('span', { className: 'span-tag', text: `${spanTag(span.index)} ` }), name), strip),
      cell(`${plain(span.mean)} ± ${plain(span.spread)}`, 'number range'),
      cell(`${plain(span.min)} … ${plain(span.max)}`, 'number range'),
      cell(
        `${span.inTopInteractions} of ${batch.inputs.length - left.size}`,
        'number',
        'Inputs in which the span is part of one of the five strongest interactions',
      ),
    );
  });
  return [header(['Span, and its effect under each input', 'Mean ± spread', 'Range', 'In top']), h('tbody', {}, ...rows)];
}

function termRows(batch: BatchResult): HTMLElement[] {
  const rows = batch.aggregate.interactions.map((term) =>
    h(
      'tr',
      {},
      cell(term.kind, 'status'),
      cell(term.features.map((index) => `${spanTag(index)} ${shorten(spanText(batch, index), 30)}`).join(' + '), 'span-text'),
      cell(`${term.inputs} of ${batch.inputs.length}`, 'number'),
      cell(plain(term.mean), 'number'),
    ),
  );
  return [
    header(['Kind', 'Spans', 'Inputs', 'Mean']),
    h(
      'tbody',
      {},
      ...(rows.length > 0
        ? rows
        : [h('tr', {}, h('td', { text: 'No interaction is among the strongest for two inputs or more.', attributes: { colspan: '4' } }))]),
    ),
  ];
}

function outlierRows(batch: BatchResult): HTMLElement[] {
  const rows = batch.aggregate.outliers.map((outlier) =>
    h(
      'tr',
      {},
      cell(`line ${outlier.line}`),
      cell(plain(outlier.distance), 'number'),
      cell(`${spanTag(outlier.span)} ${shorten(spanText(batch, outlier.span), 40)}`, 'span-text'),
      cell(signed(outlier.difference), 'number'),
      h(
        'td',
        {},
        h('button', {
          className: 'link-button',
          text: 'Open',
          attributes: { type: 'button', 'data-input': String(outlier.input), 'aria-label': `Open the explanation of line ${outlier.line}` },
        }),
      ),
    ),
  );
  return [
    header(['Input', 'Distance', 'Span that differs most', 'By', '']),
    h(
      'tbody',
      {},
      ...(rows.length > 0 ? rows : [h('tr', {}, h('td', { text: 'No input behaves unlike the others.', attributes: { colspan: '5' } }))]),
    ),
  ];
}
