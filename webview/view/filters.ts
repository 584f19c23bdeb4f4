import type { TermFilter } from '../model/termFilter';
import { MIN_SHARE_CHOICES } from '../../protocol/termFilter';
import { h } from '../dom';

export interface FilterInput extends TermFilter {
  /** The orders the current index has: 1..k. */
  readonly orders: readonly number[];
  readonly enabled: boolean;
}

/**
 * Filters shared by the list, the matrix and the arcs, and carried to the editor and the exports:
 * which orders to show (1..k), which signs (synergy / redundancy; for a single span, raises / lowers)
 * and the smallest share of the largest term shown.
 */
export class Filters {
  constructor(
    private readonly root: HTMLElement,
    private readonly events: { change(filter: TermFilter): void },
  ) {}

  render(input: FilterInput): void {
    // A segmentation has no terms to filter.
    this.root.hidden = !input.enabled;
    const hidden = new Set(input.hiddenOrders);
    const orderBoxes = input.orders.map((order) =>
      checkbox(
        `order-${order}`,
        order === 1 ? '1 (single spans)' : String(order),
        !hidden.has(order),
        input.enabled,
        `Show terms of order ${order}`,
      ),
    );
    const synergy = checkbox(
      'sign-synergy',
      'Synergy (+)',
      input.synergy,
      input.enabled,
      'Positive terms: spans that raise the value more together than apart (for a single span: raises)',
    );
    const redundancy = checkbox(
      'sign-redundancy',
      'Redundancy (−)',
      input.redundancy,
      input.enabled,
      'Negative terms: spans that overlap, raising the value less together than apart (for a single span: lowers)',
    );
    const smallest = document.createElement('vscode-single-select');
    smallest.id = 'min-share';
    smallest.label = 'Hide terms smaller than this share of the largest';
    for (const share of MIN_SHARE_CHOICES) {
      const option = document.createElement('vscode-option');
      option.value = String(share);
      option.textContent = share === 0 ? 'all' : `≥ ${Math.round(share * 100)} %`;
      smallest.append(option);
    }
    smallest.value = String(input.minShare);
    smallest.disabled = !input.enabled;
    smallest.title = 'Terms smaller than this share of the largest are hidden here, in the editor and in exports';
    const read = (): TermFilter => ({
      hiddenOrders: input.orders.filter((_, position) => !orderBoxes[position]?.checked),
      synergy: synergy.checked,
      redundancy: redundancy.checked,
      minShare: MIN_SHARE_CHOICES.find((share) => String(share) === smallest.value) ?? input.minShare,
    });
    for (const control of [...orderBoxes, synergy, redundancy, smallest])
      control.addEventListener('change', () => this.events.change(read()));
    this.root.replaceChildren(
      h(
        'div',
        { className: 'filter-group', attributes: { role: 'group', 'aria-label': 'Orders shown' } },
        h('span', { className: 'filter-label', text: 'Order' }),
        ...orderBoxes,
      ),
      h(
        'div',
        { className: 'filter-group', attributes: { role: 'group', 'aria-label': 'Signs shown' } },
        h('span', { className: 'filter-label', text: 'Sign' }),
        synergy,
        redundancy,
      ),
      h(
        'div',
        { className: 'filter-group' },
        h('label', { className: 'filter-label', text: 'Size', attributes: { for: 'min-share' } }),
        smallest,
      ),
    );
  }
}

function checkbox(id: string, label: string, checked: boolean, enabled: boolean, title: string): HTMLElementTagNameMap['vscode-checkbox'] {
  const box = document.createElement('vscode-checkbox');
  box.id = id;
  box.label = label;
  box.checked = checked;
  box.disabled = !enabled;
  box.title = title;
  return box;
}
