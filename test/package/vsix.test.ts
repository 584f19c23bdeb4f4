import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { ExplainTextRequest, GetVersionRequest } from '../../protocol/server';
import { freshCheckout } from '../helpers/freshCheckout';
import { repoPath } from '../helpers/paths';
import { waitFor } from '../helpers/waitFor';
import { zipEntries, type ZipEntry } from '../helpers/zipEntries';

/** vsce renames a few well-known files inside the package. */
const RENAMED: Record<string, string> = { 'README.md': 'readme.md', 'CHANGELOG.md': 'changelog.md', LICENSE: 'LICENSE.txt' };

/** The allow-list: every `!path` line of .vscodeignore, which starts by excluding everything. */
function allowList(): string[] {
  const lines = readFileSync(repoPath('.vscodeignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim());
  assert.equal(
    lines.find((line) => line.length > 0 && !line.startsWith('#')),
    '**',
    '.vscodeignore must start by excluding everything',
  );
  return lines.filter((line) => line.startsWith('!')).map((line) => line.slice(1));
}

describe('the packaged .vsix', () => {
  let entries: ZipEntry[];
  const scratch = mkdtempSync(path.join(tmpdir(), 'spex-vsix-'));

  before(async () => {
    const checkout = freshCheckout(scratch);
    assert.ok(!existsSync(path.join(checkout, 'out')) && !existsSync(path.join(checkout, 'dist')), 'the copy starts without build output');
    const result = spawnSync('npm', ['run', 'package'], { cwd: checkout, encoding: 'utf8', shell: process.platform === 'win32' });
    assert.equal(result.status, 0, `npm run package failed on a fresh checkout:\n${result.stdout}\n${result.stderr}`);
    entries = await zipEntries(path.join(checkout, 'out', 'spex-explain.vsix'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('ships exactly the allow-listed files', () => {
    const expected = allowList().map((file) => `extension/${RENAMED[file] ?? file}`);
    const shipped = entries.map((entry) => entry.name).filter((name) => name.startsWith('extension/'));
    assert.deepEqual(shipped.sort(), expected.sort());
  });

  it('has the manifest entry point and every bundle', () => {
    const manifest = JSON.parse(
      entries
        .find((entry) => entry.name === 'extension/package.json')
        ?.content()
        .toString('utf8') ?? '{}',
    ) as { main?: string };
    assert.equal(manifest.main, './dist/extension.js');
    for (const bundle of [
      'extension.js',
      'server.js',
      'recoveryWorker.js',
      'cli.js',
      'webview.js',
      'webview.css',
      'mcpView.js',
      'mcpView.css',
    ]) {
      const entry = entries.find((candidate) => candidate.name === `extension/dist/${bundle}`);
      assert.ok(entry && entry.content().length > 0, `dist/${bundle} is in the package`);
    }
  });

  it('bundles everything: the node bundles require only Node built-ins (and vscode)', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
    for (const bundle of ['extension.js', 'server.js', 'recoveryWorker.js', 'cli.js']) {
      const code =
        entries
          .find((entry) => entry.name === `extension/dist/${bundle}`)
          ?.content()
          .toString('utf8') ?? '';
      // A require at the start of a string is code that a library generates and never runs here (ajv's
      // standalone validators, in the MCP SDK), not a module the bundle loads.
      const required = [...code.matchAll(/(?<!['"`])\brequire\(["']([^"']+)["']\)/gu)].map((match) => match[1] ?? '');
      const foreign = required.filter((name) => !builtins.has(name) && !(bundle === 'extension.js' && name === 'vscode'));
      assert.deepEqual(foreign, [], `${bundle} requires modules that are not shipped`);
    }
  });

  it('starts the packaged server on its own, answers spex/version and explains with its recovery worker', async () => {
    // The server and the worker thread it starts beside itself, and nothing else from the package.
    for (const bundle of ['server.js', 'recoveryWorker.js']) {
      writeFileSync(path.join(scratch, bundle), entries.find((entry) => entry.name === `extension/dist/${bundle}`)?.content() ?? '');
    }
    const child = spawn(process.execPath, [path.join(scratch, 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    connection.listen();
    try {
      const version = await connection.sendRequest(GetVersionRequest);
      assert.equal(version.name, 'spex-server');
      await connection.sendRequest('initialize', {
        processId: process.pid,
        rootUri: null,
        capabilities: {},
        initializationOptions: { cacheDirectory: scratch },
      });
      // Forty sentences: too many for exact recovery, so ProxySPEX fits in rounds, in the worker.
      const text = Array.from({ length: 40 }, (_, i) => `Sentence ${i}.`).join(' ');
      const scorer = repoPath('test', 'fixtures', 'scorers', 'fakeScorer.mjs');
      const result = await connection.sendRequest(ExplainTextRequest, {
        text,
        options: { backend: 'exec', exec: `node "${scorer}" sum`, budget: 300, index: 'banzhaf', order: 1 },
      });
      assert.equal(result.explanation.algorithm.name, 'proxyspex');
      // The scorer counts kept sentences: each sentence is worth 1 when kept (up to the fit's shrinkage).
      const values = result.explanation.featureValues;
      assert.equal(values.length, 40);
      assert.ok(
        values.every((value) => Math.abs(value - 1) < 0.05),
        `values ${values.join(', ')}`,
      );
    } finally {
      connection.dispose();
      child.kill();
    }
  });
  it('serves the MCP App view from the packaged CLI: the page with the packaged view inlined', async () => {
    const folder = mkdtempSync(path.join(scratch, 'mcp-'));
    for (const bundle of ['cli.js', 'recoveryWorker.js', 'mcpView.js', 'mcpView.css'])
      writeFileSync(path.join(folder, bundle), entries.find((entry) => entry.name === `extension/dist/${bundle}`)?.content() ?? '');
    const child = spawn(process.execPath, [path.join(folder, 'cli.js'), 'mcp', '--exec', 'node scorer.mjs', '--quiet'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const answers = new Map<number, unknown>();
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const message = JSON.parse(buffer.slice(0, newline)) as { id?: number; result?: unknown };
        buffer = buffer.slice(newline + 1);
        if (message.id !== undefined) answers.set(message.id, message.result);
      }
    });
    const send = (message: object): boolean => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
    try {
      send({
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      });
      await waitFor('initialize', () => answers.get(1), 30_000);
      send({ method: 'notifications/initialized' });
      send({ id: 2, method: 'resources/read', params: { uri: 'ui://spex/explanation.html' } });
      const read = (await waitFor('the view', () => answers.get(2), 30_000)) as { contents: { mimeType: string; text: string }[] };
      const page = read.contents[0];
      assert.equal(page?.mimeType, 'text/html;profile=mcp-app');
      assert.match(page?.text ?? '', /<script nonce="[^"]+">[\s\S]{100000,}<\/script>/u);
    } finally {
      child.kill();
    }
  });
});
