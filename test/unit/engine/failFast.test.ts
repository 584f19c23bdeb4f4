import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainText, type ExplainRequest } from '../../../server/engine/explain';
import { plantedSource } from '../../helpers/plantedSource';

const request: Omit<ExplainRequest, 'source'> = {
  text: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '),
  granularity: 'word',
  masking: { kind: 'remove' },
  algorithm: 'proxyspex',
  budget: 2000,
  maxOrder: 3,
  index: 'fsii',
  order: 2,
  top: 10,
  seed: 1,
  concurrency: 4,
};

describe('a scoring failure surfaces at the first masks, not after the budget is spent', () => {
  it('stops when the empty prompt cannot be scored', async () => {
    const source = plantedSource((mask) => {
      if (mask.every((kept) => kept === 0)) throw new Error('the empty prompt cannot be scored');
      return mask.reduce((sum, kept) => sum + kept, 0);
    });
    await assert.rejects(explainText({ ...request, source }), /the empty prompt cannot be scored/u);
    // The empty prompt is among the first masks asked for: the run stops long before its 2,000 masks.
    assert.ok(source.calls < 200, `${source.calls} masks scored before the failure surfaced`);
  });

  it('stops when the noise probe fails', async () => {
    let fullScores = 0;
    const source = plantedSource((mask) => {
      if (mask.every((kept) => kept === 1) && ++fullScores > 1) throw new Error('the model went away');
      return mask.reduce((sum, kept) => sum + kept, 0);
    });
    await assert.rejects(explainText({ ...request, source }), /the model went away/u);
    assert.ok(source.calls < 200, `${source.calls} masks scored before the failure surfaced`);
  });
});
