import { randomBytes } from 'node:crypto';
import { statSync, writeSync } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { ensureCacheDirectory } from './cacheDirectory';
import { CacheError, describeError, errorCode } from './cacheErrors';
import { callKey, callKeyer, type CallKeyParts, CallKeySecret } from './cacheKey';
import { loadOrCreateKeySecret } from './keySecretFile';

export { CacheError } from './cacheErrors';

/**
 * The on-disk format, also written into the default file name, so a future format goes to a new file
 * and an old SPEX never misreads it.
 */
export const CACHE_FORMAT_VERSION = 1;
export const DEFAULT_CACHE_FILE_NAME = `calls-v${CACHE_FORMAT_VERSION}.jsonl`;
export const DEFAULT_CACHE_MAX_BYTES = 256 * 1024 * 1024;
/** Below this a cap would hold only a handful of entries and compact on nearly every write. */
export const MIN_CACHE_MAX_BYTES = 1024;

/** Compaction shrinks the file to this share of the cap, so it runs once per quarter of the cap written. */
const COMPACT_TO_SHARE = 0.75;
const READ_CHUNK_BYTES = 1 << 20;
/** A line longer than this cannot be one of ours; it is skipped without being held in memory. */
const MAX_LINE_BYTES = 64 * 1024;
/** Temporary files older than this are left over from a compaction that crashed, not one in progress. */
const STALE_TEMP_MS = 10 * 60 * 1000;
const KEY_PATTERN = /^[0-9a-f]{64}$/u;
const ENTRY_PREFIX = '{"k":';

export interface CallCacheOptions {
  /** The most bytes the cache file may grow to before it is compacted. Default 256 MiB. */
  readonly maxBytes?: number;
  /** The file inside the directory. Default `calls-v1.jsonl`. */
  readonly fileName?: string;
  /**
   * Told, once each, about problems that lose no answer of this run but deserve a user's attention:
   * damaged lines skipped, answers stored under another key secret dropped, the cache fell back to
   * read-only, a write failed mid-run (a full disk) so new answers stay in memory, a compaction
   * failed. Each message is one line. The server must not print, so it routes these to its log; the
   * CLI is to print them on stderr. `CallCache.warnings` lists the same messages afterwards.
   */
  readonly onWarning?: (message: string) => void;
}

export interface CallCacheStats {
  /** Entries in the in-memory index. */
  readonly entries: number;
  /** The cache file's size as last seen, other processes' appends included; 0 in memory. */
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
  /** Lines that were torn, corrupted or unknown and were ignored while reading (see `CallCache.damagedLines`). */
  readonly skippedLines: number;
}

interface Entry {
  value: number;
  /** Last write or use, in ms since the epoch: what eviction ranks by. */
  time: number;
  /** Order of the line or event that set `time`, which breaks ties between equal times. */
  seq: number;
}

/** What reading lines builds up: the entries, and how many lines were ignored. */
interface LoadState {
  readonly index: Map<string, Entry>;
  seq: number;
  /** Lines that failed their checksum or did not parse. */
  skipped: number;
  /** The fingerprint of this cache's key secret: entries under a header naming another are not ours. */
  readonly fingerprint: string;
  /** Whether the last header read named this cache's secret; entries before any header are not trusted. */
  ours: boolean;
  /** Entry and use lines ignored because another secret (or an earlier key encoding) made their keys. */
  foreign: number;
}

type Mode = 'memory' | 'read-only' | 'file';

/** The problems worth a warning; each is told at most once per open cache. */
type WarningKind = 'secret' | 'foreign' | 'damaged' | 'read-only' | 'write-failed' | 'compaction';

/**
 * A persistent map from call keys (see `callKey`) to model answers, so re-running an explanation, or
 * explaining the same text with another budget, index or algorithm, never asks the model twice.
 *
 * Storage is one append-only JSON Lines file, each line sealed with a CRC-32:
 *
 *     {"spex":"call-cache","version":1,"keys":"<16 hex>"}\t<crc>  header, written when the file is created
 *     {"k":"<64 hex>","v":<number>,"t":<ms>}\t<crc> an answer, written at `t`
 *     {"k":"<64 hex>","t":<ms>}\t<crc>              a use of a stored answer at `t` (for eviction)
 *
 * where `<crc>` is the CRC-32 of the JSON before the tab, as 8 lowercase hex digits. Reading skips
 * (and counts) any line that fails to parse or to match its checksum, so a torn or corrupted line
 * costs that line and nothing else; when it finds any, the file is rewritten without them and the
 * count is told once (`damagedLines`, `onWarning`). Later lines win, so an overwritten key keeps its
 * last value.
 *
 * Keys are HMACs under a random secret kept beside the file (`keySecretFile.ts`, readable by its owner
 * only), so the file alone does not let anyone confirm a guessed prompt. The header's `keys` names
 * that secret by a fingerprint: entries under a header that names another secret (the secret file was
 * lost or replaced) or none (an earlier SPEX's unsalted keys) can never match a key made now, and they
 * are dropped from the file when it is opened for writing.
 *
 * Durability: every batch of lines is appended with one write call on an O_APPEND handle, so lines
 * from several processes (the CLI and the language server) never interleave inside a line. `set`
 * resolves once its line is in the operating system's hands: it survives the process being killed.
 * `flush` and `close` also fsync, which is what survives a power cut. When a write fails mid-run (a
 * full disk, a quota, a file system remounted read-only, permissions changed), the cache warns once
 * and keeps every answer, old and new, in memory for the rest of its life: no call fails because of
 * the disk, and nothing more is written to a file whose last line may be torn.
 *
 * Eviction is least-recently-used across sessions: an answer's time is refreshed in memory on every
 * use, and persisted with a small use line the first time it is used in each session (at most once
 * per key per open cache). When the file passes `maxBytes`, it is rewritten with the most recently
 * used entries, down to about 75 % of the cap, into a temporary file in the same directory that is
 * fsynced and renamed over the old one, so a crash during compaction leaves either file, whole.
 *
 * Several processes may share the file. Each reads it once when it opens (and again when it
 * compacts), so it sees the others' newer answers only then. A process that finds the file replaced
 * under it (another one compacted or cleared it) writes its batch again to the new file. Compaction
 * carries over lines appended while it ran, but a line appended in the instant between its last read
 * and its rename can still be lost: that costs a later cache miss, never a wrong answer.
 *
 * Only key hashes and numbers are stored: never prompts, model names or secrets.
 */
export class CallCache {
  /** The cache file, or undefined for an in-memory cache. */
  readonly filePath: string | undefined;
  private readonly maxBytes: number;
  private readonly onWarning: ((message: string) => void) | undefined;
  private readonly secret: CallKeySecret;
  /** The header line of files this cache writes, naming its secret. */
  private readonly header: string;
  private readonly warned = new Set<WarningKind>();
  private readonly warningMessages: string[] = [];
  private mode: Mode;
  private readOnlyMessage: string | undefined;
  private readonly index = new Map<string, Entry>();
  /** Keys written or used since this cache was opened: their use is already on disk. */
  private readonly fresh = new Set<string>();
  private seq = 0;
  private hits = 0;
  private misses = 0;
  private skippedLines = 0;
  private bytes = 0;
  private handle: FileHandle | undefined;
  /** Identifies the file `handle` has open, to notice when another process replaces it. */
  private identity: { dev: number; ino: number } | undefined;
  /** Set when the file ends in a torn line, so the next append starts on a line of its own. */
  private needsNewline = false;
  /** Compaction is not retried below this size after it failed, so a failure does not repeat on every write. */
  private compactionRetryBytes = 0;
  private pending: string[] = [];
  private batch: Promise<void> | undefined;
  /** Every file operation runs after the previous one, so writes, compaction and closing never overlap. */
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    mode: Mode,
    filePath: string | undefined,
    maxBytes: number,
    secret: CallKeySecret,
    onWarning: ((message: string) => void) | undefined,
  ) {
    this.mode = mode;
    this.filePath = filePath;
    this.maxBytes = maxBytes;
    this.secret = secret;
    this.header = headerLine(secret.fingerprint);
    this.onWarning = onWarning;
  }

  /**
   * A cache that keeps nothing on disk, for runs without a persistent cache: it still answers repeated
   * calls within the run. Its keys are made under a secret that lives only as long as it does.
   */
  static inMemory(): CallCache {
    return new CallCache('memory', undefined, Number.POSITIVE_INFINITY, CallKeySecret.generate(), undefined);
  }

  /**
   * Opens (creating if needed) the cache file in `directory` and loads its index into memory.
   *
   * Throws a `CacheError` naming the path when the directory cannot be created or is a file, when
   * the cache file can be neither written nor read, when the file or its key secret was written by a
   * newer SPEX, or when the key secret exists but cannot be read. When the file can be read but not
   * written (a read-only directory or file, a full disk), the cache opens read-only instead: stored
   * answers are served, new ones are kept in memory only, and `readOnlyReason` (also passed to
   * `onWarning`) says why.
   */
  static async open(directory: string, options: CallCacheOptions = {}): Promise<CallCache> {
    const maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < MIN_CACHE_MAX_BYTES) {
      throw new RangeError(`The cache size cap must be a whole number of bytes, at least ${MIN_CACHE_MAX_BYTES}; got ${maxBytes}.`);
    }
    const fileName = options.fileName ?? DEFAULT_CACHE_FILE_NAME;
    if (fileName === '' || fileName === '.' || fileName === '..' || /[/\\]/u.test(fileName)) {
      throw new TypeError(`The cache file name must be a plain file name without folders; got "${fileName}".`);
    }
    if (typeof directory !== 'string' || directory === '') throw new TypeError('The cache directory must be a non-empty path.');
    const resolved = path.resolve(directory);
    await ensureCacheDirectory(resolved);
    const { secret, notice } = await loadOrCreateKeySecret(resolved);
    const cache = new CallCache('file', path.join(resolved, fileName), maxBytes, secret, options.onWarning);
    if (notice !== undefined) cache.warn('secret', notice);
    await cache.load();
    return cache;
  }

  /**
   * The key of one model call in this cache: `callKey` under this cache's secret. Keys from one cache
   * directory mean nothing in another.
   */
  keyOf(parts: CallKeyParts): string {
    return callKey(parts, this.secret);
  }

  /** `keyOf` for calls that differ only in their text, cheaper per key (see `callKeyer`). */
  keyerOf(parts: Omit<CallKeyParts, 'text'>): (text: string) => string {
    return callKeyer(parts, this.secret);
  }

  /**
   * Lines of the cache file that were torn or corrupted when it was opened; they were skipped (and,
   * where the file can be written, removed). Each costs at most one repeated model call. Told once
   * through `onWarning` when it is not 0.
   */
  get damagedLines(): number {
    return this.skippedLines;
  }

  /** Every warning this cache has given (each once), in order: for callers that report at the end of a run. */
  get warnings(): readonly string[] {
    return [...this.warningMessages];
  }

  /** Why the cache cannot store new answers on disk, or undefined when it can (or never meant to). */
  get readOnlyReason(): string | undefined {
    return this.readOnlyMessage;
  }

  /** The stored answer for `key`, counting a hit or a miss. A hit marks the entry as recently used. */
  get(key: string): number | undefined {
    requireKey(key, 'get');
    const entry = this.index.get(key);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.markUsed(key, entry, Date.now());
    return entry.value;
  }

  /**
   * Stores `value` for `key` in memory at once and appends it to the file. Resolves when the line is
   * written (it then survives the process being killed), or when writing failed: the value stays in
   * memory either way, and a failure is told once through `onWarning`, never by rejecting, so a full
   * disk never stops a run. After `close`, values are kept in memory only. Only finite numbers can be
   * stored.
   */
  async set(key: string, value: number): Promise<void> {
    requireKey(key, 'set');
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TypeError(`Only finite numbers can be cached; the value for key ${key.slice(0, 12)}… is ${String(value)}.`);
    }
    const now = Date.now();
    const existing = this.index.get(key);
    if (existing !== undefined && Object.is(existing.value, value)) {
      // Storing the same answer again is a use, not a new answer: no need to grow the file by a full line.
      this.markUsed(key, existing, now);
      return;
    }
    if (existing === undefined) this.index.set(key, { value, time: now, seq: ++this.seq });
    else Object.assign(existing, { value, time: now, seq: ++this.seq });
    this.fresh.add(key);
    if (this.mode !== 'file' || this.closed) return;
    await this.enqueue(entryLine(key, value, now));
  }

  /** Writes every buffered line and fsyncs the file. A failure is a warning (see `set`), never a rejection. */
  async flush(): Promise<void> {
    if (this.mode !== 'file' || this.closed) return;
    await this.enqueue();
    await this.exclusive(async () => {
      if (this.mode !== 'file') return;
      try {
        await this.handle?.sync();
      } catch (error) {
        this.stopWriting(`Could not flush the cache file ${this.filePath ?? ''} to disk: ${describeError(error)}`);
      }
    });
  }

  /**
   * Flushes and closes the file; never rejects for the disk's sake. Reads still answer from memory
   * afterwards, and new answers are kept in memory only.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.exclusive(async () => {
        const handle = this.handle;
        this.handle = undefined;
        // Everything was written and synced above, or has been warned about; a failing close loses nothing more.
        await handle?.close().catch(() => undefined);
      });
    }
  }

  stats(): CallCacheStats {
    return { entries: this.index.size, bytes: this.bytes, hits: this.hits, misses: this.misses, skippedLines: this.skippedLines };
  }

  /**
   * Forgets every stored answer, on disk too: the file is replaced by an empty one the same way
   * compaction replaces it, so another process that has it open notices and follows. Hit and miss
   * counts are kept; the skipped-line count starts again.
   */
  async clear(): Promise<void> {
    this.index.clear();
    this.fresh.clear();
    this.pending = [];
    this.skippedLines = 0;
    if (this.mode !== 'file' || this.closed) return;
    await this.exclusive(async () => {
      await this.replaceFile(() => Promise.resolve(undefined));
    });
  }

  /** Refreshes an entry's time, and persists the use once per session so eviction sees it next time too. */
  private markUsed(key: string, entry: Entry, now: number): void {
    entry.time = Math.max(entry.time, now);
    entry.seq = ++this.seq;
    if (this.fresh.has(key)) return;
    this.fresh.add(key);
    // A lost use line only makes eviction slightly less accurate, so its failure is not reported.
    if (this.mode === 'file' && !this.closed) void this.enqueue(useLine(key, entry.time)).catch(() => undefined);
  }

  /**
   * Adds a line to the next batch. A batch is written once the current turn of the event loop is
   * over, so the answers that arrived together go out in one write; lines queued while a batch is
   * being written go out together in the following one. Many concurrent `set` calls cost few writes.
   */
  private enqueue(line?: string): Promise<void> {
    if (line !== undefined) this.pending.push(line);
    this.batch ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      this.exclusive(() => {
        this.batch = undefined;
        return this.writePending();
      }),
    );
    return this.batch;
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async writePending(): Promise<void> {
    if (this.pending.length === 0 || this.mode !== 'file') {
      this.pending = [];
      return;
    }
    const text = (this.needsNewline ? '\n' : '') + this.pending.join('');
    this.pending = [];
    this.needsNewline = false;
    try {
      await this.append(text);
    } catch (error) {
      this.stopWriting(`Could not write to the cache file ${this.requireFilePath()}: ${describeError(error)}`);
      return;
    }
    if (this.bytes > this.maxBytes && this.bytes >= this.compactionRetryBytes) await this.compactOrWarn();
  }

  /**
   * After a failed write: the file may end in a torn line and the disk may be full, so nothing more is
   * written to it in this session; every answer stays in memory. Told once.
   */
  private stopWriting(failure: string): void {
    this.mode = 'read-only';
    this.pending = [];
    this.readOnlyMessage = `${failure}. SPEX carries on with every answer kept in memory for the rest of this run; free some disk space or choose another cache directory.`;
    this.warn('write-failed', this.readOnlyMessage);
    const handle = this.handle;
    this.handle = undefined;
    void handle?.close().catch(() => undefined);
  }

  private warn(kind: WarningKind, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.warningMessages.push(message);
    this.onWarning?.(message);
  }

  /**
   * Appends whole lines with one write, then checks that the file written to is still the cache file.
   * Both are synchronous: a few lines into the page cache and a stat take microseconds, while each
   * asynchronous file operation costs a trip through libuv's thread pool, about 60 µs of CPU, and a
   * cold explanation appends a batch for nearly every model call. The rare paths stay asynchronous.
   */
  private async append(text: string): Promise<void> {
    const filePath = this.requireFilePath();
    const data = Buffer.from(text, 'latin1');
    if (this.handle === undefined) await this.reopen();
    writeAllSync(this.requireHandle().fd, data);
    const current = statIfExistsSync(filePath);
    if (current === undefined || current.ino !== this.identity?.ino || current.dev !== this.identity.dev) {
      // Another process compacted or cleared the file (or it was deleted) while this one had it open:
      // the lines went to the old file, so they are written again to the current one.
      const startsLine = await this.reopen();
      await writeAll(this.requireHandle(), startsLine ? data : Buffer.concat([Buffer.from('\n'), data]));
      this.bytes = (await this.requireHandle().stat()).size;
    } else {
      this.bytes = current.size;
    }
  }

  /** Opens the cache file for appending; returns whether the next write starts a fresh line. */
  private async reopen(): Promise<boolean> {
    const filePath = this.requireFilePath();
    const previous = this.handle;
    this.handle = undefined;
    await previous?.close().catch(() => undefined);
    const handle = await fs.open(filePath, 'a+');
    try {
      const stat = await handle.stat();
      this.identity = { dev: stat.dev, ino: stat.ino };
      this.bytes = stat.size;
      if (stat.size === 0) {
        await writeAll(handle, Buffer.from(this.header, 'latin1'));
        this.bytes = this.header.length;
      }
      this.handle = handle;
      return stat.size === 0 || (await endsWithNewline(handle, stat.size));
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  private async load(): Promise<void> {
    const filePath = this.requireFilePath();
    let handle: FileHandle;
    try {
      handle = await fs.open(filePath, 'a+');
    } catch (error) {
      if (isPermissionError(error)) return this.loadReadOnly(error);
      throw fileError(filePath, error);
    }
    const state = this.loadState(this.index);
    try {
      const stat = await handle.stat();
      const consumed = await scanLines(handle, 0, stat.size, (line) => absorbLine(line, state, filePath));
      this.seq = state.seq;
      // A file that does not end with a newline ends in a line torn by a crash.
      this.skippedLines = state.skipped + (consumed < stat.size ? 1 : 0);
      this.needsNewline = consumed < stat.size;
      this.handle = handle;
      this.identity = { dev: stat.dev, ino: stat.ino };
      this.bytes = stat.size;
    } catch (error) {
      this.handle = undefined;
      await handle.close().catch(() => undefined);
      throw error instanceof CacheError ? error : fileError(filePath, error);
    }
    if (this.bytes === 0) {
      try {
        await writeAll(handle, Buffer.from(this.header, 'latin1'));
        this.bytes = this.header.length;
      } catch (error) {
        this.stopWriting(`Could not write to the cache file ${filePath}: ${describeError(error)}`);
      }
    }
    await removeStaleTemporaryFiles(filePath);
    let cleaned = false;
    // Damaged lines and entries keyed under another secret are rewritten away, so they are told about once, not on every run.
    if (this.mode === 'file' && (this.bytes > this.maxBytes || this.skippedLines > 0 || state.foreign > 0)) {
      const budget = this.bytes > this.maxBytes ? undefined : Number.POSITIVE_INFINITY;
      cleaned = await this.exclusive(() => this.compactOrWarn(budget));
    }
    this.reportLoad(state.foreign, cleaned);
  }

  /** Serves what a file that cannot be written holds, rather than losing every stored answer. */
  private async loadReadOnly(writeError: unknown): Promise<void> {
    const filePath = this.requireFilePath();
    let handle: FileHandle;
    try {
      handle = await fs.open(filePath, 'r');
    } catch {
      throw new CacheError(
        `Cannot create the cache file ${filePath}: ${describeError(writeError)}. Make the directory writable, choose another cache directory (for example with SPEX_CACHE_DIR), or run without the persistent cache.`,
      );
    }
    const state = this.loadState(this.index);
    try {
      const stat = await handle.stat();
      const consumed = await scanLines(handle, 0, stat.size, (line) => absorbLine(line, state, filePath));
      this.seq = state.seq;
      this.skippedLines = state.skipped + (consumed < stat.size ? 1 : 0);
      this.bytes = stat.size;
    } catch (error) {
      throw error instanceof CacheError ? error : fileError(filePath, error);
    } finally {
      await handle.close().catch(() => undefined);
    }
    this.mode = 'read-only';
    this.readOnlyMessage = `The cache file ${filePath} cannot be written (${describeError(writeError)}): stored answers are used, new ones are kept only until SPEX exits. Make it writable or choose another cache directory.`;
    this.warn('read-only', this.readOnlyMessage);
    this.reportLoad(state.foreign, false);
  }

  private loadState(index: Map<string, Entry>): LoadState {
    return { index, seq: 0, skipped: 0, fingerprint: this.secret.fingerprint, ours: false, foreign: 0 };
  }

  /** Tells, once, what opening the file found unusable. */
  private reportLoad(foreign: number, cleaned: boolean): void {
    const filePath = this.requireFilePath();
    // A replaced secret was already told about, and it is the reason the old entries are foreign.
    if (foreign > 0 && !this.warned.has('secret')) {
      this.warn(
        'foreign',
        `The call cache ${filePath} held ${foreign} ${plural(foreign, 'line')} keyed under another key secret (by an earlier SPEX, or before the secret file beside it was lost or replaced): they can never match a call made now, so they were ${cleaned ? 'removed' : 'ignored'}.`,
      );
    }
    if (this.skippedLines > 0) {
      this.warn(
        'damaged',
        `The call cache ${filePath} had ${this.skippedLines} damaged ${plural(this.skippedLines, 'line')} (torn by a crash or corrupted on disk), ${cleaned ? 'skipped and removed' : 'skipped'}: each costs at most one repeated model call.`,
      );
    }
  }

  /** Compacts (to `budget` bytes of entries; by default 75 % of the cap) and warns instead of failing; returns whether it did. */
  private async compactOrWarn(budget?: number): Promise<boolean> {
    try {
      await this.compact(budget);
      return true;
    } catch (error) {
      this.compactionRetryBytes = this.bytes + Math.ceil(this.maxBytes / 4);
      this.warn(
        'compaction',
        `Could not rewrite the cache file ${this.filePath ?? ''} (to keep it under its cap of ${this.maxBytes} bytes, or to drop unusable lines): ${describeError(error)}. The cache keeps working; make its directory writable or clear the cache.`,
      );
      return false;
    }
  }

  /**
   * Rewrites the file with the most recently used entries, down to 75 % of the cap. The file is read
   * again first, so entries other processes appended are ranked too, not dropped; the index is then
   * replaced by what the new file holds, which keeps memory bounded by the cap as well.
   */
  private async compact(budget = Math.floor(this.maxBytes * COMPACT_TO_SHARE) - this.header.length): Promise<void> {
    const filePath = this.requireFilePath();
    const startSeq = this.seq;
    const onDisk = this.loadState(new Map());
    const reader = await fs.open(filePath, 'r');
    try {
      const readStat = await reader.stat();
      let offset = await scanLines(reader, 0, readStat.size, (line) => absorbLine(line, onDisk, filePath));
      for (const [key, mine] of this.index) {
        const theirs = onDisk.index.get(key);
        // The file decides the value (its last line is the last write by any process); memory adds uses not yet written.
        if (theirs === undefined) onDisk.index.set(key, { value: mine.value, time: mine.time, seq: 0 });
        else theirs.time = Math.max(theirs.time, mine.time);
      }
      const kept = selectMostRecent(onDisk.index, budget);
      const replaced = await this.replaceFile(async (temp) => {
        await writeEntries(temp, kept);
        // Lines appended by other processes while this ran are carried over, so few are lost with the old file.
        for (;;) {
          const current = await statIfExists(filePath);
          if (current === undefined || current.ino !== readStat.ino || current.dev !== readStat.dev) return false;
          if (current.size <= offset) return true;
          const carried: string[] = [];
          const next = await scanLines(reader, offset, current.size, (line) => {
            const decoded = decodeLine(line);
            if (decoded !== undefined && decoded.kind !== 'header' && onDisk.ours) carried.push(line);
          });
          // No whole line after the offset: the file ends in a torn line, which is left behind with the old file.
          if (next === offset) return true;
          offset = next;
          await writeAll(temp, Buffer.from(carried.map((line) => `${line}\n`).join(''), 'latin1'));
          const carriedState = { ...this.loadState(kept), seq: onDisk.seq, ours: true };
          for (const line of carried) absorbLine(line, carriedState, filePath);
        }
      });
      if (!replaced) return;
      // Answers stored or used while the new file was being written are newer than anything in it; their lines follow.
      const meanwhile = [...this.index].filter(([, entry]) => entry.seq > startSeq);
      this.index.clear();
      this.seq = 0;
      for (const [key, entry] of [...kept, ...meanwhile]) this.index.set(key, { value: entry.value, time: entry.time, seq: ++this.seq });
      this.needsNewline = false;
    } finally {
      await reader.close().catch(() => undefined);
    }
  }

  /**
   * Writes a new cache file (header, then what `body` writes) beside the current one and renames it
   * over it, then appends to the new file. When `body` returns false the new file is dropped instead.
   */
  private async replaceFile(body: (temp: FileHandle) => Promise<boolean | undefined>): Promise<boolean> {
    const filePath = this.requireFilePath();
    const tempPath = temporaryPath(filePath);
    const temp = await fs.open(tempPath, 'wx');
    let renamed = false;
    try {
      await writeAll(temp, Buffer.from(this.header, 'latin1'));
      if ((await body(temp)) === false) return false;
      await temp.sync();
      await temp.close();
      await fs.rename(tempPath, filePath);
      renamed = true;
      await syncDirectory(path.dirname(filePath));
      await this.reopen();
      return true;
    } finally {
      if (!renamed) {
        await temp.close().catch(() => undefined);
        await fs.rm(tempPath, { force: true }).catch(() => undefined);
      }
    }
  }

  private requireFilePath(): string {
    if (this.filePath === undefined) throw new Error('CallCache: an in-memory cache has no file.');
    return this.filePath;
  }

  private requireHandle(): FileHandle {
    if (this.handle === undefined) throw new Error('CallCache: the cache file is not open.');
    return this.handle;
  }
}

/** The first line of a cache file: its format, and which key secret its keys were made under. */
function headerLine(fingerprint: string): string {
  return seal(`{"spex":"call-cache","version":${CACHE_FORMAT_VERSION},"keys":"${fingerprint}"}`);
}

function plural(count: number, noun: string): string {
  return count === 1 ? noun : `${noun}s`;
}

function seal(json: string): string {
  return `${json}\t${checksum(json)}\n`;
}

function checksum(json: string): string {
  return crc32(json).toString(16).padStart(8, '0');
}

function entryLine(key: string, value: number, time: number): string {
  return seal(`{"k":"${key}","v":${JSON.stringify(value)},"t":${time}}`);
}

function useLine(key: string, time: number): string {
  return seal(`{"k":"${key}","t":${time}}`);
}

type Decoded =
  | { readonly kind: 'header'; readonly version: unknown; readonly keys: unknown }
  | { readonly kind: 'entry'; readonly key: string; readonly value: number; readonly time: number }
  | { readonly kind: 'use'; readonly key: string; readonly time: number };

/** One line (without its newline) if it is whole, sealed and well-formed; undefined otherwise. */
function decodeLine(line: string): Decoded | undefined {
  const tab = line.lastIndexOf('\t');
  if (tab < 0) return undefined;
  const json = line.slice(0, tab);
  if (line.slice(tab + 1) !== checksum(json)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  if (record['spex'] === 'call-cache') return { kind: 'header', version: record['version'], keys: record['keys'] };
  const { k: key, v: value, t: time } = record;
  if (typeof key !== 'string' || !KEY_PATTERN.test(key) || typeof time !== 'number' || !Number.isFinite(time)) return undefined;
  if (value === undefined) return { kind: 'use', key, time };
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return { kind: 'entry', key, value, time };
}

/**
 * Applies one line to `state`. A line that fails is counted and skipped; when it fails because a torn
 * line was glued to the front of a whole one, the whole one at its end is still used.
 */
function absorbLine(line: string, state: LoadState, filePath: string): void {
  if (line === '') return;
  let decoded = decodeLine(line);
  if (decoded === undefined) {
    state.skipped++;
    const resync = line.lastIndexOf(ENTRY_PREFIX);
    if (resync <= 0) return;
    decoded = decodeLine(line.slice(resync));
    if (decoded === undefined) return;
  }
  if (decoded.kind === 'header') {
    requireReadableVersion(decoded.version, filePath);
    state.ours = decoded.keys === state.fingerprint;
    return;
  }
  if (!state.ours) {
    state.foreign++;
    return;
  }
  const seq = ++state.seq;
  const existing = state.index.get(decoded.key);
  if (decoded.kind === 'use') {
    // A use of an answer this file no longer holds (evicted meanwhile) carries no value to restore.
    if (existing !== undefined) Object.assign(existing, { time: Math.max(existing.time, decoded.time), seq });
    return;
  }
  if (existing === undefined) state.index.set(decoded.key, { value: decoded.value, time: decoded.time, seq });
  else Object.assign(existing, { value: decoded.value, time: Math.max(existing.time, decoded.time), seq });
}

/** A file from a newer SPEX is refused, never misread: its lines may mean something this SPEX does not know. */
function requireReadableVersion(version: unknown, filePath: string): void {
  if (version === CACHE_FORMAT_VERSION) return;
  if (typeof version === 'number' && version > CACHE_FORMAT_VERSION) {
    throw new CacheError(
      `The cache file ${filePath} was written by a newer SPEX (cache format ${version}; this SPEX reads format ${CACHE_FORMAT_VERSION}). Update SPEX, or choose another cache directory (--cache or SPEX_CACHE_DIR).`,
    );
  }
  throw new CacheError(
    `The cache file ${filePath} is in cache format ${JSON.stringify(version) ?? 'undefined'}, which this SPEX cannot read. Delete the file or choose another cache directory.`,
  );
}

/**
 * Calls `onLine` for every complete line between `start` and `end`, in chunks so a large file is never
 * one string. Returns the offset just past the last newline: bytes after it are an unfinished line.
 */
async function scanLines(handle: FileHandle, start: number, end: number, onLine: (line: string) => void): Promise<number> {
  const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  let carry: Buffer = Buffer.alloc(0);
  let discarding = false;
  let position = start;
  let consumed = start;
  while (position < end) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(READ_CHUNK_BYTES, end - position), position);
    if (bytesRead === 0) break;
    const chunkStart = position - carry.length;
    position += bytesRead;
    const chunk = carry.length > 0 ? Buffer.concat([carry, buffer.subarray(0, bytesRead)]) : buffer.subarray(0, bytesRead);
    let lineStart = 0;
    for (let newline = chunk.indexOf(10); newline >= 0; newline = chunk.indexOf(10, lineStart)) {
      // An over-long line is passed on as a stub that fails its checksum, so it is counted as skipped.
      onLine(discarding ? '\u0000' : chunk.toString('latin1', lineStart, newline));
      discarding = false;
      lineStart = newline + 1;
    }
    consumed = chunkStart + lineStart;
    carry = Buffer.from(chunk.subarray(lineStart));
    if (carry.length > MAX_LINE_BYTES) {
      discarding = true;
      carry = Buffer.alloc(0);
    }
  }
  return consumed;
}

/** The entries that fit in `budget` bytes of lines, most recently used first, returned oldest first. */
function selectMostRecent(entries: Map<string, Entry>, budget: number): Map<string, Entry> {
  const ranked = [...entries].sort(([, a], [, b]) => b.time - a.time || b.seq - a.seq);
  let used = 0;
  let count = 0;
  for (const [key, entry] of ranked) {
    const size = entryLine(key, entry.value, entry.time).length;
    if (used + size > budget) break;
    used += size;
    count++;
  }
  const kept = new Map<string, Entry>();
  for (let i = count - 1; i >= 0; i--) {
    const [key, entry] = ranked[i] as [string, Entry];
    kept.set(key, entry);
  }
  return kept;
}

/** Writes entries as lines in chunks of about a megabyte, oldest first, so file order is use order. */
async function writeEntries(handle: FileHandle, entries: Map<string, Entry>): Promise<void> {
  let chunk: string[] = [];
  let chunkBytes = 0;
  for (const [key, entry] of entries) {
    const line = entryLine(key, entry.value, entry.time);
    chunk.push(line);
    chunkBytes += line.length;
    if (chunkBytes >= READ_CHUNK_BYTES) {
      await writeAll(handle, Buffer.from(chunk.join(''), 'latin1'));
      chunk = [];
      chunkBytes = 0;
    }
  }
  if (chunk.length > 0) await writeAll(handle, Buffer.from(chunk.join(''), 'latin1'));
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

async function endsWithNewline(handle: FileHandle, size: number): Promise<boolean> {
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] === 10;
}

function writeAllSync(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

function statIfExistsSync(filePath: string): { dev: number; ino: number; size: number } | undefined {
  // throwIfNoEntry: false answers a missing file without the cost of an exception.
  return statSync(filePath, { throwIfNoEntry: false });
}

async function statIfExists(filePath: string): Promise<{ dev: number; ino: number; size: number } | undefined> {
  try {
    return await fs.stat(filePath);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function temporaryPath(filePath: string): string {
  return path.join(path.dirname(filePath), `.${path.basename(filePath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Removes temporary files that a compaction killed midway left behind; never ones a live compaction is writing. */
async function removeStaleTemporaryFiles(filePath: string): Promise<void> {
  const directory = path.dirname(filePath);
  const prefix = `.${path.basename(filePath)}.`;
  try {
    for (const name of await fs.readdir(directory)) {
      if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
      const candidate = path.join(directory, name);
      const stat = await fs.stat(candidate);
      if (Date.now() - stat.mtimeMs > STALE_TEMP_MS) await fs.rm(candidate, { force: true });
    }
  } catch {
    // Leftovers only waste space; failing to tidy them must not stop the cache from opening.
  }
}

/** Makes a rename durable. Windows and some file systems cannot fsync a directory; the rename is atomic regardless. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await fs.open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // See above: durability of the rename is best effort where the platform does not offer it.
  }
}

function fileError(filePath: string, error: unknown): CacheError {
  if (errorCode(error) === 'EISDIR') {
    return new CacheError(`The cache file ${filePath} is a directory. Move it away or choose another cache directory.`);
  }
  return new CacheError(
    `Cannot open the cache file ${filePath}: ${describeError(error)}. Choose another cache directory or delete the file.`,
  );
}

function requireKey(key: string, operation: string): void {
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw new TypeError(
      `CallCache.${operation}: keys must be 64 lowercase hex digits made by CallCache.keyOf(), so no prompt text reaches the disk.`,
    );
  }
}

function isPermissionError(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
}
