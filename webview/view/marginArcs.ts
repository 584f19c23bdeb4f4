import type { Term } from '../model/analysis';
import { svg } from '../dom';
import { valuePill } from './valuePill';

/** The margin left of the text the arcs are drawn in, in CSS pixels. */
export const ARC_MARGIN = 44;
/** How many of the strongest interactions the margin can show (0: none). */
export const ARC_COUNTS = [0, 3, 5, 10, 20] as const;
export const DEFAULT_ARC_COUNT = 5;

export interface MarginArcsInput {
  /** Interactions of order ≥ 2 to draw, strongest first. */
  readonly terms: readonly Term[];
  readonly span: (index: number) => HTMLElement | undefined;
  readonly selectedKey: string | undefined;
}

/**
 * The strongest interactions drawn in a margin beside the text, always, not only once one is picked:
 * an arc diagram whose arcs start and end on the lines of their spans, wider for spans further apart
 * (so arcs nest rather than cross), blue and solid for a synergy, orange and dashed for a redundancy;
 * an interaction of three or more spans is a bracket with a tick at each span's line. With a selection
 * its arc is emphasised and carries its value in a pill, the rest are faint. The layer is decoration
 * (aria-hidden): the list says the same in words.
 */
export class MarginArcs {
  private input: MarginArcsInput = { terms: [], span: () => undefined, selectedKey: undefined };

  constructor(
    private readonly layer: SVGSVGElement,
    private readonly stage: HTMLElement,
  ) {
    new ResizeObserver(() => this.draw()).observe(stage);
  }

  /** Whether the margin draws this interaction (then its value is written there, not over the text). */
  draws(key: string | undefined): boolean {
    return key !== undefined && this.input.terms.some((term) => term.key === key);
  }

  show(input: MarginArcsInput): void {
    this.input = input;
    this.stage.classList.toggle('with-arcs', input.terms.length > 0);
    this.draw();
  }

  draw(): void {
    const { terms, span, selectedKey } = this.input;
    if (terms.length === 0) {
      this.layer.replaceChildren();
      return;
    }
    const origin = this.stage.getBoundingClientRect();
    this.layer.setAttribute('width', String(ARC_MARGIN));
    this.layer.setAttribute('height', String(this.stage.scrollHeight));
    const edge = ARC_MARGIN - 3;
    const lineOf = (feature: number): number | undefined => {
      const rect = span(feature)?.getClientRects()[0];
      return rect ? rect.top - origin.top + rect.height / 2 : undefined;
    };
    const groups: SVGGElement[] = [];
    let selectedGroup: SVGGElement | undefined;
    // The weakest first, so that stronger arcs are drawn over them.
    for (const term of [...terms].reverse()) {
      const lines = term.features.map(lineOf).filter((y): y is number => y !== undefined);
      if (lines.length < 2) continue;
      lines.sort((a, b) => a - b);
      const top = lines[0] as number;
      const bottom = lines.at(-1) as number;
      // Wider for spans further apart: nested arcs do not cross. Spans on one line get a small loop.
      const reach = Math.min(edge - 4, 8 + (bottom - top) / 8);
      const x = edge - reach;
      const d =
        lines.length === 2
          ? bottom - top < 4
            ? `M ${edge} ${top - 4} C ${edge - 12} ${top - 4} ${edge - 12} ${top + 4} ${edge} ${top + 4}`
            : `M ${edge} ${top} C ${x} ${top} ${x} ${bottom} ${edge} ${bottom}`
          : `M ${edge} ${top} H ${x} V ${bottom} H ${edge} ${lines
              .slice(1, -1)
              .map((y) => `M ${x} ${y} H ${edge}`)
              .join(' ')}`;
      const selected = term.key === selectedKey;
      const kind = term.kind === 'synergy' || term.kind === 'redundancy' ? term.kind : 'neutral';
      const group = svg('g', {
        class: `margin-arc connector ${kind}${selected ? ' selected' : ''}`,
        'data-features': term.features.join(','),
      });
      group.append(svg('path', { d, class: 'arc' }));
      for (const y of lines) group.append(svg('circle', { cx: edge, cy: y, r: 2.5, class: 'end' }));
      if (selected) {
        // Its value sits in a pill on its arc, in the margin: off the text, where the eye already is.
        const middle = lines.length === 2 && bottom - top < 4 ? top - 12 : (top + bottom) / 2;
        group.append(valuePill({ x, y: middle }, term.value, 2, { left: 1, right: ARC_MARGIN - 1 }));
        selectedGroup = group;
      } else groups.push(group);
    }
    this.layer.classList.toggle('has-selection', selectedGroup !== undefined);
    this.layer.replaceChildren(...groups, ...(selectedGroup ? [selectedGroup] : []));
  }
}
