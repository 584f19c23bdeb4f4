import type { Explanation } from '../../protocol/explanation';
import { kindOf } from './spanText';
import { spanNumber } from '../../protocol/spanNumbers';

/**
 * One row per reported interaction: rank, order, value, kind, the spans' numbers (from 1, as every
 * report numbers them) and their texts.
 * Fields are quoted per RFC 4180, and a field that a spreadsheet would run as a formula (=, +, −, @
 * first) is prefixed with an apostrophe, so prompt text cannot inject formulas.
 */
export function formatCsv(explanation: Explanation): string {
  const rows: string[][] = [['rank', 'order', 'value', 'kind', 'spans', 'texts']];
  explanation.interactions.forEach((term, rank) => {
    rows.push([
      String(rank + 1),
      String(term.features.length),
      String(term.value),
      kindOf(explanation, term),
      term.features.map(spanNumber).join(' '),
      term.features.map((index) => explanation.features[index]?.text ?? '').join(' | '),
    ]);
  });
  return `${rows.map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/u.test(value) && !/^-?\d/u.test(value) ? `'${value}` : value;
  return /[",\r\n]/u.test(safe) ? `"${safe.replace(/"/gu, '""')}"` : safe;
}
