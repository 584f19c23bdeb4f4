/**
 * The `spex` command line: the same engine as the language server, for batch use and scripts.
 * Reports go to stdout (or --output), progress and errors to stderr.
 */
// First: libuv's thread pool must be sized before anything starts it (see the module).
import './backends/llama/threadPool';
import { constants } from 'node:fs';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeDevice } from '../protocol/device';
import type { Explanation } from '../protocol/explanation';
import { MaskingError } from './ablation/mask';
import { SegmentationError } from './ablation/segment';
import { readPrompt, segmentPrompt } from './ablation/promptDocument';
import { MessageListError } from './ablation/messages';
import { EndpointError } from './backends/modelEndpoint';
import { BackendError } from './backends/scorer';
import { unreachableHelp } from './backends/unreachableHelp';
import { CacheError, CallCache } from './cache/callCache';
import { defaultCacheDirectory } from './cache/cacheDirectory';
import { helpText, parseCommandLine, UsageError, wantsDebug, type ExplainCommand, type McpCommand } from './cli/args';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ExplainService } from './lsp/explainService';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createMcpServer, type McpOptions } from './mcp/mcpServer';
import { McpHttpError, startMcpHttpServer } from './mcp/httpServer';
import { settingsFromCommand } from './mcp/settingsFromCommand';
import { ExplainError, explainText, previewCost, type ExplainProgress } from './engine/explain';
import { drillDown } from './engine/drillDownRun';
import { DrillDownError } from './engine/drillDown';
import { compareCommand } from './cli/compareCommand';
import { explainRequestFor } from './cli/explainRequest';
import { batchCommand } from './cli/batchCommand';
import { TemplateError } from './batch/template';
import { InputsError } from './batch/inputs';
import { describeRefinement } from '../protocol/refinement';
import { PROGRESS_INTERVAL_MS, throttleLatest } from './engine/throttle';
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
      process.stdout.write(`${helpText(command.topic)}\n`);
      return EXIT_OK;
    case 'version':
      process.stdout.write(`${SPEX_VERSION}\n`);
      return EXIT_OK;
    case 'segment': {
      const text = await readInput(command.input, 'segment');
      const segmentation = segmentPrompt(
        readPrompt(text, command.promptFormat, fileNameOf(command.input)),
        command.granularity,
        command.pin,
      );
      process.stdout.write(`${JSON.stringify(segmentation, null, 2)}\n`);
      return EXIT_OK;
    }
    case 'mcp':
      return serveMcp(command);
    case 'explain':
      if (command.batch) return batch(command, command.batch);
      return command.compare ? compare(command, command.compare) : explain(command);
  }
}

/**
 * A command that reads several files and writes one report (batch, compare): the files and --output
 * are checked before any model call, Ctrl-C aborts the run, and the API key comes from --api-key-env.
 */
async function runToStdout(
  command: ExplainCommand,
  inputs: readonly string[],
  interrupted: string,
  run: (signal: AbortSignal, apiKey: string | undefined) => Promise<string>,
): Promise<number> {
  if (command.output !== undefined) await checkWritable(command.output);
  // The same one-line message as explain's for a missing file or a folder, before any model call.
  for (const input of inputs) await readInput(input, 'explain');
  const controller = new AbortController();
  const interrupt = (): void => {
    controller.abort(new ExplainError(interrupted));
    setTimeout(exitInterrupted, INTERRUPT_GRACE_MS).unref();
  };
  process.once('SIGINT', interrupt);
  try {
    process.stdout.write(await run(controller.signal, apiKeyFrom(command)));
    return EXIT_OK;
  } finally {
    process.off('SIGINT', interrupt);
  }
}

/** The API key from the environment variable --api-key-env names; refused when that variable is not set. */
function apiKeyFrom(command: ExplainCommand): string | undefined {
  if (command.apiKeyEnv === undefined) return undefined;
  const apiKey = process.env[command.apiKeyEnv];
  if (!apiKey) throw new UsageError(`The environment variable ${command.apiKeyEnv} named by --api-key-env is not set.`);
  return apiKey;
}

function batch(command: ExplainCommand, options: NonNullable<ExplainCommand['batch']>): Promise<number> {
  return runToStdout(
    command,
    [command.input, options.inputs],
    'Interrupted; the calls made so far are stored, and a rerun reuses them.',
    (signal, apiKey) => batchCommand(command, options, signal, apiKey),
  );
}

function compare(command: ExplainCommand, versions: NonNullable<ExplainCommand['compare']>): Promise<number> {
  return runToStdout(command, [command.input, versions.inputB], 'Interrupted.', (signal, apiKey) =>
    compareCommand({ ...command, compare: versions }, signal, apiKey),
  );
}

/**
 * `spex mcp`: the MCP server over standard input and output until the client closes them. Standard
 * output carries MCP messages only; a word for the person goes to standard error. With --http PORT,
 * over Streamable HTTP on 127.0.0.1 instead, until SIGINT or SIGTERM.
 */
async function serveMcp(command: McpCommand): Promise<number> {
  const { defaults } = command;
  const service = new ExplainService({ cacheDirectory: defaults.cache ?? defaultCacheDirectory() }, (message) =>
    process.stderr.write(`spex mcp: ${message}\n`),
  );
  service.updateSettings(settingsFromCommand(defaults));
  const apiKey = apiKeyFrom(defaults);
  if (apiKey !== undefined) service.setApiKey(apiKey);
  const options: McpOptions = {
    maxBudget: command.maxBudget,
    defaultBudget: defaults.budget,
    allowRemote: command.allowRemote,
  };
  if (command.http !== undefined) return serveMcpOverHttp(service, () => createMcpServer(service, options), command.http, defaults.backend);
  const server = createMcpServer(service, options);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await server.connect(transport);
  if (!defaults.quiet) process.stderr.write(`spex mcp: serving MCP on standard input and output (${defaults.backend} backend)\n`);
  await closed;
  await server.close().catch(() => undefined);
  await service.dispose();
  return EXIT_OK;
}

/**
 * `spex mcp --http PORT`: every client session gets a server of its own over the one ExplainService
 * (settings, call cache, kept explanations). The URL line is written even with --quiet: with port 0 it
 * is the only way a caller learns the port. SIGINT or SIGTERM closes every session and the port.
 */
async function serveMcpOverHttp(service: ExplainService, newServer: () => McpServer, port: number, backend: string): Promise<number> {
  // A port that cannot be opened is told in one line (exit 1), with the service's scorers and cache closed first.
  const http = await startMcpHttpServer(newServer, port).catch(async (error: unknown) => {
    await service.dispose();
    throw error;
  });
  process.stderr.write(`spex mcp: serving MCP at ${http.url} (${backend} backend)\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await http.close();
  await service.dispose();
  return EXIT_OK;
}

async function explain(command: ExplainCommand): Promise<number> {
  if (command.output !== undefined) await checkWritable(command.output);
  const text = await readInput(command.input, 'explain');
  const document = readPrompt(text, command.promptFormat, fileNameOf(command.input));
  const controller = new AbortController();
  const interrupt = (): void => {
    controller.abort(new ExplainError('Interrupted.'));
    // The abort ends the run at once (fits run in a worker thread, which it terminates); should closing
    // the scorer or the cache still hold the process, a person who pressed Ctrl-C gets the prompt back anyway.
    setTimeout(exitInterrupted, INTERRUPT_GRACE_MS).unref();
  };
  process.once('SIGINT', interrupt);
  const showProgress = !command.quiet && process.stderr.isTTY;
  const apiKey = apiKeyFrom(command);
  const source = await createValueSource(sourceOptionsFor(command, document, controller.signal, apiKey));
  // Why the llama backend is not (wholly) on a GPU, said before the run rather than after it, like a cache warning.
  const device = source.device?.();
  if (device?.note !== undefined) process.stderr.write(`spex: llama on ${describeDevice(device)}\n`);
  let cache: CallCache | undefined;
  try {
    cache = command.noCache
      ? undefined
      : await CallCache.open(command.cache ?? defaultCacheDirectory(), {
          // A damaged line, a lost key secret or a full disk loses no answer but deserves a word, once.
          onWarning: (message) => process.stderr.write(`spex: ${message}\n`),
        });
    const common = explainRequestFor(command, document, source, cache, controller.signal);
    if (command.dryRun) {
      const preview = await previewCost(common);
      process.stdout.write(
        `${JSON.stringify({ features: preview.features, algorithm: preview.plan.algorithm, reason: preview.plan.reason, plannedMasks: preview.plannedMasks, plannedCalls: preview.plannedCalls, valueFunction: preview.valueFunction, estimatedSeconds: Math.round(preview.estimatedMs / 100) / 10, sample: preview.sample }, null, 2)}\n`,
      );
      return EXIT_OK;
    }
    // At most ten redraws a second, the last one always drawn.
    const progress = showProgress
      ? throttleLatest<ExplainProgress>(
          ({ done, planned, cached }) => process.stderr.write(`\rspex: ${done}/≤${planned} masks scored (${cached} from the cache)`),
          PROGRESS_INTERVAL_MS,
        )
      : undefined;
    let explanation: Explanation;
    try {
      const request = { ...common, ...(progress ? { onProgress: (update: ExplainProgress) => progress.push(update) } : {}) };
      if (command.refine.length === 0) explanation = await explainText(request);
      else {
        // A drill-down: each level's line says what it split and what the coarser calls saved.
        const levels = await drillDown(
          request,
          command.refine.map((granularity) => ({ granularity, top: command.refineTop })),
          (level) => {
            progress?.flush();
            if (progress) process.stderr.write('\n');
            if (!command.quiet)
              process.stderr.write(
                `spex: ${level.refinement ? describeRefinement(level) : `${level.granularity} level: ${level.features.length} spans, ${level.calls.model} model calls, ${level.calls.cached} cached`}\n`,
              );
          },
        );
        explanation = levels.at(-1) as Explanation;
      }
    } finally {
      // The last state is drawn before anything else is written, a failure's message included.
      progress?.flush();
    }
    if (progress) process.stderr.write('\n');
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
    else {
      try {
        await writeFile(command.output, report, 'utf8');
      } catch (error) {
        // The model calls are paid for: the report goes to standard output rather than nowhere.
        process.stderr.write(`spex: ${describeFileError(error, command.output)} The report follows on standard output instead.\n`);
        process.stdout.write(report);
        return EXIT_FAILURE;
      }
    }
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

/** An input or output file that cannot be used, said in one sentence: exit code 1. */
class FileError extends Error {
  override readonly name = 'FileError';
}

/** The input's file name, which tells a .prompt file (standard input has none). */
function fileNameOf(input: string): string | undefined {
  return input === '-' ? undefined : input;
}

async function readInput(input: string, verb: 'explain' | 'segment'): Promise<string> {
  if (input !== '-') {
    try {
      return await readFile(input, 'utf8');
    } catch (error) {
      // readFile's errors for a folder carry no path; the message names the input either way.
      throw new FileError(describeFileError(error, input));
    }
  }
  if (process.stdin.isTTY) {
    process.stderr.write(
      `spex: reading the text to ${verb} from standard input; end it with Ctrl-D ` +
        `(Ctrl-Z, Enter on Windows), or name a file: spex ${verb} FILE\n`,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Checks before any model call that --output names a file that can be written: a folder, a missing
 * folder or a read-only place would otherwise only show once the run is paid for.
 */
async function checkWritable(output: string): Promise<void> {
  const existing = await stat(output).catch(() => undefined);
  if (existing?.isDirectory())
    throw new UsageError(`--output ${output} is a folder; name the report file, e.g. --output ${path.join(output, 'report.md')}.`);
  const target = existing ? output : path.dirname(path.resolve(output));
  try {
    await access(target, constants.W_OK);
  } catch (error) {
    throw new UsageError(`--output ${output} cannot be written: ${describeFileError(error)}`);
  }
}

/** What the file system said, in one sentence that names the path. */
function describeFileError(error: unknown, file?: string): string {
  const { code, path: where, message } = error as NodeJS.ErrnoException;
  const name = file ?? where ?? 'the file';
  switch (code) {
    case 'ENOENT':
      return `No such file${file === undefined ? ' or folder' : ''}: ${name}.`;
    case 'EISDIR':
      return `${name} is a folder, not a file; name a file (or - for standard input).`;
    case 'ENOTDIR':
      return `${name}: part of this path is a file, not a folder.`;
    case 'EACCES':
    case 'EPERM':
      return `Permission denied: ${name}.`;
    case 'EROFS':
      return `${name} is on a read-only file system.`;
    case 'ENOSPC':
      return `No space left on the disk holding ${name}.`;
    default:
      return `${name}: ${message ?? String(error)}`;
  }
}

function describe(error: unknown): { message: string; code: number } {
  if (error instanceof UsageError) return { message: error.message, code: EXIT_USAGE };
  if (error instanceof SegmentationError || error instanceof MaskingError || error instanceof MessageListError)
    return { message: error.message, code: EXIT_USAGE };
  if (error instanceof EndpointError && error.unreachable) return { message: unreachableHelp(error), code: EXIT_FAILURE };
  if (
    error instanceof ExplainError ||
    error instanceof BackendError ||
    error instanceof RecoveryError ||
    error instanceof EndpointError ||
    error instanceof ValueSetupError ||
    error instanceof CacheError ||
    error instanceof TemplateError ||
    error instanceof DrillDownError ||
    error instanceof InputsError ||
    error instanceof McpHttpError
  ) {
    return { message: error.message, code: EXIT_FAILURE };
  }
  if (error instanceof FileError) return { message: error.message, code: EXIT_FAILURE };
  const nodeError = error as NodeJS.ErrnoException | undefined;
  if (typeof nodeError?.code === 'string' && typeof nodeError.path === 'string')
    return { message: describeFileError(error), code: EXIT_FAILURE };
  const message = error instanceof Error ? error.message : String(error);
  return {
    message: `Unexpected error: ${message.split('\n')[0] ?? message} (run again with --debug for the stack trace, and please report it).`,
    code: EXIT_FAILURE,
  };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const { message, code } = describe(error);
    process.stderr.write(`spex: ${message}\n`);
    if (wantsDebug(process.argv.slice(2)) && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
    process.exitCode = code;
  },
);
