import type { Feature } from '../../protocol/features';

/**
 * How a removed feature disappears from the prompt: `remove` deletes it (and the whitespace that
 * would otherwise double up), `placeholder` puts a fixed text in its place so the prompt keeps its shape.
 */
export type Masking = { readonly kind: 'remove' } | { readonly kind: 'placeholder'; readonly text: string };

export const DEFAULT_PLACEHOLDER = '[MASK]';

export class MaskingError extends Error {
  override readonly name = 'MaskingError';
}

/** Parses the CLI/settings spelling: `remove`, `placeholder` or `placeholder:TEXT`. */
export function parseMasking(spec: string): Masking {
  if (spec === 'remove') return { kind: 'remove' };
  if (spec === 'placeholder') return { kind: 'placeholder', text: DEFAULT_PLACEHOLDER };
  if (spec.startsWith('placeholder:')) return { kind: 'placeholder', text: spec.slice('placeholder:'.length) };
  throw new MaskingError(`Unknown masking "${spec}". Use remove, placeholder or placeholder:TEXT.`);
}

const WHITESPACE = /\s/u;

/**
 * The text a model sees under `mask` (1 = keep feature i, 0 = remove it). Text between features
 * (whitespace, punctuation, pinned spans) is always kept. When features are removed, the two
 * whitespace runs that meet at the gap collapse into one, the one with more line breaks, so removing
 * a paragraph leaves one blank line and removing a word leaves one space.
 */
export function applyMask(text: string, features: readonly Feature[], mask: ArrayLike<number>, masking: Masking): string {
  if (mask.length !== features.length) {
    throw new MaskingError(`The mask has ${mask.length} entries but there are ${features.length} features.`);
  }
  let output = '';
  let cursor = 0;
  let gapOpen = false;
  for (let i = 0; i < features.length; i += 1) {
    const feature = features[i] as Feature;
    const glue = text.slice(cursor, feature.start);
    output = gapOpen ? joinAcrossGap(output, glue) : output + glue;
    if (mask[i] === 1) {
      output += feature.text;
      gapOpen = false;
    } else if (masking.kind === 'placeholder') {
      output += masking.text;
      gapOpen = false;
    } else {
      gapOpen = true;
    }
    cursor = feature.end;
  }
  const tail = text.slice(cursor);
  output = gapOpen ? joinAcrossGap(output, tail, true) : output + tail;
  return output;
}

function joinAcrossGap(before: string, after: string, atEnd = false): string {
  // Scans from the join outwards: a regular expression anchored at the end of the output so far would
  // rescan it on every gap and make masking quadratic in the prompt length.
  let headEnd = before.length;
  while (headEnd > 0 && WHITESPACE.test(before[headEnd - 1] ?? '')) headEnd -= 1;
  let restStart = 0;
  while (restStart < after.length && WHITESPACE.test(after[restStart] ?? '')) restStart += 1;
  const head = before.slice(0, headEnd);
  const trailing = before.slice(headEnd);
  const leading = after.slice(0, restStart);
  const rest = after.slice(restStart);
  // At the very start or end of the prompt the gap's whitespace would only pad it.
  if (head.length === 0) return rest;
  if (atEnd && rest.length === 0) return head;
  return head + (lineBreaks(leading) > lineBreaks(trailing) ? leading : trailing || leading) + rest;
}

function lineBreaks(whitespace: string): number {
  return whitespace.split('\n').length - 1;
}
