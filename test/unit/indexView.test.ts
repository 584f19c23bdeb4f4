import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explanationUnderIndex } from '../../protocol/indexView';
import { interactionIndex, shapleyValues } from '../../server/recovery/indices';
import { keyOfSorted } from '../../server/recovery/interactionKey';
import { spectrumFromTerms } from '../../server/recovery/spectrum';
import { recordedExplanation, sampleExplanation } from '../fixtures/sampleExplanation';

describe('an explanation read under another index (what the editor and the exports show after a switch in the panel)', () => {
  it('recomputes the terms and the feature values from the expansion, as many terms as the run reported', () => {
    const explanation = recordedExplanation();
    const asShapley = explanationUnderIndex(explanation, 'shapley', 1);
    assert.equal(asShapley.index, 'shapley');
    assert.equal(asShapley.order, 1);
    const expected = shapleyValues(spectrumFromTerms(explanation.fourier), explanation.features.length);
    asShapley.featureValues.forEach((value, feature) => assert.ok(Math.abs(value - (expected[feature] as number)) < 1e-12, `φ${feature}`));
    assert.ok(asShapley.interactions.every((term) => term.features.length === 1));
    const asSii = explanationUnderIndex(explanation, 'sii', 2);
    const sii = interactionIndex('sii', spectrumFromTerms(explanation.fourier), 2);
    assert.ok(asSii.interactions.length <= explanation.interactions.length);
    for (const term of asSii.interactions) assert.ok(Math.abs(term.value - (sii.get(keyOfSorted(term.features)) ?? Number.NaN)) < 1e-12);
    const sizes = asSii.interactions.map((term) => Math.abs(term.value));
    assert.deepEqual(
      sizes,
      [...sizes].sort((a, b) => b - a),
    );
    // Everything else is the run's own.
    assert.deepEqual(
      { ...asSii, index: explanation.index, order: explanation.order, interactions: [], featureValues: [] },
      {
        ...explanation,
        interactions: [],
        featureValues: [],
      },
    );
  });

  it('is the explanation itself under its own index, and for an explanation without an expansion', () => {
    const explanation = recordedExplanation();
    assert.equal(explanationUnderIndex(explanation, explanation.index, explanation.order), explanation);
    const withoutExpansion = sampleExplanation();
    assert.equal(explanationUnderIndex(withoutExpansion, 'shapley', 1), withoutExpansion);
  });

  it('reports no findings for a fit that does not capture the model', () => {
    const poor = recordedExplanation({ faithfulness: { r2: 0.1, heldOut: 40 }, algorithm: { name: 'proxyspex', reason: 'test' } });
    const asBanzhaf = explanationUnderIndex(poor, 'banzhaf', 1);
    assert.deepEqual(asBanzhaf.interactions, []);
    assert.ok(asBanzhaf.featureValues.every((value) => value === 0));
  });
});
