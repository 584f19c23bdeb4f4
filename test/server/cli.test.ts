import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Explanation } from '../../protocol/explanation';
import { repoPath } from '../helpers/paths';

const CLI = repoPath('dist', 'cli.js');
/** Every run of this file shares one fresh cache directory, never the user's. */
const CACHE = mkdtempSync(path.join(tmpdir(), 'spex-cli-cache-'));
after(() => rmSync(CACHE, { recursive: true, force: true }));

function runCli(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first.`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: repoPath(),
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, SPEX_CACHE_DIR: CACHE },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** A loopback port nothing listens on: bound by the system, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const EXAMPLE = [
  'examples/rag-context.md',
  '--exec',
  'node examples/offline-scorer.mjs',
  '--granularity',
  'paragraph',
  '--pin',
  'Question:[^\\n]*',
];

describe('spex CLI', () => {
  it('finds the interactions planted in the offline example scorer', async () => {
    const { code, stdout, stderr } = await runCli([
      'explain',
      ...EXAMPLE,
      '--format',
      'json',
      '--top',
      '0',
      '--index',
      'mobius',
      '--order',
      '6',
    ]);
    assert.equal(code, 0, stderr);
    const explanation = JSON.parse(stdout) as Explanation;
    assert.equal(explanation.features.length, 6);
    assert.equal(explanation.calls.masks, 64);
    assert.equal(explanation.algorithm.name, 'exact');
    // Exact recovery scores every mask in one go: one sampling round of all 64.
    assert.deepEqual(
      explanation.sampling?.rounds.map((round) => round.masks),
      [64],
    );
    const value = (features: number[]): number | undefined =>
      explanation.interactions.find((term) => term.features.join() === features.join())?.value;
    // Planted in examples/offline-scorer.mjs: documents 1 and 3 in synergy, 2 and 4 redundant.
    assert.ok(Math.abs((value([0, 2]) ?? 0) - 2.4) < 1e-9);
    assert.ok(Math.abs((value([1, 3]) ?? 0) + 2.5) < 1e-9);
    assert.equal(value([5]), undefined, 'the irrelevant document has no effect');
    assert.ok(Math.abs(explanation.fullValue + 2.8) < 1e-9);
    assert.equal(explanation.emptyValue, -9);
  });

  it('writes a Markdown report naming the synergy and the redundancy', async () => {
    const { code, stdout } = await runCli(['explain', ...EXAMPLE, '--index', 'mobius']);
    assert.equal(code, 0);
    assert.match(stdout, /\| 2 \| 2\.4000 \| synergy \| \[0\] “\\\[1\\\] The Mira bridge/u);
    assert.match(stdout, /\| 2 \| -2\.5000 \| redundancy \|/u);
  });

  it('finds planted word interactions among 60 words with ProxySPEX through an exec scorer', async () => {
    const filler = Array.from(
      { length: 55 },
      (_, i) => `w${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`,
    );
    const words = [
      ...filler.slice(0, 10),
      'alpha',
      ...filler.slice(10, 25),
      'beta',
      'gamma',
      ...filler.slice(25, 40),
      'delta',
      ...filler.slice(40),
      'omega',
    ];
    const { code, stdout, stderr } = await runCli(
      [
        'explain',
        '-',
        '--exec',
        'node test/fixtures/scorers/wordScorer.mjs',
        '--granularity',
        'word',
        '--budget',
        '800',
        '--index',
        'mobius',
        '--format',
        'json',
        '--top',
        '4',
      ],
      words.join(' '),
    );
    assert.equal(code, 0, stderr);
    const explanation = JSON.parse(stdout) as Explanation;
    assert.equal(explanation.features.length, 60);
    assert.equal(explanation.algorithm.name, 'proxyspex');
    assert.ok(explanation.calls.model <= 802);
    const named = explanation.interactions.map((term) => [
      term.features.map((index) => explanation.features[index]?.text).join('+'),
      Math.round(term.value * 1000) / 1000,
    ]);
    assert.deepEqual(named, [
      ['beta+gamma', 2],
      ['delta+omega', -1.8],
      ['alpha', 1.5],
      ['omega', 0.7],
    ]);
    assert.ok((explanation.faithfulness.r2 ?? 0) > 0.999);
    // Anytime sampling: the rounds, each checked on masks it was not fit on, and why it stopped.
    const sampling = explanation.sampling;
    assert.ok(sampling);
    assert.equal(sampling.budget, 800);
    assert.ok(sampling.rounds.length >= 2);
    assert.equal(sampling.rounds[0]?.freshR2, null);
    assert.equal(sampling.rounds[sampling.rounds.length - 1]?.masks, explanation.calls.masks - 1);
    assert.match(sampling.stoppedBecause, /predicted \d+ fresh masks with R² 1\.0000|spent the budget/u);
  });

  it('stops sampling at the target R² it is given, and says so in the report', async () => {
    const words = Array.from({ length: 40 }, (_, i) => (i === 7 ? 'alpha' : i === 20 ? 'beta' : i === 21 ? 'gamma' : `w${i}`));
    const args = ['explain', '-', '--exec', 'node test/fixtures/scorers/wordScorer.mjs', '--granularity', 'word', '--budget', '2000'];
    const loose = await runCli([...args, '--target-r2', '0.5', '--format', 'json'], words.join(' '));
    assert.equal(loose.code, 0, loose.stderr);
    const explanation = JSON.parse(loose.stdout) as Explanation;
    // Rounds of 250 and 500 masks (doubling towards the budget): the second round's new masks were
    // predicted with R² ≥ 0.5 by the first round's fit, so sampling stopped with 1,500 calls unspent.
    assert.deepEqual(
      explanation.sampling?.rounds.map((round) => round.masks),
      [250, 500],
    );
    assert.match(explanation.sampling?.stoppedBecause ?? '', /fresh masks with R² [\d.]+ ≥ 0\.5/u);
    const report = await runCli([...args, '--target-r2', '0.5'], words.join(' '));
    assert.match(report.stdout, /- Sampling: [\d,]+ of 2,000 masks in \d+ rounds; R² on each round's new masks [\d.]+/u);
    for (const bad of [['--target-r2', '0'], ['--target-r2', '1.5'], ['--plateau=-0.1'], ['--plateau', 'x']]) {
      const refused = await runCli([...args, ...bad], words.join(' '));
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, new RegExp(`${(bad[0] as string).split('=')[0] as string} must be a number`, 'u'));
    }
  });

  it('reads standard input and segments it', async () => {
    const { code, stdout } = await runCli(['segment', '-', '--granularity', 'word'], 'Hello, wide world!');
    assert.equal(code, 0);
    const { features } = JSON.parse(stdout) as { features: { text: string }[] };
    assert.deepEqual(
      features.map((feature) => feature.text),
      ['Hello,', 'wide', 'world!'],
    );
  });

  it('exits 2 with the usage text on a usage error', async () => {
    const { code, stderr } = await runCli(['explain', 'examples/rag-context.md', '--backend', 'exec']);
    assert.equal((await runCli(['explain', 'x', '--exec', 'y', '--algorithm', 'magic'])).code, 2);
    assert.equal((await runCli(['explain', 'x', '--exec', 'y', '--index', 'lime'])).code, 2);
    assert.equal((await runCli(['explain', 'x', '--exec', 'y', '--budget', '-3'])).code, 2);
    assert.equal(code, 2);
    assert.match(stderr, /--backend exec needs a scorer: --exec/u);
    assert.match(stderr, /Usage:/u);
    assert.equal((await runCli(['explain', '--bogus'])).code, 2);
    assert.equal((await runCli(['explain', 'x', '--exec', 'y', '--granularity', 'chapter'])).code, 2);
  });

  it('exits 1 with a clear message when the input is missing or the scorer fails', async () => {
    const missing = await runCli(['explain', 'no-such-file.md', '--exec', 'node examples/offline-scorer.mjs']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such file: no-such-file\.md/u);
    const crash = await runCli([
      'explain',
      'examples/rag-context.md',
      '--exec',
      'node test/fixtures/scorers/fakeScorer.mjs crash',
      '--granularity',
      'paragraph',
    ]);
    assert.equal(crash.code, 1);
    assert.match(crash.stderr, /exited with code 3/u);
  });

  it('explains in one paragraph what to do when no Ollama answers, and exits 1', async () => {
    const port = await closedPort();
    const { code, stderr } = await runCli(['explain', 'examples/rag-context.md', '--endpoint', `http://127.0.0.1:${port}`]);
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`Nothing answered at http://127\\.0\\.0\\.1:${port}`, 'u'));
    assert.match(stderr, /ollama pull llama3\.2:1b/u);
    assert.match(stderr, /the exec backend with "node examples\/offline-scorer\.mjs"/u);
  });

  it('prints its version', async () => {
    const { code, stdout } = await runCli(['--version']);
    assert.equal(code, 0);
    assert.match(stdout, /^\d+\.\d+\.\d+\n$/u);
  });
});
