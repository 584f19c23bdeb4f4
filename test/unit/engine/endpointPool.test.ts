import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EndpointError, type Generation, type ModelEndpoint } from '../../../server/backends/modelEndpoint';
import { canonicalModelName } from '../../../server/backends/ollamaEndpoint';
import { EndpointPool } from '../../../server/engine/endpointPool';
import { CallScheduler } from '../../../server/engine/scheduler';

/** An endpoint whose every call is `answer()`, counting calls; the rest of the interface is never used here. */
function stubEndpoint(answer: (signal?: AbortSignal) => Promise<string | undefined>): ModelEndpoint & { calls: number } {
  const stub = {
    kind: 'ollama' as const,
    url: 'http://127.0.0.1:9',
    model: 'stub:1b',
    calls: 0,
    listModels: () => Promise.resolve([]),
    modelDigest: (signal?: AbortSignal) => {
      stub.calls += 1;
      return answer(signal);
    },
    version: (signal?: AbortSignal) => {
      stub.calls += 1;
      return answer(signal);
    },
    generate: (): Promise<Generation> => Promise.reject(new Error('not used')),
    embed: (): Promise<number[][]> => Promise.reject(new Error('not used')),
  };
  return stub;
}

const refused = (): Promise<never> =>
  Promise.reject(new EndpointError('Nothing answered at http://127.0.0.1:9 (ECONNREFUSED).', false, undefined, undefined, true));

describe('EndpointPool', () => {
  it('looks the digest up through the scheduler: retried, and a failure is not swallowed', async () => {
    let attempts = 0;
    const endpoint = stubEndpoint(() => {
      attempts += 1;
      return attempts === 1 ? Promise.reject(new EndpointError('busy', true, 500)) : Promise.resolve('sha256:abc');
    });
    const pool = new EndpointPool([endpoint], { concurrency: 1, timeoutMs: 1_000, baseDelayMs: 1 });
    assert.equal(await pool.modelDigest(), 'sha256:abc');
    assert.equal(attempts, 2);
    const failing = new EndpointPool([stubEndpoint(() => Promise.reject(new EndpointError('down', true, 500)))], {
      concurrency: 1,
      timeoutMs: 1_000,
      maxRetries: 1,
      baseDelayMs: 1,
    });
    await assert.rejects(failing.modelDigest(), /down; gave up after 2 attempts/u);
  });

  it('shares schedulers with another pool, so a probe that was answered makes a later refusal a restart', async () => {
    let up = true;
    const endpoint = stubEndpoint(() => (up ? Promise.resolve('0.12.11') : refused()));
    const schedulers = [new CallScheduler({ concurrency: 1, timeoutMs: 1_000, maxRetries: 2, baseDelayMs: 1 })];
    await new EndpointPool([endpoint], schedulers).version();
    up = false;
    const pool = new EndpointPool([endpoint], schedulers);
    const before = endpoint.calls;
    await assert.rejects(pool.version(), /after it had answered earlier in this run; gave up after 3 attempts/u);
    assert.equal(endpoint.calls - before, 3);
    // A pool with schedulers of its own has never seen the endpoint answer: nothing answering fails at once.
    const fresh = new EndpointPool([endpoint], { concurrency: 1, timeoutMs: 1_000, baseDelayMs: 1 });
    await assert.rejects(fresh.version(), (error) => error instanceof EndpointError && error.unreachable);
  });

  it('close() stops a call waiting to retry at once', async () => {
    const endpoint = stubEndpoint(() => Promise.reject(new EndpointError('busy', true, 503)));
    // A backoff of an hour: only close() can end the wait.
    const pool = new EndpointPool([endpoint], { concurrency: 1, timeoutMs: 1_000, baseDelayMs: 3_600_000, maxDelayMs: 3_600_000 });
    const pending = pool.version();
    while (endpoint.calls === 0) await new Promise((resolve) => setImmediate(resolve));
    pool.close();
    await assert.rejects(pending, /endpoints were closed/u);
    await assert.rejects(pool.version(), /endpoints were closed/u);
  });
});

describe('canonicalModelName', () => {
  it('resolves names as Ollama does', () => {
    assert.equal(canonicalModelName('llama3.2'), 'llama3.2:latest');
    assert.equal(canonicalModelName('Llama3.2:1B'), 'llama3.2:1b');
    assert.equal(canonicalModelName('registry.ollama.ai/library/llama3.2:1b'), 'llama3.2:1b');
    assert.equal(canonicalModelName('hf.co/org/model'), 'hf.co/org/model:latest');
    assert.equal(canonicalModelName('localhost:5000/team/model'), 'localhost:5000/team/model:latest');
  });
});
