import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Token } from 'node-llama-cpp';
import { poolSettingsFor } from '../../server/backends/llama/llamaScorer';
import { LlamaBackendError } from '../../server/backends/llama/loader';
import { resolveModelFile } from '../../server/backends/llama/modelFile';
import {
  displayOllamaName,
  listOllamaModels,
  ollamaStoreDirectory,
  parseOllamaName,
  resolveOllamaModel,
} from '../../server/backends/llama/ollamaStore';
import { commonPrefixLength, compareTokens, PrefixQueue } from '../../server/backends/llama/prefixQueue';
import { LOGPROB_FLOOR, logprobOf } from '../../server/backends/llama/workerPool';
import { parseCommandLine, UsageError, type ExplainCommand } from '../../server/cli/args';
import { ConfigError, resolveExplainConfig } from '../../server/lsp/explainConfig';
import { isRemote } from '../../server/lsp/explainService';

const scratch = mkdtempSync(path.join(tmpdir(), 'spex-llama-unit-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const HEX = 'ab'.repeat(32);

/** A fake Ollama store: `models` maps a manifest path (host/namespace/repository/tag) to its model layer digest. */
function fakeStore(name: string, models: Record<string, string | null>, blobs: Record<string, string>): string {
  const store = path.join(scratch, name);
  for (const [manifest, digest] of Object.entries(models)) {
    const file = path.join(store, 'manifests', ...manifest.split('/'));
    mkdirSync(path.dirname(file), { recursive: true });
    const layers = [{ mediaType: 'application/vnd.ollama.image.template', digest: `sha256:${'cd'.repeat(32)}` }];
    if (digest) layers.push({ mediaType: 'application/vnd.ollama.image.model', digest });
    writeFileSync(file, JSON.stringify({ schemaVersion: 2, layers }));
  }
  mkdirSync(path.join(store, 'blobs'), { recursive: true });
  for (const [blob, content] of Object.entries(blobs)) writeFileSync(path.join(store, 'blobs', blob), content);
  return store;
}

describe('Ollama model store', () => {
  it('parses model names the way Ollama lays out its manifests', () => {
    assert.deepEqual(parseOllamaName('llama3.2:1b'), {
      host: 'registry.ollama.ai',
      namespace: 'library',
      repository: 'llama3.2',
      tag: '1b',
    });
    assert.deepEqual(parseOllamaName('qwen2.5'), {
      host: 'registry.ollama.ai',
      namespace: 'library',
      repository: 'qwen2.5',
      tag: 'latest',
    });
    assert.deepEqual(parseOllamaName('me/tiny:q4'), { host: 'registry.ollama.ai', namespace: 'me', repository: 'tiny', tag: 'q4' });
    assert.deepEqual(parseOllamaName('hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'), {
      host: 'hf.co',
      namespace: 'bartowski',
      repository: 'Llama-3.2-1B-Instruct-GGUF',
      tag: 'Q4_K_M',
    });
    assert.equal(parseOllamaName('a/b/c/d'), undefined);
    assert.equal(parseOllamaName('has space:1b'), undefined);
    assert.equal(parseOllamaName('../escape:1b'), undefined);
    assert.equal(displayOllamaName(parseOllamaName('llama3.2:1b')!), 'llama3.2:1b');
    assert.equal(displayOllamaName(parseOllamaName('hf.co/a/b:c')!), 'hf.co/a/b:c');
  });

  it('finds the store in OLLAMA_MODELS, else ~/.ollama/models', () => {
    assert.equal(ollamaStoreDirectory({ OLLAMA_MODELS: '/data/ollama' }, '/home/me'), '/data/ollama');
    assert.equal(ollamaStoreDirectory({}, '/home/me'), path.join('/home/me', '.ollama', 'models'));
  });

  it('resolves a name through its manifest and model layer to the blob (both blob namings)', async () => {
    const store = fakeStore(
      'store-a',
      {
        'registry.ollama.ai/library/llama3.2/1b': `sha256:${HEX}`,
        'registry.ollama.ai/me/old/latest': `sha256:${'ef'.repeat(32)}`,
        'hf.co/someone/repo/Q4_K_M': `sha256:${HEX}`,
      },
      { [`sha256-${HEX}`]: 'GGUF…', [`sha256:${'ef'.repeat(32)}`]: 'GGUF…' },
    );
    assert.deepEqual(await resolveOllamaModel('llama3.2:1b', store), {
      path: path.join(store, 'blobs', `sha256-${HEX}`),
      digest: `sha256:${HEX}`,
      name: 'llama3.2:1b',
    });
    assert.equal((await resolveOllamaModel('me/old', store)).path, path.join(store, 'blobs', `sha256:${'ef'.repeat(32)}`));
    assert.equal((await resolveOllamaModel('hf.co/someone/repo:Q4_K_M', store)).name, 'hf.co/someone/repo:Q4_K_M');
    assert.deepEqual(await listOllamaModels(store), ['hf.co/someone/repo:Q4_K_M', 'llama3.2:1b', 'me/old:latest']);
  });

  it('fails clearly: an unknown name lists the models there; a missing blob or model layer says so', async () => {
    const store = fakeStore(
      'store-b',
      { 'registry.ollama.ai/library/gemma3/1b': `sha256:${HEX}`, 'registry.ollama.ai/library/broken/latest': null },
      {},
    );
    await assert.rejects(resolveOllamaModel('llama3.2:1b', store), (error: unknown) => {
      assert.ok(error instanceof LlamaBackendError);
      assert.match(error.message, /has no model "llama3\.2:1b"\. Pulled models there: broken:latest, gemma3:1b\./u);
      return true;
    });
    await assert.rejects(resolveOllamaModel('gemma3:1b', store), /names the model blob sha256-abab.*which is missing/u);
    await assert.rejects(resolveOllamaModel('broken', store), /has no model layer/u);
    await assert.rejects(resolveOllamaModel('anything', path.join(scratch, 'nowhere')), /It holds no models/u);
    assert.deepEqual(await listOllamaModels(path.join(scratch, 'nowhere')), []);
  });

  it('tells a GGUF path from an Ollama name', async () => {
    const file = path.join(scratch, 'model.gguf');
    writeFileSync(file, 'GGUF');
    const resolved = await resolveModelFile(file, path.join(scratch, 'nowhere'));
    assert.equal(resolved.path, file);
    assert.equal(resolved.name, file);
    assert.equal(resolved.bytes, 4);
    assert.match(resolved.digest, /^size 4, mtime \d/u);
    await assert.rejects(resolveModelFile(path.join(scratch, 'missing.gguf')), /No such GGUF file/u);
    await assert.rejects(resolveModelFile('./missing'), /No such GGUF file/u);
    await assert.rejects(resolveModelFile(scratch), /is a folder/u);
    await assert.rejects(resolveModelFile('', path.join(scratch, 'nowhere')), /needs --model/u);
    await assert.rejects(resolveModelFile('tiny:1b', path.join(scratch, 'nowhere')), /Ollama model store/u);
  });
});

describe('prefix order', () => {
  const item = (...tokens: number[]): { tokens: number[] } => ({ tokens });

  it('compares token sequences lexicographically and measures shared prefixes', () => {
    assert.equal(commonPrefixLength([1, 2, 3], [1, 2, 4]), 2);
    assert.equal(commonPrefixLength([], [1]), 0);
    assert.ok(compareTokens([1, 2], [1, 3]) < 0);
    assert.ok(compareTokens([1, 2], [1, 2, 0]) < 0);
    assert.equal(compareTokens([5], [5]), 0);
  });

  it('gives a warm worker the queued sequence sharing the longest prefix with its cache', () => {
    const queue = new PrefixQueue<{ tokens: number[] }>();
    for (const entry of [item(1, 9, 9), item(1, 2, 3, 4), item(1, 2, 7), item(2, 1), item(1, 2, 3, 5)]) queue.push(entry);
    assert.deepEqual(queue.take([1, 2, 3, 4, 8], 0, 1)?.tokens, [1, 2, 3, 4]);
    assert.deepEqual(queue.take([1, 2, 3, 4], 0, 1)?.tokens, [1, 2, 3, 5]);
    assert.deepEqual(queue.take([1, 2, 3, 5], 0, 1)?.tokens, [1, 2, 7]);
    assert.equal(queue.size, 2);
  });

  it('spreads cold workers over the queue and can drop a cancelled item', () => {
    const queue = new PrefixQueue<{ tokens: number[] }>();
    const entries = [0, 1, 2, 3, 4, 5, 6, 7].map((value) => item(value));
    for (const entry of [...entries].reverse()) queue.push(entry);
    assert.deepEqual(queue.take([], 1, 2)?.tokens, [4]);
    assert.deepEqual(queue.take([], 0, 2)?.tokens, [0]);
    assert.ok(queue.remove(entries[7] as { tokens: number[] }));
    assert.ok(!queue.remove(entries[7] as { tokens: number[] }));
    assert.equal(queue.size, 5);
  });
});

describe('llama backend arithmetic and settings', () => {
  it('renormalises float32 probabilities in float64 and floors an underflowed one', () => {
    const probabilities = new Map<Token, number>([
      [1 as Token, 0.5],
      [2 as Token, 0.25],
      [3 as Token, 0.2500001],
    ]);
    assert.ok(Math.abs(logprobOf(probabilities, 1 as Token) - Math.log(0.5 / 1.0000001)) < 1e-15);
    assert.equal(logprobOf(probabilities, 4 as Token), LOGPROB_FLOOR);
    assert.ok(LOGPROB_FLOOR < -103 && LOGPROB_FLOOR > -104);
  });

  it('runs one worker per concurrent prompt, at most one per core, and splits the cores into threads', () => {
    assert.deepEqual(poolSettingsFor(4, 0, 2), { workers: 2, threads: 1 });
    assert.deepEqual(poolSettingsFor(4, 0, 16), { workers: 4, threads: 4 });
    assert.deepEqual(poolSettingsFor(1, 0, 8), { workers: 1, threads: 8 });
    assert.deepEqual(poolSettingsFor(4, 3, 2), { workers: 2, threads: 3 });
    assert.deepEqual(poolSettingsFor(4, 0, 1), { workers: 1, threads: 1 });
  });

  it('parses --backend llama with --threads and --raw, and refuses --endpoint with it', () => {
    const command = parseCommandLine([
      'explain',
      'in.txt',
      '--backend',
      'llama',
      '--model',
      'llama3.2:1b',
      '--threads',
      '2',
      '--raw',
    ]) as ExplainCommand;
    assert.equal(command.backend, 'llama');
    assert.equal(command.model, 'llama3.2:1b');
    assert.equal(command.threads, 2);
    assert.equal(command.raw, true);
    assert.equal((parseCommandLine(['explain', 'in.txt']) as ExplainCommand).threads, 0);
    assert.throws(() => parseCommandLine(['explain', '--backend', 'llama', '--endpoint', 'http://127.0.0.1:1']), UsageError);
    assert.throws(() => parseCommandLine(['explain', '--threads', '-1']), UsageError);
  });

  it('takes the llama backend, threads and the idle timeout from options and settings; the backend is local', () => {
    const config = resolveExplainConfig({ backend: 'llama', threads: 2 }, { llamaIdleTimeout: 60 });
    assert.equal(config.backend, 'llama');
    assert.equal(config.threads, 2);
    assert.equal(config.llamaIdleTimeoutS, 60);
    assert.equal(resolveExplainConfig({}, { threads: 3 }).threads, 3);
    assert.equal(resolveExplainConfig({}, {}).llamaIdleTimeoutS, 300);
    assert.throws(() => resolveExplainConfig({}, { llamaIdleTimeout: 0 }), ConfigError);
    assert.throws(() => resolveExplainConfig({ threads: 1.5 }, {}), ConfigError);
    assert.equal(isRemote({ backend: 'llama', endpoints: ['https://far.example/v1'] }), false);
  });
});
