import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { LlamaModel } from 'node-llama-cpp';
import { chatFormat } from '../../server/backends/llama/chatTemplate';
import { createLlamaValueSource } from '../../server/backends/llama/llamaScorer';
import { loadLlamaModule } from '../../server/backends/llama/loader';
import { resolveModelFile } from '../../server/backends/llama/modelFile';
import {
  acquireModel,
  loadedModelFiles,
  releaseAllModels,
  setModelIdleTimeout,
  withModel,
} from '../../server/backends/llama/modelRegistry';
import { waitFor } from '../helpers/waitFor';
import { STORY, TINY_MODEL_PATH, tinyModelSkip } from './tinyModel';

const sourceOptions = {
  model: TINY_MODEL_PATH,
  raw: false,
  value: 'auto',
  maxAnswerTokens: 6,
  concurrency: 2,
  threads: 0,
  prompt: STORY,
} as const;

describe('the model registry', { skip: tinyModelSkip() }, () => {
  after(async () => {
    setModelIdleTimeout(300_000);
    await releaseAllModels();
  });

  it('loads a model once and shares it between explanations', async () => {
    const file = await resolveModelFile(TINY_MODEL_PATH);
    const first = await acquireModel(file);
    const second = await acquireModel(file);
    try {
      assert.equal(first.loaded.model, second.loaded.model);
      assert.deepEqual(loadedModelFiles(), [TINY_MODEL_PATH]);
      const a = await createLlamaValueSource(sourceOptions);
      const b = await createLlamaValueSource({ ...sourceOptions, maxAnswerTokens: 4 });
      await Promise.all([a.score(STORY, new Uint8Array(0)), b.score(STORY, new Uint8Array(0))]);
      assert.deepEqual(loadedModelFiles(), [TINY_MODEL_PATH]);
      assert.equal(a.loadMs, b.loadMs, 'both use the one load');
    } finally {
      first.release();
      second.release();
    }
  });

  it('unloads a model after the idle timeout and loads it again when next used', async () => {
    const source = await createLlamaValueSource({ ...sourceOptions, idleTimeoutMs: 100 });
    const before = await source.score(STORY, new Uint8Array(0));
    await waitFor('the idle model to be unloaded', () => (loadedModelFiles().length === 0 ? true : undefined));
    // A what-if check after the release reloads the model and returns the same value.
    assert.equal(await source.score(STORY, new Uint8Array(0)), before);
    assert.deepEqual(loadedModelFiles(), [TINY_MODEL_PATH]);
    await releaseAllModels();
    assert.deepEqual(loadedModelFiles(), []);
  });

  it("applies a chat template once around the user text, so that only the user's text changes between masks", async () => {
    const module = await loadLlamaModule();
    const file = await resolveModelFile(TINY_MODEL_PATH);
    await withModel(file, 'off', ({ model }: { model: LlamaModel }) => {
      const template =
        '{{ bos_token }}{% for message in messages %}<|{{ message.role }}|>\n{{ message.content }}\n{% endfor %}' +
        '{% if add_generation_prompt %}<|assistant|>\n{% endif %}';
      const format = chatFormat(module, model, template);
      assert.equal(format.kind, 'chat');
      const rendered = (text: string): string => model.detokenize(format.tokens(text), true);
      // (This tiny SentencePiece vocabulary detokenizes a space before the template's newline.)
      assert.match(rendered('Lily had a red ball.'), /^<s> <\|user\|>\nLily had a red ball\. ?\n<\|assistant\|>\n$/u);
      const full = format.tokens('Lily had a red ball. Tom had a kite.');
      const masked = format.tokens('Lily had a red ball.');
      const header = format.tokens('');
      // The template's header is a shared prefix of every masked prompt: the KV cache keeps it.
      assert.deepEqual(full.slice(0, header.length - 4), masked.slice(0, header.length - 4));
      assert.equal(rendered('Lily had a red ball.').split('Lily had a red ball.').length, 2, 'the user text appears once');
      return Promise.resolve();
    });
  });
});
