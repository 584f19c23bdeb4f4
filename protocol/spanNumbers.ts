/**
 * How spans are numbered wherever people read them: from 1, as documents number their passages, so
 * that span [1] is the first span in the panel, the editor's hovers and marks, and every report.
 * Feature indices in JSON (the `features` of an interaction, `featureValues`) stay 0-based: they are
 * positions in arrays, for programs.
 */
export function spanNumber(index: number): number {
  return index + 1;
}

/** "[3]" for the feature at index 2. */
export function spanTag(index: number): string {
  return `[${spanNumber(index)}]`;
}
