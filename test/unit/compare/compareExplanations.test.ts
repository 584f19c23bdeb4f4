import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Explanation } from '../../../protocol/explanation';
import { compareExplanations } from '../../../server/compare/compareExplanations';
import { formatComparisonMarkdown } from '../../../server/report/comparisonMarkdown';
import { sampleExplanation } from '../../fixtures/sampleExplanation';

/** The sample with other span texts (offsets are not read by the comparison). */
function withTexts(texts: readonly string[], overrides: Partial<Explanation> = {}): Explanation {
  const base = sampleExplanation(overrides);
  return { ...base, features: base.features.map((feature, index) => ({ ...feature, text: texts[index] ?? feature.text })) };
}

describe('comparing two explanations', () => {
  it('says first that the answers differ', () => {
    const a = sampleExplanation();
    const b = sampleExplanation({ target: ' The ferry closed in 1931.' });
    const comparison = compareExplanations(a, b);
    assert.equal(comparison.answers.differ, true);
    assert.match(
      formatComparisonMarkdown(comparison),
      /^# SPEX comparison\n\n\*\*The answers differ\.\*\* A: “The bridge opened in 1931\.” · B: “The ferry closed in 1931\.”/u,
    );
    assert.equal(compareExplanations(a, sampleExplanation({ target: '  The bridge opened\nin 1931.' })).answers.differ, false);
  });

  it('shows two unrelated texts unaligned, saying they are too different', () => {
    const a = sampleExplanation();
    const b = withTexts(['Bake the bread.', 'Serve it warm.', 'Add some salt.', 'Eat with butter.']);
    const comparison = compareExplanations(a, b);
    assert.equal(comparison.tooDifferent, true);
    const markdown = formatComparisonMarkdown(comparison);
    assert.match(markdown, /share 0 % of their spans: too different to compare span by span/u);
    assert.doesNotMatch(markdown, /## Spans/u);
  });

  it('escapes prompt text in the Markdown tables', () => {
    const a = withTexts(['Alpha | opens.', 'Beta <b>follows</b>.', 'Gamma joins.', 'Delta waits.']);
    const b = withTexts(['Alpha | opens.', 'Beta <b>follows</b>.', 'Gamma joins.', 'Delta rests.']);
    const markdown = formatComparisonMarkdown(compareExplanations(a, b));
    assert.match(markdown, /Alpha \\\| opens\./u);
    assert.doesNotMatch(markdown, /<b>/u);
  });
});
