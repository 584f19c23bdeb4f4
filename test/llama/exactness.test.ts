import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, describe, it } from 'node:test';
import type { LlamaModel, Token } from 'node-llama-cpp';
import { applyMask } from '../../server/ablation/mask';
import { segmentText } from '../../server/ablation/segment';
import { llamaRuntime } from '../../server/backends/llama/loader';
import { createLlamaValueSource, type LlamaValueSource } from '../../server/backends/llama/llamaScorer';
import { releaseAllModels } from '../../server/backends/llama/modelRegistry';
import { seededRandom } from '../../server/recovery/random';
import { STORY, TINY_MODEL_PATH, tinyModelSkip } from './tinyModel';

/**
 * The reference computation, independent of the backend: its own model instance and context, its own
 * tokenization, one evaluation of the whole sequence with no reuse, and a float64 log-softmax. llama.cpp
 * through node-llama-cpp exposes the softmax of the logits, not the logits; log p is the logit up to a
 * constant per position, so the log-softmax of log p is the log-softmax of the logits.
 */
async function reference(
  model: LlamaModel,
  prompt: string,
  answer: readonly number[],
): Promise<{ values: number[]; first: Map<Token, number> }> {
  const tokens = [model.tokens.bos as Token, ...model.tokenize(prompt), ...(answer as Token[])];
  const promptLength = tokens.length - answer.length;
  const context = await model.createContext({ contextSize: 1024, sequences: 1, threads: 1 });
  try {
    const outputs = await context
      .getSequence()
      .controlledEvaluate(
        tokens.slice(0, -1).map((token, i) => (i >= promptLength - 1 ? [token, { generateNext: { probabilities: true } }] : token)),
      );
    const distributions = answer.map((_, k) => outputs[promptLength - 1 + k]?.next.probabilities as Map<Token, number>);
    const values = answer.map((token, k) => {
      const logits = [...(distributions[k] as Map<Token, number>)].map(([id, probability]) => [id, Math.log(probability)] as const);
      const max = Math.max(...logits.map(([, logit]) => logit));
      const logSumExp = max + Math.log(logits.reduce((sum, [, logit]) => sum + Math.exp(logit - max), 0));
      return (logits.find(([id]) => id === token)?.[1] ?? Number.NEGATIVE_INFINITY) - logSumExp;
    });
    return { values, first: distributions[0] as Map<Token, number> };
  } finally {
    await context.dispose();
  }
}

/** Masked versions of STORY (1 = sentence kept), from a fixed seed. */
function maskedStories(count: number, seed: number): string[] {
  const { features } = segmentText(STORY, { granularity: 'sentence' });
  const random = seededRandom(seed);
  return Array.from({ length: count }, () =>
    applyMask(
      STORY,
      features,
      features.map(() => (random() < 0.5 ? 0 : 1)),
      { kind: 'remove' },
    ),
  );
}

describe('the llama backend on the real model', { skip: tinyModelSkip() }, () => {
  let model: LlamaModel;
  let source: LlamaValueSource;

  before(async () => {
    model = await (await llamaRuntime()).loadModel({ modelPath: TINY_MODEL_PATH });
    source = await createLlamaValueSource({
      model: TINY_MODEL_PATH,
      raw: false,
      value: 'auto',
      maxAnswerTokens: 12,
      concurrency: 4,
      threads: 0,
      prompt: STORY,
    });
  });
  after(async () => {
    await model?.dispose();
    await releaseAllModels();
  });

  it('computes the exact log-probability of the answer: an independent one-pass log-softmax agrees to 1e-6', async () => {
    assert.equal(source.valueFunction.name, 'logprob');
    assert.match(source.valueFunction.reason, /exact log-probability/u);
    assert.equal(source.promptFormat, 'raw', 'stories260K has no chat template');
    assert.ok(model.tokens.shouldPrependBosToken);
    const answer = source.answer.map((token) => token.id);
    assert.ok(answer.length > 0);
    const { values } = await reference(model, STORY, answer);
    const backend = await source.tokenLogprobs(STORY);
    assert.equal(backend.length, values.length);
    values.forEach((value, k) => assert.ok(Math.abs((backend[k] as number) - value) <= 1e-6, `token ${k}: ${backend[k]} vs ${value}`));
    const total = values.reduce((sum, value) => sum + value, 0);
    assert.ok(Math.abs((await source.score(STORY, new Uint8Array(0))) - total) <= 1e-6);
    // The per-token values kept for the report are the same numbers.
    source.answer.forEach((token, k) => assert.ok(Math.abs(token.logprob - (values[k] as number)) <= 1e-6));
  });

  it('scores any label exactly, including one far outside the top 20', async () => {
    const { first } = await reference(model, STORY, source.answer.map((token) => token.id).slice(0, 1));
    const ranked = [...first].sort((a, b) => b[1] - a[1]);
    const rank = ranked.findIndex(([id], index) => {
      if (index < 50) return false;
      const text = model.detokenize([id]);
      const again = model.tokenize(text, false, 'trimLeadingSpace');
      return /^[a-z]{3,}$/u.test(text) && again.length === 1 && again[0] === id;
    });
    assert.ok(rank >= 50, 'a word token ranked 50th or lower exists');
    const [id, probability] = ranked[rank] as [Token, number];
    const label = model.detokenize([id]);
    const labelled = await createLlamaValueSource({
      model: TINY_MODEL_PATH,
      raw: false,
      value: 'label',
      target: label,
      maxAnswerTokens: 12,
      concurrency: 2,
      threads: 0,
      prompt: STORY,
    });
    assert.equal(labelled.valueFunction.name, 'label');
    const [expected] = (await reference(model, STORY, [id])).values;
    const value = await labelled.score(STORY, new Uint8Array(0));
    assert.ok(Math.abs(value - (expected as number)) <= 1e-6, `${value} vs ${expected}`);
    assert.ok(Math.abs(value - Math.log(probability)) < 1e-5);
  });

  it('returns with prefix reuse what it returns without (bit for bit, and an independent evaluation to 1e-5), evaluating fewer tokens', async () => {
    const texts = maskedStories(40, 7);
    const answer = source.answer.map((token) => token.id);
    const before = source.stats();
    const reused = await Promise.all(texts.map((text) => source.tokenLogprobs(text)));
    const after = source.stats();
    for (const [i, text] of texts.entries()) {
      const { values } = await reference(model, text, answer);
      values.forEach((value, k) => assert.ok(Math.abs((reused[i]?.[k] as number) - value) <= 1e-5, `text ${i}, token ${k}`));
    }
    const withoutReuse = await createLlamaValueSource({
      model: TINY_MODEL_PATH,
      raw: false,
      value: 'auto',
      maxAnswerTokens: 12,
      concurrency: 4,
      threads: 0,
      prompt: STORY,
      prefixReuse: false,
    });
    const whole = await Promise.all(texts.map((text) => withoutReuse.tokenLogprobs(text)));
    assert.deepStrictEqual(
      reused.map((values) => [...values]),
      whole.map((values) => [...values]),
    );
    const noReuseStats = withoutReuse.stats();
    assert.equal(noReuseStats.evaluatedTokens, noReuseStats.noReuseTokens);
    const evaluated = after.evaluatedTokens - before.evaluatedTokens;
    const wholeTokens = after.noReuseTokens - before.noReuseTokens;
    assert.equal(after.calls - before.calls, texts.length);
    assert.ok(evaluated < 0.9 * wholeTokens, `evaluated ${evaluated} of ${wholeTokens} tokens`);
  });

  it('scores concurrently (one context per worker) exactly what it scores one at a time, bit for bit', async () => {
    const texts = maskedStories(48, 11);
    const sequential = await createLlamaValueSource({
      model: TINY_MODEL_PATH,
      raw: false,
      value: 'auto',
      maxAnswerTokens: 12,
      concurrency: 1,
      threads: 1,
      prompt: STORY,
    });
    const one: Float64Array[] = [];
    for (const text of texts) one.push(await sequential.tokenLogprobs(text));
    assert.equal(source.settings.workers, Math.min(4, availableParallelism()));
    const many = await Promise.all(texts.map((text) => source.tokenLogprobs(text)));
    assert.deepStrictEqual(
      many.map((values) => [...values]),
      one.map((values) => [...values]),
    );
  });
});
