import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { throttleLatest } from '../../../server/engine/throttle';
import { waitFor } from '../../helpers/waitFor';

describe('progress thinned to a few updates a second', () => {
  it('passes the first value on at once and the latest of a burst after the interval', async () => {
    const seen: number[] = [];
    const progress = throttleLatest<number>((value) => seen.push(value), 50);
    for (let done = 1; done <= 1000; done += 1) progress.push(done);
    assert.deepEqual(seen, [1]);
    await waitFor('the held value', () => (seen.length === 2 ? true : undefined));
    assert.deepEqual(seen, [1, 1000]);
  });

  it('never passes on more than one value per interval', () => {
    let clock = 0;
    const seen: number[] = [];
    const progress = throttleLatest<number>(
      (value) => seen.push(value),
      100,
      () => clock,
    );
    // Values every 10 ms for a second of the injected clock; the held ones are released by flush here.
    for (let done = 0; done <= 100; done += 1) {
      clock = done * 10;
      progress.push(done);
      if (clock % 100 === 0) progress.flush();
    }
    assert.ok(seen.length <= 11 + 1, `${seen.length} values`);
    assert.equal(seen[seen.length - 1], 100);
  });

  it('flush passes on the final state at once, and nothing when nothing is held', () => {
    const seen: string[] = [];
    const progress = throttleLatest<string>((value) => seen.push(value), 60_000);
    progress.push('first');
    progress.push('second');
    progress.push('final');
    assert.deepEqual(seen, ['first']);
    progress.flush();
    assert.deepEqual(seen, ['first', 'final']);
    progress.flush();
    assert.deepEqual(seen, ['first', 'final']);
  });
});
