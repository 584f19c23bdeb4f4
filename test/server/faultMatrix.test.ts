// The fault matrix: the built CLI against a fake endpoint with one switchable fault per row, through
// the real `ollama` and `openai` clients. Each row asserts the outcome, the exit code, the message
// (one line, no stack trace) and what the call cache holds afterwards. Backoffs stay short through
// the CLI's own --timeout and --retries; a retry-recovered run must give exactly a clean run's values.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Explanation } from '../../protocol/explanation';
import { CallCache } from '../../server/cache/callCache';
import { randomInteger, seededRandom } from '../../server/recovery/random';
import { BRIDGE_PLANTED, type FakeFault, type FakeFaultRequest, type FakeModelServer } from '../fixtures/fakeModelServer';
import { useFakeServers } from '../helpers/fakeServers';
import { mountTmpfs, tmpfsSkip } from '../helpers/tmpfs';
import { runCli, type CliResult } from '../helpers/runCli';

/** Five sentences: 32 masks, so every explanation here is exact and every run asks for the same calls. */
const PROMPT = 'Alpha opens. Beta follows. Gamma joins. Delta waits. Omega ends.';

const PLANTED = BRIDGE_PLANTED;

type Backend = 'ollama' | 'openai';

/** Where each backend's masked prompts go: the calls a fault mid-run hits. */
const SCORING_PATH: Record<Backend, string> = { ollama: '/api/chat', openai: '/v1/completions' };

/** Longest any single CLI run may take before the row fails as a hang (the shared CI machine is slow). */
const RUN_LIMIT_MS = 120_000;

const { fake, freshCache } = useFakeServers(PLANTED, 'spex-faults-');

function endpointOf(server: FakeModelServer, backend: Backend): string {
  return backend === 'ollama' ? server.url : server.openaiBaseURL;
}

/** The CLI's arguments for an exact, JSON explanation of PROMPT. */
function explainArgs(backend: Backend, endpoint: string, cache: string | undefined, extra: readonly string[] = []): string[] {
  return [
    'explain',
    '-',
    '--backend',
    backend,
    '--endpoint',
    endpoint,
    '--model',
    'fake-llm:1b',
    '--index',
    'mobius',
    '--order',
    '3',
    '--top',
    '0',
    '--budget',
    '64',
    '--format',
    'json',
    ...(cache === undefined ? ['--no-cache'] : ['--cache', cache]),
    ...extra,
  ];
}

/** Runs the CLI on PROMPT; a run past RUN_LIMIT_MS is killed and fails the row as a hang. */
async function run(args: readonly string[], onSpawn?: (child: ChildProcess) => void, input = PROMPT): Promise<CliResult> {
  const result = await runCli(args, { input, hungAfterMs: RUN_LIMIT_MS, ...(onSpawn ? { onSpawn } : {}) });
  assert.ok(!result.hung, `the CLI hung for ${RUN_LIMIT_MS} ms: ${result.stderr}`);
  return result;
}

function explanationOf(result: CliResult): Explanation {
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Explanation;
}

/** What must not change when a fault was recovered from: every value and what was measured. */
function valuesOf(explanation: Explanation): unknown {
  return {
    fourier: explanation.fourier,
    fullValue: explanation.fullValue,
    emptyValue: explanation.emptyValue,
    noiseFloor: explanation.noiseFloor,
    valueFunction: explanation.valueFunction,
    target: explanation.target,
  };
}

/** Each backend's explanation with no fault at all, and how many requests the whole run made. */
const cleanRuns = new Map<Backend, Promise<{ explanation: Explanation; requests: number }>>();
function clean(backend: Backend): Promise<{ explanation: Explanation; requests: number }> {
  let pending = cleanRuns.get(backend);
  if (!pending) {
    pending = (async () => {
      const server = await fake();
      const explanation = explanationOf(await run(explainArgs(backend, endpointOf(server, backend), undefined)));
      return { explanation, requests: server.requests.length };
    })();
    cleanRuns.set(backend, pending);
  }
  return pending;
}

/** A failure's message: one line after "spex: ", no stack frames, no error class names. */
function assertOneLine(result: CliResult, pattern: RegExp): void {
  const text = result.stderr.trimEnd();
  assert.equal(text.split('\n').length, 1, `more than one line:\n${text}`);
  assert.match(text, /^spex: /u);
  assert.doesNotMatch(text, /\n\s+at |\b(?:Type|Range|Syntax|Endpoint)Error\b/u);
  assert.match(text, pattern);
}

/** The entries a cache directory holds, and that no line of it is damaged (torn or corrupted). */
async function cacheState(directory: string): Promise<{ entries: number }> {
  const cache = await CallCache.open(directory);
  try {
    const stats = cache.stats();
    assert.equal(stats.skippedLines, 0, 'damaged lines in the cache file');
    return { entries: stats.entries };
  } finally {
    await cache.close();
  }
}

/** A fault for the `n`-th request (from 0) on `path`, and for none other. */
function nthOn(pathName: string, n: number, fault: FakeFault): (request: FakeFaultRequest) => FakeFault | undefined {
  let seen = 0;
  return (request) => {
    if (request.path !== pathName) return undefined;
    seen += 1;
    return seen - 1 === n ? fault : undefined;
  };
}

/** A fault for every request on `path` from the `n`-th on. */
function fromNthOn(pathName: string, n: number, fault: FakeFault): (request: FakeFaultRequest) => FakeFault | undefined {
  let seen = 0;
  return (request) => {
    if (request.path !== pathName) return undefined;
    seen += 1;
    return seen - 1 >= n ? fault : undefined;
  };
}

describe('fault matrix: set-up calls', () => {
  it('down: nothing listening gives the one-paragraph help at once, and no cache is made', async () => {
    const server = await fake();
    await server.close();
    const cache = freshCache();
    const result = await run(explainArgs('ollama', server.url, cache));
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(`^spex: Nothing answered at http://127\\.0\\.0\\.1:${server.port} \\(ECONNREFUSED\\)\\.\n`, 'u'),
    );
    assert.match(result.stderr, /ollama serve/u);
    // Not retried: a retried call says how many attempts it made.
    assert.doesNotMatch(result.stderr, /gave up|\n\s+at /u);
    assert.equal(existsSync(cache), false);
  });

  it('a 500 on /api/tags once: retried, so the digest stays in every key and a clean run’s calls are all reused', async () => {
    const reference = freshCache();
    const first = await fake();
    const stored = explanationOf(await run(explainArgs('ollama', first.url, reference)));
    const server = await fake({ fault: nthOn('/api/tags', 0, { kind: 'status', status: 500 }) });
    const explanation = explanationOf(await run(explainArgs('ollama', server.url, reference)));
    assert.equal(server.faults.length, 1);
    assert.equal(explanation.calls.model, 0, 'a key changed: the faulted run paid for calls the clean run stored');
    assert.equal(explanation.calls.cached, stored.calls.model);
    assert.deepEqual(valuesOf(explanation), valuesOf(stored));
  });

  it('a 500 on /api/tags that persists: stops in one line after its retries, and stores nothing', async () => {
    const server = await fake({ fault: (request) => (request.path === '/api/tags' ? { kind: 'status', status: 500 } : undefined) });
    const cache = freshCache();
    const result = await run(explainArgs('ollama', server.url, cache, ['--retries', '1']));
    assert.equal(result.code, 1);
    assertOneLine(result, /answered 500.*; gave up after 2 attempts in [\d.]+ s\.$/u);
    assert.equal(server.requestCount('/api/tags'), 2);
    assert.equal(server.requestCount('/api/chat'), 0);
    assert.equal((await cacheState(cache)).entries, 0);
  });

  it('a hung /api/tags: --timeout holds for the digest lookup too', async () => {
    const server = await fake({ fault: (request) => (request.path === '/api/tags' ? { kind: 'hang' } : undefined) });
    const result = await run(explainArgs('ollama', server.url, freshCache(), ['--timeout', '500', '--retries', '1']));
    assert.equal(result.code, 1);
    assertOneLine(result, /timed out after 500 ms; gave up after 2 attempts/u);
    assert.equal(server.requestCount('/api/tags'), 2);
  });

  it('the answer’s generation hangs once: timed out, retried, and the run is the clean run', async () => {
    const server = await fake({ fault: nthOn('/api/chat', 0, { kind: 'hang' }) });
    const explanation = explanationOf(await run(explainArgs('ollama', server.url, undefined, ['--timeout', '1000'])));
    assert.equal(server.faults.length, 1);
    assert.deepEqual(valuesOf(explanation), valuesOf((await clean('ollama')).explanation));
  });

  it('the first answer without log-probabilities from an Ollama that has them: asked again, same value function', async () => {
    const server = await fake({ fault: nthOn('/api/chat', 0, { kind: 'noLogprobs' }) });
    const explanation = explanationOf(await run(explainArgs('ollama', server.url, undefined)));
    assert.equal(server.faults.length, 1);
    assert.equal(server.requestCount('/api/version'), 1, 'the version was checked before anything was concluded');
    assert.deepEqual(valuesOf(explanation), valuesOf((await clean('ollama')).explanation));
  });

  it('no log-probabilities ever from Ollama 0.12.11: stops with what it saw, never switches to similarity or advises an upgrade', async () => {
    const server = await fake({ fault: (request) => (request.path === '/api/chat' ? { kind: 'noLogprobs' } : undefined) });
    const result = await run(explainArgs('ollama', server.url, freshCache(), ['--retries', '1']));
    assert.equal(result.code, 1);
    assertOneLine(result, /reports version 0\.12\.11, which returns log-probabilities, yet answered the full prompt without them/u);
    assert.match(result.stderr, /--value similarity.*gave up after 2 attempts/u);
    assert.doesNotMatch(result.stderr, /upgrade/iu);
  });

  it('no log-probabilities and no /api/version: auto measures similarity, saying what it saw and never guessing a version', async () => {
    const server = await fake({
      logprobs: false,
      fault: (request) => (request.path === '/api/version' ? { kind: 'status', status: 404, message: '404 page not found' } : undefined),
    });
    const result = await run(explainArgs('ollama', server.url, undefined, ['--dry-run']));
    assert.equal(result.code, 0, result.stderr);
    const preview = JSON.parse(result.stdout) as { valueFunction: { name: string; reason: string } };
    assert.equal(preview.valueFunction.name, 'similarity');
    assert.match(preview.valueFunction.reason, /answered without them and reports no version; Ollama returns them since 0\.12\.11/u);
  });

  it('no log-probabilities and a failing version probe: stops after its retries instead of guessing', async () => {
    const server = await fake({
      logprobs: false,
      fault: (request) => (request.path === '/api/version' ? { kind: 'status', status: 500 } : undefined),
    });
    const result = await run(explainArgs('ollama', server.url, undefined, ['--dry-run', '--retries', '1']));
    assert.equal(result.code, 1);
    assertOneLine(result, /answered 500.*; gave up after 2 attempts/u);
    assert.equal(server.requestCount('/api/version'), 2);
  });

  it('no log-probabilities from Ollama 0.11.4: auto measures similarity and says truly why', async () => {
    const server = await fake({ logprobs: false, ollamaVersion: '0.11.4' });
    const result = await run(explainArgs('ollama', server.url, undefined, ['--dry-run']));
    assert.equal(result.code, 0, result.stderr);
    const preview = JSON.parse(result.stdout) as { valueFunction: { name: string; reason: string } };
    assert.equal(preview.valueFunction.name, 'similarity');
    assert.match(preview.valueFunction.reason, /Ollama 0\.11\.4 predates log-probabilities; upgrade to 0\.12\.11 or later/u);
  });
});

/** Faults that a retry recovers from, each met once in the middle of the scoring calls. */
const TRANSIENT: readonly { name: string; fault: FakeFault; extra?: readonly string[] }[] = [
  { name: 'a 500', fault: { kind: 'status', status: 500 } },
  { name: 'a 429 with Retry-After', fault: { kind: 'status', status: 429, retryAfterSeconds: 1 } },
  { name: 'a hang', fault: { kind: 'hang' }, extra: ['--timeout', '1000'] },
  { name: 'malformed JSON', fault: { kind: 'malformed' } },
  { name: 'an answer without log-probabilities', fault: { kind: 'noLogprobs' } },
  { name: 'a connection reset mid-body', fault: { kind: 'resetMidBody' } },
  { name: 'a restart (connections refused for 2 s)', fault: { kind: 'restart', downMs: 2_000 } },
];

for (const backend of ['ollama', 'openai'] as const) {
  describe(`fault matrix: faults mid-run, ${backend}`, () => {
    for (const { name, fault, extra } of TRANSIENT) {
      it(`${name}: retried, and the values are exactly a clean run's`, async () => {
        const server = await fake({ fault: nthOn(SCORING_PATH[backend], 20, fault) });
        const cache = freshCache();
        const explanation = explanationOf(await run(explainArgs(backend, endpointOf(server, backend), cache, extra)));
        assert.equal(server.faults.length, 1, 'the fault was never met');
        assert.deepEqual(valuesOf(explanation), valuesOf((await clean(backend)).explanation));
        assert.equal((await cacheState(cache)).entries, explanation.calls.model);
      });
    }
  });
}

describe('fault matrix: faults that outlast the retries', () => {
  it('answers without log-probabilities from mid-run on: stops in one line, keeps what it stored, never switches', async () => {
    const server = await fake({ fault: fromNthOn('/api/chat', 12, { kind: 'noLogprobs' }) });
    const cache = freshCache();
    const result = await run(explainArgs('ollama', server.url, cache, ['--retries', '1']));
    assert.equal(result.code, 1);
    assertOneLine(result, /answered without the log-probabilities it was asked for\. .*--value similarity.*; gave up after 2 attempts/u);
    const { entries } = await cacheState(cache);
    assert.ok(entries > 0, 'the masks scored before the fault were not stored');
    // The rerun, on a healthy endpoint, pays only for what the failed run did not store.
    const healthy = await fake();
    const rerun = explanationOf(await run(explainArgs('ollama', healthy.url, cache)));
    assert.equal(rerun.calls.cached, entries);
    assert.deepEqual(valuesOf(rerun), valuesOf((await clean('ollama')).explanation));
  });

  it('a restart longer than the retries: stops in one line that says the endpoint had answered, without the set-up help', async () => {
    const server = await fake({ fault: nthOn('/v1/completions', 20, { kind: 'restart', downMs: 60_000 }) });
    const cache = freshCache();
    const result = await run(explainArgs('openai', server.openaiBaseURL, cache, ['--retries', '1']));
    assert.equal(result.code, 1);
    assertOneLine(result, /after it had answered earlier in this run; gave up after 2 attempts/u);
    assert.doesNotMatch(result.stderr, /ollama serve/u);
    assert.ok((await cacheState(cache)).entries > 0);
  });
});

describe('fault matrix: the CLI interrupted at seeded random moments during model calls', () => {
  it('SIGINT while a set-up call hangs: stops at once with one line, not after the timeout', async () => {
    let cli: ChildProcess | undefined;
    const server = await fake({
      fault: (request) => {
        if (request.path !== '/api/tags') return undefined;
        cli?.kill('SIGINT');
        return { kind: 'hang' };
      },
    });
    const cache = freshCache();
    // A timeout longer than the row's limit: only the interrupt can end this run in time.
    const result = await run(explainArgs('ollama', server.url, cache, ['--timeout', String(10 * RUN_LIMIT_MS)]), (child) => (cli = child));
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'spex: Interrupted.\n');
    assert.equal((await cacheState(cache)).entries, 0);
  });

  for (const seed of [1, 2, 3]) {
    for (const signal of ['SIGINT', 'SIGKILL'] as const) {
      it(`${signal} (seed ${seed}): the cache stays intact and a rerun reuses every stored call`, async () => {
        const { requests, explanation: reference } = await clean('ollama');
        const random = seededRandom(seed * 7919 + (signal === 'SIGINT' ? 1 : 2));
        // Any request of the run, set-up included. The signal goes while that request waits for its
        // answer, so the CLI is always in the middle of a model call when it lands.
        const moment = randomInteger(random, requests);
        let cli: ChildProcess | undefined;
        const server = await fake({
          latencyMs: 5,
          fault: (request) => {
            if (request.index === moment) cli?.kill(signal);
            return undefined;
          },
        });
        const cache = freshCache();
        const args = explainArgs('ollama', server.url, cache);
        const interrupted = await run(args, (child) => (cli = child));
        if (signal === 'SIGKILL') assert.equal(interrupted.signal, 'SIGKILL');
        else {
          assert.equal(interrupted.code, 1);
          assert.equal(interrupted.stderr, 'spex: Interrupted.\n');
        }
        const { entries } = await cacheState(cache);
        const healthy = await fake();
        const rerun = explanationOf(await run(explainArgs('ollama', healthy.url, cache)));
        assert.equal(rerun.calls.cached, entries, 'a stored call was not reused');
        assert.equal(rerun.calls.cached + rerun.calls.model, reference.calls.model);
        assert.deepEqual(valuesOf(rerun), valuesOf(reference));
      });
    }
  }
});

describe('fault matrix: the disk under the cache fills up mid-run', () => {
  it("keeps going with the answers in memory, warns once, and gives a clean run's values", { skip: tmpfsSkip() }, async (t) => {
    // Seven sentences: 128 masks, about 14 KB of cache lines, on a 12 KiB disk that also holds the key secret.
    const prompt = `${PROMPT} Theta stays. Iota leaves.`;
    const disk = mountTmpfs(12);
    t.after(() => disk.unmount());
    const server = await fake();
    const args = (cache: string | undefined): string[] => [...explainArgs('ollama', server.url, cache), '--budget', '200'];
    const reference = explanationOf(await run(args(undefined), undefined, prompt));
    const full = await run(args(path.join(disk.path, 'cache')), undefined, prompt);
    const explanation = explanationOf(full);
    assert.deepEqual(valuesOf(explanation), valuesOf(reference));
    assert.equal(explanation.calls.model, reference.calls.model);
    assert.match(full.stderr, /^spex: Could not write to the cache file .*ENOSPC.* SPEX carries on with every answer kept in memory/u);
    assert.equal(full.stderr.trimEnd().split('\n').length, 1, `one warning, not: ${full.stderr}`);
    // What reached the disk before it filled is still good: a rerun reuses it and pays for the rest.
    const rerun = explanationOf(await run(args(path.join(disk.path, 'cache')), undefined, prompt));
    assert.ok(rerun.calls.cached > 0 && rerun.calls.cached < reference.calls.model, `${rerun.calls.cached} reused`);
    assert.deepEqual(valuesOf(rerun), valuesOf(reference));
  });
});
