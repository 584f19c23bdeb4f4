import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BRIDGE_PLANTED, startFakeModelServer } from '../fixtures/fakeModelServer';
import { CLI_PATH, runCli } from '../helpers/runCli';
import { explainRagExample, RAG, textOf } from '../helpers/mcpRag';
import { waitFor } from '../helpers/waitFor';
import { repoPath } from '../helpers/paths';

const SCORER = `node ${repoPath('examples', 'offline-scorer.mjs')}`;
const CACHE = mkdtempSync(path.join(tmpdir(), 'spex-mcp-http-'));

/** What an initialize request looks like on the wire, for the requests sent by hand. */
const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'spex-test-raw', version: '1.0.0' } },
});

interface Served {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: URL;
  readonly stderr: () => string;
  /** How the process ended, once it has. */
  readonly exit: () => { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/** The built CLI serving MCP over HTTP on a free port, found from the one line it writes to standard error. */
async function serve(
  options: readonly string[] = ['--backend', 'exec', '--exec', SCORER, '--granularity', 'paragraph', '--index', 'mobius'],
): Promise<Served> {
  const child = spawn(process.execPath, [CLI_PATH, 'mcp', '--http', '0', ...options], {
    cwd: repoPath(),
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, SPEX_CACHE_DIR: CACHE },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.on('exit', (code, signal) => (exit = { code, signal }));
  const url = await waitFor(
    'spex mcp --http to print its URL',
    () => {
      const found = /spex mcp: serving MCP at (http:\/\/127\.0\.0\.1:\d+\/mcp) \(\w+ backend\)/u.exec(stderr)?.[1];
      if (found === undefined && exit !== undefined) throw new Error(`spex mcp --http exited before serving: ${stderr}`);
      return found === undefined ? undefined : new URL(found);
    },
    30_000,
  );
  return { child, url, stderr: () => stderr, exit: () => exit };
}

async function connect(url: URL): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(url);
  const client = new Client({ name: 'spex-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** A request sent by hand (fetch cannot set Host), with the status and the body that came back. */
function rawRequest(
  url: URL,
  options: { method: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = request(
      { host: url.hostname, port: url.port, method: options.method, path: options.path ?? url.pathname, headers: options.headers },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
        response.on('error', reject);
      },
    );
    sent.on('error', reject);
    sent.end(options.body);
  });
}

/** The headers a Streamable HTTP client sends with a POST. */
const POST_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

/** A refusal's body: a JSON-RPC error with no id, as the SDK's transport words its own. */
function jsonRpcError(body: string): { code: number; message: string } {
  const parsed = JSON.parse(body) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
  assert.equal(parsed.jsonrpc, '2.0');
  assert.equal(parsed.id, null);
  return parsed.error;
}

describe('spex mcp --http: explanations for agents over Streamable HTTP', () => {
  let served: Served;
  let first: Client;
  const clients: Client[] = [];
  before(async () => {
    served = await serve();
    first = (await connect(served.url)).client;
    clients.push(first);
  });
  after(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    if (served.child.exitCode === null && served.child.signalCode === null) served.child.kill('SIGKILL');
    rmSync(CACHE, { recursive: true, force: true });
  });

  it('serves on 127.0.0.1 at /mcp, the tools to the SDK’s own client: lists them, estimates and explains', async () => {
    assert.equal(served.url.hostname, '127.0.0.1');
    assert.equal(served.url.pathname, '/mcp');
    assert.ok(Number(served.url.port) > 0, `a real port, not 0: ${served.url.href}`);
    const { tools } = await first.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), [
      'compare_prompts',
      'estimate_cost',
      'explain_interactions',
      'refine',
      'what_if',
    ]);
    assert.equal(first.getServerVersion()?.name, 'spex');

    const estimate = (await first.callTool({
      name: 'estimate_cost',
      arguments: { file: RAG, pin: ['Question:[^\\n]*'] },
    })) as CallToolResult;
    assert.notEqual(estimate.isError, true, textOf(estimate));
    const cost = estimate.structuredContent as { spans: number; plannedMasks: number; valueFunction: string; remote: boolean };
    assert.equal(cost.spans, 6);
    assert.ok(cost.plannedMasks > 0);
    assert.equal(cost.remote, false);

    // The same run as over stdio, with progress notifications coming back on the POST's event stream.
    await explainRagExample(first);
  });

  it('gives two clients sessions of their own, served at once over one service; a session ended with DELETE is gone', async () => {
    const { client: second, transport } = await connect(served.url);
    clients.push(second);
    const firstId = (first.transport as StreamableHTTPClientTransport).sessionId;
    const secondId = transport.sessionId;
    assert.ok(firstId !== undefined && secondId !== undefined, 'both sessions have ids');
    assert.notEqual(firstId, secondId);

    const prompt = 'Paris is the capital of France.\n\nThe Seine flows through it.\n\nQuestion: what is the capital of France?';
    const [a, b] = (await Promise.all(
      [first, second].map((client) => client.callTool({ name: 'estimate_cost', arguments: { text: prompt } })),
    )) as CallToolResult[];
    assert.notEqual(a?.isError, true, a && textOf(a));
    assert.notEqual(b?.isError, true, b && textOf(b));
    // The same plan for both (the seconds are each one's own measurement).
    const plan = (result: CallToolResult | undefined) => ({ ...result?.structuredContent, estimatedSeconds: undefined });
    assert.deepEqual(plan(a), plan(b));
    assert.equal((a?.structuredContent as { spans: number } | undefined)?.spans, 3);
    // The explanations are the one service's: the second session reads what the first one explained.
    const { resources } = await second.listResources();
    assert.ok(resources.length > 0, 'the explanation from the first session is listed in the second');

    await transport.terminateSession();
    const gone = await rawRequest(served.url, {
      method: 'POST',
      headers: { ...POST_HEADERS, 'Mcp-Session-Id': secondId, 'Mcp-Protocol-Version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    assert.equal(gone.status, 404, gone.body);
    assert.equal(jsonRpcError(gone.body).code, -32001);
    assert.equal((await first.listTools()).tools.length, 5);
  });

  it('refuses a foreign Host or a foreign Origin with 403 (DNS rebinding), and serves loopback ones', async () => {
    const port = served.url.port;
    const rebound = await rawRequest(served.url, {
      method: 'POST',
      headers: { ...POST_HEADERS, Host: `evil.example:${port}` },
      body: INITIALIZE,
    });
    assert.equal(rebound.status, 403, rebound.body);
    assert.match(jsonRpcError(rebound.body).message, /Host header "evil\.example:\d+" is not this server/u);
    const otherPort = await rawRequest(served.url, { method: 'POST', headers: { ...POST_HEADERS, Host: '127.0.0.1:1' }, body: INITIALIZE });
    assert.equal(otherPort.status, 403, otherPort.body);

    const crossSite = await rawRequest(served.url, {
      method: 'POST',
      headers: { ...POST_HEADERS, Origin: 'http://evil.example' },
      body: INITIALIZE,
    });
    assert.equal(crossSite.status, 403, crossSite.body);
    assert.match(jsonRpcError(crossSite.body).message, /"http:\/\/evil\.example" are refused/u);
    const sandboxed = await rawRequest(served.url, { method: 'POST', headers: { ...POST_HEADERS, Origin: 'null' }, body: INITIALIZE });
    assert.equal(sandboxed.status, 403, sandboxed.body);

    // localhost at the port, and a page on this machine, are this server's own.
    const local = await rawRequest(served.url, {
      method: 'POST',
      headers: { ...POST_HEADERS, Host: `localhost:${port}`, Origin: 'http://localhost:5173' },
      body: INITIALIZE,
    });
    assert.equal(local.status, 200, local.body);
    assert.ok(local.headers['mcp-session-id'], 'a session started');
    assert.match(local.body, /"serverInfo":\{"name":"spex"/u);
  });

  it('answers 404 off /mcp, 400 without a session, 400 for a body that is not JSON, and 413 for one over 4 MiB', async () => {
    const elsewhere = await rawRequest(served.url, { method: 'GET', path: '/other' });
    assert.equal(elsewhere.status, 404, elsewhere.body);
    assert.match(jsonRpcError(elsewhere.body).message, /MCP is served at \/mcp/u);
    assert.equal((await rawRequest(served.url, { method: 'GET', path: '/' })).status, 404);

    const noSession = await rawRequest(served.url, { method: 'GET', headers: { Accept: 'text/event-stream' } });
    assert.equal(noSession.status, 400, noSession.body);
    const notInitialize = await rawRequest(served.url, {
      method: 'POST',
      headers: POST_HEADERS,
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    });
    assert.equal(notInitialize.status, 400, notInitialize.body);
    const notJson = await rawRequest(served.url, { method: 'POST', headers: POST_HEADERS, body: '{"jsonrpc":' });
    assert.equal(notJson.status, 400, notJson.body);
    assert.equal(jsonRpcError(notJson.body).code, -32700);
    const put = await rawRequest(served.url, { method: 'PUT', headers: POST_HEADERS, body: INITIALIZE });
    assert.equal(put.status, 405, put.body);

    // Refused from its Content-Length before it is read, and, sent in chunks with no length, once it passes the limit.
    const huge = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    const declared = await rawRequest(served.url, { method: 'POST', headers: POST_HEADERS, body: huge });
    assert.equal(declared.status, 413, declared.body);
    const chunked = await rawRequest(served.url, {
      method: 'POST',
      headers: { ...POST_HEADERS, 'Transfer-Encoding': 'chunked' },
      body: huge,
    });
    assert.equal(chunked.status, 413, chunked.body);
    assert.match(jsonRpcError(chunked.body).message, /larger than 4194304 bytes/u);
    // Still serving.
    assert.equal((await first.listTools()).tools.length, 5);
  });

  it('refuses a bad --http, or a port in use, in one line', async () => {
    for (const value of ['http', '-1', '65536', '80.5']) {
      const refused = await runCli(['mcp', '--http', value, '--exec', SCORER], { hungAfterMs: 30_000 });
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /^spex: --http must be a whole number from 0 to 65535; got .+\.\n$/u);
    }
    const taken = await runCli(['mcp', '--http', served.url.port, '--exec', SCORER], {
      hungAfterMs: 30_000,
      env: { SPEX_CACHE_DIR: CACHE },
    });
    assert.equal(taken.code, 1, taken.stderr);
    assert.match(taken.stderr, /^spex: Cannot serve MCP at 127\.0\.0\.1:\d+: the port is in use\..*\n$/u);
  });

  it('closes every session and exits 0 on SIGTERM', async () => {
    served.child.kill('SIGTERM');
    const exit = await waitFor('spex mcp --http to exit after SIGTERM', served.exit, 20_000);
    assert.deepEqual(exit, { code: 0, signal: null }, served.stderr());
    assert.doesNotMatch(served.stderr(), /error/iu);
  });
});

describe('spex mcp --http: SIGTERM during a tool call', () => {
  it('stops the call, stops calling the model, and exits 0', async () => {
    const fake = await startFakeModelServer({ ...BRIDGE_PLANTED, latencyMs: 40 });
    const served = await serve(['--backend', 'openai', '--endpoint', fake.openaiBaseURL, '--concurrency', '2', '--no-cache']);
    const { client } = await connect(served.url);
    try {
      const text = Array.from({ length: 24 }, (_, index) => `Sentence ${index} about ${['alpha', 'beta', 'gamma'][index % 3] ?? ''}.`).join(
        ' ',
      );
      const call = client.callTool({ name: 'explain_interactions', arguments: { text, budget: 2000 } }, undefined, {
        onprogress: (update) => {
          if (update.progress >= 10 && served.child.signalCode === null && !served.child.killed) served.child.kill('SIGTERM');
        },
      });
      // The client is told at once, as a stdio client is when the process ends, rather than waiting out its timeout.
      await assert.rejects(call, /MCP error -32000: The SPEX MCP server is shutting down; the call was stopped\./u);
      const exit = await waitFor('spex mcp --http to exit after SIGTERM', served.exit, 20_000);
      assert.deepEqual(exit, { code: 0, signal: null }, served.stderr());
      // The process is gone, so nothing can call the model any more; the calls it had made were not a full run.
      assert.ok(fake.requests.length < 200, `${fake.requests.length} requests`);
    } finally {
      await client.close();
      if (served.exit() === undefined) served.child.kill('SIGKILL');
      await fake.close();
    }
  });
});
