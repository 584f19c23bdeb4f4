/**
 * The diverging scale spans are tinted with: blue raises, orange lowers (the Okabe–Ito colour-blind-
 * safe pair, as theme colours in styles.css), with the strength (0..1) of |value| relative to the
 * largest setting the opacity. Effects below VISIBLE_SHARE of the largest stay untinted, as in the
 * editor's decorations.
 */
export const VISIBLE_SHARE = 0.05;

export type Tone = 'raises' | 'lowers' | 'neutral';

export interface Tint {
  readonly tone: Tone;
  /** |value| / largest, in [0, 1]. */
  readonly strength: number;
}

export function tintOf(value: number, largest: number): Tint {
  const strength = largest > 0 ? Math.min(1, Math.abs(value) / largest) : 0;
  if (strength < VISIBLE_SHARE) return { tone: 'neutral', strength };
  return { tone: value > 0 ? 'raises' : 'lowers', strength };
}
