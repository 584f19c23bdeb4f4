import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Granularity } from '../../protocol/features';
import { segmentText, SegmentationError } from '../../server/ablation/segment';
import { assertSegmentationInvariants } from './segmentationInvariants';

const GRANULARITIES: readonly Granularity[] = ['token', 'word', 'sentence', 'line', 'paragraph', 'message'];

const texts = (text: string, granularity: Granularity, pin?: string[]): string[] => {
  const segmentation = segmentText(text, { granularity, ...(pin ? { pin } : {}), locale: 'en' });
  assertSegmentationInvariants(text, segmentation, ` at ${granularity}`);
  return segmentation.features.map((feature) => feature.text);
};

describe('segmentText', () => {
  it('splits words and keeps touching punctuation with its word', () => {
    assert.deepEqual(texts('Hello, world! (It works.) "Quoted" - dash', 'word'), [
      'Hello,',
      'world!',
      '(It',
      'works.)',
      '"Quoted"',
      '-',
      'dash',
    ]);
  });

  it('keeps offsets exact and covers every character for CJK, RTL, emoji and combining marks', () => {
    const samples = [
      '我喜欢吃苹果。你呢？',
      'مرحبا بالعالم، كيف حالك؟',
      'שלום עולם! מה שלומך?',
      'Family 👨‍👩‍👧‍👦 and flags 🇫🇷🇯🇵 and 🍕 pizza',
      'Cafe\u0301 na\u0308ive co\u0327a',
      '𝒳 math 𝔸 letters 😀x',
    ];
    for (const sample of samples) {
      for (const granularity of GRANULARITIES) texts(sample, granularity);
    }
  });

  it('makes every standalone symbol group a word of its own', () => {
    assert.deepEqual(texts('I love 🍕 - really', 'word'), ['I', 'love', '🍕', '-', 'really']);
    assert.deepEqual(texts('Tom & Jerry = 🇫🇷 #️⃣ — x', 'word'), ['Tom', '&', 'Jerry', '=', '🇫🇷', '#️⃣', '—', 'x']);
    assert.deepEqual(texts('# Title\n- item 1️⃣ *️⃣ 🇯🇵🇫🇷', 'word'), ['#', 'Title', '-', 'item', '1️⃣', '*️⃣', '🇯🇵🇫🇷']);
    assert.deepEqual(texts('bad \uFFFD byte', 'word'), ['bad', '\uFFFD', 'byte']);
    // Touching punctuation still joins its word, whichever side it is on.
    assert.deepEqual(texts('(a) «b» c… —d', 'word'), ['(a)', '«b»', 'c…', '—d']);
  });

  it('treats U+FEFF as part of a word, not as whitespace', () => {
    assert.deepEqual(texts('a\uFEFFb word\uFEFF \uFEFF end', 'word'), ['a\uFEFFb', 'word\uFEFF', '\uFEFF', 'end']);
    assert.deepEqual(texts('a\uFEFFb \uFEFF', 'token'), ['a\uFEFFb', '\uFEFF']);
    assert.deepEqual(texts('One.\n\uFEFF\nStill one.', 'paragraph'), ['One.\n\uFEFF\nStill one.']);
  });

  it('refuses no text made only of punctuation', () => {
    assert.deepEqual(texts('!!! ???', 'word'), ['!!!', '???']);
    assert.deepEqual(texts('— & =', 'word'), ['—', '&', '=']);
    for (const granularity of GRANULARITIES) assert.ok(texts('!!! ???', granularity).length > 0, granularity);
  });

  it('covers lone combining marks, lone surrogates, ZWJ sequences and marks on spaces', () => {
    const text = '\u0301 a \u0301b x\uD800y \uDC00 👩\u200D🔬 \u200D \u200B 👍🏽!';
    for (const granularity of GRANULARITIES) texts(text, granularity);
    assert.deepEqual(texts(text, 'word'), ['\u0301', 'a', '\u0301b', 'x\uD800', 'y', '\uDC00', '👩\u200D🔬', '\u200D', '\u200B', '👍🏽!']);
    // U+202F joins words in Intl.Segmenter, but it is whitespace: the words stay apart.
    assert.deepEqual(texts('a\u202Fb', 'word'), ['a', 'b']);
    assert.deepEqual(texts('#️⃣ 1️⃣ x1️⃣', 'token'), ['#️⃣', '1️⃣', 'x', '1️⃣']);
  });

  it('ends lines at CR, LF, CR LF, NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR', () => {
    const text = 'A\rB\nC\r\nD\u0085E\u2028F\u2029G\vH\fI';
    assert.deepEqual(texts(text, 'line'), ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I']);
    assert.deepEqual(texts('One. Two\rThree\u2028Four', 'sentence'), ['One.', 'Two', 'Three', 'Four']);
    assert.deepEqual(texts('A\r\rB\r\n \r\nC\u2029D\n\u00A0\nE', 'paragraph'), ['A', 'B', 'C', 'D', 'E']);
    // NBSP and the ideographic space are whitespace, never part of a feature's edge.
    assert.deepEqual(texts('\u00A0x\u3000y\u0085', 'word'), ['x', 'y']);
  });

  it('splits sentences, lines and paragraphs', () => {
    const text = 'First sentence here. Second one?\nA list line\n\n  Next paragraph. Its end.  \n';
    assert.deepEqual(texts(text, 'sentence'), ['First sentence here.', 'Second one?', 'A list line', 'Next paragraph.', 'Its end.']);
    assert.deepEqual(texts(text, 'line'), ['First sentence here. Second one?', 'A list line', 'Next paragraph. Its end.']);
    assert.deepEqual(texts(text, 'paragraph'), ['First sentence here. Second one?\nA list line', 'Next paragraph. Its end.']);
  });

  it('splits on a custom separator, one feature per chunk', () => {
    const text = 'Doc A text.\n\nDoc B text.\n\n\nDoc C.';
    assert.deepEqual(texts(text, 'separator:\\n\\n+'), ['Doc A text.', 'Doc B text.', 'Doc C.']);
  });

  it('lets the visible text of a separator join the piece before it, or the first piece when it leads', () => {
    const text = 'Doc A text.\n---\nDoc B text.\n---\n\nDoc C.';
    assert.deepEqual(texts(text, 'separator:\\n-{3}\\n'), ['Doc A text.\n---', 'Doc B text.\n---', 'Doc C.']);
    assert.deepEqual(texts('--- A --- --- B ---', 'separator:---'), ['--- A --- ---', 'B ---']);
    assert.deepEqual(texts(' --- --- ', 'separator:---'), ['--- ---']);
    assert.deepEqual(texts('a | b|c', 'separator:\\s*\\|\\s*'), ['a |', 'b|', 'c']);
    // A pin splits the text into regions: a separator leading the region after the pin opens its first piece.
    assert.deepEqual(texts('A --- PIN --- B', 'separator:---', ['PIN']), ['A ---', '--- B']);
  });

  it('never ablates pinned text and never lets a feature cross a pin', () => {
    const text = 'System: be brief. Question: who won? Context one. Context two.';
    const segmentation = segmentText(text, { granularity: 'sentence', pin: ['System:[^.]*\\.', 'Question:[^?]*\\?'] });
    assertSegmentationInvariants(text, segmentation);
    const { features, pinned } = segmentation;
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

  it('pins nothing where a pin matches only the empty string (\\b, a lookahead), and ends', () => {
    const text = 'one sentence here. 🍕 eats.';
    for (const pin of ['\\b', '(?=e)', '(?=🍕)']) {
      const { features, pinned } = segmentText(text, { granularity: 'word', pin: [pin] });
      assert.deepEqual(pinned, [], pin);
      assert.deepEqual(
        features.map((feature) => feature.text),
        ['one', 'sentence', 'here.', '🍕', 'eats.'],
        pin,
      );
    }
  });

  it('segments long text in chunks with the same result as piece by piece', () => {
    const paragraph = 'The Mira bridge opened in 1931! Okafor, an engineer, drew it. 我喜欢吃苹果。 Emoji 🍕 here? Yes.';
    const paragraphs = Array.from({ length: 400 }, (_, i) => `${i}: ${paragraph}`);
    const text = paragraphs.join('\n\n');
    assert.ok(text.length > 20_000);
    for (const granularity of ['word', 'sentence'] as const) {
      const segmentation = segmentText(text, { granularity, locale: 'en' });
      assertSegmentationInvariants(text, segmentation);
      const whole = segmentation.features;
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
