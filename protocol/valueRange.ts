/** The interval a value always lies in, as users write it: MIN:MAX (a sentiment score: -1:1). */
export interface DeclaredValueRange {
  readonly min: number;
  readonly max: number;
}

/** What a value range looks like, for messages. */
export const VALUE_RANGE_SHAPE = 'MIN:MAX with MIN below MAX (for a sentiment score: -1:1)';

/** MIN:MAX as two finite numbers with MIN below MAX; undefined for anything else. */
export function parseValueRange(text: string): DeclaredValueRange | undefined {
  const parts = text.split(':');
  if (parts.length !== 2 || parts.some((part) => part.trim() === '')) return undefined;
  const [min, max] = parts.map(Number) as [number, number];
  return Number.isFinite(min) && Number.isFinite(max) && min < max ? { min, max } : undefined;
}
