import type { BatchResult } from '../../protocol/batch';
import type { Explanation } from '../../protocol/explanation';
import type { Granularity } from '../../protocol/features';
import { aggregateBatch } from './aggregate';
import { readInputs, type BatchInput } from './inputs';
import { parseTemplate, renderTemplate, type RenderedTemplate } from './template';

export interface BatchRun {
  readonly template: string;
  readonly inputs: string;
  readonly granularity: Granularity;
  readonly onBroken: 'skip' | 'stop';
  /** Explains one filled template (its spans are given: the template's own, the values pinned). */
  readonly explain: (rendered: RenderedTemplate, input: BatchInput, position: number, count: number) => Promise<Explanation>;
  readonly onSkipped?: (line: number, reason: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * A template over its inputs: parses both, explains every input in turn (the caller's cache makes a
 * rerun after a stop pay only for what it had not scored), and aggregates. The CLI and the server run
 * the same loop with their own way of explaining one prompt.
 */
export async function runBatch(run: BatchRun): Promise<BatchResult> {
  const template = parseTemplate(run.template);
  const { inputs, skipped } = readInputs(run.inputs, template.placeholders, run.onBroken);
  for (const entry of skipped) run.onSkipped?.(entry.line, entry.reason);
  const explained: { line: number; explanation: Explanation }[] = [];
  for (const [position, input] of inputs.entries()) {
    run.signal?.throwIfAborted();
    const rendered = renderTemplate(template, input.values, run.granularity);
    explained.push({ line: input.line, explanation: await run.explain(rendered, input, position, inputs.length) });
  }
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
