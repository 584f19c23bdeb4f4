import { FLIP_SEARCH_LIMIT } from '../model/bestSpans';
import { flipRuleText, flips, shareOfFull, type FlipRule } from '../model/whatIf';
import { h } from '../dom';
import { answerAsShown } from '../../protocol/answerText';
import type { VerifiedAnswer } from '../../protocol/server';
import { plain, plural, signed, spanName } from '../format';
import type { Verification } from '../state';

/** The outcome of the last "best k" or "smallest flip" search, shown until the mask changes. */
export type SearchResult =
  | { readonly kind: 'keep'; readonly kept: readonly number[]; readonly value: number }
  | { readonly kind: 'flip'; readonly removed: readonly number[]; readonly value: number; readonly flipped: boolean };

export interface WhatIfInput {
  /** Why what-if is off, or undefined when it is on. */
  readonly unavailable: string | undefined;
  readonly featureCount: number;
  readonly removed: readonly number[];
  readonly predicted: number;
  readonly rule: FlipRule | undefined;
  readonly valueName: string;
  /** Why Verify is off, or undefined when the host can verify. */
  readonly verifyBlocked: string | undefined;
  readonly verifications: readonly Verification[];
  readonly bestK: number;
  readonly result: SearchResult | undefined;
  readonly featureText: (index: number) => string;
}

export interface WhatIfEvents {
  restoreAll(): void;
  invert(): void;
  verify(): void;
  setK(k: number): void;
  findKeep(): void;
  findFlip(): void;
}

/**
 * The what-if tab: the surrogate's prediction for the spans removed in the text (updated on every
 * toggle), "Verify with model" for the real value beside it, and the searches for the best k spans
 * and the smallest set that takes the value past halfway to all removed.
 */
export class WhatIfPanel {
  private readonly status: HTMLElement;
  private readonly gauge: HTMLElement;
  private readonly marker: HTMLElement;
  private readonly midpoint: HTMLElement;
  private readonly verifyButton: HTMLElementTagNameMap['vscode-button'];
  private readonly verifyNote: HTMLElement;
  private readonly history: HTMLOListElement;
  private readonly kField: HTMLElementTagNameMap['vscode-textfield'];
  private readonly keepButton: HTMLElementTagNameMap['vscode-button'];
  private readonly flipButton: HTMLElementTagNameMap['vscode-button'];
  private readonly restoreButton: HTMLElementTagNameMap['vscode-button'];
  private readonly invertButton: HTMLElementTagNameMap['vscode-button'];
  private readonly resultBox: HTMLElement;
  private readonly prediction: HTMLElement;

  constructor(root: HTMLElement, events: WhatIfEvents) {
    this.status = h('p', { className: 'whatif-status' });
    this.prediction = h('div', { className: 'prediction', attributes: { 'aria-live': 'polite', id: 'whatif-prediction' } });
    this.marker = h('span', { className: 'gauge-marker' });
    this.midpoint = h('span', { className: 'gauge-midpoint' });
    this.gauge = h(
      'div',
      { className: 'gauge', attributes: { 'aria-hidden': 'true' } },
      h('span', { className: 'gauge-track' }),
      this.midpoint,
      this.marker,
      h('span', { className: 'gauge-end empty', text: 'all removed' }),
      h('span', { className: 'gauge-end full', text: 'all kept' }),
    );
    this.restoreButton = button('whatif-restore', 'Restore all spans', true, () => events.restoreAll());
    this.invertButton = button('whatif-invert', 'Invert', true, () => events.invert());
    this.verifyButton = button('verify', 'Verify with model', false, () => events.verify());
    this.verifyNote = h('p', { className: 'verify-note', attributes: { id: 'verify-note' } });
    this.history = h('ol', { className: 'verifications', attributes: { 'aria-label': 'Verifications', 'aria-live': 'polite' } });
    this.kField = document.createElement('vscode-textfield');
    this.kField.id = 'best-k';
    this.kField.type = 'number';
    this.kField.min = 1;
    this.kField.label = 'k: how many spans to keep';
    this.kField.addEventListener('change', () => {
      const k = Number(this.kField.value);
      if (Number.isInteger(k) && k >= 1) events.setK(k);
    });
    this.keepButton = button('find-keep', 'Best k spans', false, () => events.findKeep());
    this.flipButton = button('find-flip', 'Smallest set past halfway', true, () => events.findFlip());
    this.resultBox = h('div', { className: 'search-result', attributes: { 'aria-live': 'polite', id: 'search-result' } });
    root.replaceChildren(
      h('p', {
        className: 'hint',
        text: 'While this tab is open, clicking a span removes it or brings it back (anywhere: focus a span and press X or Delete).',
      }),
      this.status,
      this.prediction,
      this.gauge,
      h('div', { className: 'button-row' }, this.restoreButton, this.invertButton),
      h('div', { className: 'button-row' }, this.verifyButton),
      this.verifyNote,
      this.history,
      h('h3', { text: 'Search on the surrogate' }),
      h(
        'div',
        { className: 'button-row' },
        h('label', { text: 'k', attributes: { for: 'best-k' } }),
        this.kField,
        this.keepButton,
        this.flipButton,
      ),
      this.resultBox,
    );
  }

  render(input: WhatIfInput): void {
    const off = input.unavailable !== undefined;
    for (const control of [this.restoreButton, this.invertButton, this.keepButton, this.flipButton, this.kField]) control.disabled = off;
    // The field must never hold a value outside its range: vscode-textfield reports that as a validity error.
    this.kField.max = Math.max(1, input.bestK, input.featureCount);
    this.kField.value = String(input.bestK);
    this.verifyButton.disabled = off || input.verifyBlocked !== undefined;
    this.verifyNote.textContent = off
      ? ''
      : (input.verifyBlocked ??
        'Scores the prompt with these spans removed and asks the model for its answer to it (a model call each, none when cached).');
    this.verifyButton.setAttribute('aria-describedby', 'verify-note');
    if (off || !input.rule) {
      this.status.textContent = input.unavailable ?? '';
      this.prediction.replaceChildren();
      this.gauge.hidden = true;
      this.history.replaceChildren();
      this.resultBox.replaceChildren();
      return;
    }
    const rule = input.rule;
    const removedCount = input.removed.length;
    this.status.textContent = `${removedCount === 0 ? 'Nothing removed' : `${plural(removedCount, 'span')} removed`} of ${input.featureCount}.`;
    const flipped = flips(rule, input.predicted);
    this.prediction.replaceChildren(
      h('span', { className: 'label', text: 'Surrogate prediction ' }),
      h('strong', { className: 'predicted', text: plain(input.predicted), attributes: { 'data-value': String(input.predicted) } }),
      h('span', { className: 'delta', text: ` (${signed(input.predicted - rule.full, 3)} from all kept, ${input.valueName})` }),
      h('span', {
        className: `verdict ${flipped ? 'flips' : 'keeps'}`,
        text: flipped ? ' · past halfway to all removed' : ' · nearer all kept',
        title: flipRuleText(rule),
      }),
    );
    this.gauge.hidden = false;
    this.gauge.title = flipRuleText(rule);
    this.marker.style.setProperty('--at', clampShare(shareOfFull(rule, input.predicted)).toFixed(4));
    this.marker.classList.toggle('flips', flipped);
    this.midpoint.style.setProperty('--at', '0.5');
    this.history.replaceChildren(...[...input.verifications].reverse().map((entry) => verificationItem(entry)));
    this.resultBox.replaceChildren(...(input.result ? resultLines(input.result, rule, input) : []));
  }
}

function button(id: string, label: string, secondary: boolean, onClick: () => void): HTMLElementTagNameMap['vscode-button'] {
  const element = document.createElement('vscode-button');
  element.id = id;
  element.textContent = label;
  element.secondary = secondary;
  element.addEventListener('click', () => {
    if (!element.disabled) onClick();
  });
  return element;
}

function these(count: number): string {
  return count === 1 ? 'this span' : `these ${plural(count, 'span')}`;
}

function clampShare(share: number): number {
  return Math.max(0, Math.min(1, share));
}

/** How far the surrogate was off: "matches" where the difference is rounding (3.6e-15), else "+0.0600 off". */
function offBy(value: number, predicted: number): string {
  const difference = value - predicted;
  return Math.abs(difference) <= 1e-9 * Math.max(1, Math.abs(value)) ? 'matches' : `${signed(difference)} off`;
}

function verificationItem(entry: Verification): HTMLLIElement {
  const removed = `${plural(entry.removed.length, 'span')} removed`;
  const parts: (Node | string)[] = [
    h('span', { className: 'request', text: `#${entry.requestId}` }),
    ` ${removed} · surrogate ${plain(entry.predicted)} · `,
  ];
  if (entry.status === 'pending') parts.push(h('span', { className: 'pending', text: 'asking the model…' }));
  else if (entry.status === 'done' && entry.value !== undefined) {
    parts.push(
      h('span', { className: 'model-value', text: `model ${plain(entry.value)}`, attributes: { 'data-value': String(entry.value) } }),
      ` (${offBy(entry.value, entry.predicted)})`,
      ...(entry.cached
        ? [' ', h('span', { className: 'cached', text: 'cached', title: 'Answered from the call cache: no model call' })]
        : []),
    );
    if (entry.answer) parts.push(answerLine(entry.answer));
  } else parts.push(h('span', { className: 'failed', text: `failed: ${entry.message ?? 'no reason given'}` }));
  return h('li', { className: `verification ${entry.status}`, attributes: { 'data-request-id': String(entry.requestId) } }, ...parts);
}

/**
 * What the model now answers, beside what it answered with every span kept. "Flips" is said here
 * only, where the generated answer differs, never of the surrogate's value crossing a midpoint.
 */
function answerLine(answer: VerifiedAnswer): HTMLElement {
  return h(
    'div',
    { className: `model-answer ${answer.changed ? 'changed' : 'same'}` },
    answer.changed ? h('strong', { text: 'The answer flips: ' }) : h('span', { text: 'The answer stays the same: ' }),
    h('q', { className: 'answer-now', text: answerAsShown(answer.text, answer.cut) }),
    ...(answer.changed
      ? [' (with every span kept: ', h('q', { className: 'answer-was', text: answerAsShown(answer.original, answer.originalCut) }), ')']
      : []),
  );
}

function resultLines(result: SearchResult, rule: FlipRule, input: WhatIfInput): HTMLElement[] {
  const names = (indices: readonly number[]): HTMLElement =>
    h('ul', { className: 'result-spans' }, ...indices.map((index) => h('li', { text: spanName(index, input.featureText(index), 60) })));
  const share = `${Math.round(shareOfFull(rule, result.value) * 100)}% of the way from all removed to all kept`;
  if (result.kind === 'keep') {
    return [
      h('p', {
        text: `Keeping only ${these(result.kept.length)} predicts ${plain(result.value)} (${share}). The rest is removed above; Verify checks it with the model.`,
      }),
      names(result.kept),
    ];
  }
  if (!result.flipped) {
    return [
      h('p', {
        text: `No set of up to ${FLIP_SEARCH_LIMIT} removals takes the value past halfway on the surrogate (best reached ${plain(result.value)}).`,
        title: flipRuleText(rule),
      }),
    ];
  }
  return [
    h('p', {
      text: `Removing ${these(result.removed.length)} takes the value past halfway to all removed: ${plain(result.value)}, beyond the midpoint ${plain(rule.threshold)}. They are removed above; Verify checks it with the model.`,
      title: flipRuleText(rule),
    }),
    names(result.removed),
  ];
}
