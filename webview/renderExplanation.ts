import type { Explanation } from '../protocol/explanation';
import { renderText } from './renderText';

/** Effects below this share of the largest first-order effect are left untinted. */
const VISIBLE_SHARE = 0.05;

/**
 * Renders an explanation: the text with each span tinted by its first-order value (blue raises,
 * orange lowers, opacity by size), a summary line, and the strongest interactions as a list. Every
 * piece of prompt text goes in through text nodes.
 */
export function renderExplanation(
  root: { summary: HTMLElement; text: HTMLElement; interactions: HTMLElement },
  explanation: Explanation,
  partial: boolean,
): HTMLElement[] {
  const spans = renderText(root.text, explanation.text, explanation.features, explanation.pinned);
  const largest = explanation.featureValues.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  for (const span of spans) {
    const index = Number(span.dataset.index);
    const value = explanation.featureValues[index] ?? 0;
    const share = largest > 0 ? Math.abs(value) / largest : 0;
    span.classList.add(share < VISIBLE_SHARE ? 'neutral' : value > 0 ? 'raises' : 'lowers');
    span.style.setProperty('--strength', share.toFixed(3));
    span.setAttribute(
      'aria-label',
      `Feature ${index}: ${explanation.features[index]?.text ?? ''}. First-order ${explanation.index} value ${value.toFixed(4)}.`,
    );
    span.title = `[${index}] ${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(4)}`;
  }
  const r2 = explanation.faithfulness.r2;
  root.summary.textContent =
    `${partial ? 'Partial · ' : ''}${explanation.features.length} features · ${explanation.algorithm.name} · ${explanation.valueFunction.name} · ` +
    `${explanation.calls.model} model calls, ${explanation.calls.cached} cached · ${r2 === null ? 'exact' : `held-out R² ${r2.toFixed(3)}`}`;
  root.interactions.replaceChildren();
  for (const term of explanation.interactions.filter((candidate) => candidate.features.length > 0).slice(0, 20)) {
    const item = document.createElement('li');
    const kind = term.features.length === 1 ? (term.value >= 0 ? 'raises' : 'lowers') : term.value >= 0 ? 'synergy' : 'redundancy';
    item.className = kind;
    item.textContent = `${term.value >= 0 ? '+' : '−'}${Math.abs(term.value).toFixed(4)} ${kind}: ${term.features.map((index) => `[${index}] ${shorten(explanation.features[index]?.text ?? '')}`).join(' + ')}`;
    root.interactions.append(item);
  }
  return spans;
}

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/gu, ' ').trim();
  return oneLine.length > 60 ? `${oneLine.slice(0, 59)}…` : oneLine;
}
