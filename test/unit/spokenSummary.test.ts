import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explanationGist } from '../../protocol/gist';
import { spokenSummary } from '../../protocol/spokenSummary';
import { recordedExplanation, sampleExplanation } from '../fixtures/sampleExplanation';

describe('what a screen reader hears', () => {
  it('the verdict, the gist and the three strongest interactions with their spans, kinds and values', () => {
    const explanation = recordedExplanation();
    const spoken = spokenSummary(explanation);
    assert.ok(spoken.startsWith('SPEX explanation: '), spoken);
    assert.ok(spoken.includes(explanationGist(explanation)), spoken);
    const strongest = explanation.interactions
      .filter((term) => term.features.length >= 2)
      .sort((a, b) => Math.abs(b.value) - Math.abs(a.value))[0];
    assert.ok(strongest);
    const said = /Strongest interactions: (.*)\.$/u.exec(spoken)?.[1]?.split('; ') ?? [];
    assert.equal(said.length, 3);
    assert.match(
      said[0] ?? '',
      new RegExp(`^${strongest.features.map((index) => `\\[${index + 1}\\]`).join(' and ')}: (synergy|redundancy) [+−]\\d`, 'u'),
    );
  });

  it('says nothing is a finding where the fit is poor, and "so far" for a partial result', () => {
    const poor = sampleExplanation({ faithfulness: { r2: 0.1, heldOut: 40 }, algorithm: { name: 'proxyspex', reason: 'x' } });
    assert.doesNotMatch(spokenSummary(poor), /Strongest/u);
    assert.match(spokenSummary(poor), /nothing here is a finding/u);
    assert.match(spokenSummary({ ...recordedExplanation(), partial: true }), /^SPEX explanation so far: /u);
  });
});
