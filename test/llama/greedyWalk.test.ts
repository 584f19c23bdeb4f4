import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyMask } from '../../server/ablation/mask';
import { segmentText } from '../../server/ablation/segment';
import { OllamaEndpoint } from '../../server/backends/ollamaEndpoint';
import { createLlamaValueSource } from '../../server/backends/llama/llamaScorer';
import { releaseAllModels } from '../../server/backends/llama/modelRegistry';
import { explainText, previewCost } from '../../server/engine/explain';
import { createValueSource, type ValueSource } from '../../server/engine/valueSource';
import { fullMask, uniformMask } from '../../server/recovery/masks';
import { seededRandom } from '../../server/recovery/random';
import { ValueSetupError } from '../../server/value/chooseValueFunction';
import type { WalkResult } from '../../server/value/greedyWalk';
import { maskValueOf } from '../../server/value/valueFunction';
import { startRealModelOllama, type RealModelOllama } from '../fixtures/realModelOllama/server';
import { waitFor } from '../helpers/waitFor';
import { STORY, TINY_MODEL_PATH, tinyModelSkip } from './tinyModel';

/**
 * The greedy walk over the Ollama API against the real tiny model (test/fixtures/realModelOllama):
 * real greedy answers, real divergences under masks, real log-probabilities. Generated tokens are
 * evaluated one by one and forced ones in a batch, in float32, so the two readings of one value
 * agree to rounding, not bit for bit (a real Ollama does the same).
 */
const ROUNDING = 0.02;
const ANSWER_TOKENS = 12;

describe('the greedy walk over the Ollama API, on the real tiny model', { skip: tinyModelSkip() }, () => {
  let server: RealModelOllama;
  const features = segmentText(STORY, { granularity: 'sentence' }).features;
  const random = seededRandom(23);
  const masks = [fullMask(features.length), ...Array.from({ length: 24 }, () => uniformMask(features.length, random))];

  const source = (method: 'walk' | 'tokenwise', onWalk?: (walk: WalkResult) => void): Promise<ValueSource> =>
    createValueSource({
      backend: 'ollama',
      endpoints: [server.url],
      model: server.model,
      raw: true,
      value: 'logprob',
      maxAnswerTokens: ANSWER_TOKENS,
      concurrency: 2,
      timeoutMs: 60_000,
      retries: 1,
      seed: 0,
      prompt: STORY,
      logprobMethod: method,
      ...(onWalk ? { onWalk } : {}),
    });

  before(async () => {
    server = await startRealModelOllama({ parallel: 2, threads: 1 });
  });
  after(async () => {
    await server.close();
    await releaseAllModels();
  });

  it('reads the token-by-token value, and the exact one, mask by mask, in one call plus one per divergence', async () => {
    const walks: WalkResult[] = [];
    const walk = await source('walk', (result) => walks.push(result));
    const byToken = await source('tokenwise');
    const exact = await createLlamaValueSource({
      model: TINY_MODEL_PATH,
      raw: true,
      value: 'logprob',
      target: walk.target ?? '',
      maxAnswerTokens: ANSWER_TOKENS,
      concurrency: 1,
      threads: 1,
      prompt: STORY,
    });
    assert.equal(byToken.target, walk.target);
    let divergent = 0;
    for (const mask of masks) {
      const text = applyMask(STORY, features, mask, { kind: 'remove' });
      const before = server.stats().generations;
      const walked = maskValueOf(await walk.score(text, mask));
      const calls = server.stats().generations - before;
      const read = maskValueOf(await byToken.score(text, mask));
      const truth = await exact.score(text, mask);
      assert.equal(walked.bounded, read.bounded);
      assert.ok(Math.abs(walked.value - read.value) <= ROUNDING, `walk ${walked.value}, token by token ${read.value}`);
      if (walked.bounded) assert.ok(walked.value >= truth - ROUNDING, `a bound ${walked.value} below the exact ${truth}`);
      else assert.ok(Math.abs(walked.value - truth) <= ROUNDING, `walk ${walked.value}, exact ${truth}`);
      assert.equal(walks[walks.length - 1]?.calls, calls);
      if (calls > 1) divergent += 1;
    }
    // Under the full prompt the model gives the answer itself: one call.
    assert.equal(walks[0]?.calls, 1);
    assert.ok(divergent >= 5, `only ${divergent} masks diverged from the answer`);
    // One call per answer token and mask, against the walk's few.
    const walkCalls = walks.reduce((sum, result) => sum + result.calls, 0);
    assert.ok(walkCalls < (masks.length * ANSWER_TOKENS) / 2, `${walkCalls} walk calls for ${masks.length} masks`);
    for (const each of [walk, byToken, exact]) await each.close();
  });

  it('previews calls per mask measured on the run’s first masks, and the run reports its requests', async () => {
    const walk = await source('walk');
    const request = {
      text: STORY,
      granularity: 'sentence' as const,
      masking: { kind: 'remove' as const },
      source: walk,
      algorithm: 'auto' as const,
      budget: 40,
      maxOrder: 2,
      concurrency: 2,
      seed: 3,
    };
    const preview = await previewCost(request);
    assert.equal(preview.sample.masks, 8);
    assert.ok(preview.sample.requestsPerMask !== null && preview.sample.requestsPerMask >= 1);
    assert.ok(preview.plannedCalls >= preview.plannedMasks);
    const explanation = await explainText({ ...request, index: 'fsii', order: 2, top: 5, noiseRepeats: 1 });
    assert.ok(
      (explanation.calls.requests ?? 0) > explanation.calls.model,
      `${explanation.calls.requests} requests, ${explanation.calls.model} masks`,
    );
    await walk.close();
  });

  it('stops the generation at the first token that differs from the answer, so the server generates nothing after it', async () => {
    // A slow model (25 ms a token) makes what the server generates after its client has gone measurable.
    server.setFaults({ tokenMs: 25 });
    try {
      for (const raw of [true, false]) {
        const endpoint = new OllamaEndpoint({ host: server.url, model: server.model, raw });
        const prompt = STORY.slice(0, 200);
        const generated = (): number => server.stats().generatedTokens;
        // The counters move when the server's generation ends, which may be after the client has its answer.
        const settled = (): Promise<number> =>
          waitFor('the server to finish its generation', () => (server.stats().generations >= generationsAfter ? generated() : undefined));
        let generationsAfter = server.stats().generations + 1;
        const beforeWhole = generated();
        const whole = await endpoint.generate(prompt, { maxTokens: 30, topLogprobs: 20 });
        const wholeTokens = (await settled()) - beforeWhole;
        assert.ok((whole.tokens?.length ?? 0) >= 6, `the model answered only ${JSON.stringify(whole.text)}`);

        // The model's own answer, with its fourth token replaced by one it does not give there.
        const expected = (whole.tokens ?? []).map((entry) => entry.token);
        expected[3] = expected[3] === ' zebra' ? ' yak' : ' zebra';
        generationsAfter = server.stats().generations + 1;
        const beforeStreamed = generated();
        const cut = await endpoint.generate(prompt, { maxTokens: 30, topLogprobs: 20, expected });
        const streamedTokens = (await settled()) - beforeStreamed;
        assert.equal(cut.finishReason, 'diverged');
        assert.deepEqual(
          cut.tokens?.map((entry) => entry.token),
          whole.tokens?.slice(0, 4).map((entry) => entry.token),
        );
        assert.deepEqual(cut.tokens?.[3], whole.tokens?.[3], 'the divergent position keeps its alternatives');
        assert.ok(
          streamedTokens < Math.min(wholeTokens, 4 + 8),
          `raw ${raw}: ${streamedTokens} tokens generated for a generation cut at its 4th, ${wholeTokens} whole`,
        );
      }
    } finally {
      server.setFaults({});
    }
  });

  it('stops a streamed generation when the run is cancelled mid-walk, with the cancel’s reason', async () => {
    const endpoint = new OllamaEndpoint({ host: server.url, model: server.model, raw: true });
    const prompt = STORY.slice(0, 200);
    // The model's own answer: a stream expecting it runs to the end unless something stops it.
    const whole = await endpoint.generate(prompt, { maxTokens: 30, topLogprobs: 20 });
    const expected = (whole.tokens ?? []).map((entry) => entry.token);
    assert.ok(expected.length >= 10);
    server.setFaults({ tokenMs: 40 });
    try {
      const controller = new AbortController();
      const reason = new Error('Cancelled by the user.');
      const requests = (): number => server.stats().requests['/api/generate'] ?? 0;
      const requestsBefore = requests();
      const generationsAfter = server.stats().generations + 1;
      const before = server.stats().generatedTokens;
      const streamed = endpoint.generate(prompt, { maxTokens: expected.length, topLogprobs: 20, expected, signal: controller.signal });
      await waitFor('the server to take the request', () => (requests() > requestsBefore ? true : undefined));
      controller.abort(reason);
      await assert.rejects(streamed, (error) => error === reason);
      const generated = await waitFor('the server to end the generation', () =>
        server.stats().generations >= generationsAfter ? server.stats().generatedTokens - before : undefined,
      );
      assert.ok(generated < expected.length, `${generated} of ${expected.length} tokens generated after the cancel`);
    } finally {
      server.setFaults({});
    }
  });

  it('says so before the first mask where the server ignores the forced prefix', async () => {
    server.setFaults({ ignorePrefix: true });
    try {
      await assert.rejects(
        createValueSource({
          backend: 'ollama',
          endpoints: [server.url],
          model: server.model,
          value: 'logprob',
          maxAnswerTokens: ANSWER_TOKENS,
          concurrency: 1,
          timeoutMs: 60_000,
          seed: 0,
          prompt: STORY,
        }),
        (error: unknown) => error instanceof ValueSetupError && /does not continue a forced answer prefix/u.test(error.message),
      );
    } finally {
      server.setFaults({});
    }
  });

  it('bounds the first token of an empty raw prompt instead of sending Ollama an empty one', async () => {
    const walk = await source('walk');
    const before = server.stats().loads;
    const value = maskValueOf(await walk.score('', new Uint8Array(features.length)));
    assert.equal(value.bounded, true);
    assert.ok(Number.isFinite(value.value) && value.value < 0);
    assert.equal(server.stats().loads, before, 'an empty prompt reached the server');
    await walk.close();
  });
});
