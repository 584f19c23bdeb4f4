import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGranularity } from '../../protocol/features';
import { isIndexName } from '../../protocol/explanation';
import { isHostToWebviewMessage, isRevealFeatureMessage, isWebviewToHostMessage } from '../../protocol/webview';

const segmentation = {
  type: 'showSegmentation',
  text: 'Hello world',
  features: [
    { index: 0, text: 'Hello', start: 0, end: 5 },
    { index: 1, text: 'world', start: 6, end: 11 },
  ],
  pinned: [],
};

describe('protocol guards', () => {
  it('accept well-formed messages', () => {
    assert.ok(isHostToWebviewMessage(segmentation));
    assert.ok(isWebviewToHostMessage({ type: 'ready' }));
    assert.ok(isWebviewToHostMessage({ type: 'revealFeature', index: 1 }));
  });

  it('reject malformed and hostile messages', () => {
    assert.ok(!isHostToWebviewMessage(null));
    assert.ok(!isHostToWebviewMessage({ ...segmentation, type: 'other' }));
    assert.ok(!isHostToWebviewMessage({ ...segmentation, features: [{ index: 0, text: 'Hello', start: 0, end: 99 }] }));
    assert.ok(!isHostToWebviewMessage({ ...segmentation, features: [{ index: 3, text: 'Hello', start: 0, end: 5 }] }));
    assert.ok(!isHostToWebviewMessage({ ...segmentation, pinned: [{ text: 'x', start: 2, end: 1 }] }));
    for (const index of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1', undefined]) {
      assert.ok(!isRevealFeatureMessage({ type: 'revealFeature', index }), `index ${String(index)}`);
    }
    assert.ok(!isWebviewToHostMessage({ type: 'eval', code: 'alert(1)' }));
    assert.ok(!isWebviewToHostMessage([{ type: 'ready' }]));
  });

  it('know the granularities and indices', () => {
    for (const value of ['token', 'word', 'sentence', 'line', 'paragraph', 'separator:\\n\\n']) assert.ok(isGranularity(value));
    for (const value of ['chapter', '', 3, null]) assert.ok(!isGranularity(value));
    for (const value of ['fourier', 'mobius', 'shapley', 'banzhaf', 'sii', 'bii', 'fsii', 'fbii', 'stii']) assert.ok(isIndexName(value));
    assert.ok(!isIndexName('lime'));
  });
});
