// What the call cache's test files share: scratch directories and caches that are cleaned up after
// the file's tests, the keys the writer fixture makes, and lines sealed like the cache's own.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { crc32 } from 'node:zlib';
import type { CallKeyParts } from '../../../server/cache/cacheKey';
import { CallCache, DEFAULT_CACHE_FILE_NAME } from '../../../server/cache/callCache';

const directories: string[] = [];
const caches: CallCache[] = [];
after(async () => {
  await Promise.all(caches.map((cache) => cache.close().catch(() => undefined)));
  await Promise.all(directories.map((directory) => fs.rm(directory, { recursive: true, force: true })));
});

export async function tempDirectory(): Promise<string> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'spex-cache-test-'));
  directories.push(directory);
  return directory;
}

/** Opens a cache that is closed after the file's tests, whatever they leave open. */
export async function open(directory: string, options?: Parameters<typeof CallCache.open>[1]): Promise<CallCache> {
  const cache = await CallCache.open(directory, options);
  caches.push(cache);
  return cache;
}

/** The parts of the call the writer fixture (test/fixtures/cacheWriter.ts) stores as entry `i` of `prefix`. */
export function fixtureParts(prefix: string, i: number): CallKeyParts {
  return { backend: 'fixture', model: prefix, valueFunction: 'index', parameters: {}, text: String(i) };
}

/** The key the writer fixture gives entry `i` of `prefix` in `cache`'s directory. */
export function fixtureKey(cache: CallCache, prefix: string, i: number): string {
  return cache.keyOf(fixtureParts(prefix, i));
}

/** A key of a test's own entries; every cache opened on the same directory makes the same one. */
export const key = (cache: CallCache, i: number): string => fixtureKey(cache, 'local', i);

/** A line sealed the way the cache seals its own, for writing files by hand. */
export function sealed(json: string): string {
  return `${json}\t${crc32(json).toString(16).padStart(8, '0')}\n`;
}

export function cacheFile(directory: string): string {
  return path.join(directory, DEFAULT_CACHE_FILE_NAME);
}

export async function fileSize(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return 0;
  }
}

/** The header line (without its newline) of the cache file in `directory`, which names the directory's key secret. */
export async function headerOf(directory: string): Promise<string> {
  return (await fs.readFile(cacheFile(directory), 'latin1')).split('\n')[0] ?? '';
}
