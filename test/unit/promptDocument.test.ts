import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatTurnsOf, fullPrompt, promptWithMask, readPrompt, segmentPrompt, splitSpan } from '../../server/ablation/promptDocument';
import { refineSpans, liftMask } from '../../server/engine/drillDown';

const YAML_LIST = `messages:
  - role: system
    content: >-
      Be brief
      and polite.
  - role: user
    content: 'It''s "Mira", isn''t it?'
  - role: assistant
    content: "Caf\\u00e9 at \\"noon\\".\\tYes."
  - role: user
    content: Plain words here.
`;

const DOTPROMPT = `---
model: any
config:
  temperature: 0
---
Before any marker.
{{role "system"}}
You answer in French.
{{ role 'model' }}
D'accord.
{{role "user"}}
Où est la gare ?
`;

describe('chat prompts written as YAML and .prompt files', () => {
  it('reads every YAML scalar style, and places each decoded character at its source character', () => {
    const document = readPrompt(YAML_LIST);
    assert.equal(document.chat?.syntax, 'yaml');
    const messages = document.chat?.messages ?? [];
    assert.deepEqual(
      messages.map((message) => [message.role, message.content]),
      [
        ['system', 'Be brief and polite.'],
        ['user', `It's "Mira", isn't it?`],
        ['assistant', 'Café at "noon".\tYes.'],
        ['user', 'Plain words here.'],
      ],
    );
    for (const message of messages) {
      for (let i = 0; i < message.content.length; i += 1) {
        const character = message.content[i] as string;
        const source = YAML_LIST.slice(message.sourceOffsets[i], message.sourceOffsets[i + 1]);
        // A letter is itself in the source; a space may be a folded line break; others are escapes or doubled quotes.
        if (/\p{L}/u.test(character) && character !== 'é') assert.equal(source[0], character, `${message.role} ${i}`);
      }
    }
    const words = segmentPrompt(document, 'word').features;
    for (const word of words) assert.equal(YAML_LIST.slice(word.start, word.end), word.text);
    assert.deepEqual(
      words.slice(0, 4).map((word) => word.text),
      ['Be', 'brief', 'and', 'polite.'],
    );
    assert.ok(words.some((word) => word.text === 'Caf\\u00e9'));
  });

  it('reads a .prompt file: front matter skipped, role markers as the messages, the model turn as the assistant', () => {
    const document = readPrompt(DOTPROMPT, 'auto', 'travel.prompt');
    assert.equal(document.chat?.syntax, 'dotprompt');
    assert.deepEqual(
      document.chat?.messages.map((message) => [message.role, message.content.trim()]),
      [
        ['user', 'Before any marker.'],
        ['system', 'You answer in French.'],
        ['assistant', "D'accord."],
        ['user', 'Où est la gare ?'],
      ],
    );
    const spans = segmentPrompt(document, 'message').features;
    assert.deepEqual(
      spans.map((span) => span.text),
      ['Before any marker.', 'You answer in French.', "D'accord.", 'Où est la gare ?'],
    );
    assert.doesNotMatch(spans.map((span) => span.text).join(' '), /model: any|role/u);
  });

  it('says where YAML and .prompt files are malformed, by line and column', () => {
    assert.throws(() => readPrompt('- role: user\n  content: [unclosed\n'), /Message list \(YAML\), line \d+, column \d+/u);
    assert.throws(() => readPrompt('- role: user\n- role: system\n  content: hi\n'), /line 1, column 3: message 1 has no "content" text/u);
    assert.throws(() => readPrompt('- role: robot\n  content: hi\n'), /line 1, column 9: message 1 has the role "robot"/u);
    assert.throws(() => readPrompt('---\nmodel: x\n{{role "user"}} hi'), /Prompt file, line 1, column 1: the front matter/u);
    assert.throws(() => readPrompt('{{role "user"}} hi\n{{role "critic"}} no'), /line 2, column 1: the role "critic"/u);
    assert.equal(readPrompt('- a plain list\n- of notes\n').chat, undefined);
    assert.equal(readPrompt('[1] The Mira bridge.').chat, undefined);
  });

  it('masks message by message and sends the turns as a list, a removed message empty with its role', () => {
    const document = readPrompt(YAML_LIST);
    const spans = segmentPrompt(document, 'sentence').features;
    const all = spans.map(() => 1);
    assert.deepEqual(chatTurnsOf(promptWithMask(document, spans, all, { kind: 'remove' })), chatTurnsOf(fullPrompt(document)));
    const turns = chatTurnsOf(promptWithMask(document, spans, [0, ...all.slice(1)], { kind: 'remove' }));
    assert.deepEqual(
      turns.map((turn) => turn.role),
      ['system', 'user', 'assistant', 'user'],
    );
    assert.equal(turns[0]?.content, '');
    assert.equal(turns[2]?.content, 'Café at "noon".\tYes.');
    const placeholder = chatTurnsOf(promptWithMask(document, spans, [1, 0, ...all.slice(2)], { kind: 'placeholder', text: '[MASK]' }));
    assert.equal(placeholder[1]?.content, '[MASK]');
  });

  it('drills into a message: its pieces split in the decoded content, and every coarse mask lifted is the same prompt', () => {
    const document = readPrompt(YAML_LIST);
    const coarse = { text: YAML_LIST, ...segmentPrompt(document, 'message') };
    assert.deepEqual(
      splitSpan(document, coarse.features[2] as { start: number; end: number }, 'sentence').map((piece) =>
        YAML_LIST.slice(piece.start, piece.end),
      ),
      ['Caf\\u00e9 at \\"noon\\".', 'Yes.'],
    );
    const refined = refineSpans(coarse, [0, 2], 'word', document);
    assert.deepEqual(refined.split, [0, 2]);
    for (let bits = 0; bits < 2 ** coarse.features.length; bits += 1) {
      const mask = coarse.features.map((_, index) => (bits >> index) & 1);
      assert.equal(
        promptWithMask(document, refined.features, liftMask(mask, refined.parents), { kind: 'remove' }),
        promptWithMask(document, coarse.features, mask, { kind: 'remove' }),
      );
    }
  });

  it('refuses the message granularity on plain text, and a text that must be a list but is not', () => {
    assert.throws(() => segmentPrompt(readPrompt('One. Two.'), 'message'), /message granularity splits chat message lists/u);
    assert.throws(() => readPrompt('One. Two.', 'messages'), /not a chat message list/u);
    assert.equal(readPrompt('[{"role": "user", "content": "x"}]', 'text').chat, undefined);
  });
});
