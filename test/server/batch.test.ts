import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BatchResult } from '../../server/cli/batchCommand';
import { BRIDGE_PLANTED, startFakeModelServer, type FakeModelServer } from '../fixtures/fakeModelServer';
import { runCli, type CliResult } from '../helpers/runCli';

/**
 * The template's spans: Alpha raises the answer alone (+1.5), Beta and Gamma only together (+2). The
 * fifth input's question mentions gamma itself (pinned, so always present): under it Beta carries the
 * pair's +2 alone and the template's Gamma sentence nothing, the behaviour the batch must single out.
 */
const TEMPLATE = 'Alpha opens. Beta follows. {{question}} Gamma joins. Filler one.';
const INPUTS = [
  { question: 'Who built the bridge?' },
  { question: 'When did it open?' },
  { question: 'How long is it?' },
  { question: 'Where does it stand?' },
  { question: 'Was gamma there?' },
];

const DIRECTORY = mkdtempSync(path.join(tmpdir(), 'spex-batch-'));
const TEMPLATE_FILE = path.join(DIRECTORY, 'template.txt');
const INPUTS_FILE = path.join(DIRECTORY, 'inputs.jsonl');

describe('spex batch: a template across a data set', () => {
  let fake: FakeModelServer;
  const batch = (args: string[]): Promise<CliResult> =>
    runCli(['batch', TEMPLATE_FILE, '--backend', 'openai', '--endpoint', fake.openaiBaseURL, '--index', 'mobius', ...args], {
      env: { SPEX_CACHE_DIR: path.join(DIRECTORY, 'cache') },
      hungAfterMs: 120_000,
    });

  before(async () => {
    fake = await startFakeModelServer(BRIDGE_PLANTED);
    writeFileSync(TEMPLATE_FILE, TEMPLATE);
    writeFileSync(INPUTS_FILE, `${INPUTS.map((input) => JSON.stringify(input)).join('\n')}\n`);
  });
  after(async () => {
    await fake.close();
    rmSync(DIRECTORY, { recursive: true, force: true });
  });

  it('aggregates the spans over five inputs as a hand computation does, and finds the input that behaves differently', async () => {
    const result = await batch(['--inputs', INPUTS_FILE, '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as BatchResult;
    assert.deepEqual(report.template.placeholders, ['question']);
    assert.equal(report.inputs.length, 5);
    // The questions are pinned: the features are the template's own four sentences, the same for every input.
    for (const { explanation } of report.inputs) {
      assert.deepEqual(
        explanation.features.map((feature) => feature.text),
        ['Alpha opens.', 'Beta follows.', 'Gamma joins.', 'Filler one.'],
      );
    }
    const [alpha, beta, gamma, filler] = report.aggregate.spans;
    const close = (actual: number | undefined, expected: number): boolean => Math.abs((actual ?? Number.NaN) - expected) < 1e-6;
    assert.ok(close(alpha?.mean, 1.5) && close(alpha?.spread, 0), JSON.stringify(alpha));
    // Beta: 1 (half the pair) under four inputs, 2 under the fifth; Gamma the other way round.
    assert.ok(
      close(beta?.mean, 1.2) && close(beta?.spread, Math.sqrt(0.2)) && close(beta?.min, 1) && close(beta?.max, 2),
      JSON.stringify(beta),
    );
    assert.ok(close(gamma?.mean, 0.8) && close(gamma?.min, 0) && close(gamma?.max, 1), JSON.stringify(gamma));
    assert.ok(close(filler?.mean, 0));
    assert.equal(beta?.inTopInteractions, 4);
    assert.deepEqual(
      report.aggregate.interactions.map((term) => [term.features, term.kind, term.inputs]),
      [[[1, 2], 'synergy', 4]],
    );
    assert.ok(close(report.aggregate.interactions[0]?.mean, 2));
    assert.equal(report.aggregate.outliers.length, 1);
    assert.equal(report.aggregate.outliers[0]?.line, 5);
    assert.match(result.stderr, /input 5\/5 \(line 5\)/u);
  });

  it('writes Markdown and CSV tables, and reuses every stored call when run again', async () => {
    const markdown = await batch(['--inputs', INPUTS_FILE]);
    assert.equal(markdown.code, 0, markdown.stderr);
    assert.match(markdown.stdout, /\| \[2\] \| \+1\.20 \| 0\.447 \| \+1\.00 … \+2\.00 \| 4 of 5 \| Beta follows\. \|/u);
    assert.match(markdown.stdout, /\| \[2\]\+\[3\] \| synergy \| 4 of 5 \| \+2\.00 \|/u);
    assert.match(markdown.stdout, /- Line 5: \[2\] “Beta follows\.” \+0\.800 from its mean/u);
    assert.match(markdown.stdout, /- Calls: 0 model, \d+ cached/u, 'the rerun pays for nothing');
    const html = await batch(['--inputs', INPUTS_FILE, '--format', 'html']);
    assert.match(html.stdout, /<tr><td>\[2\]<\/td><td class="r">\+1\.20<\/td>/u);
    assert.doesNotMatch(html.stdout, /<script/u);
    const csv = await batch(['--inputs', INPUTS_FILE, '--format', 'csv']);
    assert.equal(csv.stdout.split('\r\n')[0], 'span,mean,spread,min,max,in_top,text');
    assert.match(csv.stdout, /\r\n2,1\.2,0\.447\d*,1,2,4,Beta follows\.\r\n/u);
  });

  it('skips a broken inputs line and says which, or stops on it; names a placeholder the inputs lack', async () => {
    const broken = path.join(DIRECTORY, 'broken.jsonl');
    writeFileSync(
      broken,
      `${JSON.stringify(INPUTS[0])}\n{"question": oops}\n${JSON.stringify({ query: 'x' })}\n${JSON.stringify(INPUTS[1])}\n`,
    );
    const skipped = await batch(['--inputs', broken, '--format', 'json']);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stderr, /inputs line 2 skipped: not JSON/u);
    assert.match(skipped.stderr, /inputs line 3 skipped: no "question" for the template's \{\{question\}\} \(this line has "query"\)/u);
    assert.deepEqual(
      (JSON.parse(skipped.stdout) as BatchResult).skipped.map((entry) => entry.line),
      [2, 3],
    );
    const stopped = await batch(['--inputs', broken, '--on-broken', 'stop']);
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, /Inputs line 2: not JSON/u);
    writeFileSync(path.join(DIRECTORY, 'bad-template.txt'), 'Alpha opens. {{ question');
    const badTemplate = await runCli(['batch', path.join(DIRECTORY, 'bad-template.txt'), '--inputs', INPUTS_FILE, '--exec', 'node -e 0'], {
      env: { SPEX_CACHE_DIR: path.join(DIRECTORY, 'cache') },
    });
    assert.equal(badTemplate.code, 1);
    assert.match(badTemplate.stderr, /A "\{\{" at line 1, column 14 opens no placeholder/u);
    const noInputs = await runCli(['batch', TEMPLATE_FILE, '--exec', 'node -e 0']);
    assert.equal(noInputs.code, 2);
    assert.match(noInputs.stderr, /spex batch needs the inputs: --inputs data\.jsonl/u);
  });
});
