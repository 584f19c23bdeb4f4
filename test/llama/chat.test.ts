import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createLlamaValueSource } from '../../server/backends/llama/llamaScorer';
import { releaseAllModels } from '../../server/backends/llama/modelRegistry';
import { chatWire } from '../../server/ablation/promptDocument';
import { writeGgufWithChatTemplate } from './ggufWithTemplate';
import { STORY, TINY_MODEL_PATH, tinyModelSkip } from './tinyModel';

const TEMPLATE =
  '{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}' +
  '{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}';

describe('a chat model on the llama backend', { skip: tinyModelSkip() }, () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'spex-llama-chat-'));
  const chatModel = path.join(scratch, 'stories-chat.gguf');
  after(async () => {
    await releaseAllModels();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("applies the chat template from the GGUF metadata once, around the user's text only; --raw skips it", async () => {
    writeGgufWithChatTemplate(readFileSync(TINY_MODEL_PATH), chatModel, TEMPLATE);
    const options = {
      model: chatModel,
      value: 'logprob',
      target: ' Lily',
      maxAnswerTokens: 8,
      concurrency: 2,
      threads: 0,
      prompt: STORY,
    } as const;
    const chat = await createLlamaValueSource({ ...options, raw: false });
    const raw = await createLlamaValueSource({ ...options, raw: true });
    assert.equal(chat.promptFormat, 'chat');
    assert.equal(chat.keyParts.endpointKind, 'chat');
    assert.match(chat.model, /chat template\)$/u);
    assert.match(chat.valueFunction.reason, /the model's own chat template/u);
    assert.equal(raw.promptFormat, 'raw');
    assert.notEqual(chat.keyParts.parameters['template'], raw.keyParts.parameters['template']);
    // The same answer under the template and without it: the template is really part of the context.
    const [withTemplate, without] = await Promise.all([chat.score(STORY, new Uint8Array(0)), raw.score(STORY, new Uint8Array(0))]);
    assert.ok(Number.isFinite(withTemplate) && Number.isFinite(without));
    assert.notEqual(withTemplate, without);

    // Masked texts share the template's header, so it stays in the KV cache: only the user's text is a feature.
    const sentences = STORY.split(/(?<=\.) /u);
    const masked = sentences.map((_, skip) => sentences.filter((__, index) => index !== skip).join(' '));
    const before = chat.stats();
    await Promise.all(masked.map((text) => chat.score(text, new Uint8Array(0))));
    const after = chat.stats();
    assert.ok(after.evaluatedTokens - before.evaluatedTokens < after.noReuseTokens - before.noReuseTokens);
  });

  it("sends a chat prompt's turns through the template as turns, never flattened; without a template it refuses", async () => {
    writeGgufWithChatTemplate(readFileSync(TINY_MODEL_PATH), chatModel, TEMPLATE);
    const turns = [
      { role: 'system', content: 'Lily had a ball.' },
      { role: 'user', content: 'She played with it.' },
    ];
    const base = { value: 'logprob', target: ' Lily', maxAnswerTokens: 8, concurrency: 1, threads: 0, prompt: chatWire(turns) } as const;
    const chat = await createLlamaValueSource({ ...base, model: chatModel, raw: false, chat: true });
    const plain = await createLlamaValueSource({ ...base, model: chatModel, raw: false, prompt: 'Lily had a ball.\nShe played with it.' });
    assert.match(chat.valueFunction.reason, /around the chat's messages/u);
    assert.notEqual(chat.keyParts.parameters['template'], plain.keyParts.parameters['template']);
    const asTurns = await chat.score(chatWire(turns), new Uint8Array(0));
    // The same words as one user message, through the same template: another prompt, another value.
    const flattened = await chat.score(chatWire([{ role: 'user', content: 'Lily had a ball.\nShe played with it.' }]), new Uint8Array(0));
    const systemEmpty = await chat.score(
      chatWire([{ role: 'system', content: '' }, turns[1] as (typeof turns)[number]]),
      new Uint8Array(0),
    );
    assert.ok(Number.isFinite(asTurns) && Number.isFinite(flattened) && Number.isFinite(systemEmpty));
    assert.notEqual(asTurns, flattened);
    assert.notEqual(asTurns, systemEmpty);
    // The plain source reads the same words as one user turn: the flattened value, exactly.
    assert.equal(await plain.score('Lily had a ball.\nShe played with it.', new Uint8Array(0)), flattened);

    await assert.rejects(
      createLlamaValueSource({ ...base, model: TINY_MODEL_PATH, raw: false, chat: true }),
      /no chat template in its GGUF metadata/u,
    );
    await assert.rejects(createLlamaValueSource({ ...base, model: chatModel, raw: true, chat: true }), /which --raw turns off/u);
  });
});
