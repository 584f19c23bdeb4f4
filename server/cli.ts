/**
 * The `spex` command line: the same engine as the language server, for batch use and scripts.
 * Reports go to stdout (or --output), progress and errors to stderr.
 */
// First: libuv's thread pool must be sized before anything starts it (see the module).
import './backends/llama/threadPool';
import { readFile, writeFile } from 'node:fs/promises';
import { MaskingError } from './ablation/mask';
import { segmentText, SegmentationError } from './ablation/segment';
import { EndpointError } from './backends/modelEndpoint';
import { BackendError } from './backends/scorer';
import { unreachableHelp } from './backends/unreachableHelp';
import { CallCache } from './cache/callCache';
import { defaultCacheDirectory } from './cache/cacheDirectory';
import { parseCommandLine, USAGE, UsageError, type ExplainCommand } from './cli/args';
import { ExplainError, explainText, previewCost } from './engine/explain';
import { createValueSource, sourceOptionsFor } from './engine/valueSource';
import { RecoveryError } from './recovery/types';
import { formatCsv } from './report/csv';
import { formatHtml } from './report/html';
import { formatMarkdown } from './report/markdown';
import { ValueSetupError } from './value/chooseValueFunction';
import { SPEX_VERSION } from './version';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

// Client libraries sometimes log with console.log; stdout carries the report, so their words go to stderr.
console.log = (...args: unknown[]): void => {
  process.stderr.write(`${args.map(String).join(' ')}\n`);
};

async function main(argv: readonly string[]): Promise<number> {
  const command = parseCommandLine(argv);
  switch (command.kind) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    case 'version':
      process.stdout.write(`${SPEX_VERSION}\n`);
      return EXIT_OK;
    case 'segment': {
      const text = await readInput(command.input);
      const segmentation = segmentText(text, { granularity: command.granularity, pin: command.pin });
      process.stdout.write(`${JSON.stringify(segmentation, null, 2)}\n`);
      return EXIT_OK;
    }
    case 'explain':
      return explain(command);
  }
}

async function explain(command: ExplainCommand): Promise<number> {
  const text = await readInput(command.input);
  const controller = new AbortController();
  const interrupt = (): void => {
    controller.abort(new ExplainError('Interrupted.'));
    // The abort ends the run at once (fits run in a worker thread, which it terminates); should closing
    // the scorer or the cache still hold the process, a person who pressed Ctrl-C gets the prompt back anyway.
    setTimeout(exitInterrupted, INTERRUPT_GRACE_MS).unref();
  };
  process.once('SIGINT', interrupt);
  const showProgress = !command.quiet && process.stderr.isTTY;
  let apiKey: string | undefined;
  if (command.apiKeyEnv !== undefined) {
    apiKey = process.env[command.apiKeyEnv];
    if (!apiKey) throw new UsageError(`The environment variable ${command.apiKeyEnv} named by --api-key-env is not set.`);
  }
  const source = await createValueSource(sourceOptionsFor(command, text, controller.signal, apiKey));
  let cache: CallCache | undefined;
  try {
    cache = command.noCache ? undefined : await CallCache.open(command.cache ?? defaultCacheDirectory());
    const common = {
      text,
      granularity: command.granularity,
      pin: command.pin,
      source,
      algorithm: command.algorithm,
      budget: command.budget,
      maxOrder: command.maxOrder,
      concurrency: command.concurrency,
      signal: controller.signal,
    };
    if (command.dryRun) {
      const preview = await previewCost(common);
      process.stdout.write(
        `${JSON.stringify({ features: preview.features, algorithm: preview.plan.algorithm, reason: preview.plan.reason, plannedMasks: preview.plannedMasks, plannedCalls: preview.plannedCalls, valueFunction: preview.valueFunction, estimatedSeconds: Math.round(preview.estimatedMs / 100) / 10 }, null, 2)}\n`,
      );
      return EXIT_OK;
    }
    const explanation = await explainText({
      ...common,
      targetR2: command.targetR2,
      plateau: command.plateau,
      masking: command.masking,
      index: command.index,
      order: command.order,
      top: command.top,
      seed: command.seed,
      ...(cache ? { cache } : {}),
      ...(showProgress
        ? {
            onProgress: ({ done, planned, cached }) =>
              process.stderr.write(`\rspex: ${done}/≤${planned} masks scored (${cached} from the cache)`),
          }
        : {}),
    });
    if (showProgress) process.stderr.write('\n');
    const usage = source.usage?.();
    if (usage !== undefined && !command.quiet) process.stderr.write(`spex: ${usage}\n`);
    const report =
      command.format === 'json'
        ? `${JSON.stringify(explanation, null, 2)}\n`
        : command.format === 'html'
          ? formatHtml(explanation)
          : command.format === 'csv'
            ? formatCsv(explanation)
            : formatMarkdown(explanation);
    if (command.output === undefined) process.stdout.write(report);
    else await writeFile(command.output, report, 'utf8');
    return EXIT_OK;
  } finally {
    process.off('SIGINT', interrupt);
    await cache?.close();
    await source.close();
  }
}

/** How long after Ctrl-C the run may take to wind down before the process exits regardless. */
const INTERRUPT_GRACE_MS = 800;

function exitInterrupted(): void {
  // The message is written once: by the failure handler below when the run has already ended.
  if (process.exitCode === undefined) {
    process.stderr.write('spex: Interrupted.\n');
    process.exitCode = EXIT_FAILURE;
  }
  process.exit();
}

async function readInput(input: string): Promise<string> {
  if (input !== '-') return readFile(input, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function describe(error: unknown): { message: string; code: number } {
  if (error instanceof UsageError) return { message: `${error.message}\n\n${USAGE}`, code: EXIT_USAGE };
  if (error instanceof SegmentationError || error instanceof MaskingError) return { message: error.message, code: EXIT_USAGE };
  if (error instanceof EndpointError && error.unreachable) return { message: unreachableHelp(error), code: EXIT_FAILURE };
  if (
    error instanceof ExplainError ||
    error instanceof BackendError ||
    error instanceof RecoveryError ||
    error instanceof EndpointError ||
    error instanceof ValueSetupError
  ) {
    return { message: error.message, code: EXIT_FAILURE };
  }
  const nodeError = error as NodeJS.ErrnoException;
  if (nodeError.code === 'ENOENT' && typeof nodeError.path === 'string') {
    return { message: `No such file: ${nodeError.path}`, code: EXIT_FAILURE };
  }
  return { message: error instanceof Error ? (error.stack ?? error.message) : String(error), code: EXIT_FAILURE };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const { message, code } = describe(error);
    process.stderr.write(`spex: ${message}\n`);
    process.exitCode = code;
  },
);
