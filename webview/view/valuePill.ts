import { svg } from '../dom';
import { signed } from '../format';

/** Pixels per character of the pill's 10 px tabular figures, and its padding: a close upper bound, so text never spills. */
const CHARACTER_WIDTH = 6;
const PADDING = 6;
const HEIGHT = 15;

/**
 * An interaction's value in a pill: text on the editor's background with a border in the
 * interaction's colour, so it reads wherever it sits and never prints over words unboxed.
 * `digits` significant digits; the pill is centred on `at` and, where `within` is given, kept
 * inside [left, right].
 */
export function valuePill(
  at: { readonly x: number; readonly y: number },
  value: number,
  digits: number,
  within?: { readonly left: number; readonly right: number },
): SVGGElement {
  const text = signed(value, digits);
  const width = text.length * CHARACTER_WIDTH + 2 * PADDING;
  let x = at.x - width / 2;
  if (within) x = Math.max(within.left, Math.min(within.right - width, x));
  return svg(
    'g',
    { class: 'value-pill' },
    svg('rect', { x, y: at.y - HEIGHT / 2, width, height: HEIGHT, rx: HEIGHT / 2 }),
    svg('text', { x: x + width / 2, y: at.y, 'text-anchor': 'middle', 'dominant-baseline': 'central' }, text),
  );
}
