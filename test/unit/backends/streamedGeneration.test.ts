import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ModelEndpoint, TokenLogprob } from '../../../server/backends/modelEndpoint';
import { OllamaEndpoint } from '../../../server/backends/ollamaEndpoint';
import { OpenAiEndpoint } from '../../../server/backends/openaiEndpoint';
import { DIVERGED, readUntilDivergence, type StreamedPart } from '../../../server/backends/streamedGeneration';
import { BRIDGE_PLANTED, FAKE_MODEL_NAME, startFakeModelServer, type FakeModelServer } from '../../fixtures/fakeModelServer';

const token = (text: string, logprob = -0.5): TokenLogprob => ({ token: text, logprob, top: [{ token: text, logprob }] });

async function* partsOf(parts: readonly StreamedPart[], read: { count: number }): AsyncIterable<StreamedPart> {
  for (const part of parts) {
    // Each chunk arrives on a later turn, as a network stream's do.
    await new Promise((resolve) => setImmediate(resolve));
    read.count += 1;
    yield part;
  }
}

describe('reading a streamed generation until it leaves the expected answer', () => {
  it('cuts at the first token that differs, inside a chunk of several, and reads no chunk after it', async () => {
    const read = { count: 0 };
    const parts: StreamedPart[] = [
      { text: ' The', tokens: [token(' The')] },
      { text: ' bridge fell', tokens: [token(' bridge'), token(' fell', -0.2), token(' down')] },
      { text: ' today', tokens: [token(' today')] },
      { text: '', tokens: [], finishReason: 'stop' },
    ];
    const generation = await readUntilDivergence(partsOf(parts, read), [' The', ' bridge', ' opened', ' in']);
    assert.equal(generation.finishReason, DIVERGED);
    assert.deepEqual(
      generation.tokens?.map((entry) => entry.token),
      [' The', ' bridge', ' fell'],
    );
    assert.equal(generation.text, ' The bridge fell');
    assert.equal(read.count, 2);
  });

  it('reads a generation that keeps to the answer to its end, with the end’s reason', async () => {
    const read = { count: 0 };
    const parts: StreamedPart[] = [
      { text: ' The', tokens: [token(' The')] },
      { text: ' bridge', tokens: [token(' bridge')], finishReason: 'length' },
    ];
    const generation = await readUntilDivergence(partsOf(parts, read), [' The', ' bridge', ' opened']);
    assert.equal(generation.finishReason, 'length');
    assert.equal(generation.tokens?.length, 2);
  });

  it('reads a stream without log-probabilities to its end: nothing to compare, nothing listed', async () => {
    const read = { count: 0 };
    const parts: StreamedPart[] = [
      { text: ' Something', tokens: [] },
      { text: ' else', tokens: [], finishReason: 'stop' },
    ];
    const generation = await readUntilDivergence(partsOf(parts, read), [' The']);
    assert.deepEqual(generation, { text: ' Something else', tokens: null, finishReason: 'stop' });
  });
});

describe('streamed generations through the real clients, against the fake model server', () => {
  let server: FakeModelServer;
  before(async () => {
    server = await startFakeModelServer(BRIDGE_PLANTED);
  });
  after(async () => {
    await server.close();
  });

  const endpoints = (): [string, ModelEndpoint][] => [
    ['Ollama chat', new OllamaEndpoint({ host: server.url, model: FAKE_MODEL_NAME })],
    ['Ollama raw generate', new OllamaEndpoint({ host: server.url, model: FAKE_MODEL_NAME, raw: true })],
    ['OpenAI chat', new OpenAiEndpoint({ baseURL: server.openaiBaseURL, model: FAKE_MODEL_NAME, api: 'chat' })],
    ['OpenAI completions', new OpenAiEndpoint({ baseURL: server.openaiBaseURL, model: FAKE_MODEL_NAME, api: 'completions' })],
  ];

  it('streams when told the expected tokens, stops at the one that differs, and keeps its alternatives', async () => {
    const answer = server.answerTokens;
    assert.ok(answer.length >= 4);
    for (const [name, endpoint] of endpoints()) {
      const requestsBefore = server.requests.length;
      const expected = [...answer];
      expected[2] = `${answer[2]}x`;
      const generation = await endpoint.generate('Alpha opens. Beta follows.', {
        maxTokens: answer.length,
        topLogprobs: 5,
        requireLogprobs: true,
        expected,
      });
      assert.equal(generation.finishReason, DIVERGED, name);
      assert.deepEqual(
        generation.tokens?.map((entry) => entry.token),
        answer.slice(0, 3),
        name,
      );
      assert.ok((generation.tokens?.[2]?.logprob ?? 0) < 0, name);
      const request = server.requests[requestsBefore]?.body as { stream?: boolean };
      assert.equal(request.stream, true, `${name} did not stream`);
    }
  });

  it('reads a streamed generation that keeps to the answer exactly as an unstreamed one', async () => {
    for (const [name, endpoint] of endpoints()) {
      const options = { maxTokens: server.answerTokens.length, topLogprobs: 5, requireLogprobs: true } as const;
      const whole = await endpoint.generate('Beta follows. Gamma joins.', options);
      const streamed = await endpoint.generate('Beta follows. Gamma joins.', { ...options, expected: server.answerTokens });
      assert.deepEqual(streamed.tokens, whole.tokens, name);
      assert.equal(streamed.text, whole.text, name);
      assert.equal(streamed.finishReason, whole.finishReason, name);
    }
  });
});
