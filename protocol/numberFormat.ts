/** Numbers as people read them in the panel, the editor's hovers and lenses: three significant digits, a typographic minus. */

const MINUS = '\u2212';

/**
 * A value to `digits` significant digits (3 by default: "2.42", "0.717", "11.3", "1235"): enough to
 * compare effects, without the "+3.0000" of fixed decimals. Values below 10⁻⁴ in exponent form.
 */
export function significant(value: number, digits = 3): string {
  const size = Math.abs(value);
  if (size === 0) return '0';
  if (!Number.isFinite(size)) return String(size);
  const magnitude = Math.floor(Math.log10(size));
  if (magnitude < -4) return size.toExponential(digits - 1).replace('e-', `e${MINUS}`);
  return size.toFixed(Math.max(0, digits - 1 - magnitude));
}

/** A value with its sign, e.g. "+2.00" or "−0.0400"; 0 without one. */
export function signed(value: number, digits = 3): string {
  if (value === 0) return '0';
  return `${value < 0 ? MINUS : '+'}${significant(value, digits)}`;
}

/** A plain number with a typographic minus, to `digits` significant digits. */
export function plain(value: number, digits = 3): string {
  return value < 0 ? `${MINUS}${significant(value, digits)}` : significant(value, digits);
}
