import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { linkedSignal } from '../../../server/engine/linkedSignal';
import { waitFor } from '../../helpers/waitFor';

describe('linked signals (a call’s cancel, its pool’s close, its timeout)', () => {
  it('aborts with the reason of whichever parent aborts first, and only once', () => {
    const run = new AbortController();
    const pool = new AbortController();
    const linked = linkedSignal([run.signal, undefined, pool.signal]);
    const reason = new Error('closed');
    pool.abort(reason);
    run.abort(new Error('later'));
    assert.equal(linked.signal.aborted, true);
    assert.equal(linked.signal.reason, reason);
    assert.equal(linked.timedOut, false);
    linked.dispose();
  });

  it('starts aborted when a parent already is', () => {
    const reason = new Error('already');
    const linked = linkedSignal([AbortSignal.abort(reason)], 60_000);
    assert.equal(linked.signal.reason, reason);
  });

  it('times out with a TimeoutError and says so', async () => {
    const linked = linkedSignal([new AbortController().signal], 20);
    await waitFor('the timeout', () => (linked.signal.aborted ? true : undefined));
    assert.equal(linked.timedOut, true);
    assert.equal((linked.signal.reason as DOMException).name, 'TimeoutError');
  });

  it('adds one listener to a parent however many calls follow it, and a disposed one no longer follows', () => {
    const run = new AbortController();
    const followers = Array.from({ length: 50 }, () => linkedSignal([run.signal], 60_000));
    assert.equal(getEventListeners(run.signal, 'abort').length, 1);
    const [disposed, ...rest] = followers;
    disposed?.dispose();
    run.abort(new Error('stop'));
    assert.equal(disposed?.signal.aborted, false);
    assert.ok(rest.every((linked) => linked.signal.aborted));
    for (const linked of rest) linked.dispose();
  });
});
