import { svg } from '../dom';
import { valuePill } from './valuePill';

/** What the connectors join: the selected interaction's spans and its value (undefined: not in this index). */
export interface ConnectorInput {
  readonly spans: readonly HTMLElement[];
  readonly value: number | undefined;
  /** Synergy or redundancy under the panel's index (a Fourier value's sign alone does not say which). */
  readonly kind: 'synergy' | 'redundancy' | undefined;
}

interface Point {
  readonly x: number;
  readonly y: number;
}

/** A span's first line box: the middle of its top edge, and its bottom. */
interface Anchor extends Point {
  readonly bottom: number;
}

/**
 * Draws the selected interaction over the text, in an SVG layer that scrolls with it: an arc between
 * the two spans of a pair, and for three or more spans a bracket (a hub above them with a leg to each
 * span). The layer ignores the pointer; it is redrawn whenever the text reflows.
 */
export class Connectors {
  private input: ConnectorInput = { spans: [], value: undefined, kind: undefined };

  constructor(
    private readonly layer: SVGSVGElement,
    private readonly stage: HTMLElement,
  ) {
    new ResizeObserver(() => this.draw()).observe(stage);
  }

  show(input: ConnectorInput): void {
    this.input = input;
    this.draw();
  }

  draw(): void {
    const { spans, value, kind } = this.input;
    // Without a selection nothing is read from the layout: reading it would force a reflow of the whole text.
    if (spans.length < 2) {
      this.layer.replaceChildren();
      return;
    }
    const origin = this.stage.getBoundingClientRect();
    this.layer.setAttribute('width', String(this.stage.scrollWidth));
    this.layer.setAttribute('height', String(this.stage.scrollHeight));
    const tone = kind ?? 'neutral';
    const group = svg('g', { class: `connector ${tone}` });
    const anchors = spans
      .map((span) => span.getClientRects()[0])
      .filter((rect): rect is DOMRect => rect !== undefined)
      .map((rect) => ({ x: rect.left - origin.left + rect.width / 2, y: rect.top - origin.top, bottom: rect.bottom - origin.top }))
      .sort((a, b) => a.y - b.y || a.x - b.x);
    if (anchors.length === 2) {
      const [a, b] = anchors as [Anchor, Anchor];
      const sameLine = b.y - a.y < 4;
      let d: string;
      let middle: Point;
      if (sameLine) {
        // On one line: an arc above the line, higher for spans further apart.
        const top = a.y - Math.min(40, 14 + Math.abs(b.x - a.x) / 6);
        d = `M ${a.x} ${a.y} C ${a.x} ${top} ${b.x} ${top} ${b.x} ${b.y}`;
        // The curve's highest point (t = ½) is at ⅛ of the end heights plus ¾ of the control height.
        middle = { x: (a.x + b.x) / 2, y: a.y / 4 + 0.75 * top - 4 };
      } else {
        // On different lines: an S from under the upper span to over the lower one, through the line gaps.
        const bend = Math.max(10, (b.y - a.bottom) / 2);
        d = `M ${a.x} ${a.bottom} C ${a.x} ${a.bottom + bend} ${b.x} ${b.y - bend} ${b.x} ${b.y}`;
        middle = { x: (a.x + b.x) / 2, y: (a.bottom + b.y) / 2 };
      }
      group.append(
        svg('path', { d, class: 'arc' }),
        svg('circle', { cx: a.x, cy: sameLine ? a.y : a.bottom, r: 3, class: 'end' }),
        svg('circle', { cx: b.x, cy: b.y, r: 3, class: 'end' }),
      );
      if (value !== undefined) group.append(valuePill(middle, value, 3));
    } else if (anchors.length > 2) {
      const hub = {
        x: anchors.reduce((sum, point) => sum + point.x, 0) / anchors.length,
        y: Math.min(...anchors.map((point) => point.y)) - 30,
      };
      for (const point of anchors) {
        group.append(svg('path', { d: `M ${hub.x} ${hub.y} Q ${point.x} ${hub.y} ${point.x} ${point.y}`, class: 'arc' }));
        group.append(svg('circle', { cx: point.x, cy: point.y, r: 3, class: 'end' }));
      }
      group.append(
        svg('rect', { x: hub.x - 5, y: hub.y - 5, width: 10, height: 10, class: 'hub', transform: `rotate(45 ${hub.x} ${hub.y})` }),
      );
      if (value !== undefined) group.append(valuePill({ x: hub.x, y: hub.y - 14 }, value, 3));
    }
    this.layer.replaceChildren(group);
  }
}
