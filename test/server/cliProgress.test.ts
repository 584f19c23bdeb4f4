import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Explanation } from '../../protocol/explanation';
import { BRIDGE_PLANTED, startFakeModelServer, type FakeModelServer } from '../fixtures/fakeModelServer';
import { repoPath } from '../helpers/paths';
import { runCli } from '../helpers/runCli';

const TEXT =
  'Alpha opens the day. Beta follows it. Gamma joins them. Delta waits. Omega ends. Filler one. Filler two. Filler three. Filler four.';

describe('the CLI’s progress line', () => {
  let fake: FakeModelServer;
  before(async () => {
    fake = await startFakeModelServer({ ...BRIDGE_PLANTED, latencyMs: 2 });
  });
  after(async () => {
    await fake.close();
  });

  it('is drawn at most ten times a second, and its last drawing shows the final count', async () => {
    const started = performance.now();
    const result = await runCli(
      [
        'explain',
        '-',
        '--backend',
        'openai',
        '--endpoint',
        fake.openaiBaseURL,
        '--granularity',
        'word',
        '--budget',
        '600',
        '--no-cache',
        '--format',
        'json',
      ],
      {
        input: TEXT,
        env: { NODE_OPTIONS: `--import=${pathToFileURL(repoPath('test', 'helpers', 'terminalStderr.mjs')).href}` },
        hungAfterMs: 120_000,
      },
    );
    const elapsedMs = performance.now() - started;
    assert.equal(result.code, 0, result.stderr);
    const explanation = JSON.parse(result.stdout) as Explanation;
    const drawings = result.stderr.split('\r').slice(1);
    assert.ok(explanation.calls.masks > 100, `${explanation.calls.masks} masks`);
    // Drawn once a mask, it would be drawn hundreds of times.
    assert.ok(drawings.length >= 1);
    assert.ok(drawings.length <= Math.floor(elapsedMs / 100) + 2, `${drawings.length} drawings in ${Math.round(elapsedMs)} ms`);
    assert.match(
      drawings[drawings.length - 1] ?? '',
      new RegExp(`^spex: ${explanation.calls.masks}/≤\\d+ masks scored \\(0 from the cache\\)\\n`, 'u'),
    );
  });
});
