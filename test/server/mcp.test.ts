import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ExplanationSummary } from '../../server/mcp/explanationSummary';
import { BRIDGE_PLANTED, startFakeModelServer, type FakeModelServer } from '../fixtures/fakeModelServer';
import { CLI_PATH } from '../helpers/runCli';
import { explainRagExample, RAG, textOf } from '../helpers/mcpRag';
import { waitFor } from '../helpers/waitFor';
import { repoPath } from '../helpers/paths';

const SCORER = `node ${repoPath('examples', 'offline-scorer.mjs')}`;
const CACHE = mkdtempSync(path.join(tmpdir(), 'spex-mcp-'));
const CACHE_CANCEL = mkdtempSync(path.join(tmpdir(), 'spex-mcp-cancel-'));

/** The MCP server as an agent's host starts it: the built CLI over stdio, spoken to by the SDK's own client. */
async function connect(extra: readonly string[] = []): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_PATH, 'mcp', '--exec', SCORER, '--granularity', 'paragraph', '--index', 'mobius', ...extra],
    env: { ...(process.env as Record<string, string>), SPEX_CACHE_DIR: CACHE },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'spex-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

describe('spex mcp: explanations for agents over MCP', () => {
  let client: Client;
  let stderr: () => string;
  before(async () => {
    ({ client, stderr } = await connect());
  });
  after(async () => {
    await client.close();
    rmSync(CACHE, { recursive: true, force: true });
  });

  it('lists its tools with input and output schemas and annotations', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    assert.deepEqual([...byName.keys()].sort(), ['compare_prompts', 'estimate_cost', 'explain_interactions', 'refine', 'what_if']);
    for (const tool of tools) {
      assert.equal(tool.inputSchema.type, 'object', tool.name);
      assert.equal(tool.outputSchema?.type, 'object', tool.name);
    }
    assert.equal(byName.get('estimate_cost')?.annotations?.readOnlyHint, true);
    assert.ok(byName.get('explain_interactions')?.inputSchema.properties?.['budget']);
    assert.equal(client.getServerVersion()?.name, 'spex');
  });

  it('explains the RAG example: the planted interactions strongest first, with progress; the result validates against its schema', async () => {
    const { result, summary, progress } = await explainRagExample(client);
    assert.match(summary.interactions[1]?.texts[0] ?? '', /^\[1\] The Mira bridge/u);
    assert.match(textOf(result), /Strongest interactions \(mobius\):\n- \[2\]\+\[4\] redundancy −?-2\.500/u);
    assert.ok(progress.length > 0, 'progress notifications');
    assert.ok(progress.every((value, index) => index === 0 || value >= (progress[index - 1] as number)));
    assert.doesNotMatch(stderr(), /error/iu);

    // The explanation is kept: a resource, and what_if answers from its surrogate and, asked to, from the scorer.
    const resource = await client.readResource({ uri: `spex://explanation/${summary.id}` });
    const json = resource.contents.find((content) => content.mimeType === 'application/json');
    assert.equal((JSON.parse(String(json && 'text' in json ? json.text : '{}')) as { features: unknown[] }).features.length, 6);
    assert.ok(
      resource.contents.some(
        (content) => content.mimeType === 'text/markdown' && 'text' in content && /# SPEX explanation/u.test(content.text),
      ),
    );
    const listed = await client.listResources();
    assert.ok(listed.resources.some((entry) => entry.uri === `spex://explanation/${summary.id}`));
    const whatIf = (await client.callTool({
      name: 'what_if',
      arguments: { explanationId: summary.id, remove: [2], verify: true },
    })) as CallToolResult;
    assert.notEqual(whatIf.isError, true, textOf(whatIf));
    const answer = whatIf.structuredContent as { predicted: number; value: number; full: number };
    assert.ok(Math.abs(answer.predicted - answer.value) < 1e-9, `exact fit: ${JSON.stringify(answer)}`);
    assert.ok(answer.value < answer.full);

    // Drill into the strongest document: its sentences, the coarse run's masks reused from the cache.
    const refined = (await client.callTool({ name: 'refine', arguments: { explanationId: summary.id } })) as CallToolResult;
    assert.notEqual(refined.isError, true, textOf(refined));
    const finer = refined.structuredContent as unknown as ExplanationSummary;
    assert.ok(finer.spanCount > summary.spanCount, `${finer.spanCount} spans after the drill-down`);
    assert.match(textOf(refined), /coarser masks reused from the cache/u);
  });

  it('compares two versions of the prompt: the dropped document is removed, the others line up', async () => {
    const { readFileSync } = await import('node:fs');
    const a = readFileSync(RAG, 'utf8');
    const b = a.replace(/\n\[5\][^\n]*\n/u, '\n');
    const result = (await client.callTool({
      name: 'compare_prompts',
      arguments: { a, b, pin: ['Question:[^\\n]*'], top: 10 },
    })) as CallToolResult;
    assert.notEqual(result.isError, true, textOf(result));
    const comparison = result.structuredContent as { answersDiffer: boolean; spans: { status: string; textA: string | null }[] };
    assert.equal(comparison.answersDiffer, false);
    const removed = comparison.spans.filter((span) => span.status === 'removed');
    assert.equal(removed.length, 1);
    assert.match(removed[0]?.textA ?? '', /^\[5\] Another bridge/u);
    assert.equal(comparison.spans.filter((span) => span.status === 'unchanged').length, 5);
  });

  it('estimates before spending, and refuses a budget above the ceiling with the estimate', async () => {
    const estimate = (await client.callTool({
      name: 'estimate_cost',
      arguments: { file: RAG, granularity: 'sentence' },
    })) as CallToolResult;
    assert.notEqual(estimate.isError, true, textOf(estimate));
    assert.ok((estimate.structuredContent as { spans: number }).spans > 6);
    const refused = (await client.callTool({ name: 'explain_interactions', arguments: { file: RAG, budget: 50_000 } })) as CallToolResult;
    assert.equal(refused.isError, true);
    assert.match(textOf(refused), /above this server's ceiling of 4000/u);
  });

  it('answers bad arguments with tool errors a person can act on, and keeps serving', async () => {
    const both = (await client.callTool({ name: 'explain_interactions', arguments: { text: 'a', file: RAG } })) as CallToolResult;
    assert.equal(both.isError, true);
    assert.match(textOf(both), /as text or as file, one of the two/u);
    const badGranularity = (await client.callTool({
      name: 'explain_interactions',
      arguments: { text: 'One. Two.', granularity: 'chapter' },
    })) as CallToolResult;
    assert.equal(badGranularity.isError, true);
    assert.match(textOf(badGranularity), /granularity/u);
    const schema = (await client.callTool({ name: 'explain_interactions', arguments: { text: 'One.', budget: 'many' } })) as CallToolResult;
    assert.equal(schema.isError, true);
    assert.match(textOf(schema), /budget/u);
    const unknown = (await client.callTool({ name: 'what_if', arguments: { explanationId: 'nope', remove: [0] } })) as CallToolResult;
    assert.equal(unknown.isError, true);
    assert.match(textOf(unknown), /No explanation "nope" is kept/u);
    const huge = (await client.callTool({ name: 'explain_interactions', arguments: { text: 'word '.repeat(400_001) } })) as CallToolResult;
    assert.equal(huge.isError, true);
    assert.match(textOf(huge), /^The text has 2000005 characters; the limit is 2000000\. Select a smaller part/u);
    const still = await client.listTools();
    assert.equal(still.tools.length, 5);
  });
});

/** Waits until no model call has arrived for 300 ms (the calls in flight finished), and returns how many there were. */
function modelCallsSettle(fake: FakeModelServer): Promise<number> {
  return waitFor(
    'the model calls to stop',
    async () => {
      const before = fake.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return fake.requests.length === before ? before : undefined;
    },
    15_000,
  );
}

describe('spex mcp: a cancelled call', () => {
  it('stops calling the model when the client cancels, and keeps serving', async () => {
    const fake = await startFakeModelServer({ ...BRIDGE_PLANTED, latencyMs: 40 });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_PATH, 'mcp', '--backend', 'openai', '--endpoint', fake.openaiBaseURL, '--concurrency', '2'],
      env: { ...(process.env as Record<string, string>), SPEX_CACHE_DIR: CACHE_CANCEL },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'spex-test', version: '1.0.0' });
    try {
      await client.connect(transport);
      const controller = new AbortController();
      const text = Array.from({ length: 24 }, (_, index) => `Sentence ${index} about ${['alpha', 'beta', 'gamma'][index % 3] ?? ''}.`).join(
        ' ',
      );
      const call = client.callTool({ name: 'explain_interactions', arguments: { text, budget: 2000 } }, undefined, {
        signal: controller.signal,
        onprogress: (update) => {
          if (update.progress >= 10) controller.abort(new Error('the agent moved on'));
        },
      });
      await assert.rejects(call, /the agent moved on|AbortError|cancel/iu);
      // Calls in flight finish; then no more go out.
      const settled = await modelCallsSettle(fake);
      assert.ok(settled < 200, `${settled} requests after the cancel`);
      assert.equal((await client.listTools()).tools.length, 5);
    } finally {
      await client.close();
      await fake.close();
      rmSync(CACHE_CANCEL, { recursive: true, force: true });
    }
  });
});

describe('spex mcp: a client that goes away', () => {
  it('stops the run when the client disconnects, exits on its own, and keeps the calls made for the next client', async () => {
    const fake = await startFakeModelServer({ ...BRIDGE_PLANTED, latencyMs: 40 });
    const cache = mkdtempSync(path.join(tmpdir(), 'spex-mcp-gone-'));
    const start = async (): Promise<Client> => {
      const client = new Client({ name: 'spex-test', version: '1.0.0' });
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [CLI_PATH, 'mcp', '--backend', 'openai', '--endpoint', fake.openaiBaseURL, '--concurrency', '2', '--cache', cache],
          stderr: 'pipe',
        }),
      );
      return client;
    };
    const text = Array.from({ length: 24 }, (_, index) => `Sentence ${index} about ${['alpha', 'beta', 'gamma'][index % 3] ?? ''}.`).join(
      ' ',
    );
    try {
      const first = await start();
      await new Promise<void>((resolve) => {
        first
          .callTool({ name: 'explain_interactions', arguments: { text, budget: 2000 } }, undefined, {
            onprogress: (update) => {
              if (update.progress >= 10) resolve();
            },
          })
          .catch(() => undefined);
      });
      // Closing standard input is how a stdio client goes away; the SDK's client waits 2 s for the server to exit before it kills it.
      const closing = Date.now();
      await first.close();
      assert.ok(Date.now() - closing < 1_900, `the server took ${Date.now() - closing} ms to exit after its client went away`);
      const settled = await modelCallsSettle(fake);
      assert.ok(settled < 200, `${settled} requests after the client went away`);
      // A new client with the same cache: the run's first masks, scored before the disconnect, are not asked of the model
      // again; only the set-up calls (the model list, the answer) are. With an empty cache the same estimate asks for more.
      const estimateCalls = async (): Promise<number> => {
        const before = fake.requests.length;
        const client = await start();
        try {
          const estimate = (await client.callTool({ name: 'estimate_cost', arguments: { text, budget: 2000 } })) as CallToolResult;
          assert.notEqual(estimate.isError, true, textOf(estimate));
          return fake.requests.length - before;
        } finally {
          await client.close();
        }
      };
      const afterDisconnect = await estimateCalls();
      rmSync(cache, { recursive: true, force: true });
      const fresh = await estimateCalls();
      assert.ok(afterDisconnect < fresh, `${afterDisconnect} calls with the kept cache, ${fresh} with an empty one`);
    } finally {
      await fake.close();
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe('spex mcp: prompts leave this machine only where the user agreed', () => {
  // A documentation address (TEST-NET-2): nothing answers there, so a call that got past the check would fail slowly, not be refused.
  const REMOTE = 'http://198.51.100.7:9';
  it('refuses a call to an endpoint off this machine, naming the flag that allows it, and sends nothing; allowed origins pass', async () => {
    const { client } = await connect(['--allow-remote', `${REMOTE}/v1`, '--timeout', '300', '--retries', '0']);
    try {
      const other = 'https://api.example.com';
      for (const name of ['explain_interactions', 'estimate_cost'] as const) {
        const refused = (await client.callTool({
          name,
          arguments: { text: 'One. Two.', backend: 'openai', endpoint: `${other}/v1`, model: 'm' },
        })) as CallToolResult;
        assert.equal(refused.isError, true, name);
        assert.match(
          textOf(refused),
          /^Refused: this call would send the prompt to https:\/\/api\.example\.com, an endpoint off this machine/u,
        );
        assert.match(textOf(refused), /--allow-remote https:\/\/api\.example\.com\.$/u);
      }
      const compared = (await client.callTool({
        name: 'compare_prompts',
        arguments: { a: 'One. Two.', b: 'One.', backend: 'openai', endpoint: other, model: 'm' },
      })) as CallToolResult;
      assert.match(textOf(compared), /^Refused/u);
      // The origin given with --allow-remote (as a URL, cut to its origin) gets past the check and on to the endpoint.
      const allowed = (await client.callTool({
        name: 'estimate_cost',
        arguments: { text: 'One. Two.', backend: 'openai', endpoint: `${REMOTE}/v1`, model: 'm' },
      })) as CallToolResult;
      assert.equal(allowed.isError, true);
      assert.doesNotMatch(textOf(allowed), /Refused/u);
      // The exec scorer runs here: never asked about.
      const local = (await client.callTool({ name: 'estimate_cost', arguments: { file: RAG } })) as CallToolResult;
      assert.notEqual(local.isError, true, textOf(local));
    } finally {
      await client.close();
    }
  });
});

describe('spex mcp: its command line', () => {
  it('refuses files on the command line, and writes nothing but MCP to standard output', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'spex-mcp-cli-'));
    try {
      const prompt = path.join(directory, 'p.txt');
      writeFileSync(prompt, 'One.');
      const { runCli } = await import('../helpers/runCli');
      const refused = await runCli(['mcp', prompt]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /spex mcp takes no files/u);
      // A client that sends nothing and closes: the server exits cleanly, with nothing on standard output.
      const closed = await runCli(['mcp', '--exec', SCORER], { hungAfterMs: 30_000 });
      assert.equal(closed.code, 0, closed.stderr);
      assert.equal(closed.stdout, '');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
