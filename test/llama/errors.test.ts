import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { LlamaBackendError, setLlamaImporter } from '../../server/backends/llama/loader';
import { releaseAllModels } from '../../server/backends/llama/modelRegistry';
import { createValueSource, type SourceOptions } from '../../server/engine/valueSource';
import { ValueSetupError } from '../../server/value/chooseValueFunction';
import { repoPath } from '../helpers/paths';
import { STORY, TINY_MODEL_PATH, TINY_MODEL_SHA256, tinyModelSkip } from './tinyModel';

const scratch = mkdtempSync(path.join(tmpdir(), 'spex-llama-errors-'));
const store = path.join(scratch, 'ollama');

function options(overrides: Partial<SourceOptions>): SourceOptions {
  return {
    backend: 'llama',
    endpoints: [],
    model: TINY_MODEL_PATH,
    value: 'auto',
    maxAnswerTokens: 8,
    concurrency: 2,
    timeoutMs: 10_000,
    seed: 0,
    prompt: STORY,
    ...overrides,
  };
}

/** Runs `create` and checks it fails with a backend error whose message matches. */
async function rejects(
  overrides: Partial<SourceOptions>,
  message: RegExp,
  kind: new (...args: never[]) => Error = LlamaBackendError,
): Promise<void> {
  await assert.rejects(createValueSource(options(overrides)), (error: unknown) => {
    assert.ok(error instanceof kind, `${String(error)} is a ${kind.name}`);
    assert.match(error.message, message);
    return true;
  });
}

/** A fake Ollama store holding one model, "stories:260k", whose blob is a link to the test model (never a copy). */
function fakeStore(): void {
  const manifest = path.join(store, 'manifests', 'registry.ollama.ai', 'library', 'stories', '260k');
  mkdirSync(path.dirname(manifest), { recursive: true });
  mkdirSync(path.join(store, 'blobs'), { recursive: true });
  writeFileSync(
    manifest,
    JSON.stringify({
      schemaVersion: 2,
      layers: [
        { mediaType: 'application/vnd.ollama.image.license', digest: `sha256:${'0'.repeat(64)}`, size: 10 },
        { mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${TINY_MODEL_SHA256}`, size: 1 },
      ],
    }),
  );
  symlinkSync(TINY_MODEL_PATH, path.join(store, 'blobs', `sha256-${TINY_MODEL_SHA256}`));
}

describe('llama backend errors', { skip: tinyModelSkip() }, () => {
  const savedStore = process.env['OLLAMA_MODELS'];
  after(async () => {
    if (savedStore === undefined) delete process.env['OLLAMA_MODELS'];
    else process.env['OLLAMA_MODELS'] = savedStore;
    await releaseAllModels();
    rmSync(scratch, { recursive: true, force: true });
  });
  afterEach(() => setLlamaImporter());

  it('explains in one paragraph how to install node-llama-cpp when it is missing, and other backends still work', async () => {
    setLlamaImporter(() =>
      Promise.reject(Object.assign(new Error("Cannot find package 'node-llama-cpp'"), { code: 'ERR_MODULE_NOT_FOUND' })),
    );
    await assert.rejects(createValueSource(options({})), (error: unknown) => {
      assert.ok(error instanceof LlamaBackendError);
      assert.match(error.message, /npm install node-llama-cpp@3\.21\.1/u);
      assert.match(error.message, /spex-explain-linux-x64\.vsix/u);
      assert.match(error.message, /--backend ollama/u);
      assert.doesNotMatch(error.message, /\n/u);
      return true;
    });
    const exec = await createValueSource({
      ...options({ backend: 'exec' }),
      exec: `node ${repoPath('examples', 'offline-scorer.mjs')}`,
    });
    try {
      assert.equal(typeof (await exec.score('Alpha.', Uint8Array.of(1))), 'number');
    } finally {
      await exec.close();
    }
  });

  it('rejects a file that is not GGUF', async () => {
    const file = path.join(scratch, 'notes.gguf');
    writeFileSync(file, 'These are my notes, not a model.\n');
    await rejects({ model: file }, /is not a GGUF model file \(it starts with "Thes"/u);
  });

  it('rejects a truncated GGUF file: cut in the header, in the tensor data, or in the last tensor', async () => {
    const bytes = readFileSync(TINY_MODEL_PATH);
    const cut = (name: string, length: number): string => {
      const file = path.join(scratch, name);
      writeFileSync(file, bytes.subarray(0, length));
      return file;
    };
    await rejects({ model: cut('header.gguf', 100) }, /is (truncated|not a readable GGUF file)/u);
    await rejects(
      { model: cut('data.gguf', 600_000) },
      /is truncated: its header describes data up to byte \d+, but the file has only 600000 bytes/u,
    );
    await rejects({ model: cut('tail.gguf', bytes.length - 64) }, /could not load .*(not within the file bounds|corrupted)/u);
  });

  it('resolves Ollama model names in the store, and lists what is there for a name it does not know', async () => {
    fakeStore();
    process.env['OLLAMA_MODELS'] = store;
    await rejects({ model: 'llama3.2:1b' }, /has no model "llama3\.2:1b"\. Pulled models there: stories:260k\./u);
    await rejects({ model: 'missing.gguf' }, /No such GGUF file: .*missing\.gguf/u);
    const source = await createValueSource(options({ model: 'stories:260k' }));
    assert.equal(source.keyParts.model, 'stories:260k');
    assert.equal(source.keyParts.modelDigest, `sha256:${TINY_MODEL_SHA256}`);
    assert.equal(typeof (await source.score(STORY, new Uint8Array(0))), 'number');
  });

  it('rejects an answer longer than the context and an empty prompt, then keeps working', async () => {
    await rejects({ target: 'the ball '.repeat(1200) }, /need \d+ tokens, more than the 2048-token context/u);
    await rejects({ prompt: '  \n ' }, /The prompt is empty/u);
    await rejects({ value: 'similarity' }, /exact log-probabilities/u, ValueSetupError);
    await rejects({ value: 'label' }, /needs the label/u, ValueSetupError);
    const source = await createValueSource(options({}));
    assert.ok(Number.isFinite(await source.score(STORY, new Uint8Array(0))));
  });
});
