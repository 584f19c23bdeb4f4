import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallSlots } from '../../../server/engine/callSlots';
import { withSharedSlots } from '../../../server/engine/sharedSlots';
import type { ValueSource } from '../../../server/engine/valueSource';

/** A task that runs until its `finish` is called, so a test decides when each call ends. */
function heldTask(log: string[], name: string): { task: () => Promise<string>; finish: () => void } {
  let finish = (): void => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    finish: () => finish(),
    task: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
  };
}

/** Lets every settled promise's callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('shared call slots', () => {
  it('runs at most the limit at once and hands freed slots to waiting calls in arrival order', async () => {
    const slots = new CallSlots(2);
    const log: string[] = [];
    const tasks = ['a', 'b', 'c', 'd'].map((name) => heldTask(log, name));
    const results = tasks.map(({ task }) => slots.run(task));
    await settle();
    assert.deepEqual(log, ['start a', 'start b']);
    tasks[1]?.finish();
    await settle();
    assert.deepEqual(log, ['start a', 'start b', 'end b', 'start c']);
    tasks[0]?.finish();
    await settle();
    assert.deepEqual(log.slice(4), ['end a', 'start d']);
    tasks[2]?.finish();
    tasks[3]?.finish();
    assert.deepEqual(await Promise.all(results), ['a', 'b', 'c', 'd']);
  });

  it('drops an aborted waiting call with the signal’s reason and keeps the slot count right', async () => {
    const slots = new CallSlots(1);
    const log: string[] = [];
    const first = heldTask(log, 'first');
    const waiting = heldTask(log, 'waiting');
    const last = heldTask(log, 'last');
    const controller = new AbortController();
    const running = slots.run(first.task);
    const dropped = slots.run(waiting.task, controller.signal);
    const after = slots.run(last.task);
    const reason = new Error('Cancelled.');
    controller.abort(reason);
    await assert.rejects(dropped, (error: unknown) => error === reason);
    first.finish();
    last.finish();
    assert.deepEqual(await Promise.all([running, after]), ['first', 'last']);
    assert.deepEqual(log, ['start first', 'end first', 'start last', 'end last']);
    await assert.rejects(slots.run(first.task, controller.signal), (error: unknown) => error === reason);
    assert.throws(() => new CallSlots(0), /positive whole number/u);
  });

  it('wraps a value source: every score takes a slot, everything else is the source’s', async () => {
    let inFlight = 0;
    let most = 0;
    let closed = false;
    const source: ValueSource = {
      model: 'fake',
      valueFunction: { name: 'logprob', reason: 'test' },
      target: ' yes',
      callsPerMask: 2,
      setupCalls: 3,
      keyParts: { backend: 'openai', model: 'fake', valueFunction: 'logprob', parameters: {} },
      score: async (text) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await settle();
        inFlight -= 1;
        return text.length;
      },
      usage: () => 'used',
      close: () => {
        closed = true;
        return Promise.resolve();
      },
    };
    const slots = new CallSlots(3);
    const [one, two] = [withSharedSlots(source, slots), withSharedSlots(source, slots)];
    const values = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).score('x'.repeat(i), new Uint8Array(1))));
    assert.deepEqual(
      values,
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.equal(most, 3);
    assert.equal(one.model, 'fake');
    assert.equal(one.callsPerMask, 2);
    assert.equal(one.setupCalls, 3);
    assert.equal(one.usage?.(), 'used');
    await one.close();
    assert.equal(closed, true);
  });
});
