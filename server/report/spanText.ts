import { effectKind, type EffectKind } from '../../protocol/effects';
import type { Explanation, Interaction } from '../../protocol/explanation';

/**
 * Synergy or redundancy for sets, raises or lowers for single features, under the explanation's
 * index (whose sign convention decides, see protocol/effects.ts).
 */
export function kindOf(explanation: Pick<Explanation, 'index'>, term: Interaction): EffectKind {
  return effectKind(explanation.index, term.features.length, term.value);
}

/** A feature's text on one line, shortened for tables. */
export function shortText(text: string, limit: number): string {
  const oneLine = text.replace(/\s+/gu, ' ').trim();
  return oneLine.length > limit ? `${oneLine.slice(0, limit - 1)}…` : oneLine;
}
