import type { Analysis } from './model/analysis';
import { HoverCard, PARTNER_COUNT } from './view/hoverCard';
import type { TextLayer } from './view/textLayer';

/** What the card needs to know about the explanation shown; undefined while there is none. */
export interface SpanDetailsSource {
  readonly analysis: Analysis;
  readonly removed: readonly number[];
  /** In the what-if a click removes the span or brings it back instead of revealing it. */
  readonly whatIf: boolean;
  readonly featureText: (index: number) => string;
  /** Whether the run is live in the server, so a drill-down can reuse its calls (not after a reload). */
  readonly canDrill: boolean;
}

/**
 * A span's details: the hover card with its value and strongest partners, and the partner spans
 * marked in the text. It follows the pointer and the focus; clicking a span pins it (its partner
 * buttons can then be reached and chosen); it closes on Escape, when the focus leaves the text and
 * the card, or on a click elsewhere.
 */
export class SpanDetails {
  private readonly card: HoverCard;
  /** Set while the focus is moved back to a span, so the span it lands on does not open the card again. */
  private quietFocus = false;

  constructor(
    root: HTMLElement,
    private readonly text: HTMLElement,
    private readonly layer: TextLayer,
    private readonly source: () => SpanDetailsSource | undefined,
    select: (features: readonly number[]) => void,
    drill: (index: number) => void,
  ) {
    this.card = new HoverCard(root, { select, drill, close: () => this.close(true) });
    text.addEventListener('focusout', (event) => {
      const next = event.relatedTarget instanceof Node ? event.relatedTarget : null;
      if (!this.card.isPinned && !text.contains(next) && !this.card.contains(next)) this.close(false);
    });
    root.addEventListener('focusout', (event) => {
      const next = event.relatedTarget instanceof Node ? event.relatedTarget : null;
      if (next !== null && !text.contains(next) && !this.card.contains(next)) this.close(true);
    });
    document.addEventListener('click', (event) => {
      const target = event.target instanceof Node ? event.target : null;
      if (this.card.isPinned && !this.card.contains(target) && !text.contains(target)) this.close(false);
    });
  }

  /** The span whose card is open, if any. */
  get index(): number | undefined {
    return this.card.index;
  }

  /** The pointer or the focus moved onto a span (or off the spans); a pinned card stays put. */
  point(index: number | undefined, anchor: HTMLElement | undefined, by: 'pointer' | 'focus'): void {
    if (this.quietFocus && by === 'focus') return;
    if (this.card.isPinned && (by === 'pointer' || index === this.card.index)) return;
    if (index === undefined || !anchor || !this.source()) {
      if (by === 'pointer' && !this.card.isPinned && !this.text.contains(document.activeElement)) this.close(false);
      return;
    }
    this.open(index, anchor, false);
  }

  open(index: number, anchor: HTMLElement, pinned: boolean): void {
    const source = this.source();
    if (!source) return;
    const partners = source.analysis.partners[index] ?? [];
    this.card.show(
      anchor,
      {
        index,
        text: source.featureText(index),
        value: source.analysis.firstOrder[index] ?? 0,
        valueName: source.analysis.firstOrderName,
        partners,
        featureText: source.featureText,
        removed: source.removed.includes(index),
        whatIf: source.whatIf,
        canDrill: source.canDrill,
      },
      pinned,
    );
    const shown = partners.slice(0, PARTNER_COUNT).flatMap((term) => term.features);
    this.layer.setMarked(
      'partner',
      shown.filter((feature) => feature !== index),
    );
  }

  /** Redraws an open card after what it shows changed (the index, or the span's what-if state). */
  refresh(): void {
    const index = this.card.index;
    const anchor = index === undefined ? undefined : this.layer.span(index);
    if (index !== undefined && anchor) this.open(index, anchor, this.card.isPinned);
  }

  /** Closes the card; `force` closes a pinned one too (and returns the focus from inside it to its span). */
  close(force: boolean): void {
    if (!force && this.card.isPinned) return;
    const index = this.card.index;
    const wasPinned = this.card.isPinned;
    this.card.hide();
    this.layer.setMarked('partner', []);
    if (force && wasPinned && index !== undefined && this.card.contains(document.activeElement)) {
      this.quietFocus = true;
      this.layer.focus(index);
      this.quietFocus = false;
    }
  }
}
