/**
 * The comparison panel: two versions of a prompt side by side, each span tinted by its total effect
 * on one scale for both (so the same tint means the same effect in A and in B), each marked by what
 * happened to it (removed, added, edited), the spans whose effect changed most called out with the
 * change, and pointing at a span in one version lighting its counterpart in the other. Whether the
 * answers differ is said first. The tables below list every span and interaction with both values.
 */
import { answerAsShown } from '../../protocol/answerText';
import { changeSize, type Comparison, type SpanComparison, type SpanStatus } from '../../protocol/comparison';
import type { ShowComparisonMessage } from '../../protocol/reportView';
import type { Explanation } from '../../protocol/explanation';
import { spanEffects } from '../../protocol/spanEffects';
import { spanTag } from '../../protocol/spanNumbers';
import { verdictOf } from '../../protocol/verdict';
import { h } from '../dom';
import { cell, header } from './table';
import { plain, shorten, signed } from '../format';
import type { ReportHost } from '../reportHost';
import { renderReportToolbar } from './reportToolbar';
import { tintOf } from '../view/colourScale';

/** A change at least this share of the largest effect in either version is called out on the text. */
export const CALLED_OUT_SHARE = 0.1;

export interface ComparisonParts {
  readonly answers: HTMLElement;
  readonly summary: HTMLElement;
  readonly toolbar: HTMLElement;
  readonly notice: HTMLElement;
  readonly labelA: HTMLElement;
  readonly labelB: HTMLElement;
  readonly verdictA: HTMLElement;
  readonly verdictB: HTMLElement;
  readonly textA: HTMLElement;
  readonly textB: HTMLElement;
  readonly spanTable: HTMLTableElement;
  readonly termTable: HTMLTableElement;
}

const STATUS_WORDS: Readonly<Record<SpanStatus, string>> = {
  unchanged: 'unchanged',
  edited: 'edited',
  removed: 'removed in B',
  added: 'added in B',
};

type Side = 'a' | 'b';

export class ComparisonApp {
  /** Per side, the span elements by feature index. */
  private readonly spans: Record<Side, HTMLElement[]> = { a: [], b: [] };
  /** Per side, the comparison entry of each feature. */
  private readonly entries: Record<Side, (SpanComparison | undefined)[]> = { a: [], b: [] };

  constructor(
    private readonly parts: ComparisonParts,
    host: ReportHost,
  ) {
    renderReportToolbar(parts.toolbar, 'showComparison', 'comparison, with both explanations,', host);
    for (const side of ['a', 'b'] as const) {
      const container = side === 'a' ? parts.textA : parts.textB;
      const point = (event: Event): void => this.point(side, indexOf(event.target));
      container.addEventListener('mouseover', point);
      container.addEventListener('focusin', point);
      container.addEventListener('mouseleave', () => this.point(side, undefined));
    }
  }

  /** Draws a report (the page's start-up checks and saves what it is given, see main.ts). */
  render(message: ShowComparisonMessage): void {
    const started = performance.now();
    const { comparison } = message;
    const { parts } = this;
    parts.answers.replaceChildren(...answerLine(comparison));
    parts.answers.classList.toggle('differ', comparison.answers.differ);
    parts.summary.textContent = summaryOf(comparison);
    parts.notice.hidden = !comparison.tooDifferent;
    parts.notice.textContent = comparison.tooDifferent
      ? `The versions share too few spans (${Math.round(comparison.alignedShare * 100)} % lined up) to compare span by span: each is shown as it was explained.`
      : '';
    parts.labelA.textContent = `A · ${message.labelA}`;
    parts.labelB.textContent = `B · ${message.labelB}`;
    parts.verdictA.textContent = verdictLine(comparison.a);
    parts.verdictB.textContent = verdictLine(comparison.b);
    this.entries.a = comparison.a.features.map(() => undefined);
    this.entries.b = comparison.b.features.map(() => undefined);
    for (const entry of comparison.spans) {
      if (entry.a !== undefined) this.entries.a[entry.a] = entry;
      if (entry.b !== undefined) this.entries.b[entry.b] = entry;
    }
    const effectsA = spanEffects(comparison.a, 'shapley');
    const effectsB = spanEffects(comparison.b, 'shapley');
    // One scale for both versions: the same tint is the same effect on either side.
    const largest = Math.max(0, ...effectsA.map(Math.abs), ...effectsB.map(Math.abs));
    this.spans.a = this.renderText('a', parts.textA, comparison.a, effectsA, largest);
    this.spans.b = this.renderText('b', parts.textB, comparison.b, effectsB, largest);
    parts.spanTable.replaceChildren(...spanRows(comparison));
    parts.termTable.replaceChildren(...termRows(comparison));
    performance.measure('spex:render', { start: started });
  }

  private renderText(
    side: Side,
    container: HTMLElement,
    explanation: Explanation,
    effects: readonly number[],
    largest: number,
  ): HTMLElement[] {
    const spans: HTMLElement[] = [];
    const pieces = [
      ...explanation.features.map((feature) => ({ start: feature.start, end: feature.end, index: feature.index })),
      ...explanation.pinned.map((span) => ({ start: span.start, end: span.end, index: undefined })),
    ].sort((a, b) => a.start - b.start);
    const fragment = document.createDocumentFragment();
    let cursor = 0;
    for (const piece of pieces) {
      const start = Math.max(piece.start, cursor);
      if (start > cursor) fragment.append(explanation.text.slice(cursor, start));
      const element = h('span', { text: explanation.text.slice(start, piece.end) });
      if (piece.index === undefined) {
        element.className = 'pinned';
        element.title = 'Pinned: never removed';
      } else {
        const index = piece.index;
        const effect = effects[index] ?? 0;
        const tint = tintOf(effect, largest);
        const entry = this.entries[side][index];
        const status: SpanStatus = entry?.status ?? 'unchanged';
        element.className = `feature ${tint.tone}`;
        element.style.setProperty('--strength', tint.strength.toFixed(3));
        element.dataset.index = String(index);
        element.dataset.status = status;
        element.tabIndex = 0;
        const change = entry?.change ?? null;
        const calledOut = change !== null && largest > 0 && Math.abs(change) >= CALLED_OUT_SHARE * largest;
        if (calledOut || status === 'removed' || status === 'added') element.classList.add('changed');
        element.setAttribute('aria-label', describeSpan(side, index, explanation.text.slice(start, piece.end), effect, entry));
        element.title = describeSpan(side, index, '', effect, entry);
        spans[index] = element;
        fragment.append(element);
        if (calledOut && change !== null)
          fragment.append(h('span', { className: 'delta', text: signed(change, 2), attributes: { 'aria-hidden': 'true' } }));
        cursor = Math.max(cursor, piece.end);
        continue;
      }
      fragment.append(element);
      cursor = Math.max(cursor, piece.end);
    }
    if (cursor < explanation.text.length) fragment.append(explanation.text.slice(cursor));
    container.replaceChildren(fragment);
    return spans;
  }

  /** Lights a span and its counterpart in the other version (or clears both). */
  private point(side: Side, index: number | undefined): void {
    for (const element of [...this.spans.a, ...this.spans.b]) element?.classList.remove('pointed', 'counterpart');
    if (index === undefined) return;
    const entry = this.entries[side][index];
    this.spans[side][index]?.classList.add('pointed');
    const other: Side = side === 'a' ? 'b' : 'a';
    const counterpart = entry?.[other];
    if (counterpart !== undefined) this.spans[other][counterpart]?.classList.add('counterpart');
  }
}

function indexOf(target: EventTarget | null): number | undefined {
  const element = target instanceof HTMLElement ? target.closest<HTMLElement>('.feature') : null;
  const index = element?.dataset.index;
  return index === undefined ? undefined : Number(index);
}

function quoted(answer: string | null, cut: boolean | undefined): string {
  return answer === null ? '(no answer text)' : `“${answerAsShown(answer, cut)}”`;
}

/** Whether the answers differ, said first: the one thing a person changing a prompt must not miss. */
function answerLine(comparison: Comparison): (Node | string)[] {
  const a = quoted(comparison.answers.a, comparison.a.targetCut);
  const b = quoted(comparison.answers.b, comparison.b.targetCut);
  if (comparison.answers.differ) return [h('strong', { text: 'The answers differ.' }), ` A answers ${a}; B answers ${b}.`];
  return [h('strong', { text: 'Both versions give the same answer:' }), ` ${a}.`];
}

function summaryOf(comparison: Comparison): string {
  const count = (status: SpanStatus): number => comparison.spans.filter((entry) => entry.status === status).length;
  const largest = Math.max(
    0,
    ...comparison.spans.map((entry) => Math.abs(entry.valueA ?? 0)),
    ...comparison.spans.map((entry) => Math.abs(entry.valueB ?? 0)),
  );
  const changed = comparison.spans.filter(
    (entry) =>
      entry.status !== 'removed' &&
      entry.status !== 'added' &&
      entry.change !== null &&
      largest > 0 &&
      Math.abs(entry.change) >= CALLED_OUT_SHARE * largest,
  ).length;
  return (
    `A: ${comparison.a.features.length} spans · B: ${comparison.b.features.length} spans · ` +
    `${changed} changed in effect, ${count('edited')} edited, ${count('removed')} removed, ${count('added')} added · ` +
    `${Math.round(comparison.alignedShare * 100)} % lined up`
  );
}

function verdictLine(explanation: Explanation): string {
  const verdict = verdictOf(explanation);
  return `${verdict.short} (${verdict.evidence}) · ${explanation.model}`;
}

function describeSpan(side: Side, index: number, text: string, effect: number, entry: SpanComparison | undefined): string {
  const status = entry?.status ?? 'unchanged';
  const other = side === 'a' ? entry?.b : entry?.a;
  const where = other === undefined ? '' : `; ${spanTag(other)} in ${side === 'a' ? 'B' : 'A'}`;
  const change = entry?.change === null || entry?.change === undefined ? '' : `, change ${signed(entry.change)}`;
  return `${spanTag(index)}${text ? ` ${text}` : ''}: total effect ${plain(effect)} in ${side.toUpperCase()}${change}; ${STATUS_WORDS[status]}${where}`;
}

function value(number: number | null): string {
  return number === null ? '—' : plain(number);
}

/** The largest change first (see changeSize). */
function byChange(a: Parameters<typeof changeSize>[0], b: Parameters<typeof changeSize>[0]): number {
  return changeSize(b) - changeSize(a);
}

/**
 * One column for what the span is (its status, its text in A and, where it differs, in B) and three
 * for the numbers: the text keeps the widest column even in a narrow split.
 */
function spanRows(comparison: Comparison): HTMLElement[] {
  const rows = [...comparison.spans].sort(byChange).map((entry) => {
    const textA = entry.a === undefined ? undefined : `${spanTag(entry.a)} ${shorten(entry.textA ?? '', 60)}`;
    const textB = entry.b === undefined ? undefined : `${spanTag(entry.b)} ${shorten(entry.textB ?? '', 60)}`;
    const sameText = entry.status === 'unchanged' && textA !== undefined;
    return h(
      'tr',
      { attributes: { 'data-status': entry.status } },
      h(
        'td',
        { className: 'span-text' },
        h('div', { className: 'status', text: STATUS_WORDS[entry.status] }),
        ...(textA === undefined ? [] : [h('div', { className: 'text-a', text: textA, ...(entry.textA ? { title: entry.textA } : {}) })]),
        ...(textB === undefined || sameText
          ? []
          : [
              h('div', {
                className: 'text-b',
                text: `${textA === undefined ? '' : '→ '}${textB}`,
                ...(entry.textB ? { title: entry.textB } : {}),
              }),
            ]),
      ),
      cell(value(entry.valueA), 'number'),
      cell(value(entry.valueB), 'number'),
      cell(entry.change === null ? '—' : signed(entry.change), 'number'),
    );
  });
  return [header(['Span', 'Effect in A', 'Effect in B', 'Change']), h('tbody', {}, ...rows)];
}

function termRows(comparison: Comparison): HTMLElement[] {
  const names = (features: readonly number[] | undefined): string => (features ? features.map(spanTag).join(' + ') : '—');
  const rows = [...comparison.interactions].sort(byChange).map((term) => {
    const a = names(term.featuresA);
    const b = names(term.featuresB);
    return h(
      'tr',
      {},
      h(
        'td',
        { className: 'span-text' },
        h('div', { className: 'status', text: term.kind }),
        h('div', { className: 'spans', text: a === b ? a : `${a} → ${b}` }),
      ),
      cell(value(term.valueA), 'number'),
      cell(value(term.valueB), 'number'),
      cell(term.change === null ? '—' : signed(term.change), 'number'),
    );
  });
  return [
    header(['Interaction', 'Value in A', 'Value in B', 'Change']),
    h(
      'tbody',
      {},
      ...(rows.length > 0
        ? rows
        : [h('tr', {}, h('td', { text: 'No interactions of two or more spans in either version.', attributes: { colspan: '4' } }))]),
    ),
  ];
}
