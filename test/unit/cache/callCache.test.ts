import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { defaultCacheDirectory } from '../../../server/cache/cacheDirectory';
import { callKey, type CallKeyParts } from '../../../server/cache/cacheKey';
import { CacheError, CallCache, DEFAULT_CACHE_FILE_NAME } from '../../../server/cache/callCache';
import { REPO_ROOT, repoPath } from '../../helpers/paths';
import { waitFor } from '../../helpers/waitFor';

const directories: string[] = [];
const caches: CallCache[] = [];
const children: ChildProcess[] = [];
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(caches.map((cache) => cache.close().catch(() => undefined)));
  await Promise.all(directories.map((directory) => fs.rm(directory, { recursive: true, force: true })));
});

async function tempDirectory(): Promise<string> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'spex-cache-test-'));
  directories.push(directory);
  return directory;
}

async function open(directory: string, options?: Parameters<typeof CallCache.open>[1]): Promise<CallCache> {
  const cache = await CallCache.open(directory, options);
  caches.push(cache);
  return cache;
}

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

/** The key the writer fixture gives entry `i` of `prefix`. */
function fixtureKey(prefix: string, i: number): string {
  return callKey({ backend: 'fixture', model: prefix, valueFunction: 'index', parameters: {}, text: String(i) });
}

const key = (i: number): string => fixtureKey('local', i);

/** A line sealed the way the cache seals its own, for writing files by hand. */
function sealed(json: string): string {
  return `${json}\t${crc32(json).toString(16).padStart(8, '0')}\n`;
}

function cacheFile(directory: string): string {
  return path.join(directory, DEFAULT_CACHE_FILE_NAME);
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return 0;
  }
}

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
  it('is a stable hex SHA-256 that ignores object key order', () => {
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
    assert.match(callKey(BASE), /^[0-9a-f]{64}$/u);
    assert.equal(callKey(reordered), callKey(BASE));
    assert.equal(
      callKey({ ...BASE, target: undefined }),
      callKey(Object.fromEntries(Object.entries(BASE).filter(([name]) => name !== 'target')) as unknown as CallKeyParts),
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
    assert.equal(new Set(variants.map(callKey)).size, variants.length);
  });

  it('refuses parameters that cannot be encoded exactly', () => {
    assert.throws(
      () => callKey({ ...BASE, parameters: { temperature: Number.NaN } }),
      /parameter "temperature" must be .*finite.*got NaN/u,
    );
    assert.throws(() => callKey({ ...BASE, parameters: { top: Number.POSITIVE_INFINITY } }), /parameter "top"/u);
  });
});

describe('CallCache', () => {
  it('stores and reads answers, also after reopening; the last write wins', async () => {
    const directory = await tempDirectory();
    const cache = await open(directory);
    assert.equal(cache.get(key(1)), undefined);
    await cache.set(key(1), 0.25);
    await cache.set(key(2), -3e-7);
    await cache.set(key(3), 1);
    await cache.set(key(3), 2);
    assert.equal(cache.get(key(1)), 0.25);
    assert.equal(cache.get(key(3)), 2);
    assert.deepEqual(cache.stats(), { entries: 3, bytes: await fileSize(cacheFile(directory)), hits: 2, misses: 1, skippedLines: 0 });
    await cache.close();
    await assert.rejects(cache.set(key(4), 4), CacheError);

    const again = await open(directory);
    assert.equal(again.get(key(1)), 0.25);
    assert.equal(again.get(key(2)), -3e-7);
    assert.equal(again.get(key(3)), 2);
    assert.equal(again.stats().entries, 3);
    assert.equal(again.stats().skippedLines, 0);
    const text = await fs.readFile(cacheFile(directory), 'utf8');
    assert.ok(!text.includes('cat'), 'only hashes reach the disk');
    assert.match(text.split('\n')[0] ?? '', /^\{"spex":"call-cache","version":1\}\t[0-9a-f]{8}$/u);
  });

  it('rejects values that are not finite numbers and keys that are not callKey hashes', async () => {
    const cache = await open(await tempDirectory());
    await assert.rejects(cache.set(key(1), Number.NaN), /Only finite numbers can be cached; .* is NaN/u);
    await assert.rejects(cache.set(key(1), Number.POSITIVE_INFINITY), /is Infinity/u);
    await assert.rejects(cache.set('the prompt itself', 1), /64 lowercase hex digits made by callKey/u);
    assert.throws(() => cache.get('ABC'), TypeError);
    assert.equal(cache.stats().entries, 0);
  });

  it('skips a torn last line, then appends on a fresh line', async () => {
    const directory = await tempDirectory();
    const cache = await open(directory);
    for (let i = 0; i < 5; i++) await cache.set(key(i), i);
    await cache.close();
    const whole = sealed(`{"k":"${key(99)}","v":99,"t":${Date.now()}}`);
    await fs.appendFile(cacheFile(directory), whole.slice(0, 40));

    const reopened = await open(directory);
    assert.equal(reopened.stats().entries, 5);
    assert.equal(reopened.stats().skippedLines, 1);
    assert.equal(reopened.get(key(99)), undefined);
    await reopened.set(key(5), 5);
    await reopened.close();

    assert.ok(
      (await fs.readFile(cacheFile(directory), 'latin1')).includes(`${whole.slice(0, 40)}\n{"k":"${key(5)}"`),
      'the append began a new line',
    );
    const last = await open(directory);
    assert.equal(last.stats().skippedLines, 1);
    assert.equal(last.stats().entries, 6);
    for (let i = 0; i < 6; i++) assert.equal(last.get(key(i)), i);
  });

  it('recovers a whole line that was appended right after a torn one', async () => {
    const directory = await tempDirectory();
    const now = Date.now();
    const torn = sealed(`{"k":"${key(1)}","v":1,"t":${now}}`).slice(0, 50);
    await fs.writeFile(cacheFile(directory), `${torn}${sealed(`{"k":"${key(2)}","v":2,"t":${now}}`)}`);
    const cache = await open(directory);
    assert.equal(cache.get(key(1)), undefined);
    assert.equal(cache.get(key(2)), 2);
    assert.equal(cache.stats().skippedLines, 1);
  });

  it('skips a corrupted line in the middle and loads the rest', async () => {
    const directory = await tempDirectory();
    const cache = await open(directory);
    for (let i = 0; i < 10; i++) await cache.set(key(i), 1000 + i);
    await cache.close();
    const lines = (await fs.readFile(cacheFile(directory), 'latin1')).split('\n');
    // Line 0 is the header, so line 5 holds entry 4; its value 1004 becomes 1005.
    lines[5] = (lines[5] ?? '').replace('"v":1004', '"v":1005');
    await fs.writeFile(cacheFile(directory), lines.join('\n'), 'latin1');

    const reopened = await open(directory);
    assert.equal(reopened.stats().skippedLines, 1);
    assert.equal(reopened.stats().entries, 9);
    assert.equal(reopened.get(key(4)), undefined);
    for (const i of [0, 3, 5, 9]) assert.equal(reopened.get(key(i)), 1000 + i);
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
    assert.equal(cache.stats().skippedLines, tornBytes > 0 ? 1 : 0);
    assert.equal(cache.stats().entries, completeEntries);
    for (let i = 0; i < completeEntries; i++) assert.equal(cache.get(fixtureKey('crash', i)), i, `entry ${i}`);
    // Only the entry being written when the writer died can be missing.
    assert.equal(cache.get(fixtureKey('crash', completeEntries)), undefined);

    await cache.set(key(1), 1);
    await cache.close();
    const reopened = await open(directory);
    assert.equal(reopened.get(key(1)), 1);
    assert.equal(reopened.stats().entries, completeEntries + 1);
  });

  it('keeps every entry when two processes append at once', async () => {
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

    const cache = await open(directory);
    assert.equal(cache.stats().skippedLines, 0);
    assert.equal(cache.stats().entries, 2 * count);
    const alphaKeys = new Set<string>();
    for (let i = 0; i < count; i++) {
      assert.equal(cache.get(fixtureKey('alpha', i)), i);
      assert.equal(cache.get(fixtureKey('beta', i)), i);
      alphaKeys.add(fixtureKey('alpha', i));
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
    await second.set(key(1), 1);
    await first.clear();
    await second.set(key(2), 2);
    await second.close();
    const third = await open(directory);
    assert.equal(third.get(key(1)), undefined);
    assert.equal(third.get(key(2)), 2);
    assert.equal(third.stats().skippedLines, 0);
  });

  it('compacts past the cap, keeping the most recently used entries across sessions', async () => {
    const directory = await tempDirectory();
    const maxBytes = 8192;
    const file = cacheFile(directory);
    const session1 = await open(directory, { maxBytes });
    for (let i = 0; i < 60; i++) await session1.set(fixtureKey('old', i), i);
    await session1.close();
    assert.ok((await fileSize(file)) < maxBytes, 'sixty entries fit under the cap');

    // Session 2 only uses an old entry; that use must reach the disk for session 3's eviction to see it.
    const session2 = await open(directory, { maxBytes });
    assert.equal(session2.get(fixtureKey('old', 0)), 0);
    assert.equal(session2.get(fixtureKey('old', 0)), 0);
    await session2.close();

    const session3 = await open(directory, { maxBytes });
    for (let i = 0; i < 30; i++) {
      await session3.set(fixtureKey('new', i), i);
      assert.ok((await fileSize(file)) <= maxBytes, `the file stays under the cap after entry ${i}`);
    }
    assert.ok(session3.stats().entries < 90, 'compaction evicted entries');
    await session3.close();

    const session4 = await open(directory, { maxBytes });
    assert.equal(session4.stats().skippedLines, 0);
    assert.equal(session4.get(fixtureKey('old', 0)), 0, 'the entry used in session 2 survives');
    assert.equal(session4.get(fixtureKey('old', 1)), undefined, 'the oldest unused entries are gone');
    assert.equal(session4.get(fixtureKey('old', 59)), 59);
    for (let i = 0; i < 30; i++) assert.equal(session4.get(fixtureKey('new', i)), i);
  });

  it('stays under a tiny cap over many compactions without corrupting anything', async () => {
    const directory = await tempDirectory();
    const maxBytes = 4096;
    const cache = await open(directory, { maxBytes });
    const writes: Promise<void>[] = [];
    // The first half is written one line at a time, so compaction runs every few dozen lines; the second
    // half is written without waiting, so many lines are queued while a compaction runs.
    for (let i = 0; i < 300; i++) await cache.set(key(i), i);
    for (let i = 300; i < 600; i++) {
      writes.push(cache.set(key(i), i));
      if (i % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(writes);
    await cache.flush();
    assert.ok(cache.stats().bytes <= maxBytes);
    assert.ok((await fileSize(cacheFile(directory))) <= maxBytes);
    const inMemory = Array.from({ length: 600 }, (_, i) => cache.get(key(i)));
    await cache.close();

    const reopened = await open(directory, { maxBytes });
    assert.equal(reopened.stats().skippedLines, 0);
    assert.ok(reopened.stats().entries >= 20);
    for (let i = 580; i < 600; i++) assert.equal(reopened.get(key(i)), i);
    for (let i = 0; i < 100; i++) assert.equal(reopened.get(key(i)), undefined);
    assert.deepEqual(
      Array.from({ length: 600 }, (_, i) => reopened.get(key(i))),
      inMemory,
      'memory and disk hold the same entries',
    );
  });

  it('compacts at open when the file is already over a lowered cap', async () => {
    const directory = await tempDirectory();
    const big = await open(directory);
    for (let i = 0; i < 100; i++) await big.set(key(i), i);
    await big.close();
    const small = await open(directory, { maxBytes: 2048 });
    assert.ok((await fileSize(cacheFile(directory))) <= 2048 * 0.75);
    assert.equal(small.get(key(99)), 99);
    assert.equal(small.get(key(0)), undefined);
  });

  it('clears everything, on disk too', async () => {
    const directory = await tempDirectory();
    const cache = await open(directory);
    for (let i = 0; i < 10; i++) await cache.set(key(i), i);
    await cache.clear();
    assert.equal(cache.stats().entries, 0);
    assert.equal(cache.get(key(1)), undefined);
    await cache.set(key(11), 11);
    await cache.close();
    const reopened = await open(directory);
    assert.equal(reopened.stats().entries, 1);
    assert.equal(reopened.get(key(11)), 11);
  });

  it('dedupes within a run in memory, with nothing on disk', async () => {
    const cache = CallCache.inMemory();
    assert.equal(cache.filePath, undefined);
    await cache.set(key(1), 1);
    assert.equal(cache.get(key(1)), 1);
    assert.equal(cache.get(key(2)), undefined);
    await cache.flush();
    assert.deepEqual(cache.stats(), { entries: 1, bytes: 0, hits: 1, misses: 1, skippedLines: 0 });
    await cache.close();
  });

  it('explains a location it cannot use', async () => {
    const directory = await tempDirectory();
    const file = path.join(directory, 'not-a-directory');
    await fs.writeFile(file, 'x');
    await assert.rejects(CallCache.open(file), (error: unknown) => {
      assert.ok(error instanceof CacheError);
      assert.ok(error.message.includes(file));
      assert.match(error.message, /is a file\. Choose another cache directory/u);
      return true;
    });
    await assert.rejects(CallCache.open(path.join(file, 'below')), /a folder above it, is a file/u);

    const withFolder = await tempDirectory();
    await fs.mkdir(cacheFile(withFolder));
    await assert.rejects(CallCache.open(withFolder), /is a directory\. Move it away/u);

    await assert.rejects(CallCache.open(directory, { maxBytes: 10 }), RangeError);
    await assert.rejects(CallCache.open(directory, { fileName: '../calls.jsonl' }), TypeError);
  });

  it('refuses a file in another format version', async () => {
    const directory = await tempDirectory();
    await fs.writeFile(cacheFile(directory), sealed('{"spex":"call-cache","version":2}'));
    await assert.rejects(CallCache.open(directory), /format version 2, which this SPEX cannot read/u);
  });

  it(
    'serves stored answers from a directory it cannot write',
    { skip: process.getuid?.() === 0 ? 'root ignores file permissions' : false },
    async () => {
      const directory = await tempDirectory();
      const cache = await open(directory);
      await cache.set(key(1), 1);
      await cache.close();
      await fs.chmod(cacheFile(directory), 0o444);
      await fs.chmod(directory, 0o555);
      try {
        const warnings: string[] = [];
        const readOnly = await open(directory, { onWarning: (message) => warnings.push(message) });
        assert.equal(readOnly.get(key(1)), 1);
        assert.match(readOnly.readOnlyReason ?? '', /cannot be written/u);
        assert.equal(warnings.length, 1);
        await readOnly.set(key(2), 2);
        assert.equal(readOnly.get(key(2)), 2);
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
