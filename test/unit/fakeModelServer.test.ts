// Tests of the fake model server itself, through the official `ollama` and `openai` clients, so that
// backend tests built on it exercise the same wire format a real server speaks.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import {
  FAKE_MODEL_DIGEST,
  FAKE_MODEL_NAME,
  FAKE_PROMPT_TOKEN_LOGPROB,
  fakeEmbedding,
  fakeTokenize,
  fakeWords,
  startFakeModelServer,
  type FakeModelOptions,
  type FakeModelServer,
} from '../fixtures/fakeModelServer';
import { repoPath } from '../helpers/paths';
import { waitFor } from '../helpers/waitFor';

const ANSWER = ' The bridge opened in 1931.';
const TOKENS = fakeTokenize(ANSWER);
const L = TOKENS.length;
const BASE = -8;
/** Hudson and George interact with synergy; Manhattan and Jersey are partly redundant. */
const TERMS = [
  { words: ['hudson'], value: 1 },
  { words: ['george'], value: 0.5 },
  { words: ['hudson', 'george'], value: 2 },
  { words: ['manhattan'], value: 1.5 },
  { words: ['jersey'], value: 1.5 },
  { words: ['manhattan', 'jersey'], value: -1 },
];
const SENTENCES = ['The Hudson is a river.', 'George was a president.', 'Manhattan is an island.', 'Jersey is a state.'];
const QUESTION = '\nQ: When did the bridge open?\nA:';
const CONTEXT = `${SENTENCES.join(' ')}${QUESTION}`;
/** V of CONTEXT: every term fires. */
const FULL_VALUE = BASE + 1 + 0.5 + 2 + 1.5 + 1.5 - 1;
const EPSILON = 1e-9;

const servers: FakeModelServer[] = [];
async function start(options: Partial<FakeModelOptions> = {}): Promise<FakeModelServer> {
  const server = await startFakeModelServer({ answer: ANSWER, terms: TERMS, baseLogprob: BASE, ...options });
  servers.push(server);
  return server;
}
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

const ollamaFor = (server: FakeModelServer): Ollama => new Ollama({ host: server.ollamaHost });
const openaiFor = (server: FakeModelServer): OpenAI => new OpenAI({ baseURL: server.openaiBaseURL, apiKey: 'fake-key', maxRetries: 0 });
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

function assertClose(actual: number, expected: number, message?: string): void {
  assert.ok(Math.abs(actual - expected) < EPSILON, `${message ?? 'value'}: expected ${expected}, got ${actual}`);
}

/** The ollama client throws a ResponseError, which it does not export; it carries the HTTP status. */
function ollamaStatus(error: unknown): number | undefined {
  if (!(error instanceof Error) || error.name !== 'ResponseError' || !('status_code' in error)) return undefined;
  return typeof error.status_code === 'number' ? error.status_code : undefined;
}

describe('fake model semantics', () => {
  it('tokenizes into runs of non-space with their leading whitespace', () => {
    assert.deepEqual(fakeTokenize(' The bridge  opened\nin 1931. '), [' The', ' bridge', '  opened', '\nin', ' 1931.']);
    assert.deepEqual(fakeTokenize('   '), []);
    assert.deepEqual(fakeWords('Die Brücke, 1931: ÖFFNUNG!'), ['die', 'brücke', 'öffnung']);
  });

  it('plants exactly the configured synergy and redundancy', async () => {
    const server = await start();
    const without = (...removed: string[]): string =>
      SENTENCES.filter((sentence) => !removed.some((word) => sentence.includes(word))).join(' ');
    assert.equal(server.value(''), BASE);
    assert.equal(server.value(CONTEXT), FULL_VALUE);
    // Synergy: removing Hudson and George together costs more than the two removals apart.
    const full = server.value(without());
    const hudson = full - server.value(without('Hudson'));
    const george = full - server.value(without('George'));
    const both = full - server.value(without('Hudson', 'George'));
    assert.equal(hudson, 1 + 2);
    assert.equal(george, 0.5 + 2);
    assert.equal(both - hudson - george, -2);
    // Redundancy: either of Manhattan and Jersey covers most of what the pair gives.
    const manhattan = full - server.value(without('Manhattan'));
    const jersey = full - server.value(without('Jersey'));
    const pair = full - server.value(without('Manhattan', 'Jersey'));
    assert.equal(manhattan, 0.5);
    assert.equal(jersey, 0.5);
    assert.equal(pair - manhattan - jersey, 1);
    assert.equal(server.maxValue, BASE + 6.5);
  });

  it('recovers the planted Möbius terms from answer log-probabilities served over HTTP', async () => {
    const server = await start();
    const openai = openaiFor(server);
    const subsets = Array.from({ length: 16 }, (_, mask) => mask);
    const contexts = subsets.map((mask) => `${SENTENCES.filter((_, i) => (mask >> i) & 1).join(' ')}${QUESTION}`);
    const completion = await openai.completions.create({
      model: FAKE_MODEL_NAME,
      prompt: contexts.map((context) => context + ANSWER),
      echo: true,
      logprobs: 0,
      max_tokens: 0,
    });
    const values = completion.choices.map((choice) => {
      const logprobs = choice.logprobs;
      assert.ok(logprobs?.token_logprobs && logprobs.text_offset);
      const offsets = logprobs.text_offset;
      const context = contexts[choice.index] ?? '';
      return sum(logprobs.token_logprobs.filter((_, i) => (offsets[i] ?? -1) >= context.length));
    });
    const words = ['hudson', 'george', 'manhattan', 'jersey'];
    const planted = new Map(TERMS.map((term) => [term.words.join('+'), term.value]));
    for (const set of subsets) {
      let dividend = 0;
      for (const subset of subsets)
        if ((subset & set) === subset) dividend += (popcount(set ^ subset) % 2 === 0 ? 1 : -1) * (values[subset] ?? NaN);
      const name = words.filter((_, i) => (set >> i) & 1).join('+');
      assertClose(dividend, set === 0 ? BASE : (planted.get(name) ?? 0), `Möbius dividend of {${name}}`);
    }
  });

  it('rejects a planted function that could reach non-negative log-probabilities, or triggers inside the answer', async () => {
    await assert.rejects(start({ terms: [{ words: ['hudson'], value: 7.8 }] }), /at most -0\.5/u);
    await assert.rejects(start({ terms: [{ words: ['bridge'], value: 1 }] }), /occurs in the answer/u);
    await assert.rejects(start({ answer: '   ' }), /at least one token/u);
  });

  it('teacher-forces the answer token by token, with log-probabilities summing to V', async () => {
    const server = await start();
    const ollama = ollamaFor(server);
    const logprobs: number[] = [];
    for (let k = 0; k < L; k += 1) {
      const reply = await ollama.generate({
        model: FAKE_MODEL_NAME,
        prompt: CONTEXT + TOKENS.slice(0, k).join(''),
        raw: true,
        options: { num_predict: 1, temperature: 0, seed: 7 },
        logprobs: true,
      });
      assert.equal(reply.response, TOKENS[k]);
      assert.equal(reply.done_reason, k === L - 1 ? 'stop' : 'length');
      assert.equal(reply.logprobs?.length, 1);
      logprobs.push(reply.logprobs?.[0]?.logprob ?? NaN);
    }
    assertClose(sum(logprobs), FULL_VALUE, 'teacher-forced total');
  });

  it('answers a single-token label with both labels sharing all probability', async () => {
    const server = await start({ answer: ' Yes', terms: [{ words: ['sky'], value: 0.3 }], baseLogprob: -1 });
    const reply = await openaiFor(server).chat.completions.create({
      model: FAKE_MODEL_NAME,
      messages: [{ role: 'user', content: 'Is the sky blue? Answer Yes or No.' }],
      max_tokens: 1,
      logprobs: true,
      top_logprobs: 5,
    });
    const entry = reply.choices[0]?.logprobs?.content?.[0];
    assert.ok(entry);
    assert.equal(entry.token, ' Yes');
    assertClose(entry.logprob, -0.7);
    assert.deepEqual(entry.top_logprobs.map((choice) => choice.token).sort(), [' No', ' Yes']);
    assertClose(sum(entry.top_logprobs.map((choice) => Math.exp(choice.logprob))), 1, 'P(Yes) + P(No)');
  });

  it('grades answers generated from scratch in similarity mode only', async () => {
    const terms = [
      { words: ['hudson'], value: 4 },
      { words: ['george'], value: 2 },
    ];
    const graded = await start({ terms, similarityMode: true });
    const plain = await start({ terms });
    const answerTo = async (server: FakeModelServer, prompt: string): Promise<string> =>
      (await ollamaFor(server).generate({ model: FAKE_MODEL_NAME, prompt })).response ?? '';
    assert.equal(await answerTo(graded, 'Nothing relevant.'), TOKENS[0]);
    assert.equal(await answerTo(graded, 'The Hudson.'), TOKENS.slice(0, 3).join(''));
    assert.equal(await answerTo(graded, 'George crossed the Hudson.'), ANSWER);
    // An answer prefix in the prompt is continued to the end, as in teacher forcing.
    assert.equal(await answerTo(graded, `Nothing relevant.${TOKENS[0]}`), TOKENS.slice(1).join(''));
    assert.equal(await answerTo(plain, 'Nothing relevant.'), ANSWER);
  });
});

describe('fake model server through the ollama client', () => {
  it('lists models, reports its version and shows a model', async () => {
    const server = await start({ ollamaVersion: '0.13.0' });
    const ollama = ollamaFor(server);
    const list = await ollama.list();
    assert.deepEqual(
      list.models.map((model) => [model.name, model.model, model.digest, model.details.format]),
      [[FAKE_MODEL_NAME, FAKE_MODEL_NAME, FAKE_MODEL_DIGEST, 'gguf']],
    );
    assert.match(FAKE_MODEL_DIGEST, /^[0-9a-f]{64}$/u);
    assert.deepEqual(await ollama.version(), { version: '0.13.0' });
    const shown = await ollama.show({ model: FAKE_MODEL_NAME });
    assert.deepEqual(shown.capabilities, ['completion']);
    assert.equal(shown.details.parameter_size, '1B');
    assert.deepEqual((await ollama.ps()).models, []);
  });

  it('generates without streaming, with logprobs and top alternatives', async () => {
    const server = await start();
    const reply = await ollamaFor(server).generate({ model: FAKE_MODEL_NAME, prompt: CONTEXT, logprobs: true, top_logprobs: 3 });
    assert.equal(reply.response, ANSWER);
    assert.equal(reply.done, true);
    assert.equal(reply.done_reason, 'stop');
    assert.equal(reply.eval_count, L);
    assert.equal(reply.prompt_eval_count, fakeTokenize(CONTEXT).length);
    assert.ok(!Number.isNaN(Date.parse(String(reply.created_at))));
    const logprobs = reply.logprobs ?? [];
    assert.deepEqual(
      logprobs.map((entry) => entry.token),
      TOKENS,
    );
    assertClose(sum(logprobs.map((entry) => entry.logprob)), FULL_VALUE, 'answer log-probability');
    for (const entry of logprobs) {
      const top = entry.top_logprobs ?? [];
      assert.equal(top.length, 3);
      assert.deepEqual(top[0], { token: entry.token, logprob: entry.logprob, bytes: [...Buffer.from(entry.token)] });
      for (const alternative of top.slice(1)) {
        assert.notEqual(alternative.token, entry.token);
        assert.ok(alternative.logprob < entry.logprob);
      }
      assert.ok(sum(top.map((choice) => Math.exp(choice.logprob))) <= 1);
    }
  });

  it('streams a generation token by token with logprobs, ending with the stats', async () => {
    const server = await start();
    const stream = await ollamaFor(server).generate({
      model: FAKE_MODEL_NAME,
      prompt: CONTEXT,
      stream: true,
      logprobs: true,
      options: { num_predict: 3 },
    });
    const parts = [];
    for await (const part of stream) parts.push(part);
    const last = parts.at(-1);
    assert.equal(parts.length, 4);
    assert.deepEqual(
      parts.slice(0, 3).map((part) => [part.response, part.done, part.logprobs?.[0]?.token]),
      TOKENS.slice(0, 3).map((token) => [token, false, token]),
    );
    assert.equal(last?.done, true);
    assert.equal(last?.done_reason, 'length');
    assert.equal(last?.eval_count, 3);
  });

  it('streams by default when a raw request leaves out "stream", as real Ollama does', async () => {
    const server = await start();
    const response = await fetch(`${server.url}/api/generate`, {
      method: 'POST',
      body: JSON.stringify({ model: FAKE_MODEL_NAME, prompt: CONTEXT }),
    });
    assert.match(response.headers.get('content-type') ?? '', /ndjson/u);
    const lines = (await response.text()).trim().split('\n');
    assert.equal(lines.length, L + 1);
  });

  it('chats, joining the messages into the prompt', async () => {
    const server = await start();
    const ollama = ollamaFor(server);
    const messages = [
      { role: 'system', content: SENTENCES.join(' ') },
      { role: 'user', content: QUESTION.trimStart() },
    ];
    const reply = await ollama.chat({ model: FAKE_MODEL_NAME, messages, logprobs: true, top_logprobs: 2 });
    assert.deepEqual(reply.message, { role: 'assistant', content: ANSWER });
    assertClose(sum((reply.logprobs ?? []).map((entry) => entry.logprob)), FULL_VALUE, 'chat answer log-probability');
    const stream = await ollama.chat({ model: FAKE_MODEL_NAME, messages, stream: true });
    let content = '';
    for await (const part of stream) content += part.message.content;
    assert.equal(content, ANSWER);
  });

  it('embeds texts as normalised bags of words', async () => {
    const server = await start();
    const reply = await ollamaFor(server).embed({ model: FAKE_MODEL_NAME, input: ['The Hudson river', 'river hudson, the!', '1931'] });
    const [first, second, third] = reply.embeddings;
    assert.equal(first?.length, 64);
    assertClose(Math.hypot(...(first ?? [])), 1, 'norm');
    assert.deepEqual(first, second);
    assert.deepEqual(third, new Array<number>(64).fill(0));
    assert.deepEqual(first, fakeEmbedding('the hudson river'));
  });

  it('reports an unknown model as a ResponseError with status 404', async () => {
    const server = await start();
    await assert.rejects(ollamaFor(server).generate({ model: 'missing:7b', prompt: 'hi' }), (error: unknown) => {
      assert.equal(ollamaStatus(error), 404);
      assert.match(String(error), /model "missing:7b" not found, try pulling it first/u);
      return true;
    });
  });

  it('answers bad JSON with 400 and an unknown path with 404', async () => {
    const server = await start();
    const bad = await fetch(`${server.url}/api/generate`, { method: 'POST', body: '{"model": ' });
    assert.equal(bad.status, 400);
    assert.equal(typeof ((await bad.json()) as { error?: unknown }).error, 'string');
    const badOpenai = await fetch(`${server.openaiBaseURL}/completions`, { method: 'POST', body: 'nope' });
    assert.equal(badOpenai.status, 400);
    assert.equal(typeof ((await badOpenai.json()) as { error?: { message?: unknown } }).error?.message, 'string');
    assert.equal((await fetch(`${server.url}/api/nothing`)).status, 404);
    assert.equal((await fetch(`${server.url}/v1/nothing`)).status, 404);
    assert.equal(server.requestCount('/api/generate'), 1);
    assert.equal(server.requestCount(), 4);
  });
});

describe('fake model server through the openai client', () => {
  it('lists models', async () => {
    const server = await start({
      models: [
        { name: 'a:1b', digest: '0'.repeat(64) },
        { name: 'b:1b', digest: '1'.repeat(64) },
      ],
    });
    const ids = [];
    for await (const model of openaiFor(server).models.list()) ids.push(model.id);
    assert.deepEqual(ids, ['a:1b', 'b:1b']);
  });

  it('echoes the prompt with token log-probabilities that sum to V over the answer', async () => {
    const server = await start();
    const prompt = CONTEXT + ANSWER;
    const completion = await openaiFor(server).completions.create({
      model: FAKE_MODEL_NAME,
      prompt,
      echo: true,
      logprobs: 2,
      max_tokens: 0,
    });
    const choice = completion.choices[0];
    assert.ok(choice?.logprobs);
    assert.equal(choice.text, prompt);
    const { tokens = [], token_logprobs: logprobs = [], text_offset: offsets = [], top_logprobs: tops = [] } = choice.logprobs;
    assert.deepEqual(tokens, fakeTokenize(prompt));
    assert.equal(logprobs[0], null);
    assert.equal(tops[0], null);
    tokens.forEach((token, i) => assert.equal(prompt.slice(offsets[i], (offsets[i] ?? 0) + token.length), token));
    const answerAt = CONTEXT.length;
    assertClose(sum(logprobs.filter((_, i) => (offsets[i] ?? -1) >= answerAt)), FULL_VALUE, 'answer log-probability');
    assert.ok(logprobs.slice(1).every((logprob, i) => (offsets[i + 1] ?? 0) >= answerAt || logprob === FAKE_PROMPT_TOKEN_LOGPROB));
    assert.deepEqual(Object.keys(tops[1] ?? {}).length, 2);
    assert.equal(choice.finish_reason, 'stop');
    assert.equal(completion.usage?.prompt_tokens, tokens.length);
  });

  it('completes without echo, cut by max_tokens', async () => {
    const server = await start();
    const openai = openaiFor(server);
    const full = await openai.completions.create({ model: FAKE_MODEL_NAME, prompt: CONTEXT, logprobs: 1, temperature: 0, seed: 1 });
    assert.equal(full.choices[0]?.text, ANSWER);
    assert.equal(full.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(full.choices[0]?.logprobs?.text_offset, [0, 4, 11, 18, 21]);
    const cut = await openai.completions.create({ model: FAKE_MODEL_NAME, prompt: CONTEXT, max_tokens: 2 });
    assert.equal(cut.choices[0]?.text, TOKENS.slice(0, 2).join(''));
    assert.equal(cut.choices[0]?.finish_reason, 'length');
    assert.equal(cut.choices[0]?.logprobs, null);
  });

  it('streams a completion with the echoed prompt first', async () => {
    const server = await start();
    const stream = await openaiFor(server).completions.create({
      model: FAKE_MODEL_NAME,
      prompt: CONTEXT,
      echo: true,
      logprobs: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        assert.equal(choice.logprobs?.text_offset?.[0] ?? text.length, text.length);
        text += choice.text;
      }
      usage ??= chunk.usage ?? undefined;
    }
    assert.equal(text, CONTEXT + ANSWER);
    assert.equal(usage?.completion_tokens, L);
  });

  it('chats with logprobs and top alternatives, streamed and not', async () => {
    const server = await start();
    const openai = openaiFor(server);
    const messages = [{ role: 'user' as const, content: CONTEXT }];
    const reply = await openai.chat.completions.create({ model: FAKE_MODEL_NAME, messages, logprobs: true, top_logprobs: 4 });
    const choice = reply.choices[0];
    assert.equal(choice?.message.content, ANSWER);
    assert.equal(choice?.finish_reason, 'stop');
    const content = choice?.logprobs?.content ?? [];
    assertClose(sum(content.map((entry) => entry.logprob)), FULL_VALUE, 'chat answer log-probability');
    for (const entry of content) {
      assert.equal(entry.top_logprobs.length, 4);
      assert.equal(entry.top_logprobs[0]?.token, entry.token);
      assert.ok(entry.top_logprobs.slice(1).every((alternative) => alternative.logprob < entry.logprob));
    }
    assert.deepEqual(reply.usage, {
      prompt_tokens: fakeTokenize(CONTEXT).length,
      completion_tokens: L,
      total_tokens: fakeTokenize(CONTEXT).length + L,
    });
    const stream = await openai.chat.completions.create({
      model: FAKE_MODEL_NAME,
      messages,
      logprobs: true,
      max_completion_tokens: 2,
      stream: true,
    });
    const tokens: string[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const part of chunk.choices) {
        for (const entry of part.logprobs?.content ?? []) tokens.push(entry.token);
        finish = part.finish_reason ?? finish;
      }
    }
    assert.deepEqual(tokens, TOKENS.slice(0, 2));
    assert.equal(finish, 'length');
  });

  it('embeds, in base64 by default and as floats on request, like the ollama endpoint', async () => {
    const server = await start();
    const openai = openaiFor(server);
    const decoded = await openai.embeddings.create({ model: FAKE_MODEL_NAME, input: ['The Hudson river', 'Jersey'] });
    const floats = await openai.embeddings.create({ model: FAKE_MODEL_NAME, input: 'The Hudson river', encoding_format: 'float' });
    assert.deepEqual(floats.data[0]?.embedding, fakeEmbedding('The Hudson river'));
    const roundedViaFloat32 = fakeEmbedding('The Hudson river').map((entry) => Math.fround(entry));
    assert.deepEqual(decoded.data[0]?.embedding, roundedViaFloat32);
    assert.equal(decoded.data[1]?.index, 1);
  });

  it('reports an unknown model as NotFoundError with code model_not_found', async () => {
    const server = await start();
    await assert.rejects(
      openaiFor(server).chat.completions.create({ model: 'gpt-missing', messages: [{ role: 'user', content: 'hi' }] }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.NotFoundError);
        assert.equal(error.code, 'model_not_found');
        assert.match(error.message, /The model `gpt-missing` does not exist\./u);
        return true;
      },
    );
  });

  it('imitates servers without echo or logprobs', async () => {
    const noEcho = await start({ echo: false });
    await assert.rejects(
      openaiFor(noEcho).completions.create({ model: FAKE_MODEL_NAME, prompt: CONTEXT, echo: true, logprobs: 0, max_tokens: 0 }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && /echo is not supported/u.test(error.message),
    );
    const old = await start({ logprobs: false });
    const chat = await openaiFor(old).chat.completions.create({
      model: FAKE_MODEL_NAME,
      messages: [{ role: 'user', content: 'hi' }],
      logprobs: true,
      top_logprobs: 2,
    });
    assert.equal(chat.choices[0]?.logprobs, null);
    const generated = await ollamaFor(old).generate({ model: FAKE_MODEL_NAME, prompt: 'hi', logprobs: true });
    assert.equal('logprobs' in generated, false);
  });
});

describe('fake model server faults', () => {
  it('answers with a planted status, and counts every request in the index', async () => {
    const server = await start({
      fault: ({ index }) => (index === 1 ? { kind: 'status', status: 500, message: 'the GPU melted' } : undefined),
    });
    const ollama = ollamaFor(server);
    await ollama.version();
    await assert.rejects(ollama.version(), (error: unknown) => ollamaStatus(error) === 500 && /the GPU melted/u.test(String(error)));
    await ollama.version();
    const openaiServer = await start({ fault: () => ({ kind: 'status', status: 500 }) });
    await assert.rejects(openaiFor(openaiServer).models.list(), (error: unknown) => error instanceof OpenAI.InternalServerError);
  });

  it('passes Retry-After with a 429 to both clients', async () => {
    const server = await start({ fault: () => ({ kind: 'status', status: 429, retryAfterSeconds: 7, message: 'slow down' }) });
    await assert.rejects(
      ollamaFor(server).generate({ model: FAKE_MODEL_NAME, prompt: 'hi' }),
      (error: unknown) => ollamaStatus(error) === 429,
    );
    await assert.rejects(openaiFor(server).completions.create({ model: FAKE_MODEL_NAME, prompt: 'hi' }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.headers?.get('retry-after'), '7');
      assert.match(error.message, /slow down/u);
      return true;
    });
    assert.equal(server.requestCount(), 2, 'maxRetries: 0 sends each request once');
  });

  it('hangs until the client aborts, and close() ends hanging connections', async () => {
    const server = await start({ fault: () => ({ kind: 'hang' }) });
    const openaiAbort = new AbortController();
    const openaiCall = openaiFor(server).chat.completions.create(
      { model: FAKE_MODEL_NAME, messages: [{ role: 'user', content: 'hi' }] },
      { signal: openaiAbort.signal },
    );
    // The ollama client takes no signal for unstreamed calls, so the signal travels in through its fetch.
    const ollamaAbort = new AbortController();
    const ollama = new Ollama({ host: server.ollamaHost, fetch: (input, init) => fetch(input, { ...init, signal: ollamaAbort.signal }) });
    const ollamaCall = ollama.generate({ model: FAKE_MODEL_NAME, prompt: 'hi' });
    const deadline = setTimeout(() => {
      openaiAbort.abort();
      ollamaAbort.abort();
    }, 150);
    const started = Date.now();
    await assert.rejects(openaiCall, (error: unknown) => error instanceof OpenAI.APIUserAbortError);
    await assert.rejects(ollamaCall, (error: unknown) => error instanceof Error && error.name === 'AbortError');
    clearTimeout(deadline);
    assert.ok(Date.now() - started >= 100);

    const lingering = await start({ fault: () => ({ kind: 'hang' }) });
    const pending = fetch(`${lingering.url}/api/version`);
    await waitFor('the hanging request to arrive', () => (lingering.requestCount() > 0 ? true : undefined));
    await lingering.close();
    await assert.rejects(pending);
  });

  it('returns malformed JSON with status 200', async () => {
    const server = await start({ fault: () => ({ kind: 'malformed' }) });
    await assert.rejects(ollamaFor(server).generate({ model: FAKE_MODEL_NAME, prompt: 'hi' }), SyntaxError);
    await assert.rejects(openaiFor(server).completions.create({ model: FAKE_MODEL_NAME, prompt: 'hi' }));
  });

  it('destroys the socket', async () => {
    const server = await start({ fault: ({ path }) => (path === '/api/tags' || path === '/v1/models' ? { kind: 'destroy' } : undefined) });
    await assert.rejects(ollamaFor(server).list(), (error: unknown) => error instanceof TypeError);
    await assert.rejects(openaiFor(server).models.list(), (error: unknown) => error instanceof OpenAI.APIConnectionError);
    assert.equal((await ollamaFor(server).version()).version, '0.12.11');
  });

  it('waits latencyMs before answering', async () => {
    const server = await start({ latencyMs: 120 });
    const started = Date.now();
    await ollamaFor(server).version();
    assert.ok(Date.now() - started >= 110);
  });
});

describe('fakeModelCli', () => {
  it('prints its port, answers, and exits on SIGTERM', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'spex-fake-'));
    const config = path.join(folder, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ answer: ' Yes', baseLogprob: -2, terms: [{ words: ['sky'], value: 1 }], ollamaVersion: '9.9.9' }),
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', repoPath('test/fixtures/fakeModelCli.ts'), '--port', '0', '--latency', '1', '--config', config],
      {
        cwd: repoPath(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const lines = createInterface({ input: child.stdout });
      const [first] = (await Promise.race([
        new Promise((resolve) => lines.once('line', (line) => resolve([line]))),
        exited.then((code) => {
          throw new Error(`fakeModelCli exited with ${code} before printing its port.`);
        }),
      ])) as [string];
      const { port } = JSON.parse(first) as { port: number };
      assert.ok(Number.isInteger(port) && port > 0);
      const version = await new Ollama({ host: `http://127.0.0.1:${port}` }).version();
      assert.equal(version.version, '9.9.9');
      const reply = await fetch(`http://127.0.0.1:${port}/v1/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: FAKE_MODEL_NAME, prompt: 'Is the sky blue?', max_tokens: 1 }),
      });
      assert.equal(((await reply.json()) as { choices: { text: string }[] }).choices[0]?.text, ' Yes');
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

function popcount(value: number): number {
  let count = 0;
  for (let rest = value; rest !== 0; rest &= rest - 1) count += 1;
  return count;
}
