import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CacheError, describeError, errorCode } from './cacheErrors';
import { CallKeySecret, KEY_SECRET_BYTES } from './cacheKey';

/** The file beside the cache file that holds its key secret. */
export const KEY_SECRET_FILE_NAME = 'call-key.secret';

/**
 * The secret file's format: this marker, a space, the secret as lowercase hex, a newline. The marker
 * carries a version so that a secret written by a future SPEX is refused rather than misread.
 */
const SECRET_FORMAT = 'spex-call-key-secret';
const SECRET_VERSION = 1;
const SECRET_PATTERN = new RegExp(`^${SECRET_FORMAT}/v(\\d+) ([0-9a-f]*)\\n?$`, 'u');

/** Owner read and write only: the point of the secret is that those who can read the cache file cannot read it. */
const SECRET_MODE = 0o600;

export interface LoadedKeySecret {
  readonly secret: CallKeySecret;
  /** Said once when the secret on disk was damaged and had to be replaced. */
  readonly notice?: string;
}

/**
 * The key secret of the cache in `directory`: read from its file, or made and stored there on first
 * use. A new secret is written to a private temporary file and hard-linked into place, so the file
 * appears whole or not at all, and when two processes create it at once both end up with the one that
 * won. A secret file that is damaged (short, garbled) is replaced by a new secret: what was stored
 * under the old one is then simply not found again. A secret this SPEX cannot read (no permission, a
 * directory, a newer format) is a `CacheError` naming the file.
 */
export async function loadOrCreateKeySecret(directory: string): Promise<LoadedKeySecret> {
  const filePath = path.join(directory, KEY_SECRET_FILE_NAME);
  const existing = await readSecretFile(filePath);
  if (existing.kind === 'valid') {
    await restrictMode(filePath);
    return { secret: existing.secret };
  }
  if (existing.kind === 'missing') return { secret: await createSecretFile(filePath) };
  const secret = await replaceSecretFile(filePath);
  return {
    secret,
    notice: `The cache's key secret ${filePath} was damaged (${existing.reason}), so a new one was made: answers stored under the old one cannot be reused and the cache starts empty.`,
  };
}

type SecretFile =
  | { readonly kind: 'valid'; readonly secret: CallKeySecret }
  | { readonly kind: 'missing' }
  | { readonly kind: 'damaged'; readonly reason: string };

async function readSecretFile(filePath: string): Promise<SecretFile> {
  let text: string;
  try {
    text = await fs.readFile(filePath, 'latin1');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { kind: 'missing' };
    if (errorCode(error) === 'EISDIR') {
      throw new CacheError(
        `The cache's key secret ${filePath} is a directory, not a file. Move it away or choose another cache directory.`,
      );
    }
    throw new CacheError(
      `Cannot read the cache's key secret ${filePath}: ${describeError(error)}. Make it readable by you (and only you), or delete it to start the cache afresh.`,
    );
  }
  const match = SECRET_PATTERN.exec(text);
  if (match === null) return { kind: 'damaged', reason: text.length === 0 ? 'it is empty' : `${text.length} bytes of something else` };
  const version = Number(match[1]);
  if (version > SECRET_VERSION) {
    throw new CacheError(
      `The cache's key secret ${filePath} was written by a newer SPEX (secret format ${version}; this SPEX reads format ${SECRET_VERSION}). Update SPEX, or choose another cache directory.`,
    );
  }
  const hex = match[2] ?? '';
  if (version !== SECRET_VERSION) return { kind: 'damaged', reason: `unknown format ${version}` };
  if (hex.length !== 2 * KEY_SECRET_BYTES) return { kind: 'damaged', reason: `${hex.length} of ${2 * KEY_SECRET_BYTES} hex digits` };
  return { kind: 'valid', secret: CallKeySecret.fromBytes(Buffer.from(hex, 'hex')) };
}

function secretText(secret: CallKeySecret): string {
  return `${SECRET_FORMAT}/v${SECRET_VERSION} ${secret.toHex()}\n`;
}

/** Writes a new secret into a private temporary file beside `filePath`, synced; returns its path. */
async function writeTemporarySecret(filePath: string, secret: CallKeySecret): Promise<string> {
  const tempPath = path.join(path.dirname(filePath), `.${path.basename(filePath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(tempPath, 'wx', SECRET_MODE);
  } catch (error) {
    throw new CacheError(
      `Cannot create the cache's key secret ${filePath}: ${describeError(error)}. Make the cache directory writable, choose another one (for example with SPEX_CACHE_DIR), or run without the persistent cache.`,
    );
  }
  try {
    await handle.writeFile(secretText(secret), 'latin1');
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(tempPath, { force: true }).catch(() => undefined);
    throw new CacheError(
      `Cannot write the cache's key secret ${filePath}: ${describeError(error)}. Free some disk space or choose another cache directory.`,
    );
  }
  await handle.close();
  return tempPath;
}

async function createSecretFile(filePath: string): Promise<CallKeySecret> {
  const secret = CallKeySecret.generate();
  const tempPath = await writeTemporarySecret(filePath, secret);
  try {
    await fs.link(tempPath, filePath);
    return secret;
  } catch (error) {
    // Another process created the secret first: everyone uses the one that is there.
    if (errorCode(error) === 'EEXIST') return adoptWinner(filePath);
    // Some file systems have no hard links; a rename is just as atomic, only not exclusive.
    await fs.rename(tempPath, filePath);
    return adoptWinner(filePath);
  } finally {
    await fs.rm(tempPath, { force: true }).catch(() => undefined);
  }
}

async function replaceSecretFile(filePath: string): Promise<CallKeySecret> {
  const tempPath = await writeTemporarySecret(filePath, CallKeySecret.generate());
  try {
    await fs.rename(tempPath, filePath);
  } catch (error) {
    await fs.rm(tempPath, { force: true }).catch(() => undefined);
    throw new CacheError(
      `Cannot replace the damaged key secret ${filePath}: ${describeError(error)}. Delete it, or choose another cache directory.`,
    );
  }
  return adoptWinner(filePath);
}

/** The secret on disk after a creation race: whichever process's file is in place is the one everybody keys with. */
async function adoptWinner(filePath: string): Promise<CallKeySecret> {
  const current = await readSecretFile(filePath);
  if (current.kind === 'valid') return current.secret;
  throw new CacheError(
    `The cache's key secret ${filePath} changed while it was being created (${current.kind === 'missing' ? 'it is gone' : current.reason}). Try again, or choose another cache directory.`,
  );
}

/** Tightens a secret file that others can read (copied in, or made under a loose umask); best effort where the owner differs. */
async function restrictMode(filePath: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const stat = await fs.stat(filePath);
    if ((stat.mode & 0o077) !== 0) await fs.chmod(filePath, SECRET_MODE);
  } catch {
    // A file that cannot be tightened is still the right secret; using it loses nothing.
  }
}
