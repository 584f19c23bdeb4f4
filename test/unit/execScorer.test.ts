import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ExecScorer } from '../../server/backends/exec';
import { BackendError } from '../../server/backends/scorer';
import { repoPath } from '../helpers/paths';

const scorers: ExecScorer[] = [];
function scorer(mode: string, timeoutMs = 10_000): ExecScorer {
  const created = new ExecScorer({ command: `node "${repoPath('test/fixtures/scorers/fakeScorer.mjs')}" ${mode}`, timeoutMs });
  scorers.push(created);
  return created;
}
after(async () => {
  await Promise.all(scorers.map((entry) => entry.close()));
});

const request = (mask: number[]) => ({ mask: Uint8Array.from(mask), text: 'masked text' });

async function assertBackendError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BackendError, `expected a BackendError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('ExecScorer', () => {
  it('matches answers to requests by id, with many in flight and answers out of order', async () => {
    const sum = scorer('sum');
    const masks = Array.from({ length: 40 }, (_, i) => [i & 1, (i >> 1) & 1, (i >> 2) & 1, (i >> 3) & 1, (i >> 4) & 1]);
    const values = await Promise.all(masks.map((mask) => sum.score(request(mask))));
    assert.deepEqual(
      values,
      masks.map((mask) => mask.reduce((a, b) => a + b, 0)),
    );
  });

  it('reports a crash with the exit code and the scorer’s last error output', async () => {
    await assertBackendError(scorer('crash').score(request([1])), /exited with code 3[\s\S]*boom: the model file is missing/u);
  });

  it('reports a line that is not JSON', async () => {
    await assertBackendError(scorer('garbage').score(request([1])), /not JSON: Traceback/u);
  });

  it('reports a value that is not a finite number', async () => {
    await assertBackendError(scorer('nonfinite').score(request([1])), /with null, which is not a finite number/u);
  });

  it('passes on the scorer’s own error message', async () => {
    await assertBackendError(scorer('error').score(request([1])), /reported an error for request 1: model overloaded/u);
  });

  it('times out a request that gets no answer', async () => {
    await assertBackendError(scorer('silent', 300).score(request([1])), /no answer to request 1 within 300 ms/u);
  });

  it('aborts a pending request when its signal fires', async () => {
    const controller = new AbortController();
    const pending = scorer('silent').score(request([1]), controller.signal);
    controller.abort(new Error('cancelled by the user'));
    await assert.rejects(pending, /cancelled by the user/u);
  });

  it('reports a command that does not exist', async () => {
    const missing = new ExecScorer({ command: 'spex-no-such-scorer-command', timeoutMs: 10_000 });
    scorers.push(missing);
    await assertBackendError(missing.score(request([1])), /exited with code 127/u);
  });
});
