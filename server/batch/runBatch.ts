import type { BatchResult } from '../../protocol/batch';
import type { Explanation } from '../../protocol/explanation';
import type { Granularity } from '../../protocol/features';
import { runPool } from '../engine/runPool';
import { aggregateBatch } from './aggregate';
import { readInputs, type BatchInput } from './inputs';
import { parseTemplate, renderTemplate, type RenderedTemplate } from './template';

export const DEFAULT_INPUTS_AT_ONCE = 2;

export interface BatchRun {
  readonly template: string;
  readonly inputs: string;
  readonly granularity: Granularity;
  readonly onBroken: 'skip' | 'stop';
  /**
   * Explains one filled template (its spans are given: the template's own, the values pinned), until
   * `signal` aborts: the run's own signal, or another input's failure.
   */
  readonly explain: (
    rendered: RenderedTemplate,
    input: BatchInput,
    position: number,
    count: number,
    signal: AbortSignal,
  ) => Promise<Explanation>;
  /**
   * Inputs explained at once (default 2): one input's set-up and fits overlap another's model calls.
   * The caller bounds the calls of all of them together (shared call slots), so the endpoint's load
   * stays what --concurrency says.
   */
  readonly inputsAtOnce?: number;
  readonly onSkipped?: (line: number, reason: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * A template over its inputs: parses both, explains the inputs a few at a time (the caller's cache
 * makes a rerun after a stop pay only for what it had not scored), and aggregates. The CLI and the server run
 * the same loop with their own way of explaining one prompt.
 */
export async function runBatch(run: BatchRun): Promise<BatchResult> {
  const template = parseTemplate(run.template);
  const { inputs, skipped } = readInputs(run.inputs, template.placeholders, run.onBroken);
  for (const entry of skipped) run.onSkipped?.(entry.line, entry.reason);
  // One input's failure stops the others at once rather than after they have spent their budgets.
  const failure = new AbortController();
  const signal = run.signal ? AbortSignal.any([run.signal, failure.signal]) : failure.signal;
  const explanations = await runPool(inputs.length, Math.max(1, run.inputsAtOnce ?? DEFAULT_INPUTS_AT_ONCE), async (position) => {
    signal.throwIfAborted();
    const input = inputs[position] as BatchInput;
    const rendered = renderTemplate(template, input.values, run.granularity);
    try {
      return await run.explain(rendered, input, position, inputs.length, signal);
    } catch (error) {
      failure.abort(error);
      throw error;
    }
  });
  // In input order whatever order they finished in: the aggregate never depends on timing.
  const explained = explanations.map((explanation, position) => ({ line: (inputs[position] as BatchInput).line, explanation }));
  return {
    version: 1,
    template: { placeholders: template.placeholders },
    granularity: run.granularity,
    spans: explained[0]?.explanation.features.length ?? 0,
    inputs: explained,
    skipped,
    calls: {
      model: explained.reduce((sum, entry) => sum + entry.explanation.calls.model, 0),
      cached: explained.reduce((sum, entry) => sum + entry.explanation.calls.cached, 0),
    },
    aggregate: aggregateBatch(
      explained.map((entry) => entry.explanation),
      explained.map((entry) => entry.line),
    ),
  };
}
