import { readFile, writeFile } from 'node:fs/promises';
import { CallCache } from '../cache/callCache';
import { defaultCacheDirectory } from '../cache/cacheDirectory';
import { compareExplanations } from '../compare/compareExplanations';
import { explainText, ExplainError } from '../engine/explain';
import { createValueSource, sourceOptionsFor } from '../engine/valueSource';
import { readPrompt } from '../ablation/promptDocument';
import { formatComparisonHtml, formatComparisonMarkdown } from '../report/comparisonMarkdown';
import type { ExplainCommand } from './args';
import { explainRequestFor } from './explainRequest';

/**
 * `spex compare A B`: explains both versions with the same settings (B with --model-b where given),
 * through one call cache, and reports what changed. The reports go to standard output or --output;
 * progress lines go to standard error.
 */
export async function compareCommand(
  command: ExplainCommand & { readonly compare: { readonly inputB: string; readonly modelB?: string } },
  signal: AbortSignal,
  apiKey: string | undefined,
): Promise<string> {
  const [textA, textB] = await Promise.all([readFile(command.input, 'utf8'), readFile(command.compare.inputB, 'utf8')]);
  if (textA.trim() === '' || textB.trim() === '') throw new ExplainError('One of the two files is empty: there is nothing to compare.');
  const cache = command.noCache
    ? undefined
    : await CallCache.open(command.cache ?? defaultCacheDirectory(), {
        onWarning: (message) => process.stderr.write(`spex: ${message}\n`),
      });
  try {
    const explainOne = async (text: string, file: string, label: 'A' | 'B', model: string | undefined) => {
      const document = readPrompt(text, command.promptFormat, file);
      const source = await createValueSource(
        sourceOptionsFor({ ...command, ...(model === undefined ? {} : { model }) }, document, signal, apiKey),
      );
      try {
        const explanation = await explainText(explainRequestFor(command, document, source, cache, signal));
        if (!command.quiet)
          process.stderr.write(
            `spex: ${label}: ${explanation.features.length} spans, ${explanation.calls.model} model calls, ${explanation.calls.cached} cached\n`,
          );
        return explanation;
      } finally {
        await source.close();
      }
    };
    const a = await explainOne(textA, command.input, 'A', undefined);
    const b = await explainOne(textB, command.compare.inputB, 'B', command.compare.modelB);
    const comparison = compareExplanations(a, b);
    const report =
      command.format === 'json'
        ? `${JSON.stringify(comparison, null, 2)}\n`
        : command.format === 'html'
          ? formatComparisonHtml(comparison)
          : formatComparisonMarkdown(comparison);
    if (command.output !== undefined) await writeFile(command.output, report, 'utf8');
    return command.output === undefined ? report : '';
  } finally {
    await cache?.close();
  }
}
