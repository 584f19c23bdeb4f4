import { effectKind } from '../protocol/effects';
import type { Explanation, Interaction } from '../protocol/explanation';
import { describeVerdict, verdictOf } from '../protocol/verdict';

/** How strongly a span is tinted: by sign and by whether it carries at least a third of the largest effect. */
export type Tint = 'raisesStrong' | 'raisesWeak' | 'lowersStrong' | 'lowersWeak';

/** Effects below this share of the largest are not tinted at all: they would only add noise to the text. */
const VISIBLE_SHARE = 0.05;
const STRONG_SHARE = 1 / 3;

export function tintOf(value: number, largest: number): Tint | undefined {
  if (!(largest > 0) || Math.abs(value) < largest * VISIBLE_SHARE) return undefined;
  const strong = Math.abs(value) >= largest * STRONG_SHARE;
  if (value > 0) return strong ? 'raisesStrong' : 'raisesWeak';
  return strong ? 'lowersStrong' : 'lowersWeak';
}

/** Each feature's tint, by feature index (undefined = not tinted). */
export function featureTints(explanation: Explanation): (Tint | undefined)[] {
  const largest = explanation.featureValues.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  return explanation.featureValues.map((value) => tintOf(value, largest));
}

/** 1-based rank of each feature by the size of its first-order effect. */
export function featureRanks(explanation: Explanation): number[] {
  const order = explanation.featureValues
    .map((value, index) => ({ index, size: Math.abs(value) }))
    .sort((a, b) => b.size - a.size || a.index - b.index);
  const ranks = new Array<number>(explanation.featureValues.length);
  order.forEach((entry, position) => (ranks[entry.index] = position + 1));
  return ranks;
}

/** The interactions of order ≥ 2 that include a feature, strongest first. */
export function partnersOf(explanation: Explanation, featureIndex: number, count = 3): Interaction[] {
  return explanation.interactions
    .filter((term) => term.features.length >= 2 && term.features.includes(featureIndex))
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
    .slice(0, count);
}

/**
 * The hover of a span, in Markdown: its value and rank, and its strongest partners with the kind
 * of each interaction. Span texts are escaped, so a prompt cannot inject Markdown or links.
 */
export function hoverMarkdown(explanation: Explanation, featureIndex: number): string {
  const feature = explanation.features[featureIndex];
  if (!feature) return '';
  const value = explanation.featureValues[featureIndex] ?? 0;
  const rank = featureRanks(explanation)[featureIndex] ?? 0;
  const lines = [
    // Feature values are Banzhaf values under the Fourier index, whose own singleton signs are inverted.
    `**SPEX** · feature ${featureIndex} · ${explanation.index === 'fourier' ? 'BANZHAF' : explanation.index.toUpperCase()} ${signed(value)} (${value > 0 ? 'raises' : value < 0 ? 'lowers' : 'does not change'} the ${explanation.valueFunction.name}; rank ${rank} of ${explanation.features.length})`,
  ];
  const partners = partnersOf(explanation, featureIndex);
  if (partners.length > 0) {
    lines.push('', 'Strongest partners:');
    for (const term of partners) {
      const others = term.features
        .filter((index) => index !== featureIndex)
        .map((index) => `[${index}] “${escapeMarkdown(shorten(explanation.features[index]?.text ?? '', 50))}”`);
      lines.push(
        `- ${effectKind(explanation.index, term.features.length, term.value)} ${signed(term.value)} with ${others.join(' + ')}${term.belowNoise ? ' (within the noise floor)' : ''}`,
      );
    }
  }
  // The verdict is our own wording (no prompt text), so it needs no escaping.
  lines.push('', `Verdict: ${describeVerdict(verdictOf(explanation))}`);
  return lines.join('\n');
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;
}

function shorten(text: string, limit: number): string {
  const oneLine = text.replace(/\s+/gu, ' ').trim();
  return oneLine.length > limit ? `${oneLine.slice(0, limit - 1)}…` : oneLine;
}

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]<>()#+!|~-]/gu, (character) => `\\${character}`);
}
