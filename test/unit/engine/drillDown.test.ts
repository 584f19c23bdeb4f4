import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMask } from '../../../server/ablation/mask';
import { segmentText } from '../../../server/ablation/segment';
import { finerGranularity } from '../../../protocol/features';
import { liftMask, refineSpans, splittingGranularity, strongestSpans } from '../../../server/engine/drillDown';
import { mobiusToFourier } from '../../../server/recovery/conversions';
import { indicesOf } from '../../../server/recovery/interactionKey';
import { spectrumFromTerms } from '../../../server/recovery/spectrum';
import { sampleExplanation } from '../../fixtures/sampleExplanation';

const TEXT =
  'Question: who built it?\n\nThe Mira bridge opened in 1931. Ana Okafor drew it.  It has three arches.\n\n' +
  'A ferry ran before. It closed in 1931.\n\nSanta Lucia has a market.\n';

describe('drilling down into the strongest spans', () => {
  const coarse = { text: TEXT, ...segmentText(TEXT, { granularity: 'paragraph', pin: ['Question:.*'] }) };

  it('splits the chosen spans into the finer unit, keeps the rest whole, and names every span’s parent', () => {
    const refined = refineSpans(coarse, [0], 'sentence');
    assert.deepEqual(
      refined.features.map((feature) => feature.text),
      [
        'The Mira bridge opened in 1931.',
        'Ana Okafor drew it.',
        'It has three arches.',
        'A ferry ran before. It closed in 1931.',
        'Santa Lucia has a market.',
      ],
    );
    assert.deepEqual(refined.parents, [0, 0, 0, 1, 2]);
    assert.deepEqual(
      refined.features.map((feature) => feature.parent),
      [0, 0, 0, 1, 2],
    );
    assert.deepEqual(
      refined.features.map((feature) => feature.index),
      [0, 1, 2, 3, 4],
    );
    for (const feature of refined.features) assert.equal(TEXT.slice(feature.start, feature.end), feature.text);
    assert.deepEqual(refined.split, [0]);
    assert.deepEqual(refined.pinned, coarse.pinned);
  });

  it('keeps a span that is one piece at the finer unit whole, and says so', () => {
    const refined = refineSpans(coarse, [2], 'sentence');
    assert.deepEqual(refined.split, []);
    assert.deepEqual(refined.unsplittable, [2]);
    assert.equal(refined.features.length, coarse.features.length);
  });

  it('lifts every coarse mask to the finer spans as the same prompt, so the cache answers it', () => {
    for (const finer of ['sentence', 'word', 'token'] as const) {
      const refined = refineSpans(coarse, [0, 1], finer);
      for (let bits = 0; bits < 2 ** coarse.features.length; bits += 1) {
        const mask = Array.from({ length: coarse.features.length }, (_, index) => (bits >> index) & 1);
        assert.equal(
          applyMask(TEXT, refined.features, liftMask(mask, refined.parents), { kind: 'remove' }),
          applyMask(TEXT, coarse.features, mask, { kind: 'remove' }),
          `${finer}, mask ${mask.join('')}`,
        );
      }
    }
  });

  it('picks the spans with the largest total effect, and steps paragraph → sentence → word → token', () => {
    // Span 2 matters only together with span 1 (+2): its total effect, not its first-order value, ranks it.
    const mobius = [
      { features: [0], value: 0.5 },
      { features: [1, 2], value: 2 },
      { features: [3], value: -1.5 },
    ];
    const fourier = [...mobiusToFourier(spectrumFromTerms(mobius))].map(([key, value]) => ({ features: indicesOf(key), value }));
    const explanation = sampleExplanation({ fourier, interactions: mobius });
    assert.deepEqual(strongestSpans(explanation, 2), [3, 1]);
    assert.deepEqual(strongestSpans(explanation, 3), [3, 1, 2]);
    assert.equal(finerGranularity('paragraph'), 'sentence');
    assert.equal(finerGranularity('sentence'), 'word');
    assert.equal(finerGranularity('line'), 'word');
    assert.equal(finerGranularity('word'), 'token');
    assert.equal(finerGranularity('token'), undefined);
    assert.equal(finerGranularity('separator:^---$'), 'sentence');
    // A one-sentence paragraph is split into its words; a single word into its tokens, or nothing.
    assert.equal(splittingGranularity('The bridge opened in 1931.', 'paragraph'), 'word');
    assert.equal(splittingGranularity('It opened. It closed.', 'paragraph'), 'sentence');
    assert.equal(splittingGranularity('a', 'word'), undefined);
  });
});
