import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, describe, it } from 'node:test';
import type { ControlledEvaluateIndexOutput, ControlledEvaluateInputItem, LlamaModel, Token } from 'node-llama-cpp';
import { applyMask } from '../../server/ablation/mask';
import { segmentText } from '../../server/ablation/segment';
import { llamaRuntime } from '../../server/backends/llama/loader';
import { createLlamaValueSource, type LlamaValueSource } from '../../server/backends/llama/llamaScorer';
import { releaseAllModels } from '../../server/backends/llama/modelRegistry';
import { blockStarts, breakTestFor, DEFAULT_BLOCK_RULE, FIXED_BLOCK_RULE } from '../../server/backends/llama/blockPartition';
import { logprobOf } from '../../server/backends/llama/workerPool';
import { seededRandom } from '../../server/recovery/random';
import { STORY, TINY_MODEL_PATH, tinyModelSkip } from './tinyModel';

/**
 * How far two x86-64 CPUs may disagree on one log-probability. llama.cpp picks its float32 kernels by
 * instruction set (AVX2, AVX-512…) and by batch shape, and their different summation orders moved
 * values of this model by up to 5e-4 nats between two machines (−0.16571697 against −0.16526316).
 * The bound leaves twenty times that, while a wrong token or a shifted position moves a value by far
 * more (the last test below measures it at every answer position).
 */
const KERNEL_ABSOLUTE = 1e-2;
const KERNEL_RELATIVE = 1e-3;

function kernelTolerance(value: number): number {
  return KERNEL_ABSOLUTE + KERNEL_RELATIVE * Math.abs(value);
}

/** Asserts each value is within the kernel tolerance of the expected one. */
function assertWithinKernelTolerance(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((value, k) => {
    const difference = Math.abs((actual[k] as number) - value);
    assert.ok(difference <= kernelTolerance(value), `${what}, token ${k}: ${actual[k]} vs ${value} (${difference} apart)`);
  });
}

/** The context size a backend worker gets for `tokens` tokens: 256, doubled until it fits (see workerPool.ts). */
function workerContextSize(tokens: number): number {
  let size = 256;
  while (size < tokens) size *= 2;
  return size;
}

/**
 * The reference evaluation, independent of the backend: its own context, its own tokenization, one
 * evaluation of the whole sequence with no reuse. Returns, for each answer token, the softmax that
 * predicts it. `batches` chooses the batch shapes: 'blocks' evaluates in the backend's blocks (the
 * block rule's split of this very sequence, one batch each) on as many threads, so this CPU runs the
 * very kernels the backend runs and the values must agree bit for bit; 'whole' evaluates the sequence
 * as one batch, so other kernels may run and the values agree only to the kernel tolerance.
 */
async function referenceDistributions(
  model: LlamaModel,
  prompt: string,
  answer: readonly number[],
  batches: 'blocks' | 'whole',
  threads: number,
): Promise<Map<Token, number>[]> {
  const tokens = [model.tokens.bos as Token, ...model.tokenize(prompt), ...(answer as Token[])];
  const promptLength = tokens.length - answer.length;
  const context = await model.createContext({
    contextSize: workerContextSize(tokens.length),
    sequences: 1,
    threads,
    batchSize: batches === 'blocks' ? DEFAULT_BLOCK_RULE.maxTokens : workerContextSize(tokens.length),
  });
  try {
    const sequence = context.getSequence();
    const input: ControlledEvaluateInputItem[] = tokens
      .slice(0, -1)
      .map((token, i) => (i >= promptLength - 1 ? [token, { generateNext: { probabilities: true } }] : token));
    const starts = batches === 'blocks' ? blockStarts(tokens, breakTestFor(model, DEFAULT_BLOCK_RULE.breaks), DEFAULT_BLOCK_RULE) : [0];
    const outputs: (ControlledEvaluateIndexOutput | undefined)[] = [];
    for (const [k, start] of starts.entries()) {
      if (start >= input.length) break;
      const end = Math.min(starts[k + 1] ?? input.length, input.length);
      // Outputs come back sparse: index them by position, not by order.
      const block = await sequence.controlledEvaluate(input.slice(start, end));
      for (let i = start; i < end; i += 1) outputs[i] = block[i - start];
    }
    return answer.map((_, k) => outputs[promptLength - 1 + k]?.next.probabilities as Map<Token, number>);
  } finally {
    await context.dispose();
  }
}

/**
 * A float64 log-softmax, written apart from the backend's: llama.cpp through node-llama-cpp exposes the
 * softmax of the logits, not the logits; log p is the logit up to a constant per position, so the
 * log-softmax of log p is the log-softmax of the logits.
 */
function logSoftmaxes(distribution: ReadonlyMap<Token, number>): Map<Token, number> {
  const logits = [...distribution].map(([id, probability]) => [id, Math.log(probability)] as const);
  const max = Math.max(...logits.map(([, logit]) => logit));
  const logSumExp = max + Math.log(logits.reduce((sum, [, logit]) => sum + Math.exp(logit - max), 0));
  return new Map(logits.map(([id, logit]) => [id, logit - logSumExp]));
}

function logSoftmax(distribution: ReadonlyMap<Token, number>, token: Token): number {
  return logSoftmaxes(distribution).get(token) ?? Number.NEGATIVE_INFINITY;
}

/** Masked versions of STORY (1 = span kept), from a fixed seed. */
function maskedStories(count: number, seed: number, granularity: 'sentence' | 'word' = 'sentence'): string[] {
  const { features } = segmentText(STORY, { granularity });
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

  it('computes the exact log-probability of the answer: bit for bit what the same batch shapes give, within kernel tolerance of one batch', async () => {
    assert.equal(source.valueFunction.name, 'logprob');
    assert.match(source.valueFunction.reason, /exact log-probability/u);
    assert.equal(source.promptFormat, 'raw', 'stories260K has no chat template');
    assert.ok(model.tokens.shouldPrependBosToken);
    const answer = source.answer.map((token) => token.id);
    assert.ok(answer.length > 0);
    const backend = [...(await source.tokenLogprobs(STORY))];

    // The same kernels on this CPU: the same numbers, and an independent float64 log-softmax of them agrees to rounding.
    const blocks = await referenceDistributions(model, STORY, answer, 'blocks', source.settings.threads);
    assert.deepStrictEqual(
      backend,
      blocks.map((distribution, k) => logprobOf(distribution, answer[k] as Token)),
    );
    blocks.forEach((distribution, k) => {
      const independent = logSoftmax(distribution, answer[k] as Token);
      assert.ok(Math.abs((backend[k] as number) - independent) <= 1e-9, `token ${k}: ${backend[k]} vs ${independent}`);
    });

    // Other batch shapes (and other CPUs) may run other kernels: the values agree to what float32 kernels can differ by.
    const whole = await referenceDistributions(model, STORY, answer, 'whole', 1);
    const wholeValues = whole.map((distribution, k) => logSoftmax(distribution, answer[k] as Token));
    assertWithinKernelTolerance(backend, wholeValues, 'one batch');

    const total = backend.reduce((sum, value) => sum + value, 0);
    assert.equal(await source.score(STORY, new Uint8Array(0)), total);
    // The per-token values kept for the report are the same numbers.
    assert.deepStrictEqual(
      source.answer.map((token) => token.logprob),
      backend,
    );
  });

  it('scores any label exactly, including one far outside the top 20', async () => {
    const [first] = await referenceDistributions(
      model,
      STORY,
      source.answer.map((token) => token.id).slice(0, 1),
      'blocks',
      source.settings.threads,
    );
    const ranked = [...(first as Map<Token, number>)].sort((a, b) => b[1] - a[1]);
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
    const value = await labelled.score(STORY, new Uint8Array(0));
    const [blocks] = await referenceDistributions(model, STORY, [id], 'blocks', labelled.settings.threads);
    assert.equal(value, logprobOf(blocks as Map<Token, number>, id));
    const [whole] = await referenceDistributions(model, STORY, [id], 'whole', 1);
    assertWithinKernelTolerance([value], [logSoftmax(whole as Map<Token, number>, id)], `the label ${JSON.stringify(label)}`);
    // Its probability as llama.cpp's softmax gives it, whose float32 sum is 1 to about 1e-6.
    assert.ok(Math.abs(value - Math.log(probability)) < 1e-5, `${value} vs log ${probability}`);
  });

  it('returns with prefix reuse what it returns without, and what the same batch shapes give from scratch, bit for bit, evaluating fewer tokens', async () => {
    const texts = maskedStories(40, 7);
    const answer = source.answer.map((token) => token.id);
    const before = source.stats();
    const reused = await Promise.all(texts.map((text) => source.tokenLogprobs(text)));
    const after = source.stats();
    for (const [i, text] of texts.entries()) {
      const blocks = await referenceDistributions(model, text, answer, 'blocks', source.settings.threads);
      assert.deepStrictEqual(
        [...(reused[i] as Float64Array)],
        blocks.map((distribution, k) => logprobOf(distribution, answer[k] as Token)),
        `text ${i}`,
      );
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

  it('decodes in blocks that follow the text: any order gives the bits of those blocks from scratch, reusing more than fixed blocks, whose bits differ', async () => {
    // Word masks diverge inside sentences, sentence masks where blocks may start; one worker scores them
    // one at a time in a shuffled order, so each is rewound after an unrelated predecessor.
    const random = seededRandom(5);
    const texts = [...maskedStories(24, 13, 'word'), ...maskedStories(12, 17)].sort(() => random() - 0.5);
    const answer = source.answer.map((token) => token.id);
    const scoreInOrder = async (
      blockRule: typeof DEFAULT_BLOCK_RULE,
    ): Promise<{ values: number[][]; stats: ReturnType<LlamaValueSource['stats']> }> => {
      const one = await createLlamaValueSource({
        model: TINY_MODEL_PATH,
        raw: false,
        value: 'auto',
        maxAnswerTokens: 12,
        concurrency: 1,
        threads: 1,
        prompt: STORY,
        blockRule,
      });
      const values: number[][] = [];
      for (const text of texts) values.push([...(await one.tokenLogprobs(text))]);
      return { values, stats: one.stats() };
    };
    const content = await scoreInOrder(DEFAULT_BLOCK_RULE);
    for (const [i, text] of texts.entries()) {
      const blocks = await referenceDistributions(model, text, answer, 'blocks', 1);
      assert.deepStrictEqual(
        content.values[i],
        blocks.map((distribution, k) => logprobOf(distribution, answer[k] as Token)),
        `text ${i}`,
      );
    }
    const fixed = await scoreInOrder(FIXED_BLOCK_RULE);
    // The same prompts in the same order: the same ideal, and content-defined blocks come closer to it.
    assert.equal(content.stats.idealTokens, fixed.stats.idealTokens);
    assert.ok(
      content.stats.evaluatedTokens < fixed.stats.evaluatedTokens,
      `${content.stats.evaluatedTokens} vs ${fixed.stats.evaluatedTokens}`,
    );
    assert.ok(content.stats.idealTokens <= content.stats.evaluatedTokens);
    // Batch shapes change the last bits on this CPU, so the comparisons above would catch a position decoded in another batch.
    assert.notDeepStrictEqual(content.values, fixed.values);
  });

  it('tolerates kernel differences far smaller than a wrong token or a shifted position makes, at every answer position', async (t) => {
    const answer = source.answer.map((token) => token.id as Token);
    const distributions = await referenceDistributions(model, STORY, answer, 'whole', 1);
    const right = distributions.map((distribution, k) => logSoftmax(distribution, answer[k] as Token));
    let smallest = Number.POSITIVE_INFINITY;
    distributions.forEach((distribution, k) => {
      // On any CPU the backend's value and the reference's each move by at most one tolerance, so a mistake
      // that moves a value by more than three tolerances fails the comparisons above everywhere.
      const bound = 3 * kernelTolerance(right[k] as number);
      // The answer is the greedy continuation, so the closest any other token comes is the runner-up: every swap is caught.
      const others = [...logSoftmaxes(distribution)].filter(([id]) => id !== answer[k]).map(([, value]) => value);
      const nearestSwap = Math.min(...others.map((value) => Math.abs(value - (right[k] as number))));
      assert.ok(nearestSwap > bound, `token ${k}: the nearest other token is ${nearestSwap} away, within three tolerances (${bound})`);
      smallest = Math.min(smallest, nearestSwap / bound);
      // Scoring token k with the softmax of the position before or after it (an off-by-one in the position bookkeeping).
      for (const neighbour of [distributions[k - 1], distributions[k + 1]]) {
        if (neighbour === undefined) continue;
        const shifted = Math.abs(logSoftmax(neighbour, answer[k] as Token) - (right[k] as number));
        assert.ok(shifted > bound, `token ${k}: one position off moves it by ${shifted}, within three tolerances (${bound})`);
        smallest = Math.min(smallest, shifted / bound);
      }
    });
    t.diagnostic(`the closest mistake moves a value by ${smallest.toFixed(1)} times three kernel tolerances`);
  });
});
