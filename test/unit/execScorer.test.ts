import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ExecScorer } from '../../server/backends/exec';
import { BackendError } from '../../server/backends/scorer';
import { repoPath } from '../helpers/paths';
import { waitFor } from '../helpers/waitFor';

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

  it('reports a value that is not a finite number, showing the line the scorer wrote', async () => {
    await assertBackendError(
      scorer('nonfinite').score(request([1])),
      /request 1 without a finite number as its value: \{"id":1,"value":null\}/u,
    );
    // JSON.parse turns 1e999 into Infinity; the message shows what was written, not "null".
    await assertBackendError(
      scorer('infinite').score(request([1])),
      /request 1 without a finite number as its value: \{"id": 1, "value": 1e999\}/u,
    );
  });

  it('reports a bare number as a line that is not an answer, and says what an answer looks like', async () => {
    await assertBackendError(scorer('bare').score(request([1])), /wrote 0\.44, which is not an answer: each answer is one line \{"id"/u);
  });

  it('reports a request answered twice', async () => {
    const twice = scorer('duplicate');
    assert.equal(await twice.score(request([1])), 1);
    await assertBackendError(twice.score(request([1])), /answered request 1 twice|answered request 2 twice/u);
  });

  it('passes on the scorer’s own error message', async () => {
    await assertBackendError(scorer('error').score(request([1])), /reported an error for request 1: model overloaded/u);
  });

  it('times out a request that gets no answer', async () => {
    await assertBackendError(scorer('silent', 300).score(request([1])), /no answer to request 1 within 300 ms/u);
  });

  it('stops the whole process tree of a scorer that never answers nor exits', { skip: process.platform === 'win32' }, async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'spex-exec-'));
    try {
      const pidFile = path.join(folder, 'pid');
      // The shell starts a grandchild that ignores its stdin; killing only the shell would leave it running.
      const hung = new ExecScorer({ command: `sleep 1000 & echo $! > "${pidFile}"; wait`, timeoutMs: 300 });
      scorers.push(hung);
      await assertBackendError(hung.score(request([1])), /no answer to request 1 within 300 ms \(the timeout\), so it was stopped/u);
      await hung.close();
      const pid = Number(readFileSync(pidFile, 'utf8'));
      assert.ok(pid > 0);
      await waitFor('the scorer’s grandchild to be gone', () => {
        try {
          process.kill(pid, 0);
          return undefined;
        } catch {
          return true;
        }
      });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('closes a scorer that ignores the end of its input, within a bound', async () => {
    const stubborn = new ExecScorer({ command: 'sleep 1000', timeoutMs: 10_000 });
    scorers.push(stubborn);
    const started = Date.now();
    await stubborn.close();
    // Half a second for it to exit by itself, then SIGTERM; the bound is generous for a shared machine.
    assert.ok(Date.now() - started < 5_000);
    await assertBackendError(stubborn.score(request([1])), /closed/u);
  });

  it('drops a late answer to a cancelled request instead of failing the scorer', async () => {
    const sum = scorer('sum');
    const controller = new AbortController();
    const cancelled = sum.score(request([1, 1]), controller.signal);
    controller.abort(new Error('cancelled'));
    await assert.rejects(cancelled, /cancelled/u);
    assert.equal(await sum.score(request([1, 0, 1])), 2);
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
