import { readFile, writeFile } from 'node:fs/promises';
import type { Explanation } from '../../protocol/explanation';
import { describeVerdict, verdictOf } from '../../protocol/verdict';
import { aggregateBatch, type BatchAggregate } from '../batch/aggregate';
import { readInputs } from '../batch/inputs';
import { parseTemplate, renderTemplate, type Template } from '../batch/template';
import { CallCache } from '../cache/callCache';
import { defaultCacheDirectory } from '../cache/cacheDirectory';
import { explainText } from '../engine/explain';
import { createValueSource, sourceOptionsFor } from '../engine/valueSource';
import { formatBatchCsv, formatBatchMarkdown } from '../report/batchMarkdown';
import type { ExplainCommand } from './args';

export interface BatchOptions {
  readonly inputs: string;
  readonly onBroken: 'skip' | 'stop';
}

/** A template explained over its inputs: the aggregate, and each input's explanation. */
export interface BatchResult {
  readonly version: 1;
  readonly template: { readonly placeholders: readonly string[] };
  readonly granularity: ExplainCommand['granularity'];
  readonly spans: number;
  readonly inputs: readonly { readonly line: number; readonly explanation: Explanation }[];
  readonly skipped: readonly { readonly line: number; readonly reason: string }[];
  readonly calls: { readonly model: number; readonly cached: number };
  readonly aggregate: BatchAggregate;
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
  const template: Template = parseTemplate(await readFile(command.input, 'utf8'));
  const { inputs, skipped } = readInputs(await readFile(batch.inputs, 'utf8'), template.placeholders, batch.onBroken);
  for (const entry of skipped) process.stderr.write(`spex: inputs line ${entry.line} skipped: ${entry.reason}\n`);
  const cache = command.noCache
    ? undefined
    : await CallCache.open(command.cache ?? defaultCacheDirectory(), {
        onWarning: (message) => process.stderr.write(`spex: ${message}\n`),
      });
  const explained: { line: number; explanation: Explanation }[] = [];
  try {
    for (const [position, input] of inputs.entries()) {
      signal.throwIfAborted();
      const rendered = renderTemplate(template, input.values, command.granularity);
      const source = await createValueSource(sourceOptionsFor(command, rendered.text, signal, apiKey));
      try {
        const explanation = await explainText({
          text: rendered.text,
          granularity: command.granularity,
          segmented: { features: rendered.features, pinned: rendered.pinned },
          source,
          algorithm: command.algorithm,
          budget: command.budget,
          maxOrder: command.maxOrder,
          concurrency: command.concurrency,
          masking: command.masking,
          seed: command.seed,
          targetR2: command.targetR2,
          plateau: command.plateau,
          ...(command.valueRange ? { valueRange: command.valueRange } : {}),
          index: command.index,
          order: command.order,
          top: command.top,
          ...(cache ? { cache } : {}),
          signal,
        });
        explained.push({ line: input.line, explanation });
        if (!command.quiet)
          process.stderr.write(
            `spex: input ${position + 1}/${inputs.length} (line ${input.line}): ${explanation.calls.model} model calls, ${explanation.calls.cached} cached; ${describeVerdict(verdictOf(explanation))}\n`,
          );
      } finally {
        await source.close();
      }
    }
  } finally {
    await cache?.close();
  }
  const result: BatchResult = {
    version: 1,
    template: { placeholders: template.placeholders },
    granularity: command.granularity,
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
  const report =
    command.format === 'json'
      ? `${JSON.stringify(result, null, 2)}\n`
      : command.format === 'csv'
        ? formatBatchCsv(result)
        : formatBatchMarkdown(result);
  if (command.output !== undefined) {
    await writeFile(command.output, report, 'utf8');
    return '';
  }
  return report;
}
