import type { ValueRange } from '../server/recovery/types';

/** What a value range looks like, for messages. */
export const VALUE_RANGE_SHAPE = 'MIN:MAX with MIN below MAX (for a sentiment score: -1:1)';

/** MIN:MAX, the interval a value always lies in, as users write it; undefined unless two finite numbers with MIN below MAX. */
export function parseValueRange(text: string): ValueRange | undefined {
  const parts = text.split(':');
  if (parts.length !== 2 || parts.some((part) => part.trim() === '')) return undefined;
  const [min, max] = parts.map(Number) as [number, number];
  return Number.isFinite(min) && Number.isFinite(max) && min < max ? { min, max } : undefined;
}
