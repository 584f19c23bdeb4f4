import { effectKind } from '../protocol/effects';
import type { Explanation, Interaction } from '../protocol/explanation';
import { describeVerdict, verdictOf } from '../protocol/verdict';
import { explanationGist } from '../protocol/gist';
import { signed } from '../protocol/numberFormat';
import { COMMAND_IDS } from './commandIds';
import { carriesExpansion, spanEffects } from '../protocol/spanEffects';
import { spanTag } from '../protocol/spanNumbers';

/** How strongly a span is tinted: by sign and by whether it carries at least a third of the largest effect. */
export type Tint = 'raisesStrong' | 'raisesWeak' | 'lowersStrong' | 'lowersWeak';

/**
 * What the editor tints spans by (setting `spex.editorTint`): each span's total effect, its Shapley
 * value (the default: a span that matters only together with another still gets its share of the
 * pair), its Banzhaf value, or the first-order value of the explanation's own index (which leaves a
 * span blank whose whole effect is in an interaction).
 */
export const TINT_BASES = ['shapley', 'banzhaf', 'index'] as const;
export type TintBasis = (typeof TINT_BASES)[number];
export const DEFAULT_TINT_BASIS: TintBasis = 'shapley';

export function tintBasisOf(setting: unknown): TintBasis {
  return (TINT_BASES as readonly unknown[]).includes(setting) ? (setting as TintBasis) : DEFAULT_TINT_BASIS;
}

/** Effects below this share of the largest are not tinted at all: they would only add noise to the text. */
const VISIBLE_SHARE = 0.05;
const STRONG_SHARE = 1 / 3;

export function tintOf(value: number, largest: number): Tint | undefined {
  if (!(largest > 0) || Math.abs(value) < largest * VISIBLE_SHARE) return undefined;
  const strong = Math.abs(value) >= largest * STRONG_SHARE;
  if (value > 0) return strong ? 'raisesStrong' : 'raisesWeak';
  return strong ? 'lowersStrong' : 'lowersWeak';
}

/** Each feature's effect under a basis, by feature index (see protocol/spanEffects.ts). */
export function featureEffects(explanation: Explanation, basis: TintBasis = DEFAULT_TINT_BASIS): number[] {
  return spanEffects(explanation, basis);
}

/** The name of what a basis measures, as hovers and tooltips say it. */
export function basisName(explanation: Explanation, basis: TintBasis): string {
  if (basis === 'index' || !carriesExpansion(explanation))
    // Feature values are Banzhaf values under the Fourier index, whose own singleton signs are inverted.
    return `${explanation.index === 'fourier' ? 'Banzhaf' : indexLabel(explanation)} first-order value`;
  return basis === 'shapley' ? 'total effect (Shapley value)' : 'mean effect (Banzhaf value)';
}

function indexLabel(explanation: Explanation): string {
  return explanation.index === 'mobius' ? 'Möbius' : explanation.index.toUpperCase();
}

/** Each feature's tint, by feature index (undefined = not tinted). */
export function featureTints(explanation: Explanation, basis: TintBasis = DEFAULT_TINT_BASIS): (Tint | undefined)[] {
  const effects = featureEffects(explanation, basis);
  const largest = effects.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  return effects.map((value) => tintOf(value, largest));
}

/** 1-based rank of each feature by the size of its effect under a basis. */
export function featureRanks(explanation: Explanation, basis: TintBasis = DEFAULT_TINT_BASIS): number[] {
  return ranksOf(featureEffects(explanation, basis));
}

/** 1-based rank of each value by its size. */
function ranksOf(effects: readonly number[]): number[] {
  const order = effects.map((value, index) => ({ index, size: Math.abs(value) })).sort((a, b) => b.size - a.size || a.index - b.index);
  const ranks = new Array<number>(effects.length);
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

/** The editor's lens above the explained text: "SPEX · fits well · The answer depends mostly on [2] …". */
export function lensTitle(explanation: Explanation): string {
  return `SPEX · ${verdictOf(explanation).short} · ${explanationGist(explanation)}`;
}

/** How many of the strongest interactions are marked on the text. */
export const MARKED_INTERACTIONS = 3;

/**
 * The marks that show, on the text itself, which spans act together: each span in one of the
 * strongest interactions of order ≥ 2 (none within the noise floor) gets its partners' numbers after
 * "⟷" for a synergy (worth more together) or "≈" for a redundancy (either is enough), e.g. "⟷[3]"
 * for a pair, "⟷[3][5]" for a triple, joined by " " where a span is in two.
 */
export function interactionMarks(explanation: Explanation, count = MARKED_INTERACTIONS): Map<number, string> {
  const strongest = explanation.interactions
    .filter((term) => term.features.length >= 2 && !term.belowNoise && term.value !== 0)
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
    .slice(0, count);
  const marks = new Map<number, string[]>();
  for (const term of strongest)
    for (const feature of term.features) {
      const partners = term.features.filter((other) => other !== feature).map(spanTag);
      const glyph = effectKind(explanation.index, term.features.length, term.value) === 'redundancy' ? '≈' : '⟷';
      marks.set(feature, [...(marks.get(feature) ?? []), `${glyph}${partners.join('')}`]);
    }
  return new Map([...marks].map(([feature, parts]) => [feature, parts.join(' ')]));
}

/**
 * The hover of a span, in Markdown: its effect under the tint's basis and its rank, what it does
 * alone under the explanation's index (and, where that is nothing, that it acts only together with
 * its partners), and its strongest partners with the kind of each interaction. Span texts are
 * escaped, so a prompt cannot inject Markdown or links.
 */
export function hoverMarkdown(explanation: Explanation, featureIndex: number, basis: TintBasis = DEFAULT_TINT_BASIS): string {
  const feature = explanation.features[featureIndex];
  if (!feature) return '';
  const effects = featureEffects(explanation, basis);
  const effect = effects[featureIndex] ?? 0;
  const rank = ranksOf(effects)[featureIndex] ?? 0;
  const largest = effects.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  const verb = tintOf(effect, largest) === undefined ? 'barely changes' : effect > 0 ? 'raises' : 'lowers';
  const lines = [
    `**SPEX** · span ${spanTag(featureIndex)} · ${basisName(explanation, basis)} ${signed(effect)}: ${verb} the ${explanation.valueFunction.name} (rank ${rank} of ${explanation.features.length})`,
  ];
  const partners = partnersOf(explanation, featureIndex);
  const describe = (term: Interaction): string => {
    const others = term.features
      .filter((index) => index !== featureIndex)
      .map((index) => `${spanTag(index)} “${escapeMarkdown(shorten(explanation.features[index]?.text ?? '', 50))}”`);
    return `${effectKind(explanation.index, term.features.length, term.value)} ${signed(term.value)} with ${others.join(' + ')}${term.belowNoise ? ' (within the noise floor)' : ''}`;
  };
  if (basis !== 'index' && carriesExpansion(explanation)) {
    const alone = explanation.featureValues[featureIndex] ?? 0;
    const largestAlone = explanation.featureValues.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
    const strongestPartner = partners[0];
    lines.push(
      '',
      tintOf(alone, largestAlone) === undefined && strongestPartner
        ? `No effect alone (${basisName(explanation, 'index')} ${signed(alone)}); ${describe(strongestPartner)}.`
        : `Alone: ${basisName(explanation, 'index')} ${signed(alone)}.`,
    );
  }
  if (partners.length > 0) {
    lines.push('', 'Strongest partners:');
    for (const term of partners) lines.push(`- ${describe(term)}`);
  }
  // The verdict is our own wording (no prompt text), so it needs no escaping.
  lines.push('', `Verdict: ${describeVerdict(verdictOf(explanation))}`);
  return lines.join('\n');
}

function shorten(text: string, limit: number): string {
  const oneLine = text.replace(/\s+/gu, ' ').trim();
  return oneLine.length > limit ? `${oneLine.slice(0, limit - 1)}…` : oneLine;
}

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]<>()#+!|~-]/gu, (character) => `\\${character}`);
}

/** The hover's last line: a link that opens the panel with this span selected (the one command its Markdown may run). */
export function panelLink(featureIndex: number): string {
  const args = encodeURIComponent(JSON.stringify([featureIndex]));
  return `[Show ${spanTag(featureIndex)} in the SPEX panel](command:${COMMAND_IDS.showSpanInPanel}?${args} "Open the SPEX panel with this span selected")`;
}
