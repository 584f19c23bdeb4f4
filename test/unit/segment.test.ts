import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Feature } from '../../protocol/features';
import { segmentText, SegmentationError } from '../../server/ablation/segment';

/** Every feature must be exactly the text at its offsets, in order, without overlap or outer whitespace. */
function assertWellFormed(text: string, features: readonly Feature[]): void {
  let previousEnd = 0;
  features.forEach((feature, position) => {
    assert.equal(feature.index, position);
    assert.equal(text.slice(feature.start, feature.end), feature.text, `feature ${position} offsets`);
    assert.ok(feature.start >= previousEnd, `feature ${position} overlaps the one before`);
    assert.ok(feature.text.length > 0);
    assert.doesNotMatch(feature.text, /^\s|\s$/u, `feature ${position} has outer whitespace`);
    previousEnd = feature.end;
  });
}

const texts = (text: string, granularity: Parameters<typeof segmentText>[1]['granularity'], pin?: string[]): string[] => {
  const { features } = segmentText(text, { granularity, ...(pin ? { pin } : {}), locale: 'en' });
  assertWellFormed(text, features);
  return features.map((feature) => feature.text);
};

describe('segmentText', () => {
  it('splits words and keeps touching punctuation with its word', () => {
    assert.deepEqual(texts('Hello, world! (It works.) "Quoted" - dash', 'word'), [
      'Hello,',
      'world!',
      '(It',
      'works.)',
      '"Quoted"',
      'dash',
    ]);
  });

  it('keeps offsets exact for CJK, RTL, emoji and combining marks', () => {
    const samples = [
      '我喜欢吃苹果。你呢？',
      'مرحبا بالعالم، كيف حالك؟',
      'שלום עולם! מה שלומך?',
      'Family 👨‍👩‍👧‍👦 and flags 🇫🇷🇯🇵 and 🍕 pizza',
      'Cafe\u0301 na\u0308ive co\u0327a',
      '𝒳 math 𝔸 letters 😀x',
    ];
    for (const sample of samples) {
      for (const granularity of ['word', 'token', 'sentence', 'line', 'paragraph'] as const) {
        const { features } = segmentText(sample, { granularity });
        assertWellFormed(sample, features);
        // Every letter, digit and pictograph of the text belongs to some feature.
        const covered = new Set<number>();
        for (const feature of features) for (let i = feature.start; i < feature.end; i += 1) covered.add(i);
        for (let i = 0; i < sample.length; i += 1) {
          if (/[\p{L}\p{N}]/u.test(sample[i] ?? ''))
            assert.ok(covered.has(i), `${granularity}: character ${i} of ${JSON.stringify(sample)}`);
        }
      }
    }
  });

  it('makes an emoji standing alone a feature but never a bare dash', () => {
    assert.deepEqual(texts('I love 🍕 - really', 'word'), ['I', 'love', '🍕', 'really']);
  });

  it('splits sentences, lines and paragraphs', () => {
    const text = 'First sentence here. Second one?\nA list line\n\n  Next paragraph. Its end.  \n';
    assert.deepEqual(texts(text, 'sentence'), ['First sentence here.', 'Second one?', 'A list line', 'Next paragraph.', 'Its end.']);
    assert.deepEqual(texts(text, 'line'), ['First sentence here. Second one?', 'A list line', 'Next paragraph. Its end.']);
    assert.deepEqual(texts(text, 'paragraph'), ['First sentence here. Second one?\nA list line', 'Next paragraph. Its end.']);
  });

  it('splits on a custom separator, one feature per chunk', () => {
    const text = 'Doc A text.\n---\nDoc B text.\n---\n\nDoc C.';
    assert.deepEqual(texts(text, 'separator:\\n-{3}\\n'), ['Doc A text.', 'Doc B text.', 'Doc C.']);
  });

  it('never ablates pinned text and never lets a feature cross a pin', () => {
    const text = 'System: be brief. Question: who won? Context one. Context two.';
    const { features, pinned } = segmentText(text, { granularity: 'sentence', pin: ['System:[^.]*\\.', 'Question:[^?]*\\?'] });
    assertWellFormed(text, features);
    assert.deepEqual(
      pinned.map((span) => span.text),
      ['System: be brief.', 'Question: who won?'],
    );
    assert.deepEqual(
      features.map((feature) => feature.text),
      ['Context one.', 'Context two.'],
    );
  });

  it('merges overlapping pins', () => {
    const { pinned } = segmentText('abc def ghi', { granularity: 'word', pin: ['abc d', 'c def'] });
    assert.deepEqual(pinned, [{ text: 'abc def', start: 0, end: 7 }]);
  });

  it('segments long text in chunks with the same result as piece by piece', () => {
    const paragraph = 'The Mira bridge opened in 1931! Okafor, an engineer, drew it. 我喜欢吃苹果。 Emoji 🍕 here? Yes.';
    const paragraphs = Array.from({ length: 400 }, (_, i) => `${i}: ${paragraph}`);
    const text = paragraphs.join('\n\n');
    assert.ok(text.length > 20_000);
    for (const granularity of ['word', 'sentence'] as const) {
      const whole = segmentText(text, { granularity, locale: 'en' }).features;
      assertWellFormed(text, whole);
      let offset = 0;
      const pieceByPiece = paragraphs.flatMap((part) => {
        const shifted = segmentText(part, { granularity, locale: 'en' }).features.map((feature) => [feature.text, feature.start + offset]);
        offset += part.length + 2;
        return shifted;
      });
      assert.deepEqual(
        whole.map((feature) => [feature.text, feature.start]),
        pieceByPiece,
      );
    }
  });

  it('returns no features for empty or blank text', () => {
    assert.deepEqual(segmentText('', { granularity: 'word' }).features, []);
    assert.deepEqual(segmentText(' \n\t ', { granularity: 'sentence' }).features, []);
  });

  it('rejects bad patterns and granularities with clear messages', () => {
    assert.throws(
      () => segmentText('a b', { granularity: 'separator:(' }),
      (error: unknown) => {
        assert.ok(error instanceof SegmentationError);
        assert.match(error.message, /not a valid regular expression/u);
        return true;
      },
    );
    assert.throws(() => segmentText('a b', { granularity: 'separator:x*' }), /matches the empty string/u);
    assert.throws(() => segmentText('a b', { granularity: 'separator:' }), /pattern is empty/u);
    assert.throws(() => segmentText('a b', { granularity: 'word', pin: ['['] }), /pin pattern/u);
    assert.throws(() => segmentText('a b', { granularity: 'chapter' as never }), /Unknown granularity "chapter"/u);
  });
});
