import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { defaultCacheDirectory } from '../../../server/cache/cacheDirectory';
import { callKey, type CallKeyParts, CallKeySecret } from '../../../server/cache/cacheKey';
import { CacheError, CallCache } from '../../../server/cache/callCache';
import { REPO_ROOT, repoPath } from '../../helpers/paths';
import { waitFor } from '../../helpers/waitFor';
import { cacheFile, fileSize, fixtureKey, headerOf, key, open, sealed, tempDirectory } from './cacheTestKit';

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const BASE: CallKeyParts = {
  backend: 'ollama',
  endpointKind: 'generate',
  model: 'llama3.2:1b',
  modelDigest: 'sha256:abc',
  valueFunction: 'logprob',
  parameters: { temperature: 0, seed: 7, raw: true, stop: null },
  text: 'The cat sat on the mat.',
  target: ' yes',
};

const SECRET = CallKeySecret.generate();
const keyOf = (parts: CallKeyParts): string => callKey(parts, SECRET);

interface Writer {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** What the writer printed so far: "ready" when it waits for the signal to start. */
  readonly stdout: () => string;
  readonly stderr: () => string;
}

/** Starts the writer fixture in its own process (see test/fixtures/cacheWriter.ts). */
function writer(directory: string, prefix: string, count: string, batch: number, wait = false): Writer {
  const args = [repoPath('test/fixtures/cacheWriter.ts'), directory, prefix, count, String(batch), ...(wait ? ['wait'] : [])];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe('callKey', () => {
  it('is a stable hex HMAC that ignores object key order', () => {
    const reordered: CallKeyParts = {
      target: ' yes',
      text: 'The cat sat on the mat.',
      parameters: { stop: null, raw: true, seed: 7, temperature: 0 },
      valueFunction: 'logprob',
      modelDigest: 'sha256:abc',
      model: 'llama3.2:1b',
      endpointKind: 'generate',
      backend: 'ollama',
    };
    assert.match(keyOf(BASE), /^[0-9a-f]{64}$/u);
    assert.equal(keyOf(reordered), keyOf(BASE));
    assert.equal(
      keyOf({ ...BASE, target: undefined }),
      keyOf(Object.fromEntries(Object.entries(BASE).filter(([name]) => name !== 'target')) as unknown as CallKeyParts),
    );
  });

  it('differs when any part differs', () => {
    const variants: CallKeyParts[] = [
      BASE,
      { ...BASE, text: 'The cat sat on the mat' },
      { ...BASE, modelDigest: 'sha256:abd' },
      { ...BASE, modelDigest: undefined },
      { ...BASE, model: 'llama3.2:3b' },
      { ...BASE, backend: 'openai' },
      { ...BASE, endpointKind: 'chat' },
      { ...BASE, valueFunction: 'prob' },
      { ...BASE, parameters: { ...BASE.parameters, temperature: 0.5 } },
      { ...BASE, parameters: { ...BASE.parameters, seed: '7' } },
      { ...BASE, parameters: { ...BASE.parameters, extra: null } },
      { ...BASE, target: ' no' },
      { ...BASE, target: '' },
      { ...BASE, target: undefined },
    ];
    assert.equal(new Set(variants.map(keyOf)).size, variants.length);
  });

  it('cannot be recomputed from a guessed prompt without the secret', () => {
    const other = CallKeySecret.generate();
    assert.notEqual(callKey(BASE, other), keyOf(BASE), 'each secret keys the same call differently');
    // Neither the unsalted hash that keys used to be (v1) nor one of the v2 encoding confirms a guess.
    const canonical =
      '{"backend":"ollama","endpointKind":"generate","model":"llama3.2:1b","modelDigest":"sha256:abc","parameters":{"raw":true,"seed":7,"stop":null,"temperature":0},"target":" yes","text":"The cat sat on the mat.","valueFunction":"logprob"}';
    for (const version of ['v1', 'v2']) {
      const unsalted = createHash('sha256').update(`spex-call-key/${version}\n${canonical}`).digest('hex');
      assert.notEqual(keyOf(BASE), unsalted);
    }
    assert.equal(SECRET.mac(`spex-call-key/v2\n${canonical}`), keyOf(BASE), 'the encoding is the one documented');
  });

  it('keeps the secret out of logs and JSON, and refuses a short one', () => {
    assert.equal(inspect({ secret: SECRET }), '{ secret: [CallKeySecret] }');
    assert.equal(JSON.stringify({ secret: SECRET }), '{"secret":"[CallKeySecret]"}');
    assert.equal(String(Object.keys(SECRET)), 'fingerprint');
    assert.match(SECRET.fingerprint, /^[0-9a-f]{16}$/u);
    assert.ok(!SECRET.toHex().includes(SECRET.fingerprint), 'the fingerprint is not a piece of the secret');
    assert.throws(() => CallKeySecret.fromBytes(new Uint8Array(16)), /must be 32 bytes; got 16/u);
    assert.equal(CallKeySecret.fromBytes(Buffer.from(SECRET.toHex(), 'hex')).fingerprint, SECRET.fingerprint);
    assert.throws(() => callKey(BASE, 'secret' as unknown as CallKeySecret), /must be the cache's CallKeySecret/u);
  });

  it('refuses parameters that cannot be encoded exactly', () => {
    assert.throws(() => keyOf({ ...BASE, parameters: { temperature: Number.NaN } }), /parameter "temperature" must be .*finite.*got NaN/u);
    assert.throws(() => keyOf({ ...BASE, parameters: { top: Number.POSITIVE_INFINITY } }), /parameter "top"/u);
  });
});

describe('CallCache', () => {
  it('stores and reads answers, also after reopening; the last write wins', async () => {
    const directory = await tempDirectory();
    const cache = await open(directory);
    assert.equal(cache.get(key(cache, 1)), undefined);
    await cache.set(key(cache, 1), 0.25);
    await cache.set(key(cache, 2), -3e-7);
    await cache.set(key(cache, 3), 1);
    await cache.set(key(cache, 3), 2);
    assert.equal(cache.get(key(cache, 1)), 0.25);
    assert.equal(cache.get(key(cache, 3)), 2);
    assert.deepEqual(cache.stats(), { entries: 3, bytes: await fileSize(cacheFile(directory)), hits: 2, misses: 1, skippedLines: 0 });
    await cache.close();
    // After closing, answers are kept in memory only: a late write (a cancelled run's last call) is no error.
    await cache.set(key(cache, 4), 4);
    assert.equal(cache.get(key(cache, 4)), 4);

    const again = await open(directory);
    assert.equal(again.keyOf(BASE), cache.keyOf(BASE), 'the same directory keys calls the same way');
    assert.equal(again.get(key(again, 1)), 0.25);
    assert.equal(again.get(key(again, 2)), -3e-7);
    assert.equal(again.get(key(again, 3)), 2);
    assert.equal(again.get(key(again, 4)), undefined);
    assert.equal(again.stats().entries, 3);
    assert.equal(again.damagedLines, 0);
    assert.deepEqual(again.warnings, []);
    const text = await fs.readFile(cacheFile(directory), 'utf8');
    assert.ok(!text.includes('cat'), 'only keyed hashes reach the disk');
    assert.match(text.split('\n')[0] ?? '', /^\{"spex":"call-cache","version":1,"keys":"[0-9a-f]{16}"\}\t[0-9a-f]{8}$/u);
  });

  it('rejects values that are not finite numbers and keys that are not keyOf hashes', async () => {
    const cache = await open(await tempDirectory());
    await assert.rejects(cache.set(key(cache, 1), Number.NaN), /Only finite numbers can be cached; .* is NaN/u);
    await assert.rejects(cache.set(key(cache, 1), Number.POSITIVE_INFINITY), /is Infinity/u);
    await assert.rejects(cache.set('the prompt itself', 1), /64 lowercase hex digits made by CallCache\.keyOf/u);
    assert.throws(() => cache.get('ABC'), TypeError);
    assert.equal(cache.stats().entries, 0);
  });

  it('skips a torn last line, says so once, and removes it', async () => {
    const directory = await tempDirectory();
    const cache = await open(directory);
    for (let i = 0; i < 5; i++) await cache.set(key(cache, i), i);
    await cache.close();
    const whole = sealed(`{"k":"${key(cache, 99)}","v":99,"t":${Date.now()}}`);
    await fs.appendFile(cacheFile(directory), whole.slice(0, 40));

    const warnings: string[] = [];
    const reopened = await open(directory, { onWarning: (message) => warnings.push(message) });
    assert.equal(reopened.stats().entries, 5);
    assert.equal(reopened.damagedLines, 1);
    assert.equal(reopened.stats().skippedLines, 1);
    assert.deepEqual(warnings, [
      `The call cache ${cacheFile(directory)} had 1 damaged line (torn by a crash or corrupted on disk), skipped and removed: each costs at most one repeated model call.`,
    ]);
    assert.deepEqual(reopened.warnings, warnings);
    assert.equal(reopened.get(key(reopened, 99)), undefined);
    await reopened.set(key(reopened, 5), 5);
    await reopened.close();
    assert.ok(!(await fs.readFile(cacheFile(directory), 'latin1')).includes(whole.slice(0, 40)), 'the torn line is gone');

    const last = await open(directory, { onWarning: (message) => warnings.push(message) });
    assert.equal(last.damagedLines, 0);
    assert.equal(warnings.length, 1, 'the next run has nothing to say');
    assert.equal(last.stats().entries, 6);
    for (let i = 0; i < 6; i++) assert.equal(last.get(key(last, i)), i);
  });

  it('recovers a whole line that was appended right after a torn one', async () => {
    const directory = await tempDirectory();
    const first = await open(directory);
    await first.close();
    const now = Date.now();
    const torn = sealed(`{"k":"${key(first, 1)}","v":1,"t":${now}}`).slice(0, 50);
    await fs.writeFile(cacheFile(directory), `${await headerOf(directory)}\n${torn}${sealed(`{"k":"${key(first, 2)}","v":2,"t":${now}}`)}`);
    const cache = await open(directory);
    assert.equal(cache.get(key(cache, 1)), undefined);
    assert.equal(cache.get(key(cache, 2)), 2);
    assert.equal(cache.damagedLines, 1);
  });

  it('skips a corrupted line in the middle and loads the rest', async () => {
    const directory = await tempDirectory();
    const cache = await open(directory);
    for (let i = 0; i < 10; i++) await cache.set(key(cache, i), 1000 + i);
    await cache.close();
    const lines = (await fs.readFile(cacheFile(directory), 'latin1')).split('\n');
    // Line 0 is the header, so line 5 holds entry 4; its value 1004 becomes 1005.
    lines[5] = (lines[5] ?? '').replace('"v":1004', '"v":1005');
    // And entry 7's key loses a digit: a line damaged in two places is still one line.
    lines[8] = (lines[8] ?? '').replace(key(cache, 7), key(cache, 7).slice(1));
    await fs.writeFile(cacheFile(directory), lines.join('\n'), 'latin1');

    const warnings: string[] = [];
    const reopened = await open(directory, { onWarning: (message) => warnings.push(message) });
    assert.equal(reopened.damagedLines, 2);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /had 2 damaged lines \(torn by a crash or corrupted on disk\), skipped and removed/u);
    assert.equal(reopened.stats().entries, 8);
    assert.equal(reopened.get(key(reopened, 4)), undefined);
    assert.equal(reopened.get(key(reopened, 7)), undefined);
    for (const i of [0, 3, 5, 9]) assert.equal(reopened.get(key(reopened, i)), 1000 + i);
  });

  it('survives a writer killed mid-stream: every complete line is kept, at most one is lost', async () => {
    const directory = await tempDirectory();
    const file = cacheFile(directory);
    const { child, exited, stderr } = writer(directory, 'crash', 'forever', 1);
    await waitFor(
      'the writer to store about a thousand lines',
      async () => ((await fileSize(file)) > 100_000 ? true : undefined),
      10_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)} Writer stderr: ${stderr()}`);
    });
    child.kill('SIGKILL');
    await exited;

    const raw = await fs.readFile(file, 'latin1');
    const lastNewline = raw.lastIndexOf('\n');
    const completeEntries = raw.slice(0, lastNewline + 1).split('\n').length - 2; // minus the header and the final empty split
    const tornBytes = raw.length - lastNewline - 1;
    const cache = await open(directory);
    assert.equal(cache.damagedLines, tornBytes > 0 ? 1 : 0);
    assert.equal(cache.stats().entries, completeEntries);
    for (let i = 0; i < completeEntries; i++) assert.equal(cache.get(fixtureKey(cache, 'crash', i)), i, `entry ${i}`);
    // Only the entry being written when the writer died can be missing.
    assert.equal(cache.get(fixtureKey(cache, 'crash', completeEntries)), undefined);

    await cache.set(key(cache, 1), 1);
    await cache.close();
    const reopened = await open(directory);
    assert.equal(reopened.get(key(reopened, 1)), 1);
    assert.equal(reopened.stats().entries, completeEntries + 1);
    assert.equal(reopened.damagedLines, 0);
  });

  it('survives a writer killed mid-stream while it appends batches of many answers at once', async () => {
    const directory = await tempDirectory();
    const file = cacheFile(directory);
    // 64 answers stored at once go out in one write (the answers one turn of the event loop brought).
    const { child, exited, stderr } = writer(directory, 'batched', 'forever', 64);
    await waitFor(
      'the writer to store about a thousand lines',
      async () => ((await fileSize(file)) > 100_000 ? true : undefined),
      10_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)} Writer stderr: ${stderr()}`);
    });
    child.kill('SIGKILL');
    await exited;

    const raw = await fs.readFile(file, 'latin1');
    const lastNewline = raw.lastIndexOf('\n');
    const completeEntries = raw.slice(0, lastNewline + 1).split('\n').length - 2;
    const cache = await open(directory);
    assert.equal(cache.damagedLines, raw.length - lastNewline - 1 > 0 ? 1 : 0);
    assert.equal(cache.stats().entries, completeEntries);
    // Batches are written in order, whole lines only: what survives is every answer up to the first one lost.
    for (let i = 0; i < completeEntries; i++) assert.equal(cache.get(fixtureKey(cache, 'batched', i)), i, `entry ${i}`);
    assert.equal(cache.get(fixtureKey(cache, 'batched', completeEntries)), undefined);
    await cache.close();
  });

  it('keeps every entry when two processes create the cache and append at once', async () => {
    const directory = await tempDirectory();
    const count = 3000;
    const writers = [writer(directory, 'alpha', String(count), 7, true), writer(directory, 'beta', String(count), 1, true)];
    const diagnostics = (): string => writers.map((entry) => entry.stderr()).join('\n');
    await waitFor('both writers to open the cache', () =>
      writers.every((entry) => entry.stdout().includes('ready')) ? true : undefined,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)} Writer stderr: ${diagnostics()}`);
    });
    for (const entry of writers) entry.child.stdin?.end('go\n');
    const codes = await Promise.all(writers.map((entry) => entry.exited));
    assert.deepEqual(codes, [0, 0], diagnostics());

    // Both keyed under the one secret, or the entries of one of them could not be found here.
    const cache = await open(directory);
    assert.equal(cache.damagedLines, 0);
    assert.deepEqual(cache.warnings, []);
    assert.equal(cache.stats().entries, 2 * count);
    const alphaKeys = new Set<string>();
    for (let i = 0; i < count; i++) {
      assert.equal(cache.get(fixtureKey(cache, 'alpha', i)), i);
      assert.equal(cache.get(fixtureKey(cache, 'beta', i)), i);
      alphaKeys.add(fixtureKey(cache, 'alpha', i));
    }
    // The writers really did write at the same time: their lines alternate in the file.
    const owners = (await fs.readFile(cacheFile(directory), 'latin1'))
      .split('\n')
      .filter((line) => line.startsWith('{"k"'))
      .map((line) => alphaKeys.has(line.slice(6, 70)));
    const switches = owners.filter((owner, i) => i > 0 && owner !== owners[i - 1]).length;
    assert.ok(switches >= 2, `the writers' lines interleave (${switches} switches)`);
  });

  it('follows the file when another process replaces it', async () => {
    const directory = await tempDirectory();
    const first = await open(directory);
    const second = await open(directory);
    await second.set(key(second, 1), 1);
    await first.clear();
    await second.set(key(second, 2), 2);
    await second.close();
    const third = await open(directory);
    assert.equal(third.get(key(third, 1)), undefined);
    assert.equal(third.get(key(third, 2)), 2);
    assert.equal(third.damagedLines, 0);
  });

  it('compacts past the cap, keeping the most recently used entries across sessions', async () => {
    const directory = await tempDirectory();
    const maxBytes = 8192;
    const file = cacheFile(directory);
    const session1 = await open(directory, { maxBytes });
    for (let i = 0; i < 60; i++) await session1.set(fixtureKey(session1, 'old', i), i);
    await session1.close();
    assert.ok((await fileSize(file)) < maxBytes, 'sixty entries fit under the cap');

    // Session 2 only uses an old entry; that use must reach the disk for session 3's eviction to see it.
    const session2 = await open(directory, { maxBytes });
    assert.equal(session2.get(fixtureKey(session2, 'old', 0)), 0);
    assert.equal(session2.get(fixtureKey(session2, 'old', 0)), 0);
    await session2.close();

    const session3 = await open(directory, { maxBytes });
    for (let i = 0; i < 30; i++) {
      await session3.set(fixtureKey(session3, 'new', i), i);
      assert.ok((await fileSize(file)) <= maxBytes, `the file stays under the cap after entry ${i}`);
    }
    assert.ok(session3.stats().entries < 90, 'compaction evicted entries');
    await session3.close();

    const session4 = await open(directory, { maxBytes });
    assert.equal(session4.damagedLines, 0);
    assert.equal(session4.get(fixtureKey(session4, 'old', 0)), 0, 'the entry used in session 2 survives');
    assert.equal(session4.get(fixtureKey(session4, 'old', 1)), undefined, 'the oldest unused entries are gone');
    assert.equal(session4.get(fixtureKey(session4, 'old', 59)), 59);
    for (let i = 0; i < 30; i++) assert.equal(session4.get(fixtureKey(session4, 'new', i)), i);
  });

  it('stays under a tiny cap over many compactions without corrupting anything', async () => {
    const directory = await tempDirectory();
    const maxBytes = 4096;
    const cache = await open(directory, { maxBytes });
    const writes: Promise<void>[] = [];
    // The first half is written one line at a time, so compaction runs every few dozen lines; the second
    // half is written without waiting, so many lines are queued while a compaction runs.
    for (let i = 0; i < 300; i++) await cache.set(key(cache, i), i);
    for (let i = 300; i < 600; i++) {
      writes.push(cache.set(key(cache, i), i));
      if (i % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(writes);
    await cache.flush();
    assert.ok(cache.stats().bytes <= maxBytes);
    assert.ok((await fileSize(cacheFile(directory))) <= maxBytes);
    const inMemory = Array.from({ length: 600 }, (_, i) => cache.get(key(cache, i)));
    await cache.close();

    const reopened = await open(directory, { maxBytes });
    assert.equal(reopened.damagedLines, 0);
    assert.ok(reopened.stats().entries >= 20);
    for (let i = 580; i < 600; i++) assert.equal(reopened.get(key(reopened, i)), i);
    for (let i = 0; i < 100; i++) assert.equal(reopened.get(key(reopened, i)), undefined);
    assert.deepEqual(
      Array.from({ length: 600 }, (_, i) => reopened.get(key(reopened, i))),
      inMemory,
      'memory and disk hold the same entries',
    );
  });

  it('compacts at open when the file is already over a lowered cap, also when it ends in a torn line', async () => {
    const directory = await tempDirectory();
    const big = await open(directory);
    for (let i = 0; i < 100; i++) await big.set(key(big, i), i);
    await big.close();
    // A run killed mid-line as well: compaction once waited forever for the torn line to be finished.
    await fs.appendFile(cacheFile(directory), sealed(`{"k":"${key(big, 100)}","v":100,"t":${Date.now()}}`).slice(0, 30));
    const small = await open(directory, { maxBytes: 2048 });
    assert.equal(small.damagedLines, 1);
    assert.ok((await fileSize(cacheFile(directory))) <= 2048 * 0.75);
    assert.equal(small.get(key(small, 99)), 99);
    assert.equal(small.get(key(small, 0)), undefined);
  });

  it('clears everything, on disk too', async () => {
    const directory = await tempDirectory();
    const cache = await open(directory);
    for (let i = 0; i < 10; i++) await cache.set(key(cache, i), i);
    await cache.clear();
    assert.equal(cache.stats().entries, 0);
    assert.equal(cache.get(key(cache, 1)), undefined);
    await cache.set(key(cache, 11), 11);
    await cache.close();
    const reopened = await open(directory);
    assert.equal(reopened.stats().entries, 1);
    assert.equal(reopened.get(key(reopened, 11)), 11);
    assert.deepEqual(reopened.warnings, [], 'the cleared file still names the secret its keys were made under');
  });

  it('dedupes within a run in memory, with nothing on disk', async () => {
    const cache = CallCache.inMemory();
    assert.equal(cache.filePath, undefined);
    await cache.set(key(cache, 1), 1);
    assert.equal(cache.get(key(cache, 1)), 1);
    assert.equal(cache.get(key(cache, 2)), undefined);
    await cache.flush();
    assert.deepEqual(cache.stats(), { entries: 1, bytes: 0, hits: 1, misses: 1, skippedLines: 0 });
    await cache.close();
    assert.notEqual(CallCache.inMemory().keyOf(BASE), cache.keyOf(BASE), 'each in-memory cache has a secret of its own');
  });

  it('explains a location it cannot use', async () => {
    const directory = await tempDirectory();
    const file = path.join(directory, 'not-a-directory');
    await fs.writeFile(file, 'x');
    await assert.rejects(CallCache.open(file), (error: unknown) => {
      assert.ok(error instanceof CacheError);
      assert.equal(
        error.message,
        `The cache directory ${file} is a file, not a directory. Choose another cache directory (--cache or SPEX_CACHE_DIR), or move the file away.`,
      );
      return true;
    });
    await assert.rejects(
      CallCache.open(path.join(file, 'below')),
      new CacheError(
        `Cannot use ${path.join(file, 'below')} as the cache directory: ${file}, a folder above it, is a file, not a directory. Choose another cache directory (--cache or SPEX_CACHE_DIR), or move the file away.`,
      ),
    );
    assert.equal(await fs.readFile(file, 'utf8'), 'x', 'the file is left alone');

    const withFolder = await tempDirectory();
    await fs.mkdir(cacheFile(withFolder));
    await assert.rejects(CallCache.open(withFolder), /is a directory\. Move it away/u);

    await assert.rejects(CallCache.open(directory, { maxBytes: 10 }), RangeError);
    await assert.rejects(CallCache.open(directory, { fileName: '../calls.jsonl' }), TypeError);
  });

  it('refuses a file written by a newer SPEX, and one in a format it does not know, without touching them', async () => {
    const directory = await tempDirectory();
    const newer = `${sealed('{"spex":"call-cache","version":2,"keys":"0123456789abcdef","codec":"zstd"}')}${sealed('{"k":"x","v":[1,2]}')}`;
    await fs.writeFile(cacheFile(directory), newer);
    await assert.rejects(
      CallCache.open(directory),
      new CacheError(
        `The cache file ${cacheFile(directory)} was written by a newer SPEX (cache format 2; this SPEX reads format 1). Update SPEX, or choose another cache directory (--cache or SPEX_CACHE_DIR).`,
      ),
    );
    assert.equal(await fs.readFile(cacheFile(directory), 'utf8'), newer);
    await fs.writeFile(cacheFile(directory), sealed('{"spex":"call-cache","version":"one"}'));
    await assert.rejects(CallCache.open(directory), /is in cache format "one", which this SPEX cannot read\. Delete the file/u);
  });

  it(
    'serves stored answers from a directory it cannot write',
    { skip: process.getuid?.() === 0 ? 'root ignores file permissions' : false },
    async () => {
      const directory = await tempDirectory();
      const cache = await open(directory);
      await cache.set(key(cache, 1), 1);
      await cache.close();
      await fs.chmod(cacheFile(directory), 0o444);
      await fs.chmod(directory, 0o555);
      try {
        const warnings: string[] = [];
        const readOnly = await open(directory, { onWarning: (message) => warnings.push(message) });
        assert.equal(readOnly.get(key(readOnly, 1)), 1);
        assert.match(readOnly.readOnlyReason ?? '', /cannot be written/u);
        assert.equal(warnings.length, 1);
        await readOnly.set(key(readOnly, 2), 2);
        assert.equal(readOnly.get(key(readOnly, 2)), 2);
      } finally {
        await fs.chmod(directory, 0o755);
      }
    },
  );
});

describe('defaultCacheDirectory', () => {
  it('follows each platform’s convention', () => {
    assert.equal(defaultCacheDirectory({}, 'linux', '/home/ada'), '/home/ada/.cache/spex');
    assert.equal(defaultCacheDirectory({ XDG_CACHE_HOME: '/var/cache/ada' }, 'linux', '/home/ada'), '/var/cache/ada/spex');
    assert.equal(defaultCacheDirectory({ XDG_CACHE_HOME: 'relative' }, 'linux', '/home/ada'), '/home/ada/.cache/spex');
    assert.equal(defaultCacheDirectory({}, 'darwin', '/Users/ada'), '/Users/ada/Library/Caches/spex');
    assert.equal(
      defaultCacheDirectory({ LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' }, 'win32', 'C:\\Users\\ada'),
      'C:\\Users\\ada\\AppData\\Local\\spex\\Cache',
    );
    assert.equal(defaultCacheDirectory({}, 'win32', 'C:\\Users\\ada'), 'C:\\Users\\ada\\AppData\\Local\\spex\\Cache');
  });

  it('prefers SPEX_CACHE_DIR everywhere', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      assert.equal(defaultCacheDirectory({ SPEX_CACHE_DIR: '/tmp/spex', XDG_CACHE_HOME: '/x' }, platform, '/home/ada'), '/tmp/spex');
    }
  });

  it('asks for SPEX_CACHE_DIR when there is no home directory', () => {
    assert.throws(() => defaultCacheDirectory({}, 'linux', ''), /Set SPEX_CACHE_DIR/u);
  });
});
