import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Explanation } from '../../protocol/explanation';
import { repoPath } from '../helpers/paths';
import { CLI_PATH, runCli as runBuiltCli, type CliResult } from '../helpers/runCli';
import { waitFor } from '../helpers/waitFor';
import { saturatingValue } from '../helpers/saturatingValue';
import { rSquared } from '../../server/recovery/expansion';
import { uniformMask } from '../../server/recovery/masks';
import { seededRandom } from '../../server/recovery/random';
import { explanationModel } from '../../webview/model/explanationModel';

/** Every run of this file shares one fresh cache directory, never the user's. */
const CACHE = mkdtempSync(path.join(tmpdir(), 'spex-cli-cache-'));
after(() => rmSync(CACHE, { recursive: true, force: true }));

/** How long any one run may take before it counts as hung (generous: the machine is shared). */
const HUNG_AFTER_MS = 60_000;

/** Runs the CLI with this file's cache; a run still going after HUNG_AFTER_MS is killed and reported as hung. */
async function runCli(args: string[], input?: string): Promise<CliResult> {
  const result = await runBuiltCli(args, {
    env: { SPEX_CACHE_DIR: CACHE },
    ...(input === undefined ? {} : { input }),
    hungAfterMs: HUNG_AFTER_MS,
  });
  assert.ok(!result.hung, `spex ${args.join(' ')} was still running after ${HUNG_AFTER_MS} ms`);
  return result;
}

/** Asserts a refusal the way the CLI promises it: the exit code, one line on stderr, no stack trace. */
function assertOneLine(result: CliResult, code: number, message: RegExp): void {
  assert.equal(result.code, code, result.stderr);
  assert.match(result.stderr, message);
  assert.equal(result.stderr.trimEnd().split('\n').length, 1, `one line, not: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at |Error:/u);
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
    assert.match(stdout, /\| 2 \| 2\.4000 \| synergy \| \[1\] “\\\[1\\\] The Mira bridge/u);
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
    // Every mask scored is one the recovery asked for: the anchors (the full and the empty prompt) among them.
    assert.equal(sampling.rounds[sampling.rounds.length - 1]?.masks, explanation.calls.masks);
    assert.match(sampling.stoppedBecause, /predicted \d+ fresh masks with R² 1\.0000|masks the budget allows/u);
  });

  it('fits a score declared bounded with --value-range on a link scale, and predicts what-ifs through it', async () => {
    const text = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const args = ['explain', '-', '--exec', 'node test/fixtures/scorers/saturatingScorer.mjs', '--granularity', 'word'];
    const common = [...args, '--budget', '400', '--max-order', '3', '--format', 'json', '--top', '0'];
    const bounded = await runCli([...common, '--value-range', '-1:1'], text);
    const plain = await runCli(common, text);
    assert.equal(bounded.code, 0, bounded.stderr);
    assert.equal(plain.code, 0, plain.stderr);
    const linked = JSON.parse(bounded.stdout) as Explanation;
    const unlinked = JSON.parse(plain.stdout) as Explanation;
    assert.equal(unlinked.linkScale, undefined);
    const scale = linked.linkScale;
    assert.ok(scale, 'the explanation carries the link-scale surrogate');
    assert.deepEqual([scale.min, scale.max, scale.link], [-1, 1, 'algebraic']);
    assert.ok(scale.fidelity > 0.8 && scale.fidelity <= 1, `fidelity ${scale.fidelity}`);
    // The panel's surrogate (the same model code) against the planted value on fresh masks.
    const random = seededRandom(31);
    const masks = Array.from({ length: 1000 }, () => uniformMask(40, random));
    const truth = Float64Array.from(masks, saturatingValue);
    const r2Of = (explanation: Explanation): number => {
      const surrogate = explanationModel(explanation).surrogate;
      assert.ok(surrogate);
      return rSquared(truth, surrogate.evaluateMany(masks));
    };
    const linkedR2 = r2Of(linked);
    const plainR2 = r2Of(unlinked);
    assert.ok(
      linkedR2 > 0.99 && 1 - linkedR2 < 0.25 * (1 - plainR2),
      `R² ${linkedR2.toFixed(4)} with the range, ${plainR2.toFixed(4)} without`,
    );
    assertOneLine(await runCli([...args, '--value-range', '1:0'], text), 2, /--value-range takes MIN:MAX with MIN below MAX/u);
    // A range the scores do not keep to is said, not silently used.
    const wrong = await runCli([...common, '--value-range', '0:0.5'], text);
    assert.equal(wrong.code, 0, wrong.stderr);
    assert.match(
      (JSON.parse(wrong.stdout) as Explanation).algorithm.reason,
      /\d+ of \d+ scored values lie outside the declared range 0…0\.5/u,
    );
    assert.doesNotMatch(linked.algorithm.reason, /outside the declared range/u);
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
    // The noise probe's two repeats of the full prompt are paid from the budget too.
    assert.match(
      report.stdout,
      /- Sampling: [\d,]+ masks and 2 repeats of the full prompt \\\(noise floor\\\) of a budget of 2,000, in \d+ rounds; R² on each round's new masks [\d.]+/u,
    );
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

  it('exits 2 with one line naming the mistake on a usage error', async () => {
    assertOneLine(
      await runCli(['explain', 'examples/rag-context.md', '--backend', 'exec']),
      2,
      /^spex: --backend exec needs a scorer: --exec/u,
    );
    assertOneLine(await runCli(['explain', 'x', '--exec', 'y', '--index', 'lime']), 2, /--index must be one of fourier, .*; got "lime"/u);
    assertOneLine(await runCli(['explain', '--bogus']), 2, /Unknown option --bogus\. Run "spex explain --help" for the options\./u);
    assertOneLine(await runCli(['explain', 'x', '--exec', 'y', '--granularity', 'chapter']), 2, /--granularity must be/u);
    assertOneLine(await runCli(['explain', 'x', '--exec', 'y', '--target']), 2, /--target needs a value\./u);
    assertOneLine(await runCli(['frobnicate']), 2, /Unknown command "frobnicate"/u);
  });

  it('names auto among the choices of --algorithm and --value', async () => {
    assertOneLine(
      await runCli(['explain', 'x', '--exec', 'y', '--algorithm', 'magic']),
      2,
      /--algorithm must be one of auto, exact, proxyspex, spex; got "magic"\./u,
    );
    assertOneLine(
      await runCli(['explain', 'x', '--exec', 'y', '--value', 'x']),
      2,
      /--value must be one of auto, logprob, label, similarity; got "x"\./u,
    );
  });

  it('reads a negative number as the value of the option before it, and says what the range is', async () => {
    const cases: [string, string, RegExp][] = [
      ['--budget', '-5', /--budget must be a whole number from 1 to 10000000; got -5\./u],
      ['--top', '-1', /--top must be a whole number from 0 to 1000000; got -1\./u],
      ['--seed', '-7', /--seed must be a whole number from 0 to 4294967295; got -7\./u],
      ['--plateau', '-0.5', /--plateau must be a number from 0 to 1; got -0\.5\./u],
      ['--timeout', '-100', /--timeout must be a whole number from 1 to 86400000; got -100\./u],
      ['--retries', '-2', /--retries must be a whole number from 0 to 100; got -2\./u],
      ['--threads', '-4', /--threads must be a whole number from 0 to 1024; got -4\./u],
    ];
    for (const [flag, value, message] of cases) {
      assertOneLine(await runCli(['explain', 'examples/rag-context.md', '--exec', 'y', flag, value]), 2, message);
      assertOneLine(await runCli(['explain', 'examples/rag-context.md', '--exec', 'y', `${flag}=${value}`]), 2, message);
    }
  });

  it('shows each command its own help', async () => {
    const explain = await runCli(['explain', '--help']);
    assert.equal(explain.code, 0);
    assert.match(explain.stdout, /^Usage: spex explain \[FILE\|-\] \[options\]\n/u);
    assert.match(explain.stdout, /--budget N/u);
    const segment = await runCli(['segment', '--help']);
    assert.match(segment.stdout, /^Usage: spex segment \[FILE\|-\] \[options\]\n/u);
    assert.doesNotMatch(segment.stdout, /--budget/u);
    const overview = await runCli(['--help']);
    assert.match(overview.stdout, /^Usage:\n {2}spex explain/u);
  });

  it('refuses a folder as input or as --output before any model call, in one line', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'spex-cli-folder-'));
    try {
      assertOneLine(await runCli(['explain', folder, '--exec', 'y']), 1, new RegExp(`${folder} is a folder, not a file`, 'u'));
      assertOneLine(await runCli(['segment', folder]), 1, /is a folder, not a file/u);
      // The scorer would crash at its first request: the --output check comes first.
      const crash = 'node test/fixtures/scorers/fakeScorer.mjs crash';
      assertOneLine(
        await runCli(['explain', 'examples/rag-context.md', '--exec', crash, '--output', folder]),
        2,
        /--output .* is a folder; name the report file/u,
      );
      assertOneLine(
        await runCli(['explain', 'examples/rag-context.md', '--exec', crash, '--output', path.join(folder, 'no-such-folder', 'r.md')]),
        2,
        /--output .* cannot be written: No such file or folder/u,
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('refuses a file as --cache in one line, and says once that it skipped a damaged cache line', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'spex-cli-cache-check-'));
    try {
      const file = path.join(folder, 'not-a-folder');
      writeFileSync(file, 'x');
      assertOneLine(await runCli(['explain', ...EXAMPLE, '--cache', file]), 1, /is a file, not a directory/u);
      const cache = path.join(folder, 'cache');
      assert.equal((await runCli(['explain', ...EXAMPLE, '--cache', cache, '--quiet'])).code, 0);
      appendFileSync(path.join(cache, 'calls-v1.jsonl'), 'a torn line\n');
      const rerun = await runCli(['explain', ...EXAMPLE, '--cache', cache, '--quiet']);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.match(rerun.stderr, /^spex: The call cache .* had 1 damaged line .* skipped and removed/u);
      assert.equal(rerun.stderr.trimEnd().split('\n').length, 1, rerun.stderr);
      // All 64 masks and the noise probe's two repeats of the full prompt (the third score is the full mask's own).
      assert.match(rerun.stdout, /Calls: 0 model, 66 cached, 64 masks/u);
      const third = await runCli(['explain', ...EXAMPLE, '--cache', cache, '--quiet']);
      assert.equal(third.stderr, '', 'the damaged line was removed, so it is told once');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('shows a stack trace with --debug, and only then', async () => {
    const plain = await runCli(['explain', 'examples', '--exec', 'y']);
    assert.doesNotMatch(plain.stderr, /\n\s+at /u);
    const debug = await runCli(['explain', 'examples', '--exec', 'y', '--debug']);
    assert.equal(debug.code, 1);
    assert.match(debug.stderr, /^spex: .*is a folder, not a file.*\n.*Error[\s\S]*\n\s+at /u);
  });

  it('refuses endpoint URLs with a key in them, without repeating the key', async () => {
    const secret = 'sk-cli-SECRET-5678';
    for (const [endpoint, where] of [
      [`http://127.0.0.1:9/v1?api_key=${secret}`, 'a query'],
      [`http://127.0.0.1:9/v1#token=${secret}`, 'a fragment'],
      [`http://me:${secret}@127.0.0.1:9/v1`, 'credentials'],
      [secret, 'an http'],
    ] as const) {
      const result = await runCli(['explain', 'examples/rag-context.md', '--backend', 'openai', '--endpoint', endpoint]);
      assertOneLine(result, 2, new RegExp(`--endpoint (must not carry|must be) ${where}.*--api-key-env`, 'u'));
      assert.ok(!result.stderr.includes(secret));
    }
  });

  it('exits promptly with one line when the scorer never answers nor exits, also with --dry-run', async () => {
    for (const extra of [[], ['--dry-run']]) {
      const result = await runCli([
        'explain',
        'examples/rag-context.md',
        '--exec',
        'sleep 1000',
        '--timeout',
        '1000',
        '--no-cache',
        ...extra,
      ]);
      assertOneLine(result, 1, /^spex: The scorer gave no answer to request 1 within 1000 ms \(the timeout\), so it was stopped\.$/mu);
    }
  });

  it('says in one line what a misbehaving scorer wrote', async () => {
    const cases: [string, RegExp][] = [
      ['infinite', /answered request \d+ without a finite number as its value: \{"id": \d+, "value": 1e999\}/u],
      ['bare', /wrote 0\.44, which is not an answer/u],
      ['duplicate', /answered request \d+ twice/u],
    ];
    for (const [mode, message] of cases) {
      const result = await runCli([
        'explain',
        'examples/rag-context.md',
        '--granularity',
        'paragraph',
        '--exec',
        `node test/fixtures/scorers/fakeScorer.mjs ${mode}`,
        '--no-cache',
      ]);
      assertOneLine(result, 1, message);
    }
  });

  it('says it is waiting for standard input when that is a terminal', { skip: process.platform !== 'linux' }, async () => {
    // script(1) gives the CLI a pseudo-terminal as stdin; Ctrl-D then ends the (empty) input.
    const child = spawn('script', ['-qec', `"${process.execPath}" "${CLI_PATH}" segment`, '/dev/null'], { cwd: repoPath(), stdio: 'pipe' });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    try {
      await waitFor('the waiting notice', () => (output.includes('from standard input') ? true : undefined), 20_000);
      assert.match(output, /spex: reading the text to segment from standard input; end it with Ctrl-D/u);
    } finally {
      child.stdin.end('\u0004');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await new Promise((resolve) => child.once('exit', resolve));
      clearTimeout(timer);
    }
  });

  it('exits 1 with a clear message when the input is missing or the scorer fails', async () => {
    const missing = await runCli(['explain', 'no-such-file.md', '--exec', 'node examples/offline-scorer.mjs']);
    assertOneLine(missing, 1, /^spex: No such file: no-such-file\.md\.$/mu);
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
