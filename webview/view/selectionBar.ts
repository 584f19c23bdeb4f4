import type { Term } from '../model/analysis';
import { h } from '../dom';
import { plain, plural, shorten, signed } from '../format';
import { spanTag } from '../../protocol/spanNumbers';

export interface SelectionBarInput {
  /** The selected interaction (or span) under the panel's index, or undefined. */
  readonly selected: Term | undefined;
  /** The selected spans where no term of the index holds them (a span or set with no value). */
  readonly selectedSpans: readonly number[];
  readonly featureText: (index: number) => string;
  /** In the what-if: the spans removed and the surrogate's prediction; undefined outside it. */
  readonly whatIf:
    { readonly removed: number; readonly predicted: number; readonly fromFull: number; readonly valueName: string } | undefined;
}

/**
 * A bar fixed to the bottom of the panel with what the person is working on: the selected interaction
 * (its spans, kind and value) and, in the what-if, the spans removed and the prediction. It stays in
 * view while the text or the list scrolls, so a click on a span far up the text is answered where the
 * eye is. Escape or its button clears the selection.
 */
export class SelectionBar {
  private readonly selection: HTMLElement;
  private readonly whatIf: HTMLElement;
  private readonly clear: HTMLButtonElement;

  constructor(
    private readonly root: HTMLElement,
    events: { clear(): void },
  ) {
    this.selection = h('span', { className: 'bar-selection' });
    this.whatIf = h('span', { className: 'bar-whatif' });
    this.clear = h('button', {
      className: 'bar-clear',
      text: '×',
      title: 'Clear the selection (Escape)',
      attributes: { type: 'button', 'aria-label': 'Clear the selection' },
    });
    this.clear.addEventListener('click', () => events.clear());
    root.replaceChildren(h('div', { className: 'bar-line' }, this.selection, this.clear), this.whatIf);
  }

  render(input: SelectionBarInput): void {
    const spans = input.selected?.features ?? input.selectedSpans;
    const names = spans.map((index) => `${spanTag(index)} “${shorten(input.featureText(index), spans.length > 1 ? 24 : 48)}”`).join(' + ');
    this.selection.textContent =
      spans.length === 0
        ? ''
        : input.selected
          ? `${names}: ${input.selected.kind} ${signed(input.selected.value)}`
          : `${names}: no term in this index`;
    this.clear.hidden = spans.length === 0;
    this.whatIf.textContent = input.whatIf
      ? `What-if: ${input.whatIf.removed === 0 ? 'nothing removed' : `${plural(input.whatIf.removed, 'span')} removed`} → ${plain(input.whatIf.predicted)} (${signed(input.whatIf.fromFull)} from all kept, ${input.whatIf.valueName})`
      : '';
    this.root.hidden = spans.length === 0 && !input.whatIf;
  }
}
