import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explanationGist } from '../../protocol/gist';
import { mobiusToFourier } from '../../server/recovery/conversions';
import { indicesOf } from '../../server/recovery/interactionKey';
import { spectrumFromTerms } from '../../server/recovery/spectrum';
import { sampleExplanation } from '../fixtures/sampleExplanation';
import type { Interaction } from '../../protocol/explanation';

/** The sample with a real expansion made from Möbius terms (span indices 0-based). */
function withExpansion(mobius: Interaction[]): ReturnType<typeof sampleExplanation> {
  const fourier = [...mobiusToFourier(spectrumFromTerms(mobius))].map(([key, value]) => ({ features: indicesOf(key), value }));
  return sampleExplanation({ fourier, interactions: mobius.filter((term) => term.features.length > 0) });
}

describe('the explanation in one sentence', () => {
  it('names the strongest spans, the synergy they need, a substitute pair and what pulls against the answer', () => {
    const explanation = withExpansion([
      { features: [1], value: 2 },
      { features: [0, 2], value: 3 },
      { features: [3], value: -1 },
    ]);
    assert.equal(explanationGist(explanation), 'The answer depends mostly on [2] and on [1]+[3] together; [4] pulls against it.');
  });

  it('keeps two strong spans apart from the synergy with a comma', () => {
    const explanation = withExpansion([
      { features: [1], value: 2 },
      { features: [3], value: 1.8 },
      { features: [0, 2], value: 3 },
    ]);
    assert.equal(explanationGist(explanation), 'The answer depends mostly on [2] and [4], and on [1]+[3] together.');
  });

  it('says when spans stand in for each other, and when nothing is a finding', () => {
    const explanation = withExpansion([
      { features: [0], value: 1 },
      { features: [1], value: 1 },
      { features: [0, 1], value: -1 },
      { features: [2], value: 0.1 },
    ]);
    assert.equal(explanationGist(explanation), 'The answer depends mostly on [1] and [2]; [1]+[2] stand in for each other.');
    const poor = sampleExplanation({ faithfulness: { r2: 0.1, heldOut: 40 }, algorithm: { name: 'proxyspex', reason: 'x' } });
    assert.equal(explanationGist(poor), "The fit does not capture the model's behaviour, so nothing here is a finding.");
  });
});
