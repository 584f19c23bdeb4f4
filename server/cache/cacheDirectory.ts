import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CacheError, describeError, errorCode } from './cacheErrors';

/** The environment variables the default cache location reads. */
export type CacheEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * Where the CLI keeps its model-call cache when it is not told: `$SPEX_CACHE_DIR` if set, otherwise the
 * platform's per-user cache folder (`$XDG_CACHE_HOME/spex` or `~/.cache/spex` on Linux and other Unixes,
 * `~/Library/Caches/spex` on macOS, `%LOCALAPPDATA%\spex\Cache` on Windows). The extension passes its own
 * global storage folder instead.
 *
 * It only computes a path (nothing is created or checked), and it joins with the conventions of
 * `platform` rather than of the running system, so every platform's answer can be tested anywhere.
 */
export function defaultCacheDirectory(
  env: CacheEnvironment = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const explicit = env['SPEX_CACHE_DIR'];
  if (explicit !== undefined && explicit !== '') return explicit;

  if (platform === 'win32') {
    const localAppData = env['LOCALAPPDATA'];
    if (localAppData !== undefined && localAppData !== '') return path.win32.join(localAppData, 'spex', 'Cache');
    return path.win32.join(requireHome(home), 'AppData', 'Local', 'spex', 'Cache');
  }
  if (platform === 'darwin') return path.posix.join(requireHome(home), 'Library', 'Caches', 'spex');

  // The XDG Base Directory specification says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && path.posix.isAbsolute(xdg)) return path.posix.join(xdg, 'spex');
  return path.posix.join(requireHome(home), '.cache', 'spex');
}

/** Without a home folder there is no per-user place to fall back on, so the user must name one. */
function requireHome(home: string): string {
  if (home === '') {
    throw new Error('Cannot find a cache folder for SPEX: the home directory is unknown. Set SPEX_CACHE_DIR to a writable directory.');
  }
  return home;
}

/** Creates the cache directory where it is missing; a file in its place (or above it) is a `CacheError` saying so. */
export async function ensureCacheDirectory(directory: string): Promise<void> {
  try {
    await fs.mkdir(directory, { recursive: true });
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST' || code === 'ENOTDIR') throw await notADirectory(directory);
    throw new CacheError(
      `Cannot create the cache directory ${directory}: ${describeError(error)}. Choose a writable cache directory (--cache or SPEX_CACHE_DIR), or run without the persistent cache (--no-cache).`,
    );
  }
  const stat = await fs.stat(directory).catch(() => undefined);
  if (stat?.isDirectory() !== true) throw await notADirectory(directory);
}

/** Names the file that stands where a folder of the cache's path should be: the directory itself or one above it. */
async function notADirectory(directory: string): Promise<CacheError> {
  const advice = 'Choose another cache directory (--cache or SPEX_CACHE_DIR), or move the file away.';
  for (let current = directory; ; current = path.dirname(current)) {
    const stat = await fs.stat(current).catch(() => undefined);
    if (stat !== undefined && !stat.isDirectory()) {
      return new CacheError(
        current === directory
          ? `The cache directory ${directory} is a file, not a directory. ${advice}`
          : `Cannot use ${directory} as the cache directory: ${current}, a folder above it, is a file, not a directory. ${advice}`,
      );
    }
    if (path.dirname(current) === current) break;
  }
  return new CacheError(`Cannot use ${directory} as the cache directory: it is not a directory. ${advice}`);
}
