import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Explanation } from '../../protocol/explanation';
import { BRIDGE_PLANTED, startFakeModelServer, type FakeModelServer, type FakeRequestRecord } from '../fixtures/fakeModelServer';
import { runCli, type CliResult } from '../helpers/runCli';

/** The planted synergy's two words sit in different messages: beta in the system turn, gamma in the user's. */
const CHAT_JSON = `[
  {"role": "system", "content": "Alpha rules apply. Beta is set."},
  {"role": "user", "content": "Gamma joins. Delta waits.\\nOmega ends."},
  {"role": "assistant", "content": "Filler one."},
  {"role": "user", "content": "When did it open?"}
]
`;

const CHAT_YAML = `# A promptfoo-style chat prompt.
- role: system
  content: |
    Alpha rules apply.
    Beta is set.
- role: user
  content: "Gamma joins. Delta waits.\\nOmega ends."
`;

const CHAT_DOTPROMPT = `---
model: fake-llm:1b
---
{{role "system"}}
Alpha rules apply. Beta is set.
{{role "user"}}
Gamma joins. Delta waits. Omega ends.
`;

const DIRECTORY = mkdtempSync(path.join(tmpdir(), 'spex-chat-'));

interface SentMessage {
  readonly role: string;
  readonly content: string;
}

function messagesOf(request: FakeRequestRecord): SentMessage[] {
  return ((request.body as { messages?: SentMessage[] }).messages ?? []).map((message) => ({
    role: message.role,
    content: message.content,
  }));
}

describe('chat prompts as messages: spans inside the contents, the list sent as messages', () => {
  let fake: FakeModelServer;
  const write = (name: string, text: string): string => {
    const file = path.join(DIRECTORY, name);
    writeFileSync(file, text);
    return file;
  };
  const explain = (file: string, args: readonly string[]): Promise<CliResult> =>
    runCli(['explain', file, '--endpoint', args.includes('openai') ? fake.openaiBaseURL : fake.ollamaHost, '--index', 'mobius', ...args], {
      env: { SPEX_CACHE_DIR: path.join(DIRECTORY, 'cache') },
      hungAfterMs: 120_000,
    });

  before(async () => {
    fake = await startFakeModelServer({ ...BRIDGE_PLANTED });
  });
  after(async () => {
    await fake.close();
    rmSync(DIRECTORY, { recursive: true, force: true });
  });

  it('recovers the planted interactions across messages, and every request carries the roles as messages', async () => {
    const file = write('chat.json', CHAT_JSON);
    const before = fake.requests.length;
    const result = await explain(file, ['--backend', 'ollama', '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const explanation = JSON.parse(result.stdout) as Explanation;
    assert.deepEqual(explanation.chat, { syntax: 'json', roles: ['system', 'user', 'assistant', 'user'] });
    assert.deepEqual(
      explanation.features.map((feature) => feature.text),
      ['Alpha rules apply.', 'Beta is set.', 'Gamma joins.', 'Delta waits.', 'Omega ends.', 'Filler one.', 'When did it open?'],
    );
    // Spans are ranges of the JSON the person wrote, so the editor's tints land on the contents.
    for (const feature of explanation.features) assert.equal(CHAT_JSON.slice(feature.start, feature.end), feature.text);
    const term = (features: number[]) => explanation.interactions.find((entry) => entry.features.join() === features.join());
    assert.ok(Math.abs((term([1, 2])?.value ?? 0) - 2) < 1e-6, 'the beta + gamma synergy across the system and user turns');
    assert.ok(Math.abs((term([3, 4])?.value ?? 0) + 1.8) < 1e-6, 'the delta + omega redundancy inside one message');
    assert.ok(Math.abs((term([0])?.value ?? 0) - 1.5) < 1e-6);

    const chats = fake.requests.slice(before).filter((request) => request.path === '/api/chat');
    assert.ok(chats.length > 10, `${chats.length} chat requests`);
    assert.equal(fake.requests.slice(before).filter((request) => request.path === '/api/generate').length, 0);
    let systemRemoved = false;
    for (const request of chats) {
      const sent = messagesOf(request);
      // The four turns in order, each with its role (a forced answer prefix may follow as an assistant turn).
      assert.deepEqual(
        sent.slice(0, 4).map((message) => message.role),
        ['system', 'user', 'assistant', 'user'],
      );
      for (const message of sent) assert.doesNotMatch(message.content, /"role"/u, 'never the list flattened into one string');
      if (sent[0]?.content === '') systemRemoved = true;
    }
    assert.ok(systemRemoved, 'a mask that removes both system spans sends the system turn empty, its role kept');
    assert.ok(chats.some((request) => messagesOf(request)[1]?.content === 'Gamma joins. Delta waits.\nOmega ends.'));
  });

  it('sends a message list to the chat API of an OpenAI-compatible server even under --api completions', async () => {
    const file = write('chat-openai.json', CHAT_JSON);
    const before = fake.requests.length;
    const result = await explain(file, ['--backend', 'openai', '--api', 'completions', '--format', 'json', '--granularity', 'message']);
    assert.equal(result.code, 0, result.stderr);
    const explanation = JSON.parse(result.stdout) as Explanation;
    assert.equal(explanation.features.length, 4);
    assert.equal(explanation.features[1]?.text, 'Gamma joins. Delta waits.\\nOmega ends.');
    const paths = new Set(fake.requests.slice(before).map((request) => request.path));
    assert.ok(paths.has('/v1/chat/completions'), [...paths].join(', '));
    assert.equal(paths.has('/v1/completions'), false, 'a message list never goes to the completions API');
  });

  it('reads YAML lists and .prompt files, with spans at their source positions', async () => {
    for (const [name, text, syntax] of [
      ['chat.yaml', CHAT_YAML, 'yaml'],
      ['chat.prompt', CHAT_DOTPROMPT, 'dotprompt'],
    ] as const) {
      const file = write(name, text);
      const result = await explain(file, ['--backend', 'ollama', '--format', 'json']);
      assert.equal(result.code, 0, result.stderr);
      const explanation = JSON.parse(result.stdout) as Explanation;
      assert.deepEqual(explanation.chat, { syntax, roles: ['system', 'user'] });
      assert.deepEqual(
        explanation.features.map((feature) => text.slice(feature.start, feature.end)),
        ['Alpha rules apply.', 'Beta is set.', 'Gamma joins.', 'Delta waits.', 'Omega ends.'],
        name,
      );
      const synergy = explanation.interactions.find((entry) => entry.features.join() === '1,2');
      assert.ok(Math.abs((synergy?.value ?? 0) - 2) < 1e-6, `${name}: the planted synergy`);
    }
  });

  it('says where a malformed list is wrong, and explains it as text when asked to', async () => {
    const file = write('broken.json', '[\n  {"role": "user", "content": "Alpha rules."},\n  {"role": "robot", "content": "Beta."}\n]\n');
    const broken = await explain(file, ['--backend', 'ollama']);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /line 3, column 3: message 2 has the role "robot"/u);
    const asText = await explain(file, ['--backend', 'ollama', '--prompt-format', 'text', '--format', 'json']);
    assert.equal(asText.code, 0, asText.stderr);
    assert.equal((JSON.parse(asText.stdout) as Explanation).chat, undefined);
    const plain = write('plain.txt', 'Alpha rules apply. Beta is set.');
    const insisted = await explain(plain, ['--backend', 'ollama', '--prompt-format', 'messages']);
    assert.equal(insisted.code, 2);
    assert.match(insisted.stderr, /not a chat message list/u);
    const wholeMessages = await explain(plain, ['--backend', 'ollama', '--granularity', 'message']);
    assert.equal(wholeMessages.code, 2);
    assert.match(wholeMessages.stderr, /message granularity splits chat message lists/u);
  });
});
