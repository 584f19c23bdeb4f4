import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignSpans, similarity } from '../../../server/compare/alignSpans';

describe('lining up the spans of two versions by text', () => {
  it('finds unchanged, edited, removed and added spans, in text order', () => {
    const a = ['Alpha opens.', 'Beta follows.', 'Gamma joins.', 'Delta waits.', 'Omega ends.'];
    const b = ['Alpha opens.', 'Beta  follows.', 'Gamma joins now.', 'Delta waits.', 'Kappa arrives late.'];
    const { spans, alignedShare } = alignSpans(a, b);
    assert.deepEqual(spans, [
      { status: 'unchanged', a: 0, b: 0 },
      // Re-wrapped white space is the same span.
      { status: 'unchanged', a: 1, b: 1 },
      { status: 'edited', a: 2, b: 2 },
      { status: 'unchanged', a: 3, b: 3 },
      { status: 'removed', a: 4 },
      { status: 'added', b: 4 },
    ]);
    assert.equal(alignedShare, 0.8);
  });

  it('keeps a moved span apart from the spans around it, and says when two texts share almost nothing', () => {
    const moved = alignSpans(['One.', 'Two.', 'Three.'], ['Three.', 'One.', 'Two.']);
    assert.deepEqual(
      moved.spans.filter((span) => span.status === 'unchanged').map((span) => [span.a, span.b]),
      [
        [0, 1],
        [1, 2],
      ],
    );
    assert.deepEqual(
      moved.spans.filter((span) => span.status !== 'unchanged'),
      [
        { status: 'added', b: 0 },
        { status: 'removed', a: 2 },
      ],
    );
    const unrelated = alignSpans(
      ['The bridge opened in 1931.', 'It has three arches.'],
      ['Bake the bread at 200 degrees.', 'Serve it warm.'],
    );
    assert.equal(unrelated.alignedShare, 0);
    assert.deepEqual(alignSpans([], []).spans, []);
  });

  it('scores an edit by word overlap, ignoring case and punctuation', () => {
    assert.equal(similarity('Gamma joins.', 'gamma JOINS'), 1);
    assert.equal(similarity('Gamma joins.', 'Gamma joins now.'), 2 / 3);
    assert.equal(similarity('Gamma joins.', 'Kappa leaves.'), 0);
  });

  it('aligns thousands of spans without a quadratic table blowing up', () => {
    const a = Array.from({ length: 5000 }, (_, i) => `Sentence number ${i}.`);
    const b = a.filter((_, i) => i % 10 !== 0);
    const { spans } = alignSpans(a, b);
    assert.equal(spans.filter((span) => span.status === 'unchanged').length, 4500);
    assert.equal(spans.filter((span) => span.status === 'removed').length, 500);
  });
});
