import { readFile, writeFile } from 'node:fs/promises';
import { describeVerdict, verdictOf } from '../../protocol/verdict';
import { runBatch } from '../batch/runBatch';
import { CallCache } from '../cache/callCache';
import { defaultCacheDirectory } from '../cache/cacheDirectory';
import { explainText } from '../engine/explain';
import { createValueSource, sourceOptionsFor } from '../engine/valueSource';
import { CallSlots } from '../engine/callSlots';
import { withSharedSlots } from '../engine/sharedSlots';
import { formatBatchCsv, formatBatchHtml, formatBatchMarkdown } from '../report/batchMarkdown';
import type { ExplainCommand } from './args';
import { explainRequestFor } from './explainRequest';

export type { BatchResult } from '../../protocol/batch';

export interface BatchOptions {
  readonly inputs: string;
  readonly onBroken: 'skip' | 'stop';
  /** Inputs explained at once; their calls to one endpoint share --concurrency. */
  readonly inputsAtOnce: number;
}

/**
 * `spex batch TEMPLATE --inputs data.jsonl`: the template's own spans are the features, each input's
 * text is pinned; every input is explained in turn through one call cache (so a run stopped half way
 * and started again pays only for what it had not scored), then the spans, recurring interactions and
 * outliers are aggregated over the inputs.
 */
export async function batchCommand(
  command: ExplainCommand,
  batch: BatchOptions,
  signal: AbortSignal,
  apiKey: string | undefined,
): Promise<string> {
  const cache = command.noCache
    ? undefined
    : await CallCache.open(command.cache ?? defaultCacheDirectory(), {
        onWarning: (message) => process.stderr.write(`spex: ${message}\n`),
      });
  // The inputs explained at once share the endpoints' calls: together they keep to --concurrency per endpoint.
  const slots =
    command.backend === 'ollama' || command.backend === 'openai'
      ? new CallSlots(command.concurrency * Math.max(1, command.endpoints.length))
      : undefined;
  try {
    const result = await runBatch({
      template: await readFile(command.input, 'utf8'),
      inputs: await readFile(batch.inputs, 'utf8'),
      granularity: command.granularity,
      onBroken: batch.onBroken,
      signal,
      onSkipped: (line, reason) => process.stderr.write(`spex: inputs line ${line} skipped: ${reason}\n`),
      inputsAtOnce: batch.inputsAtOnce,
      explain: async (rendered, input, position, count, inputSignal) => {
        // A template is text: its rendered prompt is explained as text, whatever it looks like.
        const document = { text: rendered.text };
        const own = await createValueSource(sourceOptionsFor(command, document, inputSignal, apiKey));
        const source = slots ? withSharedSlots(own, slots) : own;
        try {
          const explanation = await explainText({
            ...explainRequestFor(command, document, source, cache, inputSignal),
            segmented: { features: rendered.features, pinned: rendered.pinned },
          });
          if (!command.quiet)
            process.stderr.write(
              `spex: input ${position + 1}/${count} (line ${input.line}): ${explanation.calls.model} model calls, ${explanation.calls.cached} cached; ${describeVerdict(verdictOf(explanation))}\n`,
            );
          return explanation;
        } finally {
          await source.close();
        }
      },
    });
    const report =
      command.format === 'json'
        ? `${JSON.stringify(result, null, 2)}\n`
        : command.format === 'csv'
          ? formatBatchCsv(result)
          : command.format === 'html'
            ? formatBatchHtml(result)
            : formatBatchMarkdown(result);
    if (command.output !== undefined) {
      await writeFile(command.output, report, 'utf8');
      return '';
    }
    return report;
  } finally {
    await cache?.close();
  }
}
