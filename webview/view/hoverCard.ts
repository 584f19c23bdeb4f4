import type { Term } from '../model/analysis';
import { h } from '../dom';
import { signed, spanName } from '../format';

/** How many partners the card lists. */
export const PARTNER_COUNT = 6;

export interface CardContent {
  readonly index: number;
  readonly text: string;
  readonly value: number;
  readonly valueName: string;
  /** Terms of order ≥ 2 containing the span, strongest first. */
  readonly partners: readonly Term[];
  readonly featureText: (index: number) => string;
  readonly removed: boolean;
  /** The what-if tab is open: a click on the span removes it or brings it back. */
  readonly whatIf: boolean;
  /** A drill-down can run from this explanation (the run is live in the server). */
  readonly canDrill: boolean;
}

/**
 * The card a span shows on hover or focus: its value and its strongest partners. Clicking the span
 * pins the card, so its partner buttons can be reached (Tab from the span) and chosen; Escape or a
 * click elsewhere closes it.
 */
export class HoverCard {
  private pinned = false;
  private shownFor: number | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly events: { select(features: readonly number[]): void; drill(index: number): void; close(): void },
  ) {
    root.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.events.close();
      }
    });
  }

  get isPinned(): boolean {
    return this.pinned;
  }

  get index(): number | undefined {
    return this.shownFor;
  }

  contains(node: Node | null): boolean {
    return node !== null && this.root.contains(node);
  }

  show(anchor: HTMLElement, content: CardContent, pinned: boolean): void {
    this.pinned = pinned;
    this.shownFor = content.index;
    const partners = content.partners.slice(0, PARTNER_COUNT);
    const list = h('ol', { className: 'partners', attributes: { 'aria-label': 'Strongest partners' } });
    for (const term of partners) {
      const others = term.features.filter((feature) => feature !== content.index);
      const kind = term.kind;
      const button = h(
        'button',
        {
          className: `partner ${kind}`,
          attributes: { type: 'button', 'data-features': term.features.join(',') },
          title: 'Select this interaction',
        },
        h('span', { className: 'value', text: signed(term.value) }),
        ` ${kind} with `,
        others.map((feature) => spanName(feature, content.featureText(feature), 48)).join(', '),
      );
      button.addEventListener('click', () => this.events.select(term.features));
      list.append(h('li', {}, button));
    }
    this.root.replaceChildren(
      h('p', { className: 'card-title', text: spanName(content.index, content.text, 80) }),
      h('p', {
        className: 'card-value',
        text: `${content.valueName} ${signed(content.value)}${content.removed ? ' · removed in the what-if' : ''}`,
      }),
      partners.length > 0
        ? h('div', {}, h('p', { className: 'card-heading', text: 'Strongest partners' }), list)
        : h('p', { className: 'card-empty', text: 'No interaction of order 2 or more with this span in this index.' }),
      ...(pinned && content.canDrill ? [this.drillButton(content.index)] : []),
      h('p', {
        className: 'card-hint',
        text: pinned
          ? `Tab to the partners${content.canDrill ? ' and Drill into this span' : ''}; Escape closes.`
          : content.whatIf
            ? `A click ${content.removed ? 'brings the span back' : 'removes the span'} in the what-if.`
            : 'Click to reveal in the editor and pin this card; X removes the span.',
      }),
    );
    this.root.classList.toggle('pinned', pinned);
    this.root.hidden = false;
    this.place(anchor);
  }

  /** Splits the span into a finer unit and explains again, reusing every call of this run. */
  private drillButton(index: number): HTMLElement {
    const button = h('button', {
      className: 'drill',
      text: 'Drill into this span',
      title: 'Split this span into sentences or words and explain again; the calls made so far are reused',
      attributes: { type: 'button', 'data-index': String(index) },
    });
    button.addEventListener('click', () => this.events.drill(index));
    return h('p', { className: 'card-actions' }, button);
  }

  hide(): void {
    this.pinned = false;
    this.shownFor = undefined;
    this.root.hidden = true;
  }

  /** Below the span's first line, or above it when there is no room below; kept inside the viewport. */
  private place(anchor: HTMLElement): void {
    const rect = anchor.getClientRects()[0] ?? anchor.getBoundingClientRect();
    const card = this.root.getBoundingClientRect();
    const left = Math.max(4, Math.min(rect.left, window.innerWidth - card.width - 4));
    const below = rect.bottom + 6;
    const top = below + card.height > window.innerHeight && rect.top - card.height - 6 > 0 ? rect.top - card.height - 6 : below;
    this.root.style.setProperty('left', `${left}px`);
    this.root.style.setProperty('top', `${top}px`);
  }
}
