import { h } from '../dom';
import { plain } from '../format';
import { VISIBLE_SHARE } from './colourScale';

export interface LegendInput {
  /** The first-order values the spans are tinted by; undefined for a segmentation. */
  readonly values: ArrayLike<number> | undefined;
  readonly largest: number;
  readonly valueName: string;
  readonly whatIf: boolean;
}

/**
 * The key to the text: the diverging scale with the range of the values shown (orange lowers, blue
 * raises, opacity by |value| relative to the largest), and the marks for pinned, removed and selected
 * spans. In what-if mode it also says what a click does.
 */
export function renderLegend(root: HTMLElement, input: LegendInput): void {
  const items: HTMLElement[] = [];
  if (input.values && input.largest > 0) {
    let low = 0;
    let high = 0;
    for (let i = 0; i < input.values.length; i += 1) {
      low = Math.min(low, input.values[i] as number);
      high = Math.max(high, input.values[i] as number);
    }
    items.push(
      h(
        'span',
        {
          className: 'scale',
          title: `Span tint: the ${input.valueName}. Opacity grows with |value| relative to the largest (${plain(input.largest)}); below ${
            VISIBLE_SHARE * 100
          }% of it spans stay untinted.`,
        },
        // An end no span reaches says so, rather than "0.000 lowers".
        h('span', { className: 'scale-end lowers', text: low < 0 ? `${plain(low)} lowers` : 'none lowers' }),
        h('span', { className: 'scale-bar', attributes: { 'aria-hidden': 'true' } }),
        h('span', { className: 'scale-end raises', text: high > 0 ? `raises +${plain(high)}` : 'none raises' }),
      ),
      h('span', { className: 'legend-name', text: input.valueName }),
    );
  }
  items.push(h('span', { className: 'key pinned', text: 'pinned', title: 'Never removed: not a feature' }));
  if (input.values) {
    items.push(
      h('span', { className: 'key removed', text: 'removed', title: 'Removed in the what-if' }),
      h('span', { className: 'key selected', text: 'selected', title: 'In the selected interaction' }),
    );
  }
  if (input.whatIf) items.push(h('span', { className: 'mode', text: 'What-if: click a span to remove it or bring it back' }));
  root.replaceChildren(...items);
}
