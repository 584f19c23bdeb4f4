import type { Feature } from '../protocol/features';

/** A feature's place in the document, as absolute offsets (what TextDocument.positionAt takes). */
export interface DocumentSpan {
  readonly index: number;
  readonly startOffset: number;
  readonly endOffset: number;
}

/**
 * Features carry offsets into the explained text; the editor needs them in the document. The
 * explained text starts at `textOffset` in the document (the selection's start; 0 for a whole file).
 */
export function documentSpans(textOffset: number, features: readonly Feature[]): DocumentSpan[] {
  return features.map((feature) => ({
    index: feature.index,
    startOffset: textOffset + feature.start,
    endOffset: textOffset + feature.end,
  }));
}
