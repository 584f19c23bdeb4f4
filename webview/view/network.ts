import type { Term } from '../model/analysis';
import { h, svg } from '../dom';
import { plural, shorten, signed, spanName } from '../format';
import { NETWORK_SIZES } from '../state';
import { tintOf } from './colourScale';
import { spanTag } from '../../protocol/spanNumbers';

export interface NetworkInput {
  /** Filtered terms, strongest first; those of order ≥ 2 become edges. */
  readonly terms: readonly Term[];
  readonly top: number;
  readonly featureCount: number;
  readonly featureText: (index: number) => string;
  readonly firstOrder: ArrayLike<number>;
  readonly largestFirstOrder: number;
  readonly valueName: string;
  readonly selectedKey: string | undefined;
}

const SIZE = 640;
const CENTRE = SIZE / 2;
const RADIUS = 230;
/** Above this many nodes labels give way to numbers, and above the second to tooltips only. */
const TEXT_LABELS_UP_TO = 40;
const NUMBER_LABELS_UP_TO = 120;

interface Placed {
  readonly x: number;
  readonly y: number;
  readonly angle: number;
}

/**
 * The overview: the top-N interactions as a network. Spans that take part are nodes on a circle in
 * text order (so neighbours in the text are neighbours here), sized and tinted by their first-order
 * value; pairs are chords, higher orders are small hub diamonds with a spoke to each span. Edge width
 * and opacity follow |value|, colour the sign. Only spans in the top N are drawn, which keeps it
 * readable and fast at hundreds of features. Edges are buttons: clicking one (or Enter) selects that
 * interaction, as the list does; clicking a node selects the span.
 */
export class NetworkView {
  private readonly picker: HTMLElementTagNameMap['vscode-single-select'];
  private readonly summary: HTMLElement;
  private readonly figure: SVGSVGElement;
  private edges = new Map<string, SVGGElement>();

  constructor(
    root: HTMLElement,
    private readonly events: { select(features: readonly number[] | undefined): void; top(count: number): void },
  ) {
    this.picker = document.createElement('vscode-single-select');
    this.picker.id = 'network-top';
    this.picker.label = 'Interactions drawn';
    for (const size of NETWORK_SIZES) {
      const option = document.createElement('vscode-option');
      option.value = String(size);
      option.textContent = `Top ${size}`;
      this.picker.append(option);
    }
    this.picker.addEventListener('change', () => this.events.top(Number(this.picker.value)));
    this.summary = h('p', { className: 'network-summary', attributes: { 'aria-live': 'polite' } });
    this.figure = svg('svg', { viewBox: `0 0 ${SIZE} ${SIZE}`, class: 'network', role: 'group', 'aria-label': 'Interaction network' });
    this.figure.addEventListener('click', (event) => this.onClick(event));
    this.figure.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      event.preventDefault();
      this.onClick(event);
    });
    this.figure.addEventListener('mouseover', (event) => this.heat(event.target));
    this.figure.addEventListener('mouseleave', () => this.heat(null));
    root.replaceChildren(
      h(
        'div',
        { className: 'network-controls' },
        h('label', { text: 'Show', attributes: { for: 'network-top' } }),
        this.picker,
        this.summary,
      ),
      h('div', { className: 'network-frame' }, this.figure),
      h('p', {
        className: 'network-legend',
        text: 'Blue chords: synergy; orange: redundancy; width follows |value|. ◆ hubs join three or more spans. Nodes follow the text order clockwise from the top.',
      }),
    );
  }

  render(input: NetworkInput): void {
    this.picker.value = String(input.top);
    const edges = input.terms.filter((term) => term.features.length >= 2).slice(0, input.top);
    const allEdges = input.terms.filter((term) => term.features.length >= 2).length;
    const members = [...new Set(edges.flatMap((term) => term.features))].sort((a, b) => a - b);
    const placed = new Map<number, Placed>();
    members.forEach((feature, rank) => {
      const angle = -Math.PI / 2 + (2 * Math.PI * rank) / Math.max(1, members.length);
      placed.set(feature, { x: CENTRE + RADIUS * Math.cos(angle), y: CENTRE + RADIUS * Math.sin(angle), angle });
    });
    const largest = edges.reduce((max, term) => Math.max(max, Math.abs(term.value)), 0);
    this.summary.textContent =
      edges.length === 0
        ? 'No interactions of order 2 or more pass the filters.'
        : `${plural(edges.length, 'interaction')} of ${allEdges.toLocaleString('en-US')}, among ${members.length} of ${plural(input.featureCount, 'span')}.`;
    const edgeLayer = svg('g', { class: 'edges' });
    this.edges = new Map();
    for (const term of edges) {
      const group = this.edge(term, placed, largest, input);
      this.edges.set(term.key, group);
      edgeLayer.append(group);
    }
    const nodeLayer = svg('g', { class: 'nodes' });
    for (const feature of members) nodeLayer.append(this.node(feature, placed.get(feature) as Placed, members.length, input));
    this.figure.replaceChildren(edgeLayer, nodeLayer);
    this.setSelected(input.selectedKey);
  }

  setSelected(key: string | undefined): void {
    for (const [edgeKey, group] of this.edges) group.classList.toggle('selected', edgeKey === key);
    this.figure.classList.toggle('has-selection', key !== undefined && this.edges.has(key));
  }

  private edge(term: Term, placed: ReadonlyMap<number, Placed>, largest: number, input: NetworkInput): SVGGElement {
    const kind = term.kind;
    const share = largest > 0 ? Math.abs(term.value) / largest : 0;
    const names = term.features.map((feature) => spanName(feature, input.featureText(feature), 30));
    const group = svg('g', {
      class: `edge ${kind}`,
      tabindex: 0,
      role: 'button',
      'data-features': term.features.join(','),
      'aria-label': `${kind} ${signed(term.value)}: ${names.join(' and ')}`,
    });
    group.style.setProperty('--share', share.toFixed(3));
    const points = term.features.map((feature) => placed.get(feature) as Placed);
    let d: string;
    if (points.length === 2) {
      const [a, b] = points as [Placed, Placed];
      // The control point is pulled towards the centre, so chords bow inwards and stay apart.
      const cx = CENTRE + ((a.x + b.x) / 2 - CENTRE) * 0.2;
      const cy = CENTRE + ((a.y + b.y) / 2 - CENTRE) * 0.2;
      d = `M ${a.x.toFixed(1)} ${a.y.toFixed(1)} Q ${cx.toFixed(1)} ${cy.toFixed(1)} ${b.x.toFixed(1)} ${b.y.toFixed(1)}`;
    } else {
      const hx = CENTRE + (points.reduce((sum, p) => sum + p.x, 0) / points.length - CENTRE) * 0.55;
      const hy = CENTRE + (points.reduce((sum, p) => sum + p.y, 0) / points.length - CENTRE) * 0.55;
      d = points.map((p) => `M ${hx.toFixed(1)} ${hy.toFixed(1)} L ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');
      group.append(svg('rect', { x: hx - 5, y: hy - 5, width: 10, height: 10, class: 'hub', transform: `rotate(45 ${hx} ${hy})` }));
    }
    group.prepend(svg('path', { d, class: 'hit' }), svg('path', { d, class: 'line' }));
    group.append(svg('title', {}, `${kind} ${signed(term.value)}\n${names.join('\n')}`));
    return group;
  }

  private node(feature: number, at: Placed, count: number, input: NetworkInput): SVGGElement {
    const value = input.firstOrder[feature] ?? 0;
    const { tone, strength } = tintOf(value, input.largestFirstOrder);
    const group = svg('g', { class: `node ${tone}`, 'data-index': feature });
    group.append(
      svg('circle', { cx: at.x.toFixed(1), cy: at.y.toFixed(1), r: (3.5 + 5 * strength).toFixed(1) }),
      svg('title', {}, `${spanName(feature, input.featureText(feature), 80)}\n${input.valueName} ${signed(value)}`),
    );
    const label =
      count <= TEXT_LABELS_UP_TO
        ? `${spanTag(feature)} ${shorten(input.featureText(feature), 18)}`
        : count <= NUMBER_LABELS_UP_TO
          ? String(feature)
          : '';
    if (label !== '') {
      const degrees = (at.angle * 180) / Math.PI;
      const flip = Math.cos(at.angle) < 0;
      const lx = CENTRE + (RADIUS + 12) * Math.cos(at.angle);
      const ly = CENTRE + (RADIUS + 12) * Math.sin(at.angle);
      group.append(
        svg(
          'text',
          {
            x: lx.toFixed(1),
            y: ly.toFixed(1),
            class: 'label',
            'text-anchor': flip ? 'end' : 'start',
            'dominant-baseline': 'middle',
            transform: `rotate(${(flip ? degrees + 180 : degrees).toFixed(1)} ${lx.toFixed(1)} ${ly.toFixed(1)})`,
          },
          label,
        ),
      );
    }
    return group;
  }

  private onClick(event: Event): void {
    const target = event.target instanceof Element ? event.target : null;
    const edge = target?.closest<SVGGElement>('g.edge');
    if (edge) {
      const features = (edge.dataset.features ?? '').split(',').map(Number);
      this.events.select(edge.classList.contains('selected') ? undefined : features);
      return;
    }
    const node = target?.closest<SVGGElement>('g.node');
    if (node) this.events.select([Number(node.dataset.index)]);
  }

  /** Hovering a node lights up its edges and fades the rest. */
  private heat(target: EventTarget | null): void {
    const node = target instanceof Element ? target.closest<SVGGElement>('g.node') : null;
    const index = node ? Number(node.dataset.index) : undefined;
    this.figure.classList.toggle('has-heat', index !== undefined);
    for (const group of this.edges.values()) {
      const features = (group.dataset.features ?? '').split(',').map(Number);
      group.classList.toggle('hot', index !== undefined && features.includes(index));
    }
  }
}
