import os from 'node:os';
import path from 'node:path';

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
