import type { Feature } from '../../protocol/features';
import { countLineBreaks, isAllWhitespace, leadingWhitespaceLength, trailingWhitespaceLength } from './whitespace';

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
  if (spec.startsWith('placeholder:')) {
    const text = spec.slice('placeholder:'.length);
    // A blank placeholder would remove features without the whitespace handling of `remove`.
    if (isAllWhitespace(text))
      throw new MaskingError('The placeholder text is blank. Use remove to delete features, or placeholder:TEXT with visible text.');
    return { kind: 'placeholder', text };
  }
  throw new MaskingError(`Unknown masking "${spec}". Use remove, placeholder or placeholder:TEXT.`);
}

/**
 * The text a model sees under `mask` (1 = keep feature i, 0 = remove it). Text between features
 * (whitespace and pinned spans) is always kept, so the all-ones mask reproduces the text exactly.
 * When features are removed, the two whitespace runs that meet at the gap collapse into one, the
 * one with more line breaks, so removing a paragraph leaves one blank line and removing a word
 * leaves one space. The text's own leading and trailing whitespace always stays, whatever is
 * removed: a prompt that ends in a newline must still end in one, or the model's answer would be
 * glued onto the last kept sentence and removing the last span would look decisive for that alone.
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
  const headEnd = before.length - trailingWhitespaceLength(before);
  const restStart = leadingWhitespaceLength(after);
  const head = before.slice(0, headEnd);
  const trailing = before.slice(headEnd);
  const leading = after.slice(0, restStart);
  const rest = after.slice(restStart);
  // Before anything is kept, the output so far is the text's own leading whitespace: it stays, and
  // the gap's whitespace would only pad it. At the very end, `after` is the text's own trailing
  // whitespace, which stays while the whitespace before the gap would only pad it.
  if (head.length === 0) return before + (atEnd && rest.length === 0 ? leading : rest);
  if (atEnd && rest.length === 0) return head + leading;
  return head + (countLineBreaks(leading) > countLineBreaks(trailing) ? leading : trailing || leading) + rest;
}
