/**
 * The `spex` command line: the same engine as the language server, for batch use and scripts.
 * Reports go to stdout (or --output), progress and errors to stderr.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { MaskingError } from './ablation/mask';
import { segmentText, SegmentationError } from './ablation/segment';
import { BackendError } from './backends/scorer';
import { ExecScorer } from './backends/exec';
import { parseCommandLine, USAGE, UsageError, type ExplainCommand } from './cli/args';
import { ExplainError, explainText } from './engine/explain';
import { RecoveryError } from './recovery/types';
import { formatMarkdown } from './report/markdown';
import { SPEX_VERSION } from './version';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

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
  const scorer = new ExecScorer({ command: command.exec, timeoutMs: command.timeoutMs });
  const controller = new AbortController();
  const interrupt = (): void => controller.abort(new ExplainError('Interrupted.'));
  process.once('SIGINT', interrupt);
  const showProgress = !command.quiet && process.stderr.isTTY;
  try {
    const explanation = await explainText({
      text,
      granularity: command.granularity,
      pin: command.pin,
      masking: command.masking,
      scorer,
      algorithm: command.algorithm,
      budget: command.budget,
      maxOrder: command.maxOrder,
      index: command.index,
      order: command.order,
      top: command.top,
      seed: command.seed,
      concurrency: command.concurrency,
      signal: controller.signal,
      ...(showProgress ? { onProgress: ({ done, planned }) => process.stderr.write(`\rspex: ${done}/≤${planned} masks scored`) } : {}),
    });
    if (showProgress) process.stderr.write('\n');
    const report = command.format === 'json' ? `${JSON.stringify(explanation, null, 2)}\n` : formatMarkdown(explanation);
    if (command.output === undefined) process.stdout.write(report);
    else await writeFile(command.output, report, 'utf8');
    return EXIT_OK;
  } finally {
    process.off('SIGINT', interrupt);
    await scorer.close();
  }
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
  if (error instanceof ExplainError || error instanceof BackendError || error instanceof RecoveryError)
    return { message: error.message, code: EXIT_FAILURE };
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
