import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMask, parseMasking } from '../../server/ablation/mask';
import { segmentText } from '../../server/ablation/segment';

const remove = parseMasking('remove');

function masked(text: string, granularity: 'word' | 'sentence' | 'paragraph', keep: number[], masking = remove): string {
  const { features } = segmentText(text, { granularity });
  return applyMask(text, features, Uint8Array.from(features.map((_, index) => (keep.includes(index) ? 1 : 0))), masking);
}

describe('applyMask', () => {
  it('keeps everything under the all-ones mask', () => {
    const text = '  Leading. Middle one!\n\nLast paragraph.\n';
    const { features } = segmentText(text, { granularity: 'sentence' });
    assert.equal(applyMask(text, features, new Uint8Array(features.length).fill(1), remove), text);
  });

  it('removes words without doubling spaces', () => {
    assert.equal(masked('the quick brown fox', 'word', [0, 3]), 'the fox');
    assert.equal(masked('the quick brown fox', 'word', [1, 2]), 'quick brown');
    assert.equal(masked('the quick brown fox', 'word', []), '');
  });

  it('removes a paragraph and leaves one blank line', () => {
    assert.equal(masked('One.\n\nTwo.\n\nThree.', 'paragraph', [0, 2]), 'One.\n\nThree.');
  });

  it('puts a placeholder where a feature was', () => {
    assert.equal(masked('the quick brown fox', 'word', [0, 3], parseMasking('placeholder')), 'the [MASK] [MASK] fox');
    assert.equal(masked('a b', 'word', [1], parseMasking('placeholder:___')), '___ b');
  });

  it('keeps text between features that is not a feature (pins, punctuation)', () => {
    const text = 'Q: why? A. B.';
    const { features } = segmentText(text, { granularity: 'sentence', pin: ['Q: why\\?'] });
    assert.equal(applyMask(text, features, Uint8Array.from([0, 1]), remove), 'Q: why? B.');
  });

  it('keeps the trailing newline when the last span is removed', () => {
    // Without it the model's answer would be glued onto the previous sentence.
    assert.equal(masked('Once upon a time. The end.\n', 'sentence', [0]), 'Once upon a time.\n');
    assert.equal(masked('One.\n\nTwo.\n\nThree.\n\n', 'paragraph', [0]), 'One.\n\n');
    assert.equal(masked('One.\r\rTwo.\r', 'paragraph', [0]), 'One.\r');
    assert.equal(masked('Lines\u2028end here\u2028', 'word', [0]), 'Lines\u2028');
  });

  it('keeps the leading whitespace when the first span is removed', () => {
    assert.equal(masked('\n  First. Second.', 'sentence', [1]), '\n  Second.');
    assert.equal(masked('\u00A0\tFirst. Second.\n', 'sentence', [1], parseMasking('placeholder')), '\u00A0\t[MASK] Second.\n');
  });

  it('keeps the leading and the trailing whitespace when everything is removed', () => {
    assert.equal(masked('  Once. Upon.\n', 'sentence', []), '  \n');
    assert.equal(masked('Once. Upon.\r\n', 'sentence', []), '\r\n');
  });

  it('keeps the separators between kept spans and collapses removed runs to the run with more line breaks', () => {
    assert.equal(masked('A.\n\nB.\nC. D.', 'sentence', [0, 1, 2, 3]), 'A.\n\nB.\nC. D.');
    assert.equal(masked('A.\n\nB.\nC. D.', 'sentence', [0, 3]), 'A.\n\nD.');
    assert.equal(masked('A. B.\nC.\r\rD.', 'sentence', [0, 3]), 'A.\r\rD.');
  });

  it('rejects a blank placeholder', () => {
    assert.throws(() => parseMasking('placeholder:'), /placeholder text is blank/u);
    assert.throws(() => parseMasking('placeholder: '), /placeholder text is blank/u);
  });

  it('rejects masks of the wrong length and unknown maskings', () => {
    const { features } = segmentText('a b c', { granularity: 'word' });
    assert.throws(() => applyMask('a b c', features, Uint8Array.from([1, 0]), remove), /2 entries but there are 3 features/u);
    assert.throws(() => parseMasking('blank'), /Unknown masking "blank"/u);
  });
});
