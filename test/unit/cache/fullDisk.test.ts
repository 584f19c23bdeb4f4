// A cache whose disk fills up (or turns read-only) in the middle of an explanation: the run carries on
// with its answers in memory, says so once, and gives exactly the values it gives without a cache.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Explanation } from '../../../protocol/explanation';
import { applyMask } from '../../../server/ablation/mask';
import { segmentText } from '../../../server/ablation/segment';
import { CallCache } from '../../../server/cache/callCache';
import { explainText, type ExplainRequest } from '../../../server/engine/explain';
import type { ValueSource } from '../../../server/engine/valueSource';
import { plantedSource } from '../../helpers/plantedSource';
import { mountTmpfs, tmpfsSkip } from '../../helpers/tmpfs';
import { cacheFile, open, tempDirectory } from './cacheTestKit';

const asRoot = process.getuid?.() === 0;

/** Eight sentences: exact recovery scores all 256 masks, so the run writes a few hundred cache lines. */
const TEXT = 'Alpha opens. Beta follows. Gamma turns. Delta waits. Epsilon runs. Zeta stops. Eta asks. Theta answers.';
/** The same with a ninth sentence: every one of its masks is a call the cache has not seen. */
const LONGER = `${TEXT} Iota ends.`;

/** A model with planted main effects and interactions. */
function planted(mask: Uint8Array): number {
  const bit = (i: number): number => mask[i] ?? 0;
  let value = 0.25;
  mask.forEach((kept, i) => (value += kept * (i % 3 === 0 ? 1.5 : -0.5) * (i + 1)));
  return value + 2 * bit(0) * bit(1) - 1.5 * bit(2) * bit(3) * bit(4) + 0.75 * bit(5) * bit(7);
}

/** The planted model, counting its calls and running `onCall` on each (to break the disk on the n-th). */
const newSource = (onCall?: (call: number) => void): ReturnType<typeof plantedSource> => plantedSource(planted, onCall ? { onCall } : {});

function request(text: string, source: ValueSource, cache?: CallCache): ExplainRequest {
  return {
    text,
    granularity: 'sentence',
    masking: { kind: 'remove' },
    source,
    ...(cache ? { cache } : {}),
    algorithm: 'auto',
    budget: 1000,
    maxOrder: 3,
    index: 'fsii',
    order: 2,
    top: 0,
    seed: 1,
    concurrency: 4,
  };
}

/** What an explanation says, without how long it took or where its values came from. */
function findings(explanation: Explanation): unknown {
  return { ...explanation, timing: null, calls: { masks: explanation.calls.masks } };
}

/**
 * Runs an explanation with `cache` while `breakDisk` strikes at the 69th model call, and checks what
 * the issue asks: the run finishes with the values of a run without a cache, one warning, nothing
 * thrown later (close included), and every later call still answers (from memory, or the model).
 */
async function runThroughFailure(cache: CallCache, warnings: string[], breakDisk: () => void): Promise<void> {
  const reference = await explainText(request(TEXT, newSource()));
  const source = newSource((call) => {
    if (call === 69) breakDisk();
  });
  const explanation = await explainText(request(TEXT, source, cache));
  assert.ok(source.calls > 69, `the disk broke mid-run (${source.calls} calls)`);
  assert.deepEqual(findings(explanation), findings(reference));
  assert.equal(explanation.calls.model, reference.calls.model);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.equal(cache.readOnlyReason, warnings[0]);
  assert.deepEqual(cache.warnings, warnings);

  // The same explanation again is answered entirely from memory.
  const again = await explainText(request(TEXT, newSource(), cache));
  assert.equal(again.calls.model, 0);
  assert.deepEqual(findings(again), findings(reference));
  // New calls still go to the model and are kept in memory; no second warning.
  const longerSource = newSource();
  const longer = await explainText(request(LONGER, longerSource, cache));
  assert.deepEqual(findings(longer), findings(await explainText(request(LONGER, newSource()))));
  assert.ok(longerSource.calls > 0);
  assert.equal((await explainText(request(LONGER, newSource(), cache))).calls.model, 0);
  assert.equal(warnings.length, 1);

  await cache.flush();
  await cache.close();
  await cache.set(cache.keyOf({ ...source.keyParts, text: 'after close' }), 1);
}

describe('a cache whose disk fails mid-run', () => {
  it(
    'keeps going in memory when the cache file is swapped for /dev/full (ENOSPC), warning once',
    {
      skip: existsSync('/dev/full') ? false : 'this system has no /dev/full',
    },
    async () => {
      const directory = await tempDirectory();
      const warnings: string[] = [];
      const cache = await open(directory, { onWarning: (message) => warnings.push(message) });
      const full = path.join(directory, 'full');
      await runThroughFailure(cache, warnings, () => {
        // Renamed over the cache file, as another process's compaction would: the cache follows it to a full device.
        execFileSync('ln', ['-s', '/dev/full', full]);
        execFileSync('mv', ['-f', full, cacheFile(directory)]);
      });
      assert.match(
        warnings[0] ?? '',
        /^Could not write to the cache file .*calls-v1\.jsonl: ENOSPC: no space left on device, write\. SPEX carries on with every answer kept in memory for the rest of this run; free some disk space or choose another cache directory\.$/u,
      );

      // Opening a cache on a full disk is no error either: it serves what it can and keeps the rest in memory.
      const reopenedWarnings: string[] = [];
      const reopened = await open(directory, { onWarning: (message) => reopenedWarnings.push(message) });
      assert.match(reopenedWarnings.join('\n'), /ENOSPC/u);
      await reopened.set(reopened.keyOf({ backend: 'test', model: 'm', valueFunction: 'v', parameters: {}, text: 'x' }), 2);
      await reopened.close();
    },
  );

  it(
    'keeps going in memory when the cache file is swapped for a read-only one (EACCES)',
    {
      skip: asRoot ? 'root writes to read-only files' : false,
    },
    async () => {
      const directory = await tempDirectory();
      const warnings: string[] = [];
      const cache = await open(directory, { onWarning: (message) => warnings.push(message) });
      const readOnly = path.join(directory, 'read-only');
      await runThroughFailure(cache, warnings, () => {
        execFileSync('cp', [cacheFile(directory), readOnly]);
        execFileSync('chmod', ['0444', readOnly]);
        execFileSync('mv', ['-f', readOnly, cacheFile(directory)]);
      });
      assert.match(warnings[0] ?? '', /^Could not write to the cache file .*: EACCES: permission denied.*SPEX carries on/u);
    },
  );

  it('keeps going in memory when a real (tmpfs) disk fills up, and keeps what it wrote before', { skip: tmpfsSkip() }, async (t) => {
    const disk = mountTmpfs(64);
    t.after(() => disk.unmount());
    const mountPoint = disk.path;
    const directory = path.join(mountPoint, 'cache');
    const warnings: string[] = [];
    const cache = await CallCache.open(directory, { onWarning: (message) => warnings.push(message) });
    const filler = path.join(mountPoint, 'filler');
    const recorder = newSource();
    await runThroughFailure(cache, warnings, () => {
      // Fill the disk, then free two pages: room for a hundred or so lines more.
      execFileSync('sh', ['-c', `dd if=/dev/zero of=${filler} bs=4096 2>/dev/null; truncate -s -8192 ${filler}`]);
    });
    assert.match(warnings[0] ?? '', /^Could not write to the cache file .*: ENOSPC: no space left on device, write\. SPEX carries on/u);

    // What reached the disk before it filled is intact and correct; at most the line being written is torn.
    const { features } = segmentText(TEXT, { granularity: 'sentence' });
    const reopenedWarnings: string[] = [];
    const reopened = await CallCache.open(directory, { onWarning: (message) => reopenedWarnings.push(message) });
    t.after(() => reopened.close());
    assert.ok(reopened.damagedLines <= 1, reopenedWarnings.join('\n'));
    const stored = reopened.stats().entries;
    assert.ok(stored > 69 && stored < 256, `${stored} answers stored before the disk filled`);
    let checked = 0;
    for (let index = 0; index < 256; index++) {
      const mask = Uint8Array.from(features, (_, bit) => (index >> bit) & 1);
      const text = applyMask(TEXT, features, mask, { kind: 'remove' });
      const value = reopened.get(reopened.keyOf({ ...recorder.keyParts, text }));
      if (value === undefined) continue;
      assert.equal(value, await recorder.score(text, mask), `the stored answer for mask ${index}`);
      checked += 1;
    }
    assert.ok(checked > 60, `${checked} stored answers checked`);
  });
});
