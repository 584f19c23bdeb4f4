import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMask } from '../../server/ablation/mask';
import { looksLikeMessageList, messageSpans, parseMessageList } from '../../server/ablation/messages';

const LIST = `[
  {"role": "system", "content": "You are terse.\\nAnswer in one line."},
  {"role": "user", "name": "ana", "content": "Caf\\u00e9 \\"Mira\\" opened when?", "meta": {"tags": [1, true, null]}},
  {"role": "assistant", "content": "In 1931."}
]`;

describe('chat prompts as message lists', () => {
  it('reads roles and contents, and where every decoded character of a content sits in the JSON', () => {
    const messages = parseMessageList(LIST);
    assert.deepEqual(
      messages.map((message) => [message.role, message.content]),
      [
        ['system', 'You are terse.\nAnswer in one line.'],
        ['user', 'Café "Mira" opened when?'],
        ['assistant', 'In 1931.'],
      ],
    );
    for (const message of messages) {
      assert.equal(message.sourceOffsets.length, message.content.length + 1);
      assert.equal(message.sourceOffsets[0], message.start);
      assert.equal(message.sourceOffsets[message.content.length], message.end);
      // Each decoded character is what its source characters decode to.
      for (let i = 0; i < message.content.length; i += 1) {
        const source = LIST.slice(message.sourceOffsets[i], message.sourceOffsets[i + 1]);
        assert.equal(JSON.parse(`"${source}"`), message.content[i], `${message.role} ${i}: ${source}`);
      }
    }
    // "Café" spans the escape \\u00e9 in the source: six characters for one.
    const user = messages[1];
    assert.ok(user);
    assert.equal(LIST.slice(user.sourceOffsets[3], user.sourceOffsets[4]), '\\u00e9');
  });

  it('says where a list is malformed, by line and column', () => {
    assert.throws(() => parseMessageList('[]'), /line 1, column 2: the message list is empty/u);
    assert.throws(() => parseMessageList('[{"role": "user"}]'), /line 1, column 2: message 1 has no "content" text/u);
    assert.throws(
      () => parseMessageList('[\n  {"role": "robot", "content": "hi"}\n]'),
      /line 2, column 3: message 1 has the role "robot"/u,
    );
    assert.throws(() => parseMessageList('[{"role": "user", "content": "hi}]'), /a string is not closed/u);
    assert.throws(() => parseMessageList('[{"role": "user", "content": "hi"}] extra'), /text after the message list/u);
    assert.throws(() => parseMessageList('[{"role": "user", "content": "a\\qb"}]'), /unknown escape \\q/u);
  });

  it('makes spans of the contents, whole or split, as ranges of the JSON; masking them keeps a valid message list', () => {
    const messages = parseMessageList(LIST);
    const whole = messageSpans(LIST, messages, 'message').features;
    assert.deepEqual(
      whole.map((span) => span.text),
      ['You are terse.\\nAnswer in one line.', 'Caf\\u00e9 \\"Mira\\" opened when?', 'In 1931.'],
    );
    const words = messageSpans(LIST, messages, 'word').features;
    assert.deepEqual(
      words.slice(7, 11).map((span) => span.text),
      ['Caf\\u00e9', '\\"Mira\\"', 'opened', 'when?'],
    );
    // Every mask of the spans leaves JSON that reads back as the same roles, with the kept words.
    for (const mask of [
      [0, 1, 1],
      [1, 0, 1],
      [0, 0, 0],
    ]) {
      const masked = parseMessageList(applyMask(LIST, whole, mask, { kind: 'remove' }));
      assert.deepEqual(
        masked.map((message) => message.role),
        ['system', 'user', 'assistant'],
      );
      masked.forEach((message, index) => assert.equal(message.content === '', mask[index] === 0));
    }
    const someWords = words.map((_, index) => (index % 2 === 0 ? 1 : 0));
    const read = parseMessageList(applyMask(LIST, words, someWords, { kind: 'remove' }));
    assert.equal(read[1]?.content.trim(), '"Mira" when?');
  });

  it('tells a message list from plain text', () => {
    assert.equal(looksLikeMessageList(LIST), true);
    assert.equal(looksLikeMessageList('  [ { "content": "x", "role": "user" } ]'), true);
    assert.equal(looksLikeMessageList('[1] The Mira bridge opened in 1931.'), false);
  });
});
