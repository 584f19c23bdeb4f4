import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainText, previewCost, type ExplainRequest } from '../../../server/engine/explain';
import { CompiledFourier } from '../../../server/recovery/expansion';
import { keyOfSorted } from '../../../server/recovery/interactionKey';
import type { ValueSource } from '../../../server/value/valueSource';

const N = 30;
const TEXT = Array.from({ length: N }, (_, i) => `w${i}`).join(' ');

/** A source that counts every score it is asked for, by mask. */
function countingSource(): { source: ValueSource; scores: Map<string, number> } {
  const scores = new Map<string, number>();
  const source: ValueSource = {
    model: 'test counting',
    valueFunction: { name: 'planted', reason: 'a smooth function of the kept words that no sparse expansion fits exactly' },
    target: null,
    callsPerMask: 1,
    setupCalls: 0,
    keyParts: { backend: 'test', model: 'counting', valueFunction: 'planted', parameters: {} },
    score: (_text: string, mask: Uint8Array) => {
      const key = mask.join('');
      scores.set(key, (scores.get(key) ?? 0) + 1);
      const kept = mask.reduce((sum, bit, i) => sum + bit * Math.cos(i), 0);
      return Promise.resolve(Math.tanh(kept / 4));
    },
    close: () => Promise.resolve(),
  };
  return { source, scores };
}

const request: Omit<ExplainRequest, 'source'> = {
  text: TEXT,
  granularity: 'word',
  masking: { kind: 'remove' },
  algorithm: 'auto',
  budget: 300,
  maxOrder: 2,
  index: 'fourier',
  order: 2,
  top: 0,
  seed: 2,
  concurrency: 4,
  targetR2: 1,
  plateau: 0,
};

describe('what the budget buys', () => {
  it('distinct masks, the anchors among them, and the noise probe’s repeats: no score twice, no score beyond it', async () => {
    const { source, scores } = countingSource();
    const explanation = await explainText({ ...request, source });
    const total = [...scores.values()].reduce((sum, count) => sum + count, 0);
    assert.equal(total, 300, 'scores taken');
    // The full prompt three times (its own score and the noise probe's two repeats), every other mask once.
    const full = '1'.repeat(N);
    assert.equal(scores.get(full), 3);
    assert.ok(
      [...scores].every(([key, count]) => key === full || count === 1),
      'a mask was scored twice',
    );
    assert.equal(explanation.calls.masks, 298);
    assert.equal(explanation.calls.model, 300);
    assert.equal(explanation.sampling?.noiseRepeats, 2);
    assert.equal(explanation.sampling?.budget, 300);
    assert.ok(scores.has('1'.repeat(N)) && scores.has('0'.repeat(N)), 'both anchors scored');
    // The surrogate passes exactly through the value scored for the full prompt (a what-if that removes nothing).
    const surrogate = new CompiledFourier(new Map(explanation.fourier.map((term) => [keyOfSorted(term.features), term.value])));
    assert.ok(Math.abs(surrogate.evaluate(new Uint8Array(N).fill(1)) - explanation.fullValue) < 1e-9);
  });

  it('previews the same: the budget’s scores, the anchors first among the sampled masks', async () => {
    const { source, scores } = countingSource();
    const preview = await previewCost({ ...request, source });
    assert.equal(preview.plannedMasks, 300);
    assert.equal(preview.plan.masks, 298);
    assert.ok(scores.has('1'.repeat(N)) && scores.has('0'.repeat(N)));
  });

  it('says what is left for masks when the noise probe takes part of a small budget', async () => {
    const { source } = countingSource();
    await assert.rejects(
      explainText({ ...request, source, budget: 17, algorithm: 'proxyspex' }),
      /budget of 17 model calls is too small; ProxySPEX needs at least 18 \(16 masks and 2 repeats/u,
    );
    const withoutProbe = await explainText({ ...request, source, budget: 17, algorithm: 'proxyspex', noiseRepeats: 0 });
    assert.equal(withoutProbe.calls.masks, 17);
    assert.equal(withoutProbe.noiseFloor, null);
  });
});
