import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Comparison } from '../../server/compare/compareExplanations';
import {
  BRIDGE_PLANTED,
  FAKE_MODEL_DIGEST,
  FAKE_MODEL_NAME,
  startFakeModelServer,
  type FakeModelServer,
} from '../fixtures/fakeModelServer';
import { runCli, type CliResult } from '../helpers/runCli';

/** B drops Omega (so Delta loses its redundant partner) and rewords the Gamma sentence (the synergy stays). */
const A = 'Alpha opens. Beta follows. Gamma joins. Delta waits. Omega ends. Filler one.';
const B = 'Alpha opens. Beta follows. Gamma joins now. Delta waits. Filler one.';

const DIRECTORY = mkdtempSync(path.join(tmpdir(), 'spex-compare-'));
const FILE_A = path.join(DIRECTORY, 'a.txt');
const FILE_B = path.join(DIRECTORY, 'b.txt');

describe('spex compare: two versions of a prompt, span by span', () => {
  let fake: FakeModelServer;
  const compare = (args: string[]): Promise<CliResult> =>
    runCli(['compare', FILE_A, FILE_B, '--backend', 'openai', '--endpoint', fake.openaiBaseURL, '--index', 'mobius', ...args], {
      env: { SPEX_CACHE_DIR: path.join(DIRECTORY, 'cache') },
      hungAfterMs: 120_000,
    });

  before(async () => {
    fake = await startFakeModelServer({
      ...BRIDGE_PLANTED,
      models: [
        { name: FAKE_MODEL_NAME, digest: FAKE_MODEL_DIGEST },
        { name: 'other-llm:1b', digest: 'sha256:0ther' },
      ],
    });
    writeFileSync(FILE_A, A);
    writeFileSync(FILE_B, B);
  });
  after(async () => {
    await fake.close();
    rmSync(DIRECTORY, { recursive: true, force: true });
  });

  it('reports the planted change: the redundancy gone with Omega, Delta no longer lowering, the synergy unchanged', async () => {
    const result = await compare(['--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const comparison = JSON.parse(result.stdout) as Comparison;
    assert.equal(comparison.answers.differ, false);
    assert.equal(comparison.tooDifferent, false);
    const span = (text: string) => comparison.spans.find((entry) => entry.textA === text || entry.textB === text);
    assert.equal(span('Omega ends.')?.status, 'removed');
    assert.equal(span('Gamma joins.')?.status, 'edited');
    assert.equal(span('Gamma joins.')?.textB, 'Gamma joins now.');
    // Delta's total effect was half of the −1.8 it shared with Omega; alone in B it has none.
    const delta = span('Delta waits.');
    assert.equal(delta?.status, 'unchanged');
    assert.ok(Math.abs((delta?.valueA ?? 0) + 0.9) < 1e-6 && Math.abs(delta?.valueB ?? 1) < 1e-6, JSON.stringify(delta));
    assert.ok(Math.abs((delta?.change ?? 0) - 0.9) < 1e-6);
    const redundancy = comparison.interactions.find((term) => term.kind === 'redundancy');
    assert.deepEqual(redundancy?.featuresA, [3, 4]);
    assert.equal(redundancy?.featuresB, undefined, 'Omega is not in B');
    assert.ok(Math.abs((redundancy?.valueA ?? 0) + 1.8) < 1e-6);
    const synergy = comparison.interactions.find((term) => term.kind === 'synergy');
    assert.deepEqual(
      [synergy?.featuresA, synergy?.featuresB],
      [
        [1, 2],
        [1, 2],
      ],
    );
    assert.ok(Math.abs(synergy?.change ?? 1) < 1e-6);
    assert.match(result.stderr, /A: 6 spans, \d+ model calls/u);
  });

  it('writes Markdown that says first whether the answers differ, and takes B under another model', async () => {
    const result = await compare(['--model-b', 'other-llm:1b']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^# SPEX comparison\n\n\*\*Both versions give the same answer:\*\* “ ?The bridge opened in 1931\.”/u);
    assert.match(result.stdout, /- Models: A openai fake-llm:1b at .* · B openai other-llm:1b at /u);
    assert.match(result.stdout, /\| \[5\] → — \| removed in B \| Omega ends\. \| −0\.900 \| — \| — \|/u);
    assert.match(result.stdout, /\| \[3\] → \[3\] \| edited \| Gamma joins\. → Gamma joins now\. \|/u);
  });

  it('writes a self-contained HTML page with the prompt text escaped', async () => {
    const result = await compare(['--format', 'html']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^<!DOCTYPE html>/u);
    assert.match(result.stdout, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">/u);
    assert.match(result.stdout, /<strong>Both versions give the same answer:<\/strong>/u);
    assert.match(result.stdout, /<td>removed in B<\/td><td>Omega ends\.<\/td>/u);
    assert.doesNotMatch(result.stdout, /<script|src=/u);
  });

  it('refuses what it cannot compare, in one line', async () => {
    const one = await runCli(['compare', FILE_A], { env: { SPEX_CACHE_DIR: path.join(DIRECTORY, 'cache') } });
    assert.equal(one.code, 2);
    assert.match(one.stderr, /spex compare takes two files/u);
    const csv = await compare(['--format', 'csv']);
    assert.equal(csv.code, 2);
    assert.match(csv.stderr, /spex compare writes --format markdown, html or json/u);
    const missing = await runCli(['compare', FILE_A, path.join(DIRECTORY, 'nope.txt'), '--exec', 'node -e 0'], {
      env: { SPEX_CACHE_DIR: path.join(DIRECTORY, 'cache') },
    });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such file: .*nope\.txt/u);
  });
});
