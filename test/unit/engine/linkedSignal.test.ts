import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { CallSlots } from '../../../server/engine/callSlots';
import { linkedSignal, onceAborted } from '../../../server/engine/linkedSignal';
import { abortableSleep } from '../../../server/engine/scheduler';
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

  it('keeps one listener on a signal that many calls queue for a slot on, and rejects every one when it aborts', async () => {
    const slots = new CallSlots(1);
    const mask = new AbortController();
    await slots.acquire(mask.signal);
    // A mask read token by token queues one call per answer token behind the slot, all on its signal.
    const queued = Array.from({ length: 24 }, () => slots.acquire(mask.signal));
    const sleeps = Array.from({ length: 12 }, () => abortableSleep(60_000, mask.signal));
    assert.equal(getEventListeners(mask.signal, 'abort').length, 1);
    const reason = new Error('cancelled');
    mask.abort(reason);
    for (const waiting of [...queued, ...sleeps]) await assert.rejects(waiting, (error) => error === reason);
    slots.release();
    assert.equal(slots.inFlight, 0);
  });

  it('lets a call that got its slot stop following the signal', async () => {
    const slots = new CallSlots(1);
    const mask = new AbortController();
    await slots.acquire();
    const waiting = slots.acquire(mask.signal);
    slots.release();
    await waiting;
    let called = 0;
    const unfollow = onceAborted(mask.signal, () => (called += 1));
    unfollow();
    mask.abort(new Error('after the call started'));
    assert.equal(called, 0);
    assert.equal(slots.inFlight, 1);
  });
});
