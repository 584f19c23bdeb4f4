import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../../test/helpers/paths';

/**
 * Where the long-prompt benchmark keeps what it computed: the scored values of every mask and the
 * published pipeline's results. `SPEX_BENCH_CACHE` points another checkout at a warm cache (the
 * folder that holds `quality-long/`); by default it is the repository's own `.bench-cache/`.
 */
export const LONG_CACHE_DIRECTORY = path.join(process.env['SPEX_BENCH_CACHE'] ?? path.join(REPO_ROOT, '.bench-cache'), 'quality-long');

/** Writes a file so that a reader sees the old content or the new, never half of it (two runs may share the cache). */
export function writeAtomically(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}

/** The mask as hexadecimal, four features a digit, feature 0 in the lowest bit of the first digit. */
export function maskHex(mask: Uint8Array): string {
  let hex = '';
  for (let start = 0; start < mask.length; start += 4) {
    let digit = 0;
    for (let i = start; i < Math.min(start + 4, mask.length); i += 1) digit |= (mask[i] as number) << (i - start);
    hex += digit.toString(16);
  }
  return hex;
}

/** A merged file replaces its chunks once there are this many, so that loading stays one read of a few files. */
const CHUNKS_BEFORE_MERGE = 24;

/**
 * The scored values of one value function (one folder per identity: text, model, value settings),
 * keyed by mask. Each batch of new values is written as a chunk file of its own, atomically, so
 * concurrent runs never lose each other's values; chunks are merged now and then. JSON numbers
 * round-trip doubles exactly, so a cached value is the scored value to the last bit.
 */
export class ValueStore {
  private readonly values = new Map<string, number>();
  private chunkCounter = 0;

  constructor(readonly directory: string) {
    this.load();
  }

  get size(): number {
    return this.values.size;
  }

  get(key: string): number | undefined {
    return this.values.get(key);
  }

  /** Adds values and writes them as one chunk before returning. */
  add(entries: ReadonlyMap<string, number>): void {
    if (entries.size === 0) return;
    for (const [key, value] of entries) this.values.set(key, value);
    this.chunkCounter += 1;
    const name = `chunk-${Date.now()}-${process.pid}-${this.chunkCounter}.json`;
    writeAtomically(path.join(this.directory, name), JSON.stringify(Object.fromEntries(entries)));
    this.mergeWhenMany();
  }

  private files(): string[] {
    try {
      return readdirSync(this.directory).filter((name) => name.endsWith('.json'));
    } catch {
      return [];
    }
  }

  /** A file's values; none when another run merged it away since the listing (its values are in the merged file). */
  private read(name: string): [string, number][] {
    let content: string;
    try {
      content = readFileSync(path.join(this.directory, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return Object.entries(JSON.parse(content) as Record<string, number>);
  }

  private load(): void {
    for (const name of this.files()) for (const [key, value] of this.read(name)) this.values.set(key, value);
  }

  /**
   * Folds the chunks into one merged file. The merged file is complete before any chunk is removed,
   * so a reader at any moment finds every value (some twice, with the same number); a merged file
   * that a concurrent merge has just written may hold values this one also holds, which is harmless.
   */
  private mergeWhenMany(): void {
    const chunks = this.files().filter((name) => name.startsWith('chunk-'));
    if (chunks.length < CHUNKS_BEFORE_MERGE) return;
    const merged = new Map<string, number>();
    const oldMerged = this.files().filter((name) => name.startsWith('merged-'));
    for (const name of [...oldMerged, ...chunks]) for (const [key, value] of this.read(name)) merged.set(key, value);
    writeAtomically(path.join(this.directory, `merged-${Date.now()}-${process.pid}.json`), JSON.stringify(Object.fromEntries(merged)));
    for (const name of [...oldMerged, ...chunks]) rmSync(path.join(this.directory, name), { force: true });
  }
}
