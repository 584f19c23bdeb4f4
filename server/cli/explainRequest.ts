import type { CallStore } from '../engine/cachedScorer';
import type { ExplainRequest } from '../engine/explain';
import type { ValueSource } from '../engine/valueSource';
import type { PromptDocument } from '../ablation/promptDocument';
import type { ExplainCommand } from './args';

/** One explanation as the command line's options describe it: what compare and batch run for each text. */
export function explainRequestFor(
  command: ExplainCommand,
  document: PromptDocument,
  source: ValueSource,
  cache: CallStore | undefined,
  signal: AbortSignal,
): ExplainRequest {
  return {
    text: document.text,
    ...(document.chat ? { document } : {}),
    granularity: command.granularity,
    pin: command.pin,
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
  };
}
