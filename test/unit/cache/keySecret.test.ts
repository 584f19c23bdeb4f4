import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CacheError, CallCache } from '../../../server/cache/callCache';
import { KEY_SECRET_FILE_NAME } from '../../../server/cache/keySecretFile';
import { cacheFile, fixtureParts, headerOf, key, open, sealed, tempDirectory } from './cacheTestKit';

const posix = process.platform !== 'win32';
const asRoot = process.getuid?.() === 0;

function secretFile(directory: string): string {
  return path.join(directory, KEY_SECRET_FILE_NAME);
}

/** A cache directory holding entries 0‥count−1 (value i) under its own secret. */
async function filledDirectory(count: number): Promise<string> {
  const directory = await tempDirectory();
  const cache = await open(directory);
  for (let i = 0; i < count; i++) await cache.set(key(cache, i), i);
  await cache.close();
  return directory;
}

async function openWithWarnings(directory: string): Promise<{ cache: CallCache; warnings: string[] }> {
  const warnings: string[] = [];
  const cache = await open(directory, { onWarning: (message) => warnings.push(message) });
  return { cache, warnings };
}

describe('the cache key secret', () => {
  it('is made on first use, private to its owner even under a permissive umask, and reused after', async () => {
    const directory = await tempDirectory();
    const previousUmask = process.umask(0);
    let first: CallCache;
    try {
      first = await open(directory);
    } finally {
      process.umask(previousUmask);
    }
    const text = await fs.readFile(secretFile(directory), 'latin1');
    assert.match(text, /^spex-call-key-secret\/v1 [0-9a-f]{64}\n$/u);
    if (posix) assert.equal((await fs.stat(secretFile(directory))).mode & 0o777, 0o600);
    await first.set(key(first, 1), 1);
    await first.close();

    const second = await open(directory);
    assert.equal(second.keyOf(fixtureParts('local', 1)), first.keyOf(fixtureParts('local', 1)));
    assert.equal(second.get(key(second, 1)), 1);
    assert.equal(await fs.readFile(secretFile(directory), 'latin1'), text, 'the secret is kept, not remade');
    const stored = await fs.readFile(cacheFile(directory), 'latin1');
    assert.ok(!stored.includes(text.slice(-65, -1)), 'the secret is not in the cache file');
    const leftovers = (await fs.readdir(directory)).filter((name) => name.endsWith('.tmp'));
    assert.deepEqual(leftovers, []);
  });

  it('is one secret when two caches create it at the same moment', async () => {
    const directory = await tempDirectory();
    const caches = await Promise.all(Array.from({ length: 4 }, () => open(directory)));
    const keys = new Set(caches.map((cache) => key(cache, 7)));
    assert.equal(keys.size, 1);
    await caches[0]?.set(key(caches[0], 7), 7);
    await Promise.all(caches.map((cache) => cache.close()));
    assert.equal((await open(directory)).get([...keys][0] as string), 7);
  });

  it('is made private again when someone loosened it', { skip: posix ? false : 'no POSIX modes' }, async () => {
    const directory = await filledDirectory(1);
    await fs.chmod(secretFile(directory), 0o644);
    const cache = await open(directory);
    assert.equal(cache.get(key(cache, 0)), 0);
    assert.equal((await fs.stat(secretFile(directory))).mode & 0o777, 0o600);
  });

  it('gone: the cache is not reused (never misread), says so once and starts empty', async () => {
    const directory = await filledDirectory(5);
    const before = await open(directory);
    const oldKey = key(before, 0);
    await before.close();
    await fs.rm(secretFile(directory));

    const { cache, warnings } = await openWithWarnings(directory);
    assert.notEqual(key(cache, 0), oldKey, 'a new secret keys calls differently');
    assert.deepEqual(warnings, [
      `The call cache ${cacheFile(directory)} held 5 lines keyed under another key secret (by an earlier SPEX, or before the secret file beside it was lost or replaced): they can never match a call made now, so they were removed.`,
    ]);
    assert.equal(cache.stats().entries, 0);
    for (let i = 0; i < 5; i++) assert.equal(cache.get(key(cache, i)), undefined);
    assert.equal(cache.damagedLines, 0);
    const lines = (await fs.readFile(cacheFile(directory), 'latin1')).split('\n').filter((line) => line !== '');
    assert.deepEqual(lines, [await headerOf(directory)], 'only the new header is left');
    await cache.set(key(cache, 9), 9);
    await cache.close();

    const next = await openWithWarnings(directory);
    assert.deepEqual(next.warnings, []);
    assert.equal(next.cache.get(key(next.cache, 9)), 9);
  });

  it('damaged (short): replaced by a new one, told once, and the old answers are not reused', async () => {
    const directory = await filledDirectory(3);
    const original = await fs.readFile(secretFile(directory), 'latin1');
    await fs.writeFile(secretFile(directory), original.slice(0, 40));

    const { cache, warnings } = await openWithWarnings(directory);
    assert.deepEqual(warnings, [
      `The cache's key secret ${secretFile(directory)} was damaged (16 of 64 hex digits), so a new one was made: answers stored under the old one cannot be reused and the cache starts empty.`,
    ]);
    assert.equal(cache.stats().entries, 0);
    for (let i = 0; i < 3; i++) assert.equal(cache.get(key(cache, i)), undefined);
    const replaced = await fs.readFile(secretFile(directory), 'latin1');
    assert.match(replaced, /^spex-call-key-secret\/v1 [0-9a-f]{64}\n$/u);
    assert.notEqual(replaced, original);
    if (posix) assert.equal((await fs.stat(secretFile(directory))).mode & 0o777, 0o600);

    await fs.writeFile(secretFile(directory), '');
    assert.match((await openWithWarnings(directory)).warnings[0] ?? '', /was damaged \(it is empty\)/u);
    await fs.writeFile(secretFile(directory), 'not a secret at all');
    assert.match((await openWithWarnings(directory)).warnings[0] ?? '', /was damaged \(19 bytes of something else\)/u);
  });

  it('unreadable: a clear error naming the file, and nothing is touched', async () => {
    const directory = await filledDirectory(1);
    const stored = await fs.readFile(cacheFile(directory), 'latin1');
    await fs.rm(secretFile(directory));
    await fs.mkdir(secretFile(directory));
    await assert.rejects(
      CallCache.open(directory),
      new CacheError(
        `The cache's key secret ${secretFile(directory)} is a directory, not a file. Move it away or choose another cache directory.`,
      ),
    );
    assert.equal(await fs.readFile(cacheFile(directory), 'latin1'), stored);
  });

  it('unreadable for lack of permission: a clear error', { skip: asRoot || !posix ? 'root reads any file' : false }, async () => {
    const directory = await filledDirectory(1);
    await fs.chmod(secretFile(directory), 0o000);
    await assert.rejects(
      CallCache.open(directory),
      /^CacheError: Cannot read the cache's key secret .*call-key\.secret: EACCES.* Make it readable by you \(and only you\), or delete it/u,
    );
  });

  it('cannot be made in a directory that cannot be written: a clear error', { skip: asRoot ? 'root writes anywhere' : false }, async () => {
    const directory = await tempDirectory();
    await fs.chmod(directory, 0o555);
    try {
      await assert.rejects(
        CallCache.open(directory),
        /^CacheError: Cannot create the cache's key secret .*: EACCES.*Make the cache directory writable/u,
      );
    } finally {
      await fs.chmod(directory, 0o755);
    }
  });

  it('written by a newer SPEX: refused, and left as it is', async () => {
    const directory = await filledDirectory(1);
    const newer = `spex-call-key-secret/v2 ${'ab'.repeat(48)}\n`;
    await fs.writeFile(secretFile(directory), newer);
    await assert.rejects(
      CallCache.open(directory),
      new CacheError(
        `The cache's key secret ${secretFile(directory)} was written by a newer SPEX (secret format 2; this SPEX reads format 1). Update SPEX, or choose another cache directory.`,
      ),
    );
    assert.equal(await fs.readFile(secretFile(directory), 'latin1'), newer);
  });

  it('replaces the unsalted keys an earlier SPEX stored: they are dropped from the file, told once', async () => {
    const directory = await tempDirectory();
    const canonical = '{"backend":"fixture","model":"local","parameters":{},"text":"0","valueFunction":"index"}';
    const unsalted = createHash('sha256').update(`spex-call-key/v1\n${canonical}`).digest('hex');
    const now = Date.now();
    await fs.writeFile(
      cacheFile(directory),
      `${sealed('{"spex":"call-cache","version":1}')}${sealed(`{"k":"${unsalted}","v":0.5,"t":${now}}`)}${sealed(`{"k":"${unsalted}","t":${now}}`)}`,
    );
    const { cache, warnings } = await openWithWarnings(directory);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /held 2 lines keyed under another key secret \(by an earlier SPEX/u);
    assert.equal(cache.get(key(cache, 0)), undefined);
    assert.ok(!(await fs.readFile(cacheFile(directory), 'latin1')).includes(unsalted), 'the guessable hash is gone from the disk');
  });
});
