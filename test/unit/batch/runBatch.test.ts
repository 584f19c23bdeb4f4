import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runBatch } from '../../../server/batch/runBatch';
import { sampleExplanation } from '../../fixtures/sampleExplanation';

const TEMPLATE = 'Answer briefly. Be kind.\n\nQuestion: {{question}}\n';
const INPUTS = ['one', 'two', 'three', 'four', 'five'].map((question) => JSON.stringify({ question })).join('\n');

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });
}

describe('a template over its inputs, a few at a time', () => {
  it('explains at most N inputs at once and reports them in input order, whatever order they finish in', async () => {
    let running = 0;
    let most = 0;
    const finished: number[] = [];
    const result = await runBatch({
      template: TEMPLATE,
      inputs: INPUTS,
      granularity: 'sentence',
      onBroken: 'skip',
      inputsAtOnce: 3,
      explain: async (rendered, input, position, _count, signal) => {
        running += 1;
        most = Math.max(most, running);
        // Earlier inputs take longer, so they finish after later ones.
        await pause(5 * (5 - position), signal);
        running -= 1;
        finished.push(position);
        assert.match(rendered.text, new RegExp(`Question: ${String(input.values['question'])}`, 'u'));
        return { ...sampleExplanation(), features: rendered.features, pinned: rendered.pinned };
      },
    });
    assert.equal(most, 3);
    assert.notDeepEqual(finished, [0, 1, 2, 3, 4]);
    assert.deepEqual(
      result.inputs.map((entry) => entry.line),
      [1, 2, 3, 4, 5],
    );
  });

  it('stops the inputs under way when one fails, and reports that failure', async () => {
    const aborted: number[] = [];
    await assert.rejects(
      runBatch({
        template: TEMPLATE,
        inputs: INPUTS,
        granularity: 'sentence',
        onBroken: 'skip',
        inputsAtOnce: 2,
        explain: async (_rendered, _input, position, _count, signal) => {
          if (position === 1) throw new Error('the model went away');
          try {
            await pause(10_000, signal);
          } catch (error) {
            aborted.push(position);
            throw error;
          }
          return sampleExplanation();
        },
      }),
      /the model went away/u,
    );
    assert.deepEqual(aborted, [0]);
  });
});
