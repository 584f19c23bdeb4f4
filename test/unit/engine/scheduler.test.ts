import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { EndpointError } from '../../../server/backends/modelEndpoint';
import { CallScheduler } from '../../../server/engine/scheduler';

/** A scheduler whose waits are recorded instead of slept, so tests take no real time. */
function scheduler(options: { concurrency?: number; timeoutMs?: number; maxRetries?: number } = {}): {
  scheduler: CallScheduler;
  slept: number[];
} {
  const slept: number[] = [];
  return {
    slept,
    scheduler: new CallScheduler({
      concurrency: options.concurrency ?? 2,
      timeoutMs: options.timeoutMs ?? 10_000,
      maxRetries: options.maxRetries ?? 6,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      random: () => 0.5,
      sleep: (milliseconds) => {
        slept.push(milliseconds);
        return Promise.resolve();
      },
    }),
  };
}

describe('CallScheduler', () => {
  it('retries server errors with exponential backoff and jitter, then succeeds', async () => {
    const { scheduler: calls, slept } = scheduler();
    let attempts = 0;
    const result = await calls.run(() => {
      attempts += 1;
      if (attempts <= 3) return Promise.reject(new EndpointError('busy', true, 503));
      return Promise.resolve('ok');
    });
    assert.equal(result, 'ok');
    assert.deepEqual(slept, [75, 150, 300]);
    assert.equal(calls.stats().retries, 3);
  });

  it('waits for Retry-After on 429 and halves its concurrency, then climbs back', async () => {
    const { scheduler: calls, slept } = scheduler({ concurrency: 4 });
    let attempts = 0;
    await calls.run(() => {
      attempts += 1;
      return attempts === 1 ? Promise.reject(new EndpointError('slow down', true, 429, 2_000)) : Promise.resolve(1);
    });
    assert.deepEqual(slept, [2_000]);
    assert.equal(calls.stats().rateLimited, 1);
    // One success after the 429 raised the limit from 2 to 3.
    assert.equal(calls.stats().limit, 3);
    await calls.run(() => Promise.resolve(1));
    assert.equal(calls.stats().limit, 4);
  });

  it('fails at once on an error that retrying cannot fix', async () => {
    const { scheduler: calls, slept } = scheduler();
    await assert.rejects(
      calls.run(() => Promise.reject(new EndpointError('no such model', false, 404))),
      /no such model/u,
    );
    assert.deepEqual(slept, []);
  });

  it('gives up after its retries and says how many attempts it made, in one line', async () => {
    const { scheduler: calls } = scheduler({ maxRetries: 2 });
    await assert.rejects(
      calls.run(() => Promise.reject(new EndpointError('The server answered 500.', true, 500))),
      (error) => {
        assert.ok(error instanceof EndpointError);
        assert.match(error.message, /^The server answered 500; gave up after 3 attempts in \d+\.\d s\.$/u);
        assert.equal(error.retryable, false);
        return true;
      },
    );
  });

  it('fails at once when nothing answers an endpoint that never answered (set-up: the caller shows its help)', async () => {
    const { scheduler: calls, slept } = scheduler();
    const refused = new EndpointError('Nothing answered at http://127.0.0.1:9 (ECONNREFUSED).', false, undefined, undefined, true);
    await assert.rejects(
      calls.run(() => Promise.reject(refused)),
      (error) => error === refused,
    );
    assert.deepEqual(slept, []);
  });

  it('retries a refused connection like a 503 once the endpoint has answered (a restart mid-run)', async () => {
    const { scheduler: calls, slept } = scheduler();
    await calls.run(() => Promise.resolve('answered once'));
    let attempts = 0;
    const result = await calls.run(() => {
      attempts += 1;
      return attempts <= 3
        ? Promise.reject(new EndpointError('Nothing answered at http://127.0.0.1:9 (ECONNREFUSED).', false, undefined, undefined, true))
        : Promise.resolve('back');
    });
    assert.equal(result, 'back');
    assert.deepEqual(slept, [75, 150, 300]);
  });

  it('after a restart that outlasts its retries, says so in one line, without the set-up help', async () => {
    const { scheduler: calls } = scheduler({ maxRetries: 2 });
    await calls.run(() => Promise.resolve('answered once'));
    await assert.rejects(
      calls.run(() =>
        Promise.reject(new EndpointError('Nothing answered at http://127.0.0.1:9 (ECONNREFUSED).', false, undefined, undefined, true)),
      ),
      (error) => {
        assert.ok(error instanceof EndpointError);
        assert.equal(error.unreachable, false);
        assert.match(
          error.message,
          /^Nothing answered at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\) after it had answered earlier in this run; gave up after 3 attempts in [\d.]+ s\.$/u,
        );
        return true;
      },
    );
  });

  it('times out an attempt and retries it', async () => {
    const { scheduler: calls } = scheduler({ timeoutMs: 20, maxRetries: 1 });
    // AbortSignal.timeout does not keep Node's event loop alive; a pending call over a socket would.
    const keepAlive = setInterval(() => undefined, 1_000);
    after(() => clearInterval(keepAlive));
    let attempts = 0;
    const result = await calls.run(
      (signal) =>
        new Promise<string>((resolve, reject) => {
          attempts += 1;
          if (attempts === 2) resolve('second try');
          else signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        }),
    );
    assert.equal(result, 'second try');
  });

  it('never runs more than its concurrency at once', async () => {
    const { scheduler: calls } = scheduler({ concurrency: 3 });
    let running = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const all = Array.from({ length: 10 }, () =>
      calls.run(
        () =>
          new Promise<void>((resolve) => {
            running += 1;
            peak = Math.max(peak, running);
            gates.push(() => {
              running -= 1;
              resolve();
            });
          }),
      ),
    );
    // Release calls one at a time as they start, until all ten have run.
    for (let released = 0; released < 10; released += 1) {
      while (gates.length === 0) await new Promise((resolve) => setImmediate(resolve));
      gates.shift()?.();
    }
    await Promise.all(all);
    assert.equal(peak, 3);
  });

  it('rejects calls waiting for a slot when the caller cancels, and aborts the one in flight', async () => {
    const { scheduler: calls } = scheduler({ concurrency: 1 });
    const controller = new AbortController();
    let abortedInFlight = false;
    let started: () => void = () => undefined;
    const firstStarted = new Promise<void>((resolve) => (started = resolve));
    const first = calls.run(
      (signal) =>
        new Promise((_, reject) => {
          started();
          signal.addEventListener(
            'abort',
            () => {
              abortedInFlight = true;
              reject(new Error('aborted'));
            },
            { once: true },
          );
        }),
      controller.signal,
    );
    await firstStarted;
    const second = calls.run(() => Promise.resolve('never'), controller.signal);
    const outcomes = [assert.rejects(first, /cancelled by the user/u), assert.rejects(second, /cancelled by the user/u)];
    controller.abort(new Error('cancelled by the user'));
    await Promise.all(outcomes);
    assert.ok(abortedInFlight);
  });
});
