import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { applyMask } from '../../server/ablation/mask';
import { createLlamaValueSource } from '../../server/backends/llama/llamaScorer';
import { releaseAllModels } from '../../server/backends/llama/modelRegistry';
import { explainText } from '../../server/engine/explain';
import { exactMask } from '../../server/recovery/exact';
import { CompiledFourier, rSquared } from '../../server/recovery/expansion';
import { keyOfSorted } from '../../server/recovery/interactionKey';
import { STORY, TINY_MODEL_PATH, tinyModelSkip } from './tinyModel';

describe('an explanation of a story by the real model', { skip: tinyModelSkip() }, () => {
  after(() => releaseAllModels());

  it('reaches R² ≥ 0.9 over all 2^n masks with a budget of a quarter of them (n = 10 sentences)', async () => {
    // The answer is the model's own greedy continuation, so the value measures what the story makes it say.
    const source = await createLlamaValueSource({
      model: TINY_MODEL_PATH,
      raw: false,
      value: 'auto',
      maxAnswerTokens: 12,
      concurrency: 4,
      threads: 0,
      prompt: STORY,
    });
    const explanation = await explainText({
      text: STORY,
      granularity: 'sentence',
      masking: { kind: 'remove' },
      source,
      algorithm: 'auto',
      budget: 2 ** 10 / 4,
      maxOrder: 5,
      index: 'fsii',
      order: 2,
      top: 10,
      seed: 0,
      concurrency: 4,
    });
    const n = explanation.features.length;
    assert.equal(n, 10);
    assert.ok(explanation.calls.masks <= 2 ** n / 4 + 2, `${explanation.calls.masks} masks scored`);
    const stats = source.stats();
    assert.ok(stats.evaluatedTokens < stats.noReuseTokens, 'prefix reuse saved tokens');

    // Every mask, scored by the model itself, against the recovered expansion.
    const masks = Array.from({ length: 2 ** n }, (_, index) => exactMask(n, index));
    const actual = await Promise.all(
      masks.map((mask) => source.score(applyMask(STORY, explanation.features, mask, { kind: 'remove' }), mask)),
    );
    const surrogate = new CompiledFourier(new Map(explanation.fourier.map((term) => [keyOfSorted(term.features), term.value])));
    const r2 = rSquared(
      actual,
      masks.map((mask) => surrogate.evaluate(mask)),
    );
    assert.ok(r2 >= 0.9, `R² over all ${2 ** n} masks is ${r2.toFixed(4)}`);
    // The spread of the values is real signal: the story's sentences move the answer's log-probability.
    assert.ok(Math.max(...actual) - Math.min(...actual) > 5);
  });
});
