import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeView, filteredExplanation, isTermFilter, SHOW_ALL_TERMS } from '../../protocol/termFilter';
import { formatMarkdown } from '../../server/report/markdown';
import { formatHtml } from '../../server/report/html';
import { sampleExplanation } from '../fixtures/sampleExplanation';

describe("the panel's filters, as the editor and the exports read them", () => {
  // The sample's terms (Möbius): [0] +1.5, [0,1] +2, [2,3] −0.8, [1] +0.02.
  const explanation = sampleExplanation({
    interactions: [
      { features: [0, 1], value: 2 },
      { features: [0], value: 1.5 },
      { features: [2, 3], value: -0.8 },
      { features: [1], value: 0.02 },
    ],
  });

  it('leave out small terms, orders and signs, and say how many and why', () => {
    const small = filteredExplanation(explanation, { ...SHOW_ALL_TERMS, minShare: 0.05 });
    assert.deepEqual(
      small.interactions.map((term) => term.features.join('+')),
      ['0+1', '0', '2+3'],
    );
    assert.deepEqual(small.view, { hiddenOrders: [], synergy: true, redundancy: true, minShare: 0.05, hiddenTerms: 1 });
    assert.equal(describeView(small), "1 term left out by the panel's filters: below 5 % of the largest");
    const pairsOnly = filteredExplanation(explanation, { hiddenOrders: [1], synergy: true, redundancy: false, minShare: 0 });
    assert.deepEqual(
      pairsOnly.interactions.map((term) => term.features.join('+')),
      ['0+1'],
    );
    assert.equal(describeView(pairsOnly), "3 terms left out by the panel's filters: order 1; redundancy and lowering spans");
    // The expansion and the spans' values are whole: tints and what-ifs do not depend on the filter.
    assert.equal(pairsOnly.fourier, explanation.fourier);
    assert.equal(pairsOnly.featureValues, explanation.featureValues);
  });

  it('leave an explanation they do not touch as it is, with no note', () => {
    assert.equal(filteredExplanation(explanation, { ...SHOW_ALL_TERMS, minShare: 0.01 }), explanation);
    assert.equal(describeView(explanation), '');
  });

  it('reach the reports, which say that the list is not whole', () => {
    const small = filteredExplanation(explanation, { ...SHOW_ALL_TERMS, minShare: 0.05 });
    assert.match(formatMarkdown(small), /\n1 term left out by the panel's filters: below 5 % of the largest\.\n/u);
    assert.match(formatHtml(small), /<p class="view">1 term left out by the panel&#39;s filters: below 5 % of the largest\.<\/p>/u);
    assert.doesNotMatch(formatMarkdown(explanation), /left out by the panel/u);
  });

  it('are checked when they come from the webview', () => {
    assert.equal(isTermFilter({ hiddenOrders: [1], synergy: true, redundancy: false, minShare: 0.05 }), true);
    assert.equal(isTermFilter({ hiddenOrders: [1], synergy: true, redundancy: false, minShare: 0.5 }), false);
    assert.equal(isTermFilter({ hiddenOrders: ['1'], synergy: true, redundancy: false, minShare: 0 }), false);
    assert.equal(isTermFilter(null), false);
  });
});
