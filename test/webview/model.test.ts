import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { banzhafValues } from '../../server/recovery/indices';
import { keyOfSorted } from '../../server/recovery/interactionKey';
import { analyse } from '../../webview/model/analysis';
import { bestKeep, smallestFlip } from '../../webview/model/bestSpans';
import { explanationModel, isRenderableExplanation, sameFeatures } from '../../webview/model/explanationModel';
import { filterTerms, sortTerms } from '../../webview/model/termFilter';
import { complement, maskBits, verifyBlockedReason, withAnswer } from '../../webview/model/verification';
import { flipRule, flips, predict } from '../../webview/model/whatIf';
import { defaultUi, reconcileUi } from '../../webview/state';
import { bridgeScore, recordedExplanation, sampleExplanation } from '../fixtures/sampleExplanation';

/** The panel's pure parts (no DOM): run under Node, next to the browser tests that drive the same code. */
describe('webview model', () => {
  const explanation = recordedExplanation();
  const model = explanationModel(explanation);
  const n = explanation.features.length;

  it('accepts a recorded explanation and refuses an expansion it could not key', () => {
    assert.equal(isRenderableExplanation(explanation), true);
    assert.equal(isRenderableExplanation({ ...explanation, fourier: [{ features: [2, 1], value: 1 }] }), false);
    assert.equal(isRenderableExplanation({ ...explanation, fourier: [{ features: [0, 9], value: 1 }] }), false);
    assert.equal(isRenderableExplanation({ ...explanation, fourier: [{ features: [1], value: Number.NaN }] }), false);
    // A streamed round has no measured full or empty value; JSON turns NaN into null.
    assert.equal(
      isRenderableExplanation(JSON.parse(JSON.stringify({ ...explanation, fullValue: Number.NaN })) as typeof explanation),
      true,
    );
    // The sampling record is optional (older explanations have none) but checked when present.
    const sampling = { budget: 500, rounds: [{ masks: 64, freshR2: null, heldOutR2: 0.5 }], stoppedBecause: 'spent the budget' };
    assert.equal(isRenderableExplanation({ ...explanation, sampling }), true);
    assert.equal(
      isRenderableExplanation({ ...explanation, sampling: { ...sampling, rounds: [{ masks: -1, freshR2: null, heldOutR2: null }] } }),
      false,
    );
    assert.equal(
      isRenderableExplanation({ ...explanation, sampling: { ...sampling, surrogate: { sparse: 1, dense: Number.NaN, trees: 0 } } }),
      false,
    );
    assert.deepEqual(model.orders, [1, 2, 3, 4]);
    assert.equal(sameFeatures(explanation, { ...explanation }), true);
    assert.equal(sameFeatures(explanation, sampleExplanation()), false);
  });

  it('predicts what-ifs through the link-scale surrogate where the explanation has one, and checks it', () => {
    // Value = tanh(0.5 + χ₀) on [−1, 1], χ₀ = (−1)^[span 0 kept]: keeping it gives tanh(−0.5), removing it tanh(1.5).
    const linkScale = {
      min: -1,
      max: 1,
      link: 'atanh' as const,
      fourier: [
        { features: [], value: 0.5 },
        { features: [0], value: 1 },
      ],
      fidelity: 0.9,
    };
    const linked = { ...explanation, linkScale };
    assert.equal(isRenderableExplanation(linked), true);
    assert.equal(isRenderableExplanation({ ...linked, linkScale: { ...linkScale, link: 'exp' as 'atanh' } }), false);
    assert.equal(isRenderableExplanation({ ...linked, linkScale: { ...linkScale, min: 1 } }), false);
    const surrogate = explanationModel(linked).surrogate;
    assert.ok(surrogate);
    assert.ok(Math.abs(predict(surrogate, n, []) - Math.tanh(-0.5)) < 1e-12);
    assert.ok(Math.abs(predict(surrogate, n, [0]) - Math.tanh(1.5)) < 1e-12);
  });

  it('tints by Banzhaf values under the Fourier index, and falls back to the reported values without an expansion', () => {
    const fourier = analyse(model, 'fourier', 2);
    assert.deepEqual([...fourier.firstOrder], [...banzhafValues(model.spectrum, n)]);
    assert.equal(fourier.firstOrderName, 'Banzhaf value');
    assert.ok(
      fourier.terms.every(
        (term, i) => i === 0 || Math.abs((fourier.terms[i - 1] as (typeof fourier.terms)[number]).value) >= Math.abs(term.value),
      ),
    );
    const reported = analyse(explanationModel(sampleExplanation()), 'sii', 3);
    assert.equal(reported.source, 'reported');
    assert.equal(reported.index, 'mobius');
    assert.deepEqual([...reported.firstOrder], [1.5, 0.02, 0, -0.4]);
    assert.deepEqual(
      reported.partners[2]?.map((term) => term.features),
      [
        [1, 2],
        [2, 3],
      ],
    );
  });

  it('filters and sorts terms', () => {
    const { terms } = analyse(model, 'fsii', 2);
    assert.ok(
      filterTerms(terms, { hiddenOrders: [1], synergy: true, redundancy: false, minShare: 0 }).every(
        (term) => term.features.length === 2 && term.value > 0,
      ),
    );
    // The size filter drops terms below its share of the largest term of the whole list.
    const largest = Math.max(...terms.map((term) => Math.abs(term.value)));
    const big = filterTerms(terms, { hiddenOrders: [], synergy: true, redundancy: true, minShare: 0.1 });
    assert.deepEqual(
      big,
      terms.filter((term) => Math.abs(term.value) >= 0.1 * largest),
    );
    assert.ok(big.length < terms.length);
    const byPosition = sortTerms(terms, { key: 'position', descending: false });
    assert.deepEqual(
      byPosition.map((term) => term.features[0]),
      [...byPosition.map((term) => term.features[0] as number)].sort((a, b) => a - b),
    );
  });

  it('predicts what-ifs with the surrogate and finds the best k and the smallest flip', () => {
    const surrogate = model.surrogate;
    assert.ok(surrogate);
    const mask = [1, 4, 6];
    assert.ok(Math.abs(predict(surrogate, n, mask) - bridgeScore(Uint8Array.from(maskBits(n, mask)))) < 1e-9);
    const rule = flipRule(model, surrogate);
    assert.deepEqual(rule, { full: -4.15, empty: -9, threshold: -6.575, direction: 1 });
    assert.equal(flips(rule, -6.6), true);
    assert.equal(flips(rule, -6.5), false);
    assert.deepEqual(bestKeep(surrogate, n, 2, 1).kept, [1, 0]);
    const flip = smallestFlip(surrogate, n, rule);
    assert.deepEqual([flip.removed, flip.flipped], [[1], true]);
    assert.ok(Math.abs(flip.value - bridgeScore(Uint8Array.from(maskBits(n, [1])))) < 1e-9);
    // Without the measured values (a streamed round), the rule uses the surrogate's own ends.
    const streamed = flipRule(explanationModel({ ...explanation, fullValue: Number.NaN, emptyValue: Number.NaN }), surrogate);
    assert.ok(Math.abs(streamed.full - -4.15) < 1e-9 && Math.abs(streamed.empty - -9) < 1e-9);
    assert.deepEqual(complement(5, [3, 1]), [0, 2, 4]);
  });

  it('keeps verifications straight: answers only pending requests, for the mask asked about', () => {
    const pending = [{ requestId: 3, removed: [1], predicted: -7.65, status: 'pending' as const }];
    const mask = maskBits(n, [1]);
    assert.deepEqual(withAnswer(pending, { type: 'verifyResult', requestId: 3, mask, value: -7.7, predicted: -7.65, cached: true }, n), [
      { requestId: 3, removed: [1], predicted: -7.65, status: 'done', value: -7.7, cached: true },
    ]);
    assert.equal(withAnswer(pending, { type: 'verifyFailed', requestId: 4, message: 'x' }, n), undefined);
    assert.equal(
      withAnswer(pending, { type: 'verifyResult', requestId: 3, mask: maskBits(n, [2]), value: 0, predicted: 0, cached: false }, n)?.[0]
        ?.status,
      'failed',
    );
    const message = { type: 'showExplanation' as const, explanation, partial: false };
    assert.equal(verifyBlockedReason({ message, restored: false }), undefined);
    assert.match(verifyBlockedReason({ message: { ...message, partial: true }, restored: false }) ?? '', /still going/u);
    assert.match(verifyBlockedReason({ message, restored: true }) ?? '', /restored/u);
  });

  it('reconciles saved choices with the explanation shown', () => {
    const saved = {
      ...defaultUi(model),
      index: 'stii',
      order: 9,
      selected: [4, 1, 99],
      removed: [8, 2, 2, -1, 'x'],
      matrixTop: 7,
      tab: 'whatif',
      verifications: [{ requestId: 5, removed: [2], predicted: -5, status: 'pending' }, { junk: true }],
      nextRequestId: 2,
    };
    const ui = reconcileUi(saved, model, true);
    assert.equal(ui.index, 'stii');
    assert.equal(ui.order, 2);
    assert.equal(ui.selected, null);
    assert.deepEqual(ui.removed, [2, 8]);
    assert.equal(ui.matrixTop, 25);
    assert.equal(ui.tab, 'whatif');
    assert.deepEqual(ui.verifications, [
      { requestId: 5, removed: [2], predicted: -5, status: 'failed', message: 'No answer: the panel was reloaded while waiting.' },
    ]);
    assert.equal(ui.nextRequestId, 6);
    assert.equal(reconcileUi({ ...saved, selected: [1, 4] }, model, false).selected?.join(), '1,4');
    assert.equal(reconcileUi(saved, model, false).verifications[0]?.status, 'pending');
    // Without an expansion there is nothing to recompute: the reported index and order stay.
    const fixed = reconcileUi(saved, explanationModel(sampleExplanation()), true);
    assert.equal(fixed.index, 'mobius');
    assert.equal(keyOfSorted(ui.removed).length, 2);
  });
});
