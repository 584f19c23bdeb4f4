import type { IndexName } from '../server/recovery/indexNames';

/**
 * What a term of an interaction index says, in the words every reader uses: one span raises or lowers
 * the value; a set of spans works in synergy (worth more together than apart) or is redundant (either
 * one is enough). One definition here keeps the CLI report, the editor and the panel in agreement.
 */
export type EffectKind = 'baseline' | 'raises' | 'lowers' | 'synergy' | 'redundancy';

/**
 * The direction of a term's effect: +1 when it raises the value (one span) or is a synergy (a set),
 * −1 when it lowers the value or is a redundancy, 0 for a zero term.
 *
 * Every index but the Fourier one is defined so that a positive value means "keeping these spans
 * raises the value" (Möbius, Shapley, Banzhaf and the interaction indices). A Fourier coefficient
 * F(S) multiplies Π_{i∈S} (−1)^{m_i}, which is +1 when feature i is removed, so keeping the spans of S
 * moves the value by (−2)^{|S|}·F(S) at the top degree: the meaning of its sign flips with every
 * feature in the set (Banzhaf β_i = −2·F({i}); a synergy pair has F({i, j}) > 0).
 */
export function effectDirection(index: IndexName, setSize: number, value: number): -1 | 0 | 1 {
  const flipped = index === 'fourier' && setSize % 2 === 1 ? -value : value;
  return flipped > 0 ? 1 : flipped < 0 ? -1 : 0;
}

/** The kind of a term of `index` over `setSize` spans (a zero term counts as raising or synergy). */
export function effectKind(index: IndexName, setSize: number, value: number): EffectKind {
  if (setSize === 0) return 'baseline';
  const negative = effectDirection(index, setSize, value) < 0;
  if (setSize === 1) return negative ? 'lowers' : 'raises';
  return negative ? 'redundancy' : 'synergy';
}

/**
 * Terms smaller than this share of the largest term are arithmetic, not effects: a least-squares fit
 * or an exact transform leaves values like 5e-9 or −3.6e-15 beside effects of order 1, and a reader
 * would take any listed value for a finding. One part in a million is far below anything a person
 * could act on and far above the rounding of a double.
 */
export const NEGLIGIBLE_SHARE = 1e-6;

/** Whether |value| is below NEGLIGIBLE_SHARE of `largest` (the largest |term| it is compared with). */
export function isNegligible(value: number, largest: number): boolean {
  return Math.abs(value) <= NEGLIGIBLE_SHARE * Math.abs(largest);
}
