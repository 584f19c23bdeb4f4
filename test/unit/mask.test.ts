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

  it('rejects masks of the wrong length and unknown maskings', () => {
    const { features } = segmentText('a b c', { granularity: 'word' });
    assert.throws(() => applyMask('a b c', features, Uint8Array.from([1, 0]), remove), /2 entries but there are 3 features/u);
    assert.throws(() => parseMasking('blank'), /Unknown masking "blank"/u);
  });
});
