import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { describeTokens, type Explanation } from '../../protocol/explanation';
import { repoPath } from '../helpers/paths';
import { CLI_PATH, runCli, type CliResult } from '../helpers/runCli';
import { STORY, TINY_MODEL_PATH, tinyModelSkip } from './tinyModel';

const scratch = mkdtempSync(path.join(tmpdir(), 'spex-llama-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a copy of the bundled CLI from a folder with no node_modules above it: node-llama-cpp cannot be found there. */
function runDetachedCli(args: readonly string[], input: string): Promise<CliResult> {
  const copy = path.join(scratch, 'cli.js');
  copyFileSync(CLI_PATH, copy);
  // The recovery worker thread the CLI starts lives beside it.
  copyFileSync(path.join(path.dirname(CLI_PATH), 'recoveryWorker.js'), path.join(scratch, 'recoveryWorker.js'));
  return runCli(args, { input, cliPath: copy, cwd: scratch });
}

describe('spex explain --backend llama', { skip: tinyModelSkip() }, () => {
  it('explains a story end to end with the exact log-probability of the answer', async () => {
    const result = await runCli(
      ['explain', '-', '--backend', 'llama', '--model', TINY_MODEL_PATH, '--format', 'json', '--no-cache', '--budget', '64'],
      { input: STORY },
    );
    assert.equal(result.code, 0, result.stderr);
    const explanation = JSON.parse(result.stdout) as Explanation;
    assert.equal(explanation.valueFunction.name, 'logprob');
    assert.match(explanation.valueFunction.reason, /exact log-probability/u);
    assert.match(explanation.model, /^llama .*stories260K\.gguf \(in-process llama\.cpp, raw prompt\)$/u);
    assert.ok(explanation.target && explanation.target.length > 0);
    assert.equal(explanation.features.length, 10);
    assert.equal(explanation.noiseFloor, 0, 'temperature 0 and exact scoring: repeated scores agree');
    // Every prompt the model scored is counted, with reuse below evaluating each whole and at or above the ideal.
    const tokens = explanation.calls.tokens;
    assert.ok(tokens, 'the llama backend counts the tokens it evaluates');
    assert.equal(tokens.prompts, explanation.calls.model);
    assert.ok(tokens.ideal <= tokens.evaluated && tokens.evaluated < tokens.whole, JSON.stringify(tokens));
    assert.ok(result.stderr.includes(`; ${describeTokens(tokens)}\n`), result.stderr);
  });

  it('refuses --endpoint, which does not apply to an in-process model', async () => {
    const result = await runCli(['explain', '-', '--backend', 'llama', '--model', TINY_MODEL_PATH, '--endpoint', 'http://127.0.0.1:1'], {
      input: STORY,
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /not --endpoint/u);
  });

  it('says how to install node-llama-cpp where it is missing, while the other backends keep working', async () => {
    const llama = await runDetachedCli(['explain', '-', '--backend', 'llama', '--model', TINY_MODEL_PATH], STORY);
    assert.equal(llama.code, 1);
    assert.match(llama.stderr, /^spex: The llama backend runs GGUF models inside SPEX through the npm package node-llama-cpp 3\.21\.1/u);
    assert.match(llama.stderr, /npm install node-llama-cpp@3\.21\.1/u);
    const exec = await runDetachedCli(
      ['explain', '-', '--exec', `node ${repoPath('examples', 'offline-scorer.mjs')}`, '--no-cache', '--format', 'json'],
      'Alpha opens. Beta follows.',
    );
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal((JSON.parse(exec.stdout) as Explanation).features.length, 2);
  });
});
