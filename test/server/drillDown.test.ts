import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Explanation } from '../../protocol/explanation';
import { BRIDGE_PLANTED, startFakeModelServer, type FakeModelServer } from '../fixtures/fakeModelServer';
import { runCli, type CliResult } from '../helpers/runCli';

/**
 * Six passages; the third holds the planted synergy (beta with gamma, +2) in two of its sentences.
 * Alpha (+1.5) is alone in the first; delta and omega (−1.8 together) sit in the fifth and the sixth.
 */
const PASSAGES = [
  'Alpha opened the old bridge in spring. The town came to watch it.',
  'The river runs north past the mill. Boats wait at the landing.',
  'Engineers drew the plans in winter. Beta arrived with the steel. Gamma fixed the last arch. The crowd cheered loudly.',
  'A ferry crossed here for a century. Its bell still hangs by the door.',
  'Delta keeps the records of the town. They fill three shelves.',
  'Omega wrote the history of the mill. It sold well that year.',
];
const TEXT = `${PASSAGES.join('\n\n')}\n`;

/** Every run of this file shares one fresh cache, never the user's. */
const CACHE = mkdtempSync(path.join(tmpdir(), 'spex-drill-cache-'));
const INPUT = path.join(CACHE, 'passages.md');

function parse(result: CliResult): Explanation {
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Explanation;
}

describe('drill-down from passages to words, reusing the passages’ calls', () => {
  let fake: FakeModelServer;
  const cli = (args: string[], cache = CACHE): Promise<CliResult> =>
    runCli(
      [
        'explain',
        INPUT,
        '--backend',
        'openai',
        '--endpoint',
        fake.openaiBaseURL,
        '--index',
        'mobius',
        '--format',
        'json',
        '--budget',
        '1500',
        '--seed',
        '3',
        ...args,
      ],
      { env: { SPEX_CACHE_DIR: cache }, hungAfterMs: 120_000 },
    );

  before(async () => {
    fake = await startFakeModelServer(BRIDGE_PLANTED);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(INPUT, TEXT);
  });
  after(async () => {
    await fake.close();
    rmSync(CACHE, { recursive: true, force: true });
  });

  it('finds the planted word pair inside the planted passage with fewer new calls than a fresh word-level run', async () => {
    const drilled = parse(await cli(['--granularity', 'paragraph', '--refine', 'word', '--refine-top', '1', '--quiet']));
    const refinement = drilled.refinement;
    assert.ok(refinement, 'the explanation records the drill-down');
    assert.deepEqual(refinement.split, [2], 'the passage with the synergy is the strongest');
    assert.equal(refinement.from, 'paragraph');
    assert.equal(refinement.to, 'word');
    // The six passage-level masks of the exact paragraph run all came back from the cache.
    assert.equal(refinement.lifted, 64);
    assert.equal(refinement.reused, 64);
    // Every span names its parent passage; the third passage's words are its pieces.
    const pieces = drilled.features.filter((feature) => feature.parent === 2);
    assert.equal(pieces.length, PASSAGES[2]?.split(/\s+/u).length);
    assert.deepEqual(
      drilled.features.filter((feature) => feature.parent !== 2).map((feature) => feature.text),
      PASSAGES.filter((_, index) => index !== 2),
    );
    // The planted synergy, word by word: Beta with Gamma, +2 (Möbius).
    const word = (text: string): number => drilled.features.findIndex((feature) => feature.text === text);
    const pair = drilled.interactions.find(
      (term) => term.features.length === 2 && term.features.includes(word('Beta')) && term.features.includes(word('Gamma')),
    );
    assert.ok(pair && Math.abs(pair.value - 2) < 0.05, `beta+gamma: ${JSON.stringify(pair)}`);

    const fresh = parse(await cli(['--granularity', 'word', '--quiet'], mkdtempSync(path.join(tmpdir(), 'spex-drill-fresh-'))));
    assert.ok(
      drilled.calls.model < fresh.calls.model,
      `the drill-down added ${drilled.calls.model} model calls, a fresh word-level run took ${fresh.calls.model}`,
    );
  });

  it('goes paragraph → sentence → word, each step reusing the one before', async () => {
    // Without --quiet: each level says what it split and reused on standard error.
    const result = await cli(['--granularity', 'paragraph', '--refine', 'sentence', '--refine', 'word', '--budget', '800']);
    const last = parse(result);
    assert.equal(last.refinement?.from, 'sentence');
    assert.equal(last.refinement?.to, 'word');
    assert.ok((last.refinement?.reused ?? 0) > 0);
    // Each level said what it split and what it reused.
    assert.match(result.stderr, /sentence level: \[3\] of the paragraph explanation split into 4 spans; 64 of 64 coarser masks reused/u);
    assert.match(result.stderr, /word level: \[\d+\] of the sentence explanation split into \d+ spans; \d+ of \d+ coarser masks reused/u);
  });

  it('says so when the strongest span cannot be split, and refuses drill-downs that cannot reuse calls', async () => {
    const single = await cli(['--granularity', 'word', '--refine', 'word']);
    assert.equal(single.code, 1);
    assert.match(single.stderr, /Nothing to drill into: \[\d+\] is a single word already/u);
    const noCache = await cli(['--granularity', 'paragraph', '--refine', 'word', '--no-cache']);
    assert.equal(noCache.code, 2);
    assert.match(noCache.stderr, /--refine reuses the coarser run's calls through the cache/u);
  });
});
