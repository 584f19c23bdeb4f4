import type { Term } from '../model/analysis';
import { h, svg } from '../dom';
import { plural, shorten, signed, spanName } from '../format';
import { MATRIX_SIZES } from '../state';
import { tintOf } from './colourScale';
import { spanNumber, spanTag } from '../../protocol/spanNumbers';

export interface MatrixInput {
  /** Filtered terms, strongest first; those of order ≥ 2 are drawn. */
  readonly terms: readonly Term[];
  readonly top: number;
  readonly featureCount: number;
  readonly featureText: (index: number) => string;
  readonly firstOrder: ArrayLike<number>;
  readonly largestFirstOrder: number;
  readonly valueName: string;
  readonly selectedKey: string | undefined;
}

/** Cells never grow past this (a 3-span matrix should not fill the panel) nor shrink below the second. */
const LARGEST_CELL = 32;
const SMALLEST_CELL = 3;
/** Up to this many spans the rows carry text; up to the second, numbers; beyond, the readout names them. */
const TEXT_LABELS_UP_TO = 40;
const NUMBER_LABELS_UP_TO = 160;
const TEXT_LABEL_WIDTH = 176;
const NUMBER_LABEL_WIDTH = 34;
const HEADER_HEIGHT = 20;
/** The smallest gap between two drawn labels, in pixels: closer labels are thinned to every k-th. */
const ROW_LABEL_PITCH = 12;
const COLUMN_LABEL_PITCH = 20;
/** The width used before the tab has been laid out (hidden tabs measure 0). */
const FALLBACK_WIDTH = 480;
const IDLE_READOUT = 'Row and column name a pair: blue is synergy, hatched orange redundancy; the diagonal holds each span alone.';

interface Layout {
  readonly cell: number;
  readonly left: number;
  readonly top: number;
  readonly labels: 'text' | 'numbers' | 'none';
}

/**
 * The overview: the top-N interactions as an adjacency matrix of the spans that take part, in text
 * order down and across, so a row reads "everything this span works with". A pair fills its two
 * mirrored cells, blue and solid for synergy, orange and hatched for redundancy (hue and texture, so
 * the two stay apart without colour), its opacity following |value|; the diagonal holds each span's
 * own value. Interactions of three or more spans cannot be cells and are listed under the matrix. At
 * 10–60 spans this reads better than a node-link drawing: no crossing lines, no labels on a circle,
 * and every label horizontal. The matrix fits the pane's width; cells are buttons (click, Enter),
 * strongest first in the tab order, and pointing at one names the pair in the readout above.
 */
export class MatrixView {
  private readonly picker: HTMLElementTagNameMap['vscode-single-select'];
  private readonly summary: HTMLElement;
  private readonly readout: HTMLElement;
  private readonly figure: SVGSVGElement;
  private readonly higher: HTMLElement;
  private readonly frame: HTMLElement;
  private cells = new Map<string, SVGElement[]>();
  private higherItems = new Map<string, HTMLElement>();
  private rows = new Map<number, SVGTextElement>();
  private described = new Map<string, string>();
  private selectedKey: string | undefined;
  /** What was last drawn and at which width, so a resize (or the tab first shown) can lay it out again. */
  private lastInput: MatrixInput | undefined;
  private laidOutAt = -1;

  constructor(
    root: HTMLElement,
    private readonly events: { select(features: readonly number[] | undefined): void; top(count: number): void },
  ) {
    this.picker = document.createElement('vscode-single-select');
    this.picker.id = 'matrix-top';
    this.picker.label = 'Interactions drawn';
    for (const size of MATRIX_SIZES) {
      const option = document.createElement('vscode-option');
      option.value = String(size);
      option.textContent = `Top ${size}`;
      this.picker.append(option);
    }
    this.picker.addEventListener('change', () => this.events.top(Number(this.picker.value)));
    this.summary = h('p', { className: 'matrix-summary' });
    this.readout = h('p', { className: 'matrix-readout', text: IDLE_READOUT, attributes: { 'aria-live': 'polite' } });
    this.figure = svg('svg', { class: 'matrix', role: 'group', 'aria-label': 'Interaction matrix' });
    this.figure.addEventListener('click', (event) => this.onActivate(event.target));
    this.figure.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      event.preventDefault();
      this.onActivate(event.target);
    });
    this.figure.addEventListener('mouseover', (event) => this.point(event.target));
    this.figure.addEventListener('focusin', (event) => this.point(event.target));
    this.figure.addEventListener('mouseleave', () => this.point(null));
    this.figure.addEventListener('focusout', () => this.point(null));
    this.higher = h('ul', { className: 'matrix-higher', attributes: { 'aria-label': 'Interactions of three or more spans' } });
    this.higher.addEventListener('click', (event) => {
      const item = event.target instanceof Element ? event.target.closest<HTMLElement>('li[data-features]') : null;
      if (item) this.select(item.dataset.features ?? '', item.classList.contains('selected'));
    });
    this.higher.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      const item = event.target instanceof Element ? event.target.closest<HTMLElement>('li[data-features]') : null;
      if (!item) return;
      event.preventDefault();
      this.select(item.dataset.features ?? '', item.classList.contains('selected'));
    });
    this.frame = h('div', { className: 'matrix-frame' }, this.figure);
    // A hidden tab measures 0 wide, and the pane narrows and widens with the panel: lay out again at the new width.
    new ResizeObserver(() => {
      if (this.lastInput && this.frame.clientWidth > 0 && this.frame.clientWidth !== this.laidOutAt)
        this.render({ ...this.lastInput, selectedKey: this.selectedKey });
    }).observe(this.frame);
    root.replaceChildren(
      h(
        'div',
        { className: 'matrix-controls' },
        h('label', { text: 'Show', attributes: { for: 'matrix-top' } }),
        this.picker,
        this.summary,
      ),
      this.readout,
      this.frame,
      this.higher,
    );
  }

  render(input: MatrixInput): void {
    this.lastInput = input;
    this.laidOutAt = this.frame.clientWidth;
    this.picker.value = String(input.top);
    const all = input.terms.filter((term) => term.features.length >= 2);
    const shown = all.slice(0, input.top);
    const pairs = shown.filter((term) => term.features.length === 2);
    const larger = shown.filter((term) => term.features.length > 2);
    const members = [...new Set(shown.flatMap((term) => term.features))].sort((a, b) => a - b);
    const position = new Map(members.map((feature, rank) => [feature, rank]));
    const largest = shown.reduce((max, term) => Math.max(max, Math.abs(term.value)), 0);
    this.summary.textContent =
      shown.length === 0
        ? 'No interactions of order 2 or more pass the filters.'
        : `${plural(shown.length, 'interaction')} of ${all.length.toLocaleString('en-US')}, among ${members.length} of ${plural(input.featureCount, 'span')}.`;
    const layout = this.layoutFor(members);
    const size = members.length * layout.cell;
    const width = layout.left + size;
    const height = layout.top + size;
    this.figure.setAttribute('viewBox', `0 0 ${width} ${height}`);
    this.figure.setAttribute('width', String(width));
    this.figure.setAttribute('height', String(height));
    this.figure.style.display = members.length === 0 ? 'none' : '';
    this.cells = new Map();
    this.described = new Map();
    this.rows = new Map();
    const at = (feature: number): number => (position.get(feature) ?? 0) * layout.cell;

    const defs = svg(
      'defs',
      {},
      svg(
        'pattern',
        { id: 'matrix-hatch', width: 5, height: 5, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
        svg('rect', { width: 5, height: 5, class: 'hatch-ground' }),
        svg('rect', { width: 1.6, height: 5, class: 'hatch-stripe' }),
      ),
    );
    const grid = svg('g', { class: 'grid', transform: `translate(${layout.left} ${layout.top})` });
    grid.append(svg('rect', { width: size, height: size, class: 'ground' }));
    if (layout.cell >= 6) {
      const lines: string[] = [];
      for (let k = 1; k < members.length; k++) lines.push(`M ${k * layout.cell} 0 V ${size} M 0 ${k * layout.cell} H ${size}`);
      grid.append(svg('path', { d: lines.join(' '), class: 'gridlines' }));
    }
    const band = svg('g', { class: 'bands' });
    grid.append(band);
    for (const feature of members) grid.append(this.diagonal(feature, at(feature), layout.cell, input));
    // Strongest first, so Tab walks the pairs in the order the list ranks them.
    for (const term of pairs) {
      const [a, b] = term.features as [number, number];
      const share = largest > 0 ? Math.abs(term.value) / largest : 0;
      const description = this.describe(term, input);
      this.described.set(term.key, description);
      const lower = this.cell(term, at(b), at(a), layout.cell, share, true, description);
      const upper = this.cell(term, at(a), at(b), layout.cell, share, false, description);
      grid.append(lower, upper);
      this.cells.set(term.key, [lower, upper]);
    }
    this.figure.replaceChildren(defs, this.labels(members, layout, input), grid);
    if (layout.labels === 'text') this.fitRowLabels(layout.left - 8);

    this.higherItems = new Map();
    this.higher.replaceChildren(
      ...larger.map((term) => {
        const item = h('li', {
          className: `term ${term.kind}`,
          text: `${term.features.map((feature) => spanTag(feature)).join('+')} ${term.kind} ${signed(term.value)}`,
          title: term.features.map((feature) => spanName(feature, input.featureText(feature), 60)).join('\n'),
          attributes: { tabindex: '0', role: 'button', 'data-features': term.features.join(',') },
        });
        this.higherItems.set(term.key, item);
        return item;
      }),
    );
    this.higher.hidden = larger.length === 0;
    this.higher.dataset.heading = `${plural(larger.length, 'interaction')} of three or more spans:`;
    this.setSelected(input.selectedKey);
  }

  setSelected(key: string | undefined): void {
    this.selectedKey = key;
    const selected = new Set(
      (key ?? '')
        .split(',')
        .filter((part) => part !== '')
        .map(Number),
    );
    for (const [cellKey, cells] of this.cells) for (const cell of cells) cell.classList.toggle('selected', cellKey === key);
    for (const [itemKey, item] of this.higherItems) item.classList.toggle('selected', itemKey === key);
    for (const [feature, label] of this.rows) label.classList.toggle('selected', selected.has(feature));
    this.figure.classList.toggle('has-selection', key !== undefined && (this.cells.has(key) || this.higherItems.has(key)));
    this.point(null);
  }

  /** Cell size and label room that fit the pane's width, so the matrix never scrolls sideways. */
  private layoutFor(members: readonly number[]): Layout {
    const labels = members.length <= TEXT_LABELS_UP_TO ? 'text' : members.length <= NUMBER_LABELS_UP_TO ? 'numbers' : 'none';
    const left = labels === 'text' ? TEXT_LABEL_WIDTH : labels === 'numbers' ? NUMBER_LABEL_WIDTH : 0;
    const top = labels === 'none' ? 0 : HEADER_HEIGHT;
    const available = this.frame.clientWidth > 0 ? this.frame.clientWidth : FALLBACK_WIDTH;
    const fit = Math.floor((available - left - 2) / Math.max(1, members.length));
    return { cell: Math.max(SMALLEST_CELL, Math.min(LARGEST_CELL, fit)), left, top, labels };
  }

  private labels(members: readonly number[], layout: Layout, input: MatrixInput): SVGGElement {
    const group = svg('g', { class: 'labels', 'aria-hidden': 'true' });
    if (layout.labels === 'none') return group;
    const rowStep = Math.ceil(ROW_LABEL_PITCH / layout.cell);
    const columnStep = Math.ceil(COLUMN_LABEL_PITCH / layout.cell);
    members.forEach((feature, rank) => {
      const middle = rank * layout.cell + layout.cell / 2;
      if (rank % rowStep === 0) {
        const text =
          layout.labels === 'text' ? `${spanTag(feature)} ${shorten(input.featureText(feature), 60)}` : String(spanNumber(feature));
        const label = svg(
          'text',
          { x: layout.left - 6, y: layout.top + middle, class: 'row-label', 'text-anchor': 'end', 'dominant-baseline': 'middle' },
          text,
        );
        this.rows.set(feature, label);
        group.append(label);
      }
      if (rank % columnStep === 0)
        group.append(
          svg(
            'text',
            { x: layout.left + middle, y: layout.top - 6, class: 'column-label', 'text-anchor': 'middle' },
            String(spanNumber(feature)),
          ),
        );
    });
    return group;
  }

  /**
   * Shortens each row's text until it fits the label column, measured in the rendered font (an
   * estimate per character clips wide glyphs and wastes room on narrow ones).
   */
  private fitRowLabels(room: number): void {
    for (const label of this.rows.values()) {
      const full = label.textContent ?? '';
      let keep = full.length;
      // A hidden tab measures every text as 0 long; it is fitted again once shown.
      while (keep > 6 && label.getComputedTextLength() > room) {
        keep = Math.max(6, Math.floor(keep * Math.min(0.95, room / label.getComputedTextLength())));
        label.textContent = `${full.slice(0, keep - 1).trimEnd()}…`;
      }
    }
  }

  private diagonal(feature: number, offset: number, cell: number, input: MatrixInput): SVGGElement {
    const value = input.firstOrder[feature] ?? 0;
    const { tone, strength } = tintOf(value, input.largestFirstOrder);
    const description = `${spanName(feature, input.featureText(feature), 60)} alone: ${input.valueName} ${signed(value)}`;
    const group = svg('g', { class: `span ${tone}`, 'data-index': feature, 'data-describe': description });
    group.append(
      svg('rect', { x: offset, y: offset, width: cell, height: cell, class: 'diagonal-hit' }),
      svg('circle', { cx: offset + cell / 2, cy: offset + cell / 2, r: Math.max(1, (cell / 2 - 1) * (0.35 + 0.65 * strength)) }),
    );
    return group;
  }

  private cell(term: Term, x: number, y: number, cell: number, share: number, focusable: boolean, description: string): SVGElement {
    const rect = svg('rect', {
      x,
      y,
      width: cell,
      height: cell,
      class: `cell ${term.kind}`,
      'data-features': term.features.join(','),
      'data-key': term.key,
    });
    rect.style.setProperty('--share', share.toFixed(3));
    if (focusable) {
      rect.setAttribute('tabindex', '0');
      rect.setAttribute('role', 'button');
      rect.setAttribute('aria-label', description);
    } else rect.setAttribute('aria-hidden', 'true');
    return rect;
  }

  private describe(term: Term, input: MatrixInput): string {
    const names = term.features.map((feature) => spanName(feature, input.featureText(feature), 40)).join(' × ');
    return `${names}: ${term.kind} ${signed(term.value)}`;
  }

  private onActivate(target: EventTarget | null): void {
    const element = target instanceof Element ? target : null;
    const cell = element?.closest<SVGElement>('rect.cell');
    if (cell) {
      this.select(cell.dataset.features ?? '', cell.classList.contains('selected'));
      return;
    }
    const span = element?.closest<SVGGElement>('g.span');
    if (span) this.events.select([Number(span.dataset.index)]);
  }

  /** Selecting the selected interaction again clears the selection, as in the list. */
  private select(features: string, wasSelected: boolean): void {
    this.events.select(wasSelected ? undefined : features.split(',').map(Number));
  }

  /** Names what the pointer or focus is on and lights its row and column; nothing: the selection or the key. */
  private point(target: EventTarget | null): void {
    const element = target instanceof Element ? target : null;
    const cell = element?.closest<SVGElement>('rect.cell');
    const span = element?.closest<SVGGElement>('g.span');
    const band = this.figure.querySelector('g.bands');
    band?.replaceChildren();
    if (cell && band) {
      const x = Number(cell.getAttribute('x'));
      const y = Number(cell.getAttribute('y'));
      const width = Number(cell.getAttribute('width'));
      const extent = Number(this.figure.querySelector('rect.ground')?.getAttribute('width') ?? 0);
      band.append(svg('rect', { x: 0, y, width: extent, height: width }), svg('rect', { x, y: 0, width, height: extent }));
    }
    this.readout.textContent =
      (cell ? this.described.get(cell.dataset.key ?? '') : undefined) ??
      span?.dataset.describe ??
      (this.selectedKey !== undefined ? this.described.get(this.selectedKey) : undefined) ??
      IDLE_READOUT;
  }
}
