import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ControlledEvaluateInputItem, LlamaModel, Token } from 'node-llama-cpp';
import { Ollama, type GenerateResponse } from 'ollama';
import { createLlamaValueSource } from '../../server/backends/llama/llamaScorer';
import { llamaRuntime } from '../../server/backends/llama/loader';
import { releaseAllModels } from '../../server/backends/llama/modelRegistry';
import { OllamaEndpoint } from '../../server/backends/ollamaEndpoint';
import { startRealModelOllama, type RealModelOllama, type RealModelStats } from '../fixtures/realModelOllama/server';
import { repoPath } from '../helpers/paths';
import { waitFor } from '../helpers/waitFor';
import { STORY, TINY_MODEL_PATH, TINY_MODEL_SHA256, tinyModelSkip } from './tinyModel';

const MODEL = 'stories260k';
/** Greedy as SPEX asks for it, without Ollama's default repetition penalty: the most likely token every time. */
const ARGMAX = { temperature: 0, repeat_penalty: 1 } as const;
/** A story that ends in a different sentence: it shares STORY's tokens up to there. */
const OTHER_STORY = STORY.replace('Then Lily said to Tom,', 'Then Tom went home with his kite.');

/** BOS and the text's tokens, as the llama backend builds a raw prompt. */
function promptTokens(model: LlamaModel, text: string): Token[] {
  return [model.tokens.bos as Token, ...model.tokenize(text)];
}

function commonPrefix(a: readonly Token[], b: readonly Token[]): number {
  let index = 0;
  while (index < a.length && index < b.length && a[index] === b[index]) index += 1;
  return index;
}

/** node-llama-cpp's own greedy generation, penalised as llama.cpp's sampler penalises (the last `lastN` tokens, prompt included). */
async function referenceGreedy(model: LlamaModel, prompt: readonly Token[], count: number, penalty = 1, lastN = 64): Promise<Token[]> {
  const context = await model.createContext({ contextSize: 2048, sequences: 1, threads: 1, batchSize: 16 });
  const history = [...prompt];
  const generated: Token[] = [];
  try {
    const tokens = context.getSequence().evaluate([...prompt], {
      temperature: 0,
      ...(penalty === 1 ? {} : { repeatPenalty: { punishTokens: () => history.slice(-lastN), maxPunishTokens: lastN, penalty } }),
    });
    for await (const token of tokens) {
      generated.push(token);
      history.push(token);
      if (generated.length === count) break;
    }
  } finally {
    await context.dispose();
  }
  return generated;
}

/**
 * The log-softmax at each answer position, from an evaluation of its own: the prompt in batches of
 * 16 and then the answer one token at a time (the layout an Ollama runner decodes in), with the
 * log-softmax written apart from the fixture's (max-shifted log-sum-exp of log p).
 */
async function referenceLogSoftmax(model: LlamaModel, prompt: readonly Token[], answer: readonly Token[]): Promise<Map<Token, number>[]> {
  const context = await model.createContext({ contextSize: 2048, sequences: 1, threads: 1, batchSize: 16 });
  const sequence = context.getSequence();
  const distributions: Map<Token, number>[] = [];
  try {
    const withProbabilities = (token: Token): ControlledEvaluateInputItem => [token, { generateNext: { probabilities: true } }];
    let outputs = await sequence.controlledEvaluate([...prompt.slice(0, -1), withProbabilities(prompt[prompt.length - 1] as Token)]);
    for (let index = 0; index < answer.length; index += 1) {
      const probabilities = outputs[outputs.length - 1]?.next.probabilities as Map<Token, number>;
      const logits = [...probabilities].map(([token, probability]) => [token, Math.log(probability)] as const);
      const max = Math.max(...logits.map(([, logit]) => logit));
      const logSumExp = max + Math.log(logits.reduce((sum, [, logit]) => sum + Math.exp(logit - max), 0));
      distributions.push(new Map(logits.map(([token, logit]) => [token, logit - logSumExp])));
      if (index < answer.length - 1) outputs = await sequence.controlledEvaluate([withProbabilities(answer[index] as Token)]);
    }
  } finally {
    await context.dispose();
  }
  return distributions;
}

/** The text each answer token adds after the prompt (a lone token's detokenization would lose its leading space). */
function pieceTexts(model: LlamaModel, prompt: readonly Token[], answer: readonly Token[]): string[] {
  return answer.map((_, index) => {
    const before = model.detokenize([...prompt, ...answer.slice(0, index)]);
    return model.detokenize([...prompt, ...answer.slice(0, index + 1)]).slice(before.length);
  });
}

/** A log-probability as it comes over the wire (the client's type leaves out `bytes`). */
interface WireTokenLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly bytes?: number[];
}

interface WireLogprob extends WireTokenLogprob {
  readonly top_logprobs?: WireTokenLogprob[];
}

interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

async function post(server: RealModelOllama, route: string, body: unknown, method = 'POST'): Promise<RawAnswer> {
  const response = await fetch(`${server.url}${route}`, {
    method,
    ...(method === 'GET' ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

function delta(after: RealModelStats, before: RealModelStats, key: Exclude<keyof RealModelStats, 'requests'>): number {
  return after[key] - before[key];
}

/** A copy of the model whose end-of-text token is `token`: llama2.c's TinyStories models end a story with BOS (1). */
function withEndOfText(source: Buffer, token: number): Buffer {
  const key = Buffer.from('tokenizer.ggml.eos_token_id');
  const at = source.indexOf(key);
  assert.ok(at >= 8 && source.readBigUInt64LE(at - 8) === BigInt(key.length), 'the GGUF has tokenizer.ggml.eos_token_id');
  assert.equal(source.readUInt32LE(at + key.length), 4, 'the end-of-text id is a uint32');
  const copy = Buffer.from(source);
  copy.writeUInt32LE(token, at + key.length + 4);
  return copy;
}

describe('the real-model Ollama fixture', { skip: tinyModelSkip() }, () => {
  let server: RealModelOllama;
  let client: Ollama;
  let model: LlamaModel;
  const scratch = mkdtempSync(path.join(tmpdir(), 'spex-real-ollama-'));

  before(async () => {
    server = await startRealModelOllama();
    client = new Ollama({ host: server.url });
    model = await (await llamaRuntime()).loadModel({ modelPath: TINY_MODEL_PATH, gpuLayers: 0 });
  });

  after(async () => {
    await server.close();
    await model.dispose();
    await releaseAllModels();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('answers /api/version, /api/tags and /api/show as Ollama does', async () => {
    assert.deepEqual(await client.version(), { version: '0.13.0' });
    const { models } = await client.list();
    assert.equal(models.length, 1);
    const listed = models[0];
    assert.equal(listed?.name, 'stories260k:latest');
    assert.equal(listed?.model, 'stories260k:latest');
    assert.equal(listed?.digest, TINY_MODEL_SHA256);
    assert.equal(listed?.size, statSync(TINY_MODEL_PATH).size);
    assert.ok(!Number.isNaN(Date.parse(String(listed?.modified_at))));
    assert.deepEqual(listed?.details, {
      parent_model: '',
      format: 'gguf',
      family: 'llama',
      families: ['llama'],
      parameter_size: '293K',
      quantization_level: 'unknown',
    });

    // Names resolve as Ollama resolves them: case-insensitively, with the default registry, namespace and tag.
    for (const name of ['stories260k', 'Stories260K:latest', 'library/stories260k', 'registry.ollama.ai/library/stories260k:latest']) {
      const shown = await client.show({ model: name });
      // The client types model_info as a Map; over the wire it is a plain object.
      const info = shown.model_info as unknown as Record<string, unknown>;
      assert.equal(shown.template, '{{ .Prompt }}', name);
      assert.deepEqual(shown.capabilities, ['completion']);
      assert.equal(info['llama.context_length'], 2048);
      assert.equal(info['general.architecture'], 'llama');
      assert.deepEqual(info['tokenizer.ggml.tokens'], [], 'long arrays are emptied unless verbose');
      assert.equal(info['general.name'], undefined);
    }
    const verbose = JSON.parse((await post(server, '/api/show', { model: MODEL, verbose: true })).text) as {
      model_info: Record<string, unknown[]>;
    };
    assert.equal(verbose.model_info['tokenizer.ggml.tokens']?.length, 512);

    await assert.rejects(client.show({ model: 'stories260k:other' }), (error: Error & { status_code?: number }) => {
      assert.equal(error.status_code, 404);
      assert.equal(error.message, "model 'stories260k:other' not found");
      return true;
    });
    assert.deepEqual(await post(server, '/', undefined, 'GET'), {
      status: 200,
      contentType: 'text/plain; charset=utf-8',
      text: 'Ollama is running',
    });
    assert.equal((await post(server, '/api/generate', undefined, 'GET')).status, 405);
    assert.deepEqual(await post(server, '/api/nothing', {}), {
      status: 404,
      contentType: 'text/plain; charset=utf-8',
      text: '404 page not found',
    });
  });

  it("generates node-llama-cpp's own greedy answer, with and without Ollama's default repetition penalty", async () => {
    const prompt = promptTokens(model, STORY);
    const argmax = await referenceGreedy(model, prompt, 24);
    const penalised = await referenceGreedy(model, prompt, 24, 1.1, 64);
    assert.notDeepEqual(argmax, penalised, 'the penalty changes the answer to this prompt, so the test can tell them apart');

    const plain = await client.generate({ model: MODEL, prompt: STORY, raw: true, stream: false, options: { ...ARGMAX, num_predict: 24 } });
    assert.equal(plain.response, pieceTexts(model, prompt, argmax).join(''));
    assert.equal(plain.done_reason, 'length');
    assert.equal(plain.eval_count, 24);
    assert.equal(plain.prompt_eval_count, prompt.length);

    // Ollama's defaults (repeat_penalty 1.1 over the last 64 tokens) apply when the request sets none.
    const withDefaults = await client.generate({
      model: MODEL,
      prompt: STORY,
      raw: true,
      stream: false,
      options: { temperature: 0, num_predict: 24 },
    });
    assert.equal(withDefaults.response, pieceTexts(model, prompt, penalised).join(''));

    // Without raw the default template renders the prompt unchanged and the answer carries `context`.
    const templated = await client.generate({ model: MODEL, prompt: STORY, stream: false, options: { ...ARGMAX, num_predict: 24 } });
    assert.equal(templated.response, plain.response);
    assert.deepEqual(templated.context, [...model.tokenize(STORY + templated.response, true)]);
    assert.equal(plain.context, undefined, 'raw answers have no context');
  });

  it('returns the log-softmax of the generated tokens and the most likely alternatives, best first', async () => {
    const prompt = promptTokens(model, STORY);
    const answer = await referenceGreedy(model, prompt, 16);
    const reference = await referenceLogSoftmax(model, prompt, answer);
    const texts = pieceTexts(model, prompt, answer);
    const response = await client.generate({
      model: MODEL,
      prompt: STORY,
      raw: true,
      stream: false,
      options: { ...ARGMAX, num_predict: 16 },
      logprobs: true,
      top_logprobs: 20,
    });
    const logprobs = (response.logprobs ?? []) as WireLogprob[];
    assert.equal(logprobs.length, 16);
    logprobs.forEach((entry, index) => {
      const expected = reference[index]?.get(answer[index] as Token) as number;
      assert.equal(entry.token, texts[index]);
      assert.deepEqual(entry.bytes, [...Buffer.from(entry.token, 'utf8')]);
      assert.ok(Math.abs(entry.logprob - expected) <= 1e-5, `token ${index}: ${entry.logprob} vs ${expected}`);
      const top = entry.top_logprobs ?? [];
      assert.equal(top.length, 20);
      top
        .slice(1)
        .forEach((alternative, rank) => assert.ok(alternative.logprob <= (top[rank] as WireTokenLogprob).logprob, `sorted at ${index}`));
      // The greedy token is the most likely one, listed first with its own value.
      assert.deepEqual(top[0], { token: entry.token, logprob: entry.logprob, bytes: entry.bytes });
      const expectedTop = [...(reference[index] as Map<Token, number>).values()].sort((a, b) => b - a).slice(0, 20);
      top.forEach((alternative, rank) => assert.ok(Math.abs(alternative.logprob - (expectedTop[rank] as number)) <= 1e-5));
      // Log-probabilities are float32 values, as Ollama computes them.
      assert.equal(entry.logprob, Math.fround(entry.logprob));
    });

    // Without top_logprobs, each entry has the token alone; without logprobs, no field at all.
    const bare = await client.generate({
      model: MODEL,
      prompt: STORY,
      raw: true,
      stream: false,
      options: { ...ARGMAX, num_predict: 3 },
      logprobs: true,
    });
    assert.deepEqual(
      bare.logprobs?.map((entry) => Object.keys(entry)),
      [0, 1, 2].map(() => ['token', 'logprob', 'bytes']),
    );
    const none = await client.generate({
      model: MODEL,
      prompt: STORY,
      raw: true,
      stream: false,
      options: { ...ARGMAX, num_predict: 3 },
      top_logprobs: 5,
    });
    assert.equal('logprobs' in none, false);
  });

  it('continues an assistant prefill in chat, rendered through the default template', async () => {
    const prefill = ' "Hi';
    const request = { model: MODEL, stream: false as const, options: { ...ARGMAX, num_predict: 10 }, logprobs: true, top_logprobs: 3 };
    const chat = await client.chat({
      ...request,
      messages: [
        { role: 'user', content: STORY },
        { role: 'assistant', content: prefill },
      ],
    });
    const raw = await client.generate({ ...request, prompt: STORY + prefill, raw: true });
    const expected = await referenceGreedy(model, promptTokens(model, STORY + prefill), 10);
    assert.equal(chat.message.role, 'assistant');
    assert.equal(chat.message.content, pieceTexts(model, promptTokens(model, STORY + prefill), expected).join(''));
    assert.equal(chat.message.content, raw.response);
    assert.deepEqual(chat.logprobs, raw.logprobs);
    const unprefilled = await client.chat({ ...request, messages: [{ role: 'user', content: STORY }] });
    assert.notEqual(unprefilled.message.content.slice(0, chat.message.content.length), chat.message.content);

    // The template's legacy rendering: system text dropped, turns concatenated, same-role messages joined by a blank line.
    const rendered = async (messages: { role: string; content: string }[]): Promise<string> => {
      const answer = await post(server, '/api/chat', { model: MODEL, messages, _debug_render_only: true });
      assert.equal(answer.status, 200);
      return (JSON.parse(answer.text) as { _debug_info: { rendered_template: string } })._debug_info.rendered_template;
    };
    assert.equal(
      await rendered([
        { role: 'system', content: 'Be kind.' },
        { role: 'user', content: 'Hi.' },
      ]),
      'Hi.',
    );
    assert.equal(
      await rendered([
        { role: 'user', content: 'A.' },
        { role: 'assistant', content: ' B.' },
        { role: 'user', content: ' C.' },
        { role: 'user', content: 'D.' },
        { role: 'assistant', content: ' E' },
      ]),
      'A. B. C.\n\nD. E',
    );
  });

  it('answers an empty prompt or message list with the load response, and keep_alive 0 with the unload response', async () => {
    const before = server.stats();
    for (const extra of [{}, { raw: true }, { system: 'Be kind.' }, { options: { temperature: 0.8 } }]) {
      const answer = await post(server, '/api/generate', { model: MODEL, prompt: '', logprobs: true, ...extra });
      assert.equal(answer.status, 200, JSON.stringify(extra));
      assert.match(answer.contentType, /^application\/json/u, 'a single object, streaming or not');
      const body = JSON.parse(answer.text) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ['model', 'created_at', 'response', 'done', 'done_reason']);
      assert.deepEqual(
        { ...body, created_at: undefined },
        { model: MODEL, created_at: undefined, response: '', done: true, done_reason: 'load' },
      );
    }
    // Raw mode refuses a system prompt before it looks at the prompt.
    const rawWithSystem = await post(server, '/api/generate', { model: MODEL, prompt: '', raw: true, system: 'Be kind.' });
    assert.deepEqual(
      [rawWithSystem.status, JSON.parse(rawWithSystem.text)],
      [400, { error: 'raw mode does not support template, system, or context' }],
    );
    const chatLoad = await client.chat({ model: MODEL, messages: [] });
    assert.deepEqual(chatLoad.message, { role: 'assistant', content: '' });
    assert.equal(chatLoad.done_reason, 'load');
    assert.equal(chatLoad.eval_count, undefined);
    const unload = await client.generate({ model: MODEL, prompt: '', keep_alive: 0 });
    assert.equal(unload.done_reason, 'unload');
    const after = server.stats();
    assert.equal(delta(after, before, 'generations'), 0, 'no prompt was evaluated');
    // The request after an unload loads the model again.
    await client.generate({ model: MODEL, prompt: 'Lily', stream: false, options: { ...ARGMAX, num_predict: 1 } });
    assert.equal(delta(server.stats(), after, 'loads'), 1);
  });

  it('ends with done_reason stop and no logprobs at all when the greedy first token is end-of-text', async () => {
    const endsAtBos = path.join(scratch, 'stories-eos-is-bos.gguf');
    writeFileSync(endsAtBos, withEndOfText(readFileSync(TINY_MODEL_PATH), 1));
    const storyServer = await startRealModelOllama({ modelPath: endsAtBos, parameters: { repeat_penalty: 1 } });
    try {
      const storyClient = new Ollama({ host: storyServer.url });
      const opening = 'Once upon a time, there was a little girl named Lily.';
      const story = await storyClient.generate({
        model: MODEL,
        prompt: opening,
        raw: true,
        stream: false,
        options: { temperature: 0, num_predict: 1000 },
      });
      assert.equal(story.done_reason, 'stop', 'the model ends its story');
      const atTheEnd = await storyClient.generate({
        model: MODEL,
        prompt: opening + story.response,
        raw: true,
        stream: false,
        options: { temperature: 0, num_predict: 8 },
        logprobs: true,
        top_logprobs: 5,
      });
      assert.equal(atTheEnd.response, '');
      assert.equal(atTheEnd.done_reason, 'stop');
      assert.equal(atTheEnd.eval_count, 1, 'the end-of-text token is counted');
      assert.equal('logprobs' in atTheEnd, false);
    } finally {
      await storyServer.close();
    }
  });

  it('streams by default, and the streamed chunks add up to the answer given whole', async () => {
    const request = { model: MODEL, prompt: STORY, raw: true, options: { ...ARGMAX, num_predict: 12 }, logprobs: true, top_logprobs: 2 };
    const defaulted = await post(server, '/api/generate', request);
    assert.equal(defaulted.contentType, 'application/x-ndjson');
    const lines = defaulted.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as GenerateResponse);
    assert.ok(lines.length > 2);
    assert.ok(lines.slice(0, -1).every((line) => !line.done && line.eval_count === undefined));
    const last = lines[lines.length - 1] as GenerateResponse;
    assert.equal(last.done, true);
    assert.equal(last.response, '');
    assert.equal('logprobs' in last, false);

    const whole = await client.generate({ ...request, stream: false });
    assert.equal(lines.map((line) => line.response).join(''), whole.response);
    assert.deepEqual(
      lines.flatMap((line) => line.logprobs ?? []),
      whole.logprobs,
    );
    for (const key of ['done_reason', 'prompt_eval_count', 'eval_count'] as const) assert.equal(last[key], whole[key]);

    const chunks: string[] = [];
    for await (const part of await client.chat({
      model: MODEL,
      messages: [{ role: 'user', content: STORY }],
      stream: true,
      options: { ...ARGMAX, num_predict: 12 },
    }))
      chunks.push(part.message.content);
    assert.equal(chunks.join(''), whole.response);
  });

  it('refuses what Ollama refuses, with its status and message, and ignores unknown fields', async () => {
    const cases: [route: string, body: unknown, status: number, error: string | RegExp][] = [
      ['/api/generate', '', 400, 'missing request body'],
      ['/api/generate', '{"model": ', 400, /JSON/u],
      ['/api/generate', [], 400, 'json: cannot unmarshal array into Go value of type api.GenerateRequest'],
      [
        '/api/generate',
        { model: MODEL, prompt: 5 },
        400,
        'json: cannot unmarshal number into Go struct field GenerateRequest.prompt of type string',
      ],
      [
        '/api/generate',
        { model: MODEL, prompt: 'x', stream: 'no' },
        400,
        'json: cannot unmarshal string into Go struct field GenerateRequest.stream of type bool',
      ],
      [
        '/api/generate',
        { model: MODEL, prompt: 'x', top_logprobs: 2.5 },
        400,
        'json: cannot unmarshal number 2.5 into Go struct field GenerateRequest.top_logprobs of type int',
      ],
      ['/api/generate', { model: MODEL, prompt: 'x', logprobs: true, top_logprobs: 21 }, 400, 'top_logprobs must be between 0 and 20'],
      ['/api/generate', { model: MODEL, prompt: 'x', top_logprobs: -1 }, 400, 'top_logprobs must be between 0 and 20'],
      ['/api/generate', { model: 'nope', prompt: 'x' }, 404, "model 'nope' not found"],
      ['/api/generate', { prompt: 'x' }, 404, "model '' not found"],
      [
        '/api/generate',
        { model: MODEL, prompt: 'x', raw: true, system: 'Be kind.' },
        400,
        'raw mode does not support template, system, or context',
      ],
      ['/api/generate', { model: MODEL, prompt: 'x', think: true }, 400, '"stories260k" does not support thinking'],
      ['/api/generate', { model: MODEL, prompt: 'x', think: 'high' }, 400, 'think value "high" is not supported for this model'],
      [
        '/api/generate',
        { model: MODEL, prompt: 'x', think: 'hard' },
        400,
        'invalid think value: "hard" (must be "high", "medium", "low", true, or false)',
      ],
      [
        '/api/generate',
        { model: MODEL, prompt: 'x', suffix: 'y' },
        400,
        'registry.ollama.ai/library/stories260k:latest does not support insert',
      ],
      ['/api/generate', { model: MODEL, prompt: 'x', keep_alive: true }, 400, "Unsupported type: 'bool'"],
      ['/api/generate', { model: MODEL, prompt: 'x', keep_alive: '10' }, 400, 'time: missing unit in duration "10"'],
      [
        '/api/generate',
        { model: MODEL, prompt: 'x', options: { temperature: 'hot' } },
        500,
        'option "temperature" must be of type float32',
      ],
      ['/api/generate', { model: MODEL, prompt: 'x', options: { num_predict: '3' } }, 500, 'option "num_predict" must be of type integer'],
      ['/api/generate', { model: MODEL, prompt: 'x' }, 501, /^realModelOllama fixture: the real-model fixture decodes greedily only/u],
      [
        '/api/generate',
        { model: MODEL, prompt: 'x', format: 'json', options: { temperature: 0 } },
        501,
        /^realModelOllama fixture: structured outputs/u,
      ],
      ['/api/chat', { messages: [] }, 400, 'model is required'],
      ['/api/chat', { model: 'nope', messages: [{ role: 'user', content: 'x' }] }, 404, "model 'nope' not found"],
      [
        '/api/chat',
        { model: MODEL, messages: 'x' },
        400,
        'json: cannot unmarshal string into Go struct field ChatRequest.messages of type []api.Message',
      ],
      [
        '/api/chat',
        { model: MODEL, messages: [{ role: 'user', content: 1 }] },
        400,
        'json: cannot unmarshal number into Go struct field Alias.content of type string',
      ],
      [
        '/api/chat',
        { model: MODEL, messages: [{ role: 'user', content: 'x' }], think: true },
        400,
        '"stories260k" does not support thinking',
      ],
      [
        '/api/chat',
        { model: MODEL, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f' } }] },
        400,
        'registry.ollama.ai/library/stories260k:latest does not support tools',
      ],
      ['/api/show', {}, 400, 'model is required'],
      ['/api/show', { model: 'nope' }, 404, "model 'nope' not found"],
    ];
    for (const [route, body, status, error] of cases) {
      const answer = await post(server, route, body);
      const what = `${route} ${JSON.stringify(body)}`;
      assert.equal(answer.status, status, what);
      assert.match(answer.contentType, /^application\/json/u, what);
      const message = (JSON.parse(answer.text) as { error: unknown }).error;
      if (typeof error === 'string') assert.equal(message, error, what);
      else assert.match(String(message), error, what);
    }
    // Unknown fields and unknown options are ignored, as Go's decoder and Options.FromMap ignore them.
    const lenient = await post(server, '/api/generate', {
      model: MODEL,
      prompt: 'Lily',
      stream: false,
      options: { ...ARGMAX, num_predict: 2, not_an_option: 1 },
      not_a_field: true,
    });
    assert.equal(lenient.status, 200);
    assert.equal((JSON.parse(lenient.text) as GenerateResponse).eval_count, 2);
  });

  it("counts the prompt tokens Ollama's prompt cache would evaluate, one slot or two", async () => {
    const story = promptTokens(model, STORY);
    const other = promptTokens(model, OTHER_STORY);
    const shared = commonPrefix(story, other);
    assert.ok(shared > 16 && shared < story.length);
    const options = { ...ARGMAX, num_predict: 4 };
    const ask = (target: Ollama, text: string): Promise<GenerateResponse> =>
      target.generate({ model: MODEL, prompt: text, raw: true, stream: false, options });

    const serial = await startRealModelOllama();
    try {
      const serialClient = new Ollama({ host: serial.url });
      const evaluatedBy = async (text: string): Promise<number> => {
        const before = serial.stats();
        const answer = await ask(serialClient, text);
        // Ollama reports the whole prompt whatever its cache kept.
        assert.equal(answer.prompt_eval_count, promptTokens(model, text).length);
        return delta(serial.stats(), before, 'promptTokensEvaluated');
      };
      assert.equal(await evaluatedBy(STORY), story.length, 'an empty cache');
      assert.equal(await evaluatedBy(OTHER_STORY), other.length - shared, 'after the shared prefix');
      assert.equal(await evaluatedBy(OTHER_STORY), 1, 'a prompt wholly cached still evaluates its last token');
      assert.equal(await evaluatedBy(STORY), story.length - shared, 'one slot: the other story replaced this one');
      // The slot keeps the answer too (all but its last token): a prompt that continues with it finds it cached.
      const answer = await ask(serialClient, STORY);
      const slot = [...story, ...(await referenceGreedy(model, story, 4)).slice(0, 3)];
      const continued = promptTokens(model, STORY + answer.response);
      assert.ok(commonPrefix(slot, continued) > story.length);
      const before = serial.stats();
      await ask(serialClient, STORY + answer.response);
      assert.equal(delta(serial.stats(), before, 'promptTokensEvaluated'), continued.length - commonPrefix(slot, continued));
      const totals = serial.stats();
      assert.equal(totals.requests['/api/generate'], 6);
      assert.equal(totals.generations, 6);
      assert.equal(totals.generatedTokens, 24);
      assert.equal(totals.loads, 1);
    } finally {
      await serial.close();
    }

    const twoSlots = await startRealModelOllama({ parallel: 2 });
    try {
      const twoClient = new Ollama({ host: twoSlots.url });
      // Overlapping requests take a slot each...
      await Promise.all([ask(twoClient, STORY), ask(twoClient, OTHER_STORY)]);
      assert.equal(twoSlots.stats().promptTokensEvaluated, story.length + other.length);
      // ...and each prompt then finds its own slot.
      await ask(twoClient, STORY);
      await ask(twoClient, OTHER_STORY);
      assert.equal(twoSlots.stats().promptTokensEvaluated, story.length + other.length + 2);
    } finally {
      await twoSlots.close();
    }
  });

  it('gives bit-identical log-probabilities to the same request whatever was asked before', async () => {
    const request = {
      model: MODEL,
      prompt: STORY,
      raw: true,
      stream: false,
      options: { ...ARGMAX, num_predict: 12 },
      logprobs: true,
      top_logprobs: 5,
    } as const;
    const first = await client.generate(request);
    // Other prompts, some sharing its prefix, some longer, one continuing its answer.
    for (const prompt of [OTHER_STORY, STORY.slice(0, 40), `${STORY} ${STORY}`, STORY + first.response, 'Tom'])
      await client.generate({ ...request, prompt, options: { ...ARGMAX, num_predict: 5 } });
    const again = await client.generate(request);
    assert.deepEqual(again.logprobs, first.logprobs);
    const elsewhere = await startRealModelOllama({ parallel: 3 });
    try {
      assert.deepEqual((await new Ollama({ host: elsewhere.url }).generate(request)).logprobs, first.logprobs);
    } finally {
      await elsewhere.close();
    }
  });

  it("serves SPEX's Ollama endpoint: forced-prefix values equal the llama backend's exact values", async () => {
    for (const raw of [true, false]) {
      const endpoint = new OllamaEndpoint({ host: server.url, model: MODEL, raw });
      const generation = await endpoint.generate(STORY, { maxTokens: 12, topLogprobs: 20 });
      const tokens = generation.tokens ?? [];
      assert.equal(tokens.length, 12);
      const source = await createLlamaValueSource({
        model: TINY_MODEL_PATH,
        raw,
        value: 'logprob',
        target: generation.text,
        maxAnswerTokens: 12,
        concurrency: 1,
        threads: 1,
        prompt: STORY,
      });
      const exact = [...(await source.tokenLogprobs(STORY))];
      assert.equal(exact.length, tokens.length, 'the answer tokenizes alike on both paths');
      // Generated tokens are decoded one at a time, the backend scores the answer in batches: kernels round apart.
      tokens.forEach((token, index) => assert.ok(Math.abs(token.logprob - (exact[index] as number)) <= 1e-3, `${raw} token ${index}`));
      // Under a forced prefix the answer token is read where the backend reads it: equal up to float32 rounding.
      for (const forced of [0, 3, 7]) {
        const prefix = tokens
          .slice(0, forced)
          .map((token) => token.token)
          .join('');
        const next = await endpoint.generate(STORY, { maxTokens: 1, topLogprobs: 20, ...(forced > 0 ? { prefix } : {}) });
        const value = next.tokens?.[0]?.logprob as number;
        assert.ok(Math.abs(value - (exact[forced] as number)) <= 1e-6, `${raw} forced ${forced}: ${value} vs ${exact[forced]}`);
      }
    }
  });

  it('plays its faults: vanishing logprobs, an ignored prefix, latency', async () => {
    const faulty = await startRealModelOllama({ faults: { logprobsAfter: 1 } });
    try {
      const faultyClient = new Ollama({ host: faulty.url });
      const request = {
        model: MODEL,
        prompt: STORY,
        raw: true,
        stream: false,
        options: { ...ARGMAX, num_predict: 4 },
        logprobs: true,
      } as const;
      assert.equal((await faultyClient.generate(request)).logprobs?.length, 4);
      const without = await faultyClient.generate(request);
      assert.equal('logprobs' in without, false);
      assert.equal(without.eval_count, 4, 'the answer itself is unchanged');
      faulty.setFaults({ logprobsAfter: 0 });
      assert.equal('logprobs' in (await faultyClient.generate(request)), false);
      faulty.setFaults({});
      assert.equal((await faultyClient.generate(request)).logprobs?.length, 4);

      const prefill = ' "Hi';
      const chat = { model: MODEL, stream: false as const, options: { ...ARGMAX, num_predict: 6 } };
      const plain = await faultyClient.chat({ ...chat, messages: [{ role: 'user', content: STORY }] });
      faulty.setFaults({ ignorePrefix: true });
      const ignored = await faultyClient.chat({
        ...chat,
        messages: [
          { role: 'user', content: STORY },
          { role: 'assistant', content: prefill },
        ],
      });
      assert.equal(ignored.message.content, plain.message.content);
      const rawPlain = await faultyClient.generate({ ...request, prompt: STORY });
      const rawAnswer = rawPlain.response ?? '';
      faulty.setFaults({ ignorePrefix: { answer: rawAnswer } });
      const rawIgnored = await faultyClient.generate({ ...request, prompt: STORY + rawAnswer.slice(0, 3) });
      assert.equal(rawIgnored.response, rawAnswer);
      faulty.setFaults({});
      assert.notEqual((await faultyClient.generate({ ...request, prompt: STORY + rawAnswer.slice(0, 3) })).response, rawAnswer);

      faulty.setFaults({ latencyMs: 300 });
      const started = performance.now();
      await faultyClient.version();
      // A lower bound only (timers may round down by a millisecond); no speed is asserted.
      assert.ok(performance.now() - started >= 290);
    } finally {
      await faulty.close();
    }
  });

  it('runs standalone: prints where it listens, serves /__stats and /__faults, and exits on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        repoPath('test', 'fixtures', 'realModelOllamaCli.ts'),
        '--parameter',
        'repeat_penalty=1',
        '--logprobs-after',
        '0',
      ],
      { cwd: repoPath(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await waitFor('the fixture to listen', () => /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/u.exec(stdout)?.[1], 60_000);
      const standalone = new Ollama({ host: url });
      const answer = await standalone.generate({
        model: MODEL,
        prompt: STORY,
        raw: true,
        stream: false,
        options: { temperature: 0, num_predict: 3 },
        logprobs: true,
      });
      assert.equal('logprobs' in answer, false, '--logprobs-after 0');
      const faults = await fetch(`${url}/__faults`, { method: 'POST', body: JSON.stringify({ latencyMs: 1 }) });
      assert.deepEqual(await faults.json(), { latencyMs: 1 });
      const stats = (await (await fetch(`${url}/__stats`)).json()) as RealModelStats;
      assert.equal(stats.generations, 1);
      assert.equal(stats.requests['/api/generate'], 1);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
