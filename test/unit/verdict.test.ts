import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Interaction } from '../../protocol/explanation';
import { describeVerdict, verdictOf, type VerdictInput } from '../../protocol/verdict';
import { explainText, type ExplainRequest } from '../../server/engine/explain';
import { gaussian, seededRandom } from '../../server/recovery/random';
import { formatHtml } from '../../server/report/html';
import { formatMarkdown } from '../../server/report/markdown';
import { plantedSource } from '../helpers/plantedSource';

/** A verdict input with a Fourier expansion whose variance over uniform masks is `variance`. */
function input(
  r2: number | null,
  options: { variance?: number; noise?: number | null; algorithm?: string; heldOut?: number } = {},
): VerdictInput {
  const fourier: Interaction[] = [
    { features: [], value: 1 },
    { features: [0], value: Math.sqrt(options.variance ?? 1) },
  ];
  return {
    faithfulness: { r2, heldOut: options.heldOut ?? (r2 === null ? 0 : 200) },
    noiseFloor: options.noise ?? 0,
    fourier,
    algorithm: { name: options.algorithm ?? (r2 === null ? 'exact' : 'proxyspex'), reason: '' },
  };
}

describe('verdictOf', () => {
  it('calls an exact recovery of deterministic values exact', () => {
    const verdict = verdictOf(input(null));
    assert.equal(verdict.level, 'exact');
    assert.equal(verdict.advice, null);
  });

  it('grades held-out R² as fits well, rough or does not fit', () => {
    assert.equal(verdictOf(input(0.95)).level, 'good');
    assert.equal(verdictOf(input(0.8)).level, 'good');
    assert.equal(verdictOf(input(0.79)).level, 'rough');
    assert.equal(verdictOf(input(0.5)).level, 'rough');
    assert.equal(verdictOf(input(0.49)).level, 'poor');
    assert.equal(verdictOf(input(-0.12)).level, 'poor');
    assert.match(
      describeVerdict(verdictOf(input(-0.12))),
      /^does not fit.*held-out R² -0\.120 on 200 masks.*coarser granularity or a larger budget/u,
    );
    assert.match(describeVerdict(verdictOf(input(0.6))), /^rough: read the top spans only/u);
  });

  it('does not call noisy values exact: the noise floor caps what any fit can explain', () => {
    // Repeated scores vary by 0.6 while the values vary by √0.3 over masks: noise is most of the variance.
    const noisy = verdictOf(input(null, { variance: 0.3, noise: 0.6 }));
    assert.equal(noisy.level, 'poor');
    assert.match(noisy.evidence, /repeated scores vary by 0\.60/u);
    assert.equal(verdictOf(input(null, { variance: 1, noise: 0.6 })).level, 'rough');
    assert.equal(verdictOf(input(null, { variance: 100, noise: 0.6 })).level, 'good');
    // A held-out R² is capped the same way.
    assert.equal(verdictOf(input(0.99, { variance: 0.3, noise: 0.6 })).level, 'poor');
  });

  it('never calls an unchecked fit good', () => {
    assert.equal(verdictOf(input(null, { algorithm: 'spex' })).level, 'rough');
    assert.equal(verdictOf({ ...input(0.9), faithfulness: { r2: Number.NaN, heldOut: 10 } }).level, 'rough');
  });
});

describe('explanations carry their verdict and report no findings from a fit that does not fit', () => {
  const common: Omit<ExplainRequest, 'text' | 'source' | 'budget'> = {
    granularity: 'word',
    masking: { kind: 'remove' },
    algorithm: 'auto',
    maxOrder: 3,
    index: 'fsii',
    order: 2,
    top: 10,
    seed: 1,
    concurrency: 4,
  };

  it('lists no interactions and tints nothing when held-out R² is poor', async () => {
    // An additive function of 400 words scored on 150 masks: far too few masks to capture it.
    const random = seededRandom(7);
    const weights = Float64Array.from({ length: 400 }, () => gaussian(random));
    const text = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');
    const explanation = await explainText({
      ...common,
      text,
      budget: 150,
      source: plantedSource((mask) => mask.reduce((sum, kept, i) => sum + kept * (weights[i] as number), 0)),
    });
    assert.ok(explanation.faithfulness.r2 !== null && explanation.faithfulness.r2 < 0.5, `held-out R² ${explanation.faithfulness.r2}`);
    assert.equal(explanation.verdict?.level, 'poor');
    assert.deepEqual(explanation.interactions, []);
    assert.ok(explanation.featureValues.every((value) => value === 0));
    const markdown = formatMarkdown(explanation);
    assert.match(markdown, /\*\*Verdict: does not fit/u);
    assert.match(markdown, /None reported: the surrogate does not capture the model's behaviour/u);
    assert.doesNotMatch(markdown, /\| synergy \||\| raises \||\| lowers \|/u);
    assert.match(formatHtml(explanation), /Verdict: does not fit/u);
  });

  it('does not call an exact recovery of a noisy scorer exact', async () => {
    const random = seededRandom(3);
    const text = 'One. Two. Three. Four. Five. Six. Seven. Eight.';
    const explanation = await explainText({
      ...common,
      granularity: 'sentence',
      text,
      budget: 1000,
      source: plantedSource((mask) => 0.3 * (mask[0] as number) + 0.6 * gaussian(random)),
    });
    assert.equal(explanation.algorithm.name, 'exact');
    assert.ok((explanation.noiseFloor ?? 0) > 0.2, `noise floor ${explanation.noiseFloor}`);
    assert.notEqual(explanation.verdict?.level, 'exact');
    assert.notEqual(explanation.verdict?.level, 'good');
    assert.doesNotMatch(formatMarkdown(explanation), /Verdict: exact/u);
  });

  it('calls a well-captured explanation good and keeps its findings', async () => {
    const text = 'Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon';
    const explanation = await explainText({
      ...common,
      text,
      budget: 400,
      source: plantedSource((mask) => 2 * (mask[0] as number) - (mask[5] as number) + 1.5 * (mask[2] as number) * (mask[9] as number)),
    });
    assert.ok(explanation.verdict?.level === 'good' || explanation.verdict?.level === 'exact', describeVerdict(explanation.verdict!));
    assert.ok(explanation.interactions.some((term) => term.features.join(',') === '2,9'));
    assert.match(formatMarkdown(explanation), /\*\*Verdict: fits well\*\*/u);
  });
});
