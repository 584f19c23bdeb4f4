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
  const output = new MaskedText();
  let cursor = 0;
  let gapOpen = false;
  for (let i = 0; i < features.length; i += 1) {
    const feature = features[i] as Feature;
    const glue = text.slice(cursor, feature.start);
    if (gapOpen) output.joinAcrossGap(glue, false);
    else output.append(glue);
    if (mask[i] === 1) {
      output.append(feature.text);
      gapOpen = false;
    } else if (masking.kind === 'placeholder') {
      output.append(masking.text);
      gapOpen = false;
    } else {
      gapOpen = true;
    }
    cursor = feature.end;
  }
  const tail = text.slice(cursor);
  if (gapOpen) output.joinAcrossGap(tail, true);
  else output.append(tail);
  return output.toString();
}

/**
 * The masked text as it is built: the pieces up to its last non-whitespace character, and the
 * whitespace after it kept apart, so that closing a gap never has to look back into (or copy) what
 * was built before. Concatenating onto the whole text and scanning its end at every gap made each
 * mask cost a copy of the text per removed feature.
 */
class MaskedText {
  /** Pieces that end, together, in non-whitespace (or are empty: nothing but whitespace kept yet). */
  private readonly head: string[] = [];
  /** The whitespace at the very end. */
  private trailing = '';

  append(piece: string): void {
    if (piece === '') return;
    const trailing = trailingWhitespaceLength(piece);
    if (trailing === piece.length) {
      this.trailing += piece;
      return;
    }
    if (this.trailing !== '') this.head.push(this.trailing);
    this.head.push(trailing === 0 ? piece : piece.slice(0, piece.length - trailing));
    this.trailing = trailing === 0 ? '' : piece.slice(piece.length - trailing);
  }

  /**
   * Appends `after`, the text that followed removed features, as `applyMask` describes: the two
   * whitespace runs meeting at the gap become the one with more line breaks; the text's own leading
   * whitespace (nothing kept yet) and, `atEnd`, its own trailing whitespace stay as they are.
   */
  joinAcrossGap(after: string, atEnd: boolean): void {
    const restStart = leadingWhitespaceLength(after);
    const leading = after.slice(0, restStart);
    const rest = after.slice(restStart);
    if (this.head.length === 0) {
      this.append(atEnd && rest.length === 0 ? leading : rest);
      return;
    }
    if (atEnd && rest.length === 0) {
      this.trailing = leading;
      return;
    }
    this.trailing = countLineBreaks(leading) > countLineBreaks(this.trailing) ? leading : this.trailing || leading;
    this.append(rest);
  }

  toString(): string {
    return this.head.join('') + this.trailing;
  }
}
