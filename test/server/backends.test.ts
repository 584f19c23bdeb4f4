import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Explanation } from '../../protocol/explanation';
import { BRIDGE_PLANTED, faultsFrom, type FakeModelOptions, type FakeModelServer } from '../fixtures/fakeModelServer';
import { useFakeServers } from '../helpers/fakeServers';
import { runCli } from '../helpers/runCli';
import { waitFor } from '../helpers/waitFor';

/** Eight sentences; five carry the trigger words of the planted terms below. */
const PROMPT = [
  'Alpha opens.',
  'Beta follows.',
  'Gamma joins.',
  'Delta waits.',
  'Omega ends.',
  'Filler one.',
  'Filler two.',
  'Filler three.',
].join(' ');

/** f = −9 + 1.5·[alpha] + 2·[beta ∧ gamma] − 1.8·[delta ∧ omega] + 0.7·[omega]: Möbius terms over sentences. */
const PLANTED: Pick<FakeModelOptions, 'terms' | 'baseLogprob' | 'answer'> = {
  ...BRIDGE_PLANTED,
  terms: [...(BRIDGE_PLANTED.terms ?? []), { words: ['omega'], value: 0.7 }],
};

const { fake, freshCache } = useFakeServers(PLANTED, 'spex-backends-');

/** Explains PROMPT exactly (2^8 masks fit the budget) and returns the Möbius terms by sentence words. */
async function explain(args: string[], input = PROMPT): Promise<{ explanation: Explanation; terms: Map<string, number> }> {
  const result = await runCli(
    ['explain', '-', '--index', 'mobius', '--order', '3', '--top', '0', '--format', 'json', '--budget', '300', ...args],
    { input },
  );
  assert.equal(result.code, 0, result.stderr);
  const explanation = JSON.parse(result.stdout) as Explanation;
  const terms = new Map<string, number>();
  for (const term of explanation.interactions) {
    const name = term.features.map((index) => explanation.features[index]?.text.split(' ')[0]?.toLowerCase()).join('+');
    terms.set(name, term.value);
  }
  return { explanation, terms };
}

function assertPlanted(terms: Map<string, number>, scale = 1): void {
  const close = (name: string, expected: number): void =>
    assert.ok(Math.abs((terms.get(name) ?? 0) - expected * scale) < 1e-6, `${name}: ${terms.get(name)} ≠ ${expected * scale}`);
  close('alpha', 1.5);
  close('beta+gamma', 2);
  close('delta+omega', -1.8);
  close('omega', 0.7);
  close('beta', 0);
  close('filler', 0);
}

describe('backends against a fake model server, through the real clients', () => {
  it('Ollama: walks the answer greedily, one request per mask where the model keeps to it, and finds the planted interactions', async () => {
    const server = await fake();
    const { explanation, terms } = await explain(['--backend', 'ollama', '--endpoint', server.url, '--cache', freshCache()]);
    assertPlanted(terms);
    assert.equal(explanation.valueFunction.name, 'logprob');
    assert.match(explanation.valueFunction.reason, /greedy walk/u);
    // The planted model always answers with the explained answer: no divergence, one request per mask.
    assert.equal(explanation.calls.requests, explanation.calls.model);
    assert.equal(explanation.calls.bounded, 0);
    const chats = server.requests.filter((request) => request.path === '/api/chat').length;
    // Besides one per mask: the answer to the full prompt and the check that the server continues a forced prefix.
    assert.equal(chats, explanation.calls.model + 2, `${chats} chat requests`);
    assert.equal(explanation.target, PLANTED.answer);
    assert.match(explanation.model, /^ollama fake-llm:1b at /u);
    assert.equal(explanation.algorithm.name, 'exact');
    assert.equal(explanation.noiseFloor, 0);
  });

  it('OpenAI-compatible: uses echoed prompt log-probabilities, one call per mask', async () => {
    const server = await fake();
    const { explanation, terms } = await explain(['--backend', 'openai', '--endpoint', server.openaiBaseURL, '--cache', freshCache()]);
    assertPlanted(terms);
    assert.match(explanation.valueFunction.reason, /echoes prompt log-probabilities/u);
    const echoed = server.requests.filter(
      (request) => request.path === '/v1/completions' && (request.body as { echo?: boolean }).echo === true,
    ).length;
    assert.ok(echoed >= 256 && echoed <= 256 + 10, `${echoed} echo requests`);
  });

  it('OpenAI-compatible without echo: falls back to token-by-token log-probabilities', async () => {
    const server = await fake({ echo: false });
    const { explanation, terms } = await explain(['--backend', 'openai', '--endpoint', server.openaiBaseURL, '--cache', freshCache()]);
    assertPlanted(terms);
    assert.match(explanation.valueFunction.reason, /generated tokens only/u);
  });

  it('an Ollama without log-probabilities: chooses embedding similarity and says to upgrade', async () => {
    const server = await fake({ logprobs: false, ollamaVersion: '0.11.4', similarityMode: true });
    const { explanation, terms } = await explain(['--backend', 'ollama', '--endpoint', server.url, '--cache', freshCache()]);
    assert.equal(explanation.valueFunction.name, 'similarity');
    assert.match(explanation.valueFunction.reason, /Ollama 0\.11\.4 predates log-probabilities; upgrade to 0\.12\.11/u);
    // Similarity is a different, graded measure; the strongest planted effects still lead.
    const ranked = [...terms].filter(([name]) => name !== '').sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
    assert.ok(ranked.slice(0, 3).some(([name]) => name === 'beta+gamma' || name === 'alpha'));
  });

  it('label value: the log-probability of a given first token', async () => {
    const server = await fake({ answer: ' Yes', baseLogprob: -5 });
    const { explanation, terms } = await explain([
      '--backend',
      'ollama',
      '--endpoint',
      server.url,
      '--value',
      'label',
      '--target',
      'Yes',
      '--cache',
      freshCache(),
    ]);
    assert.equal(explanation.valueFunction.name, 'label');
    assertPlanted(terms);
  });

  it('spreads the calls of a pool over every endpoint', async () => {
    const first = await fake();
    const second = await fake();
    const { terms } = await explain([
      '--backend',
      'openai',
      '--endpoint',
      first.openaiBaseURL,
      '--endpoint',
      second.openaiBaseURL,
      '--concurrency',
      '2',
      '--cache',
      freshCache(),
    ]);
    assertPlanted(terms);
    assert.ok(first.requestCount('/v1/completions') > 20 && second.requestCount('/v1/completions') > 20);
  });

  it('reuses every stored call on a second identical run: no model calls', async () => {
    const server = await fake();
    const cache = freshCache();
    const args = ['--backend', 'openai', '--endpoint', server.openaiBaseURL, '--cache', cache];
    const first = await explain(args);
    const before = server.requestCount();
    const second = await explain(args);
    assert.equal(second.explanation.calls.model, 0);
    assert.equal(second.explanation.calls.cached, first.explanation.calls.model);
    // Only the set-up (the model list and digest, the answer and the echo probe) reached the server
    // again, and the explanation counts exactly those calls, so the report says what a cached rerun cost.
    const setupRequests = server.requestCount() - before;
    assert.ok(setupRequests > 0 && setupRequests <= 4, `${setupRequests} set-up requests`);
    assert.equal(second.explanation.calls.setup, setupRequests);
    assert.equal(first.explanation.calls.setup, setupRequests);
    assertPlanted(second.terms);
  });

  it('reuses stored calls for another budget, index or algorithm', async () => {
    const server = await fake();
    const cache = freshCache();
    await explain(['--backend', 'openai', '--endpoint', server.openaiBaseURL, '--cache', cache]);
    const { explanation } = await explain([
      '--backend',
      'openai',
      '--endpoint',
      server.openaiBaseURL,
      '--cache',
      cache,
      '--algorithm',
      'proxyspex',
      '--budget',
      '120',
    ]);
    assert.equal(explanation.calls.model, 0);
  });
});

describe('faults at the endpoint', () => {
  it('retries a 500 and a 429 with Retry-After, then succeeds', async () => {
    const server = await fake({
      fault: faultsFrom([
        { path: '/v1/completions', indices: [5], fault: { kind: 'status', status: 500 } },
        { path: '/v1/completions', indices: [9], fault: { kind: 'status', status: 429, retryAfterSeconds: 1 } },
      ]),
    });
    const { terms } = await explain(['--backend', 'openai', '--endpoint', server.openaiBaseURL, '--cache', freshCache()]);
    assertPlanted(terms);
  });

  it('stops with a clear message when the model does not exist', async () => {
    const server = await fake();
    const result = await runCli(['explain', '-', '--backend', 'ollama', '--endpoint', server.url, '--model', 'missing:7b', '--no-cache'], {
      input: PROMPT,
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /has no model "missing:7b".*ollama pull missing:7b/su);
  });

  it('times out a hanging call, retries, and finally says it timed out', async () => {
    const server = await fake({ fault: (request) => (request.path === '/v1/completions' ? { kind: 'hang' } : undefined) });
    const result = await runCli(
      [
        'explain',
        '-',
        '--backend',
        'openai',
        '--endpoint',
        server.openaiBaseURL,
        '--model',
        'fake-llm:1b',
        '--timeout',
        '200',
        '--retries',
        '1',
        '--no-cache',
      ],
      { input: PROMPT },
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /timed out after 200 ms/u);
  });

  it('reports malformed answers', async () => {
    const server = await fake({ fault: (request) => (request.path === '/api/chat' ? { kind: 'malformed' } : undefined) });
    const result = await runCli(
      ['explain', '-', '--backend', 'ollama', '--endpoint', server.url, '--timeout', '2000', '--retries', '1', '--no-cache'],
      { input: PROMPT },
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /malformed JSON/u);
  });

  it('keeps the cache valid when killed mid-run, and reuses what it stored', async () => {
    const { args, server, cache } = await interruptibleRun();
    const killed = await runCli(args, { input: PROMPT, onSpawn: (child) => signalAfter(child, server, 90, 'SIGKILL') });
    assert.equal(killed.signal, 'SIGKILL');
    const stored = readFileSync(path.join(cache, 'calls-v1.jsonl'), 'utf8').split('\n').length;
    assert.ok(stored > 50, `${stored} lines stored before the kill`);
    const rerun = await runCli(args, { input: PROMPT });
    assert.equal(rerun.code, 0, rerun.stderr);
    const explanation = JSON.parse(rerun.stdout) as Explanation;
    assert.ok(explanation.calls.cached > 40, `${explanation.calls.cached} calls reused`);
    assert.ok(explanation.calls.model < 256);
  });
});

describe('cancellation', () => {
  it('stops on Ctrl-C with exit code 1, and the calls stored so far are reused', async () => {
    const { args, server } = await interruptibleRun();
    const interrupted = await runCli(args, { input: PROMPT, onSpawn: (child) => signalAfter(child, server, 60, 'SIGINT') });
    assert.equal(interrupted.code, 1);
    assert.match(interrupted.stderr, /Interrupted/u);
    const rerun = await runCli(args, { input: PROMPT });
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.ok((JSON.parse(rerun.stdout) as Explanation).calls.cached > 30);
  });
});

/** A run slow enough to interrupt (5 ms per call), with its own cache. */
async function interruptibleRun(): Promise<{ args: string[]; server: FakeModelServer; cache: string }> {
  const server = await fake({ latencyMs: 5 });
  const cache = freshCache();
  const args = [
    'explain',
    '-',
    '--backend',
    'openai',
    '--endpoint',
    server.openaiBaseURL,
    '--budget',
    '300',
    '--cache',
    cache,
    '--format',
    'json',
  ];
  return { args, server, cache };
}

/** Sends `signal` to the CLI once the fake has answered `calls` masked prompts. */
function signalAfter(child: ChildProcess, server: FakeModelServer, calls: number, signal: NodeJS.Signals): void {
  void waitFor(`${calls} masks scored`, () => (server.requestCount('/v1/completions') > calls ? true : undefined), 30_000).then(() =>
    child.kill(signal),
  );
}

describe('reports and previews', () => {
  it('previews the cost from the first masks of the run, which then takes them from the cache', async () => {
    const server = await fake();
    const cache = freshCache();
    const args = ['explain', '-', '--backend', 'openai', '--endpoint', server.openaiBaseURL, '--budget', '100', '--cache', cache];
    const result = await runCli([...args, '--dry-run'], { input: PROMPT });
    assert.equal(result.code, 0, result.stderr);
    const preview = JSON.parse(result.stdout) as {
      features: number;
      algorithm: string;
      plannedMasks: number;
      plannedCalls: number;
      valueFunction: { name: string };
      sample: { masks: number; cached: number; requestsPerMask: number | null; tokensPerMask: number | null; bounded: number };
    };
    assert.equal(preview.features, 8);
    assert.equal(preview.algorithm, 'proxyspex');
    // The budget buys the masks and the noise probe's repeats, nothing more.
    assert.equal(preview.plannedMasks, 100);
    assert.equal(preview.valueFunction.name, 'logprob');
    // Echoed log-probabilities: one request per mask, measured on the sample; the empty prompt (an
    // anchor, in the sample) has no context for its first answer token, which takes a request of its own.
    assert.deepEqual(preview.sample, { masks: 8, cached: 0, requestsPerMask: 9 / 8, tokensPerMask: null, bounded: 0 });
    assert.equal(preview.plannedCalls, preview.plannedMasks);
    const echoes = (): number =>
      server.requests.filter((request) => request.path === '/v1/completions' && (request.body as { echo?: boolean }).echo === true).length;
    assert.ok(echoes() >= 8 && echoes() < 12, `${echoes()} echo requests`);
    const run = await runCli([...args, '--format', 'json'], { input: PROMPT });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as Explanation).calls.cached, 8);
  });

  it('writes a self-contained HTML report that escapes prompt text', async () => {
    const server = await fake();
    const hostile = `${PROMPT} <script>alert(1)</script> Omega <img src=x onerror=alert(2)>.`;
    const result = await runCli(
      ['explain', '-', '--backend', 'openai', '--endpoint', server.openaiBaseURL, '--format', 'html', '--budget', '300', '--no-cache'],
      { input: hostile },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /<script|<img|https?:\/\/(?!127)/u);
    assert.match(result.stdout, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/u);
    assert.match(result.stdout, /default-src 'none'/u);
  });

  it('writes CSV that a spreadsheet cannot run as a formula', async () => {
    const server = await fake();
    const text = '=HYPERLINK("x") Alpha opens. Beta follows. Gamma joins. Omega ends.';
    const result = await runCli(
      ['explain', '-', '--backend', 'openai', '--endpoint', server.openaiBaseURL, '--format', 'csv', '--top', '0', '--no-cache'],
      { input: text },
    );
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\r\n');
    assert.equal(lines[0], 'rank,order,value,kind,spans,texts');
    assert.ok(lines.some((line) => line.includes(`"'=HYPERLINK(""x"") Alpha opens."`)));
  });
});
