import type { Term } from '../model/analysis';
import type { SortKey, TermSort } from '../model/termFilter';
import { h } from '../dom';
import { plural, signed, spanName } from '../format';
import { describeMinShare } from '../../protocol/termFilter';

/** Rows drawn at most; the filters narrow longer lists. */
export const LIST_LIMIT = 500;

const COLUMNS: readonly { key: SortKey; label: string; title: string }[] = [
  { key: 'order', label: 'Order', title: 'Sort by the number of spans in the interaction' },
  { key: 'strength', label: '|Value|', title: 'Sort by the size of the value' },
  { key: 'value', label: 'Value', title: 'Sort by the signed value: synergy first, or redundancy first' },
  { key: 'position', label: 'Spans', title: 'Sort by where the first span stands in the text' },
];

export interface ListInput {
  readonly terms: readonly Term[];
  /** Terms before filtering, for the count line. */
  readonly total: number;
  readonly sort: TermSort;
  readonly selectedKey: string | undefined;
  readonly featureText: (index: number) => string;
  /** The largest |value| among the terms, the scale of the bars. */
  readonly largest: number;
  /** What the list says when there are no terms at all. */
  readonly emptyText: string;
  /** How many terms the size filter hides, and its share. */
  readonly smallHidden: number;
  readonly minShare: number;
}

/**
 * The interactions as a sortable list (a listbox: one tab stop, arrow keys move, Enter or Space
 * selects, Escape clears). Each row shows the order, the value as a signed bar and number, and the
 * span texts.
 */
export class InteractionList {
  private readonly head: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly note: HTMLElement;
  private rows: HTMLLIElement[] = [];
  private termsShown: readonly Term[] = [];
  private active = 0;

  constructor(
    root: HTMLElement,
    private readonly events: { select(term: Term | undefined): void; sort(key: SortKey): void },
  ) {
    this.head = h('div', { className: 'list-head', attributes: { role: 'group', 'aria-label': 'Sort interactions by' } });
    this.list = h('ul', {
      className: 'interactions',
      attributes: { id: 'interactions', role: 'listbox', 'aria-label': 'Interactions, strongest first' },
    });
    this.note = h('p', { className: 'list-note', attributes: { 'aria-live': 'polite' } });
    root.replaceChildren(this.note, this.head, this.list);
    this.list.addEventListener('click', (event) => {
      const row = this.rowOf(event.target);
      if (row !== undefined) this.choose(row);
    });
    this.list.addEventListener('keydown', (event) => this.onKey(event));
  }

  render(input: ListInput): void {
    const buttons = new Map(
      COLUMNS.map((column) => {
        const active = input.sort.key === column.key;
        const button = h('button', {
          className: `sort${active ? ' active' : ''}`,
          text: `${column.label}${active ? (input.sort.descending ? ' ▼' : ' ▲') : ''}`,
          title: `${column.title}; click again to reverse`,
          attributes: {
            type: 'button',
            'data-sort': column.key,
            'aria-pressed': String(active),
            ...(active ? { 'aria-description': input.sort.descending ? 'descending' : 'ascending' } : {}),
          },
        });
        button.addEventListener('click', () => this.events.sort(column.key));
        return [column.key, button] as const;
      }),
    );
    // |Value| and Value share the middle column, as the bar and the number do in the rows.
    this.head.replaceChildren(
      buttons.get('order') as HTMLElement,
      h('span', { className: 'amount-head' }, buttons.get('strength') as HTMLElement, buttons.get('value') as HTMLElement),
      buttons.get('position') as HTMLElement,
    );
    const shown = input.terms.slice(0, LIST_LIMIT);
    this.termsShown = shown;
    this.note.textContent =
      input.total === 0
        ? input.emptyText
        : `${shown.length < input.terms.length ? `Showing the first ${shown.length} of ` : 'Showing '}${plural(input.terms.length, 'term')}` +
          `${input.terms.length < input.total ? ` (${input.total - input.terms.length} filtered out${input.smallHidden > 0 ? `, ${input.smallHidden} of them ${describeMinShare(input.minShare)}` : ''})` : ''}.`;
    const fragment = document.createDocumentFragment();
    this.rows = shown.map((term, position) => {
      const kind = term.kind;
      const names = term.features.map((feature) => spanName(feature, input.featureText(feature)));
      const bar = h('span', { className: 'bar' });
      bar.style.setProperty('--share', (input.largest > 0 ? Math.abs(term.value) / input.largest : 0).toFixed(3));
      const row = h(
        'li',
        {
          className: `term ${kind}${term.belowNoise ? ' below-noise' : ''}`,
          attributes: {
            role: 'option',
            'aria-selected': 'false',
            'data-features': term.features.join(','),
            'data-value': String(term.value),
            'aria-label': `${kind}, order ${term.features.length}, ${signed(term.value)}${term.belowNoise ? ', within noise' : ''}: ${names.join(' and ')}`,
          },
        },
        h('span', { className: 'order', text: String(term.features.length), title: `Order ${term.features.length}` }),
        h('span', { className: 'amount' }, bar, h('span', { className: 'value', text: signed(term.value) })),
        h(
          'span',
          { className: 'spans' },
          ...names.flatMap((name, i) => [
            ...(i > 0 ? [h('span', { className: 'join', text: ' + ' })] : []),
            h('span', { className: 'chip', text: name }),
          ]),
          ...(term.belowNoise
            ? [h('span', { className: 'noise-tag', text: 'within noise', title: '|value| ≤ the measured noise floor' })]
            : []),
        ),
      );
      row.tabIndex = position === 0 ? 0 : -1;
      fragment.append(row);
      return row;
    });
    this.list.replaceChildren(fragment);
    this.active = 0;
    this.setSelected(input.selectedKey);
  }

  /** Marks the row of the selected term (if it is shown) and makes it the list's tab stop. */
  setSelected(key: string | undefined): void {
    this.rows.forEach((row, position) => {
      const selected = this.termsShown[position]?.key === key;
      row.setAttribute('aria-selected', String(selected));
      row.classList.toggle('selected', selected);
      if (selected) this.setActive(position);
    });
  }

  private choose(position: number): void {
    const term = this.termsShown[position];
    this.setActive(position);
    const selected = this.rows[position]?.getAttribute('aria-selected') === 'true';
    this.events.select(selected ? undefined : term);
  }

  private setActive(position: number): void {
    if (!this.rows[position]) return;
    const previous = this.rows[this.active];
    if (previous) previous.tabIndex = -1;
    (this.rows[position] as HTMLElement).tabIndex = 0;
    this.active = position;
  }

  private rowOf(target: EventTarget | null): number | undefined {
    const row = target instanceof Element ? target.closest('li.term') : null;
    const position = row ? this.rows.indexOf(row as HTMLLIElement) : -1;
    return position >= 0 ? position : undefined;
  }

  private onKey(event: KeyboardEvent): void {
    const position = this.rowOf(event.target);
    if (position === undefined) return;
    const last = this.rows.length - 1;
    const moves: Record<string, number> = {
      ArrowDown: Math.min(last, position + 1),
      ArrowUp: Math.max(0, position - 1),
      Home: 0,
      End: last,
      PageDown: Math.min(last, position + 10),
      PageUp: Math.max(0, position - 10),
    };
    const target = moves[event.key];
    if (target !== undefined) {
      event.preventDefault();
      this.setActive(target);
      this.rows[target]?.focus();
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.choose(position);
    } else if (event.key === 'Escape') {
      this.events.select(undefined);
    }
  }
}
