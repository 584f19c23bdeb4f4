import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  featureEffects,
  featureRanks,
  featureTints,
  hoverMarkdown,
  panelLink,
  interactionMarks,
  lensTitle,
  partnersOf,
  tintBasisOf,
  tintOf,
} from '../../extension/attribution';
import { mobiusToFourier } from '../../server/recovery/conversions';
import { indicesOf } from '../../server/recovery/interactionKey';
import { spectrumFromTerms } from '../../server/recovery/spectrum';
import { documentSpans } from '../../extension/featureRanges';
import { consentKey, isRemoteEndpoint, needsCostPreview, previewMessage } from '../../extension/runPolicy';
import { DEFAULT_SETTINGS } from '../../extension/settings';
import { sampleExplanation } from '../fixtures/sampleExplanation';

describe('attribution shown in the editor', () => {
  it('tints by sign and strength, and leaves tiny effects untinted', () => {
    assert.equal(tintOf(1, 1), 'raisesStrong');
    assert.equal(tintOf(0.2, 1), 'raisesWeak');
    assert.equal(tintOf(-0.5, 1), 'lowersStrong');
    assert.equal(tintOf(-0.1, 1), 'lowersWeak');
    assert.equal(tintOf(0.01, 1), undefined);
    assert.equal(tintOf(1, 0), undefined);
    assert.deepEqual(featureTints(sampleExplanation()), ['raisesStrong', undefined, undefined, 'lowersWeak']);
  });

  it('ranks features by the size of their effect', () => {
    assert.deepEqual(featureRanks(sampleExplanation()), [1, 3, 4, 2]);
  });

  it('finds a span’s strongest partners', () => {
    assert.deepEqual(
      partnersOf(sampleExplanation(), 2).map((term) => term.features),
      [
        [1, 2],
        [2, 3],
      ],
    );
  });

  it('writes a hover with value, rank and partners, escaping prompt text', () => {
    const hover = hoverMarkdown(sampleExplanation(), 2);
    // Without an expansion the index's own first-order value is all there is.
    assert.match(hover, /span \[3\] · Möbius first-order value 0: barely changes the logprob \(rank 4 of 4\)/u);
    assert.match(hover, /synergy \+2\.00 with \[2\] “Beta \\<b\\>follows\\<\/b\\>\.”/u);
    assert.match(hover, /redundancy −0\.800 with \[4\] “Delta waits\.”/u);
    assert.match(hover, /Verdict: fits well \(held-out R² 0\.970 on 40 masks\)/u);
    assert.doesNotMatch(hover, /<b>/u);
  });

  it('links a hover to the panel with its span selected, and lets prompt text make no link of its own', () => {
    assert.equal(
      panelLink(2),
      '[Show [3] in the SPEX panel](command:spex.showSpanInPanel?%5B2%5D "Open the SPEX panel with this span selected")',
    );
    const base = sampleExplanation();
    const hostileText = 'Click [here](command:spex.clearCache) now.';
    const features = base.features.map((feature, index) => (index === 1 ? { ...feature, text: hostileText } : feature));
    const hover = hoverMarkdown({ ...base, features }, 2);
    assert.match(hover, /Click \\\[here\\\]\\\(command:spex\.clearCache\\\) now\./u);
    assert.doesNotMatch(hover, /\]\(command:/u);
  });

  it('tints a span that matters only together with another by its total effect, and says so in its hover', () => {
    // The sample's Möbius terms as a real expansion: span 2 has no effect alone, +2 with span 1, −0.8 with span 3.
    const mobius = spectrumFromTerms(sampleExplanation().interactions);
    const fourier = [...mobiusToFourier(mobius)].map(([key, value]) => ({ features: indicesOf(key), value }));
    const explanation = sampleExplanation({ fourier });
    const shapley = featureEffects(explanation, 'shapley');
    [1.5, 1.02, 0.6, -0.8].forEach((expected, index) => assert.ok(Math.abs((shapley[index] as number) - expected) < 1e-12, `φ${index}`));
    assert.deepEqual(featureTints(explanation, 'index'), ['raisesStrong', undefined, undefined, 'lowersWeak']);
    assert.deepEqual(featureTints(explanation), ['raisesStrong', 'raisesStrong', 'raisesStrong', 'lowersStrong']);
    assert.deepEqual(featureRanks(explanation), [1, 2, 4, 3]);
    const hover = hoverMarkdown(explanation, 2);
    assert.match(hover, /span \[3\] · total effect \(Shapley value\) \+0\.600: raises the logprob \(rank 4 of 4\)/u);
    assert.match(hover, /No effect alone \(Möbius first-order value 0\); synergy \+2\.00 with \[2\]/u);
    assert.match(hoverMarkdown(explanation, 0), /Alone: Möbius first-order value \+1\.50\./u);
    assert.equal(
      lensTitle(explanation),
      `SPEX · fits well · The answer depends mostly on [1] and on [2]+[3] together; [3]+[4] stand in for each other; [4] pulls against it.`,
    );
    assert.equal(tintBasisOf('banzhaf'), 'banzhaf');
    assert.equal(tintBasisOf('nonsense'), 'shapley');
  });

  it('marks the spans of the strongest interactions with their partners’ numbers', () => {
    assert.deepEqual(
      [...interactionMarks(sampleExplanation())].sort(([a], [b]) => a - b),
      [
        [1, '⟷[3]'],
        [2, '⟷[2] ≈[4]'],
        [3, '≈[3]'],
      ],
    );
    // Interactions within the noise floor are not marked; only the strongest few are.
    const noisy = sampleExplanation({
      interactions: [
        { features: [0, 1], value: 0.1, belowNoise: true },
        { features: [2, 3], value: -0.8 },
      ],
    });
    assert.deepEqual([...interactionMarks(noisy).keys()].sort(), [2, 3]);
    assert.equal(interactionMarks(sampleExplanation(), 1).size, 2);
  });

  it('places decorations at the features’ offsets in the document', () => {
    const explanation = sampleExplanation();
    const spans = documentSpans(100, explanation.features);
    assert.deepEqual(spans[1], { index: 1, startOffset: 100 + 13, endOffset: 100 + 13 + 'Beta <b>follows</b>.'.length });
  });
});

/** A cost estimate for the preview's wording, with the fields a test does not care about filled in. */
function estimate(overrides: Partial<Parameters<typeof previewMessage>[0]>): Parameters<typeof previewMessage>[0] {
  return {
    features: 4,
    algorithm: 'exact',
    reason: 'x',
    plannedMasks: 16,
    plannedCalls: 16,
    valueFunction: { name: 'logprob', reason: 'y' },
    estimatedMs: 500,
    remote: false,
    ...overrides,
  };
}

describe('run policy', () => {
  it('knows which endpoints are remote', () => {
    for (const local of ['http://127.0.0.1:11434', 'http://localhost:8000/v1', 'http://[::1]:11434', 'http://gpu.localhost/v1'])
      assert.equal(isRemoteEndpoint(local), false, local);
    for (const remote of ['https://api.openai.com/v1', 'http://10.0.0.5:11434', 'not a url'])
      assert.equal(isRemoteEndpoint(remote), true, remote);
  });

  it('asks before large runs and before sending text away', () => {
    assert.equal(needsCostPreview(DEFAULT_SETTINGS), false);
    assert.equal(needsCostPreview({ ...DEFAULT_SETTINGS, budget: 5000 }), true);
    assert.equal(needsCostPreview({ ...DEFAULT_SETTINGS, endpoint: 'https://api.openai.com/v1' }), true);
    assert.equal(needsCostPreview({ ...DEFAULT_SETTINGS, backend: 'exec', endpoint: 'https://api.openai.com/v1' }), false);
    assert.equal(needsCostPreview({ ...DEFAULT_SETTINGS, confirmThreshold: 0 }), true);
  });

  it('remembers consent per origin, not per path', () => {
    assert.equal(consentKey('https://api.example.com/v1'), consentKey('https://api.example.com/v2'));
    assert.notEqual(consentKey('https://api.example.com/v1'), consentKey('https://other.example.com/v1'));
  });

  it('states the cost in one sentence', () => {
    const message = previewMessage(
      estimate({ features: 40, algorithm: 'proxyspex', plannedMasks: 1005, plannedCalls: 5025, estimatedMs: 125_000, remote: true }),
    );
    assert.equal(
      message,
      'SPEX will explain 40 spans with proxyspex: up to 1005 masked prompts, 5025 model calls (logprob), about 2 min, sent to a remote endpoint. Continue?',
    );
  });

  it('warns that a single span explains nothing', () => {
    const message = previewMessage(estimate({ features: 1, plannedMasks: 2, plannedCalls: 2 }));
    assert.match(
      message,
      /^SPEX will explain 1 span with exact: .*\. The selection is a single span, so there is nothing to attribute between spans: choose a finer granularity or a longer selection\. Continue\?$/u,
    );
  });
});
