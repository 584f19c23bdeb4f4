import type { Feature, PinnedSpan } from '../../protocol/features';
import { h } from '../dom';
import { signed } from '../format';
import { tintOf, type Tone } from './colourScale';
import { spanNumber } from '../../protocol/spanNumbers';
import { isNegligible } from '../../protocol/effects';

/** What the person does to spans; the layer only reports it. */
export interface TextLayerEvents {
  /** Click, Enter or Space on a span. */
  activate(index: number): void;
  /** Delete, Backspace or X on a span: remove it from the what-if, or bring it back. */
  toggle(index: number): void;
  /** The pointer or the focus is on a span (undefined: on none). */
  point(index: number | undefined, anchor: HTMLElement | undefined, by: 'pointer' | 'focus'): void;
  escape(): void;
}

/** States a span can be marked with besides its tint; each is a class and a phrase in its label. */
export type Mark = 'selected' | 'removed' | 'partner';

const MARK_PHRASES: Readonly<Record<Mark, string>> = {
  selected: 'In the selected interaction.',
  removed: 'Removed in the what-if.',
  partner: '',
};

const TONES: readonly Tone[] = ['raises', 'lowers', 'neutral'];

/**
 * The explained text with its original line breaks: each feature a span, pinned spans marked, and
 * the glue between them kept visible (punctuation in its own muted span). Spans form one tab stop
 * (a roving tabindex): Tab enters the text, the arrow keys, Home and End move between spans, so two
 * thousand spans do not stand between the person and the controls after them.
 */
export class TextLayer {
  private spans: HTMLElement[] = [];
  private features: readonly Feature[] = [];
  private valuePhrases: string[] = [];
  private readonly marks = new Map<Mark, Set<number>>(Object.keys(MARK_PHRASES).map((mark) => [mark as Mark, new Set<number>()]));
  private signature = '';
  private active = 0;

  constructor(
    private readonly container: HTMLElement,
    private readonly events: TextLayerEvents,
  ) {
    container.addEventListener('click', (event) => {
      const index = this.indexOf(event.target);
      if (index === undefined) return;
      this.setActive(index);
      events.activate(index);
    });
    container.addEventListener('keydown', (event) => this.onKey(event));
    container.addEventListener('mouseover', (event) => {
      const index = this.indexOf(event.target);
      events.point(index, index === undefined ? undefined : this.spans[index], 'pointer');
    });
    container.addEventListener('mouseleave', () => events.point(undefined, undefined, 'pointer'));
    container.addEventListener('focusin', (event) => {
      const index = this.indexOf(event.target);
      if (index === undefined) return;
      this.setActive(index);
      events.point(index, this.spans[index], 'focus');
    });
  }

  get count(): number {
    return this.spans.length;
  }

  span(index: number): HTMLElement | undefined {
    return this.spans[index];
  }

  /** Builds the spans, unless this text and these features are already shown; says whether it rebuilt. */
  render(text: string, features: readonly Feature[], pinned: readonly PinnedSpan[]): boolean {
    const signature = `${text.length}:${text}:${features.map((feature) => `${feature.start}-${feature.end}`).join(',')}:${pinned
      .map((span) => `${span.start}-${span.end}`)
      .join(',')}`;
    if (signature === this.signature && this.spans.length === features.length) return false;
    this.signature = signature;
    this.features = features;
    this.valuePhrases = features.map(() => '');
    for (const set of this.marks.values()) set.clear();
    const pieces = [
      ...features.map((feature) => ({ start: feature.start, end: feature.end, feature })),
      ...pinned.map((span) => ({ start: span.start, end: span.end, feature: undefined })),
    ].sort((a, b) => a.start - b.start || a.end - b.end);
    const fragment = document.createDocumentFragment();
    const spans: HTMLElement[] = new Array<HTMLElement>(features.length);
    let cursor = 0;
    for (const piece of pieces) {
      const start = Math.max(piece.start, cursor);
      if (start > cursor) fragment.append(glue(text.slice(cursor, start)));
      const element = document.createElement('span');
      element.textContent = text.slice(start, piece.end);
      if (piece.feature) {
        const index = piece.feature.index;
        element.className = 'feature neutral';
        element.tabIndex = index === 0 ? 0 : -1;
        element.dataset.index = String(index);
        element.setAttribute('role', 'button');
        spans[index] = element;
      } else {
        element.className = 'pinned';
        element.title = 'Pinned: never removed';
      }
      fragment.append(element);
      cursor = Math.max(cursor, piece.end);
    }
    if (cursor < text.length) fragment.append(glue(text.slice(cursor)));
    this.container.replaceChildren(fragment);
    this.spans = spans;
    this.active = 0;
    for (let index = 0; index < spans.length; index += 1) this.label(index);
    return true;
  }

  /**
   * Tints every span by its first-order value (undefined: a segmentation, no values yet). The value
   * and its meaning go into the span's data and its ARIA label.
   */
  tint(values: ArrayLike<number> | undefined, largest: number, valueName: string): void {
    for (let index = 0; index < this.spans.length; index += 1) {
      const span = this.spans[index] as HTMLElement;
      const value = values?.[index];
      if (value === undefined) {
        span.classList.remove('raises', 'lowers');
        span.classList.add('neutral');
        span.style.removeProperty('--strength');
        delete span.dataset.value;
        this.valuePhrases[index] = '';
      } else {
        const { tone, strength } = tintOf(value, largest);
        for (const other of TONES) span.classList.toggle(other, other === tone);
        span.style.setProperty('--strength', strength.toFixed(3));
        span.dataset.value = String(value);
        // A value at the level of rounding (5e-9 of a largest 3) is no effect: it is said as none.
        const negligible = isNegligible(value, largest);
        this.valuePhrases[index] = negligible
          ? `${valueName} 0, does not change the value.`
          : `${valueName} ${signed(value)}, ${value > 0 ? 'raises' : 'lowers'} the value.`;
      }
      this.label(index);
    }
  }

  /** Marks exactly these spans (and unmarks the rest) with `mark`. */
  setMarked(mark: Mark, indices: Iterable<number>): void {
    const previous = this.marks.get(mark) as Set<number>;
    const next = new Set<number>();
    for (const index of indices) if (this.spans[index]) next.add(index);
    // The new set goes in first: the labels below read it.
    this.marks.set(mark, next);
    for (const index of previous) {
      if (next.has(index)) continue;
      this.spans[index]?.classList.remove(mark);
      this.label(index);
    }
    for (const index of next) {
      if (previous.has(index)) continue;
      this.spans[index]?.classList.add(mark);
      this.label(index);
    }
    if (mark === 'selected') this.container.classList.toggle('has-selection', next.size > 0);
  }

  focus(index: number): void {
    const span = this.spans[index];
    if (!span) return;
    this.setActive(index);
    span.focus();
  }

  private label(index: number): void {
    const span = this.spans[index];
    const feature = this.features[index];
    if (!span || !feature) return;
    const states = (Object.keys(MARK_PHRASES) as Mark[]).filter((mark) => MARK_PHRASES[mark] && this.marks.get(mark)?.has(index));
    const parts = [
      `Span ${spanNumber(index)}: “${feature.text}”`,
      this.valuePhrases[index] ?? '',
      ...states.map((mark) => MARK_PHRASES[mark]),
    ];
    span.setAttribute('aria-label', parts.filter((part) => part !== '').join(' '));
  }

  private setActive(index: number): void {
    if (index === this.active || !this.spans[index]) return;
    const previous = this.spans[this.active];
    if (previous) previous.tabIndex = -1;
    this.spans[index].tabIndex = 0;
    this.active = index;
  }

  private indexOf(target: EventTarget | null): number | undefined {
    const span = target instanceof Element ? target.closest<HTMLElement>('.feature') : null;
    if (!span || !this.container.contains(span)) return undefined;
    const index = Number(span.dataset.index);
    return Number.isInteger(index) ? index : undefined;
  }

  private onKey(event: KeyboardEvent): void {
    const index = this.indexOf(event.target);
    if (index === undefined) return;
    const last = this.spans.length - 1;
    const moves: Record<string, number> = {
      ArrowRight: Math.min(last, index + 1),
      ArrowDown: Math.min(last, index + 1),
      ArrowLeft: Math.max(0, index - 1),
      ArrowUp: Math.max(0, index - 1),
      Home: 0,
      End: last,
    };
    const target = moves[event.key];
    if (target !== undefined) {
      event.preventDefault();
      this.focus(target);
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.events.activate(index);
    } else if (event.key === 'Delete' || event.key === 'Backspace' || event.key === 'x' || event.key === 'X') {
      event.preventDefault();
      this.events.toggle(index);
    } else if (event.key === 'Escape') {
      this.events.escape();
    }
  }
}

/** Text between spans: whitespace as it is, anything else (punctuation, stray words) in a muted span. */
function glue(text: string): Node {
  return /\S/u.test(text) ? h('span', { className: 'glue', text }) : document.createTextNode(text);
}
