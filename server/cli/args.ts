import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GPU_CHOICES } from '../../protocol/device';
import type { Granularity } from '../../protocol/features';
import { isGranularity } from '../../protocol/features';
import { parseMasking, type Masking } from '../ablation/mask';
import { PROMPT_FORMATS, type PromptFormat } from '../ablation/promptDocument';
import { DEFAULT_INPUTS_AT_ONCE } from '../batch/runBatch';
import { DEFAULT_OLLAMA_HOST } from '../backends/ollamaEndpoint';
import { INDEX_NAMES } from '../recovery/indexNames';
import { endpointUrlProblem } from '../lsp/endpointUrl';
import { DEFAULT_LLAMA_IDLE_TIMEOUT_S, DEFAULT_PLATEAU, DEFAULT_TARGET_R2, type ExplainConfig } from '../lsp/explainConfig';
import { ALGORITHM_NAMES, type ValueRange } from '../recovery/types';
import { VALUE_FUNCTION_NAMES } from '../value/valueFunction';
import { parseValueRange, VALUE_RANGE_SHAPE } from '../../protocol/valueRange';

export const OUTPUT_FORMATS = ['json', 'markdown', 'html', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export const BACKEND_NAMES = ['ollama', 'openai', 'exec', 'llama'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** An explain run from the command line: the engine's options plus what only the CLI has. */
export interface ExplainCommand extends ExplainConfig {
  readonly kind: 'explain';
  /** A file path, or '-' for standard input. */
  readonly input: string;
  /** The name of an environment variable holding the API key (never the key itself). */
  readonly apiKeyEnv: string | undefined;
  readonly cache: string | undefined;
  readonly noCache: boolean;
  readonly dryRun: boolean;
  readonly format: OutputFormat;
  readonly output: string | undefined;
  readonly quiet: boolean;
  /** Drill-down steps (--refine, repeatable): after the run, split the strongest spans into each unit in turn. */
  readonly refine: readonly Granularity[];
  /** How many of the strongest spans each drill-down step splits (--refine-top). */
  readonly refineTop: number;
  /** spex compare: the second version, and another model to explain it with (--model-b). */
  readonly compare?: { readonly inputB: string; readonly modelB?: string };
  /** spex batch: the JSON Lines file of inputs, and what a broken line does (--on-broken). */
  readonly batch?: { readonly inputs: string; readonly onBroken: 'skip' | 'stop'; readonly inputsAtOnce: number };
}

export interface SegmentCommand {
  readonly kind: 'segment';
  readonly input: string;
  readonly granularity: Granularity;
  readonly pin: string[];
  readonly promptFormat: PromptFormat;
}

/** Which help text to show: the overview (`spex --help`) or one command's (`spex explain --help`). */
export type HelpTopic = 'overview' | 'explain' | 'segment' | 'compare' | 'batch' | 'mcp';

/** `spex mcp`: an MCP server over stdio; the explain options given are every tool call's defaults. */
export interface McpCommand {
  readonly kind: 'mcp';
  readonly defaults: ExplainCommand;
  /** The most masks one tool call may ask for. */
  readonly maxBudget: number;
  /** The origins of remote endpoints the user agreed to send prompts to ('*': any); calls to others are refused. */
  readonly allowRemote: readonly string[];
  /** --http PORT: serve Streamable HTTP on 127.0.0.1 at this port (0: any free port) instead of stdio. */
  readonly http?: number;
}

export type CliCommand =
  ExplainCommand | SegmentCommand | McpCommand | { readonly kind: 'help'; readonly topic: HelpTopic } | { readonly kind: 'version' };

/** A mistake in the command line: reported in one line with exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const COMMANDS = `Usage:
  spex explain [FILE|-] [options]          explain which spans of FILE drive the model's answer
  spex compare A B [options]               explain two versions of a prompt and what changed between them
  spex batch TEMPLATE --inputs FILE        explain a {{placeholder}} template over a JSON Lines data set
  spex segment [FILE|-] [--granularity G]  print the features FILE splits into, as JSON
  spex mcp [options]                       serve MCP to agents (stdio, or --http PORT): see spex mcp --help
  spex --version | --help
Without FILE, or with -, the text is read from standard input.`;

const EXIT_CODES = 'Exit codes: 0 success, 1 runtime failure (file, model, endpoint, scorer), 2 usage error.';

const EXPLAIN_OPTIONS = `Model:
  --backend B           ollama | openai | exec | llama       (default: ollama; exec when --exec is given)
  --endpoint URL        endpoint base URL; repeat for a pool of endpoints     (default: ${DEFAULT_OLLAMA_HOST};
                        openai: http://127.0.0.1:8000/v1)
  --model NAME          model to explain                          (default: the endpoint's first model);
                        llama: a GGUF file or a pulled Ollama model name (llama3.2:1b), no server needed
  --api-key-env VAR     read the API key from environment variable VAR (keys never go on the command line)
  --api A               openai backend: completions | chat                        (default: completions)
  --raw                 ollama, llama backends: prompts without the chat template (completion models)
  --exec COMMAND        exec backend: a scorer speaking JSON Lines on stdin/stdout
What is measured:
  --value V             auto | logprob | label | similarity                          (default: auto)
  --target TEXT         the answer to explain (default: generated from the full prompt); the label for --value label
  --max-answer-tokens N longest answer generated or scored                          (default: 32)
  --value-range MIN:MAX the value always lies in MIN..MAX (an exec scorer's sentiment score: -1:1);
                        it is then fit on a link scale where saturation is no interaction
Features:
  --granularity G       token | word | sentence | line | paragraph | message | separator:REGEX   (default: sentence)
  --pin REGEX           text matching REGEX is never removed (repeatable)
  --prompt-format F     auto | text | messages: a chat message list (JSON, YAML, .prompt) is explained
                        message by message and sent as messages                      (default: auto)
  --mask M              remove | placeholder | placeholder:TEXT                     (default: remove)
  --refine G            drill down: then split the strongest spans into G units and explain again,
                        reusing every scored mask (repeatable: --refine sentence --refine word)
  --refine-top K        how many of the strongest spans each --refine step splits           (default: 1)
Recovery:
  --algorithm A         auto | exact | proxyspex | spex                              (default: auto)
  --budget N            most model scores: the masks and 2 noise-floor repeats       (default: 1000)
  --max-order T         recovery degree: highest interaction order searched, 1-8     (default: 5)
  --target-r2 X         stop sampling once fresh masks are predicted with R² ≥ X     (default: ${DEFAULT_TARGET_R2})
  --plateau X           stop sampling once a round gains less than X in fresh R²     (default: ${DEFAULT_PLATEAU})
  --seed N              seed of every random choice; the same seed repeats a run     (default: 0)
Report:
  --index I             fourier | mobius | shapley | banzhaf | sii | bii | fsii | fbii | stii  (default: fsii)
  --order K             index order: largest interaction reported, 1-8               (default: 2)
  --top K               interactions to report, 0 = all terms and the empty set       (default: 10)
  --format F            json | markdown | html | csv                                  (default: markdown)
  --output FILE         write the report to FILE instead of standard output
Running:
  --concurrency N       model calls in flight per endpoint; llama: workers, at most one per core (default: 4)
  --threads N           llama backend: llama.cpp threads per worker, 0 = cores ÷ workers      (default: 0)
  --gpu G               llama backend: auto | off | metal | cuda | vulkan                    (default: auto)
                        auto: the GPU node-llama-cpp detects, if its prebuilt binary is installed,
                        else the CPU (it says why); a model too big for the GPU is split with the CPU
  --timeout MS          per-call timeout in milliseconds                             (default: 60000)
  --retries N           retries of a failed call (429, 5xx, timeout), with backoff   (default: 6)
  --cache DIR           call cache directory        (default: $SPEX_CACHE_DIR or the user cache dir)
  --no-cache            do not read or write the call cache
  --dry-run             print the cost preview (features, planned calls, value function, time) and stop
  --quiet               no progress on standard error
  --debug               show the stack trace of an error (for bug reports)`;

const SEGMENT_OPTIONS = `Options:
  --granularity G       token | word | sentence | line | paragraph | message | separator:REGEX   (default: sentence)
  --pin REGEX           text matching REGEX is never removed (repeatable)
  --prompt-format F     auto | text | messages                                       (default: auto)
  --debug               show the stack trace of an error (for bug reports)`;

/** `spex --help`: the commands, then explain's options (the command nearly every run uses). */
export const USAGE = `${COMMANDS}\n\nOptions of spex explain:\n${EXPLAIN_OPTIONS}\n\n${EXIT_CODES}`;

const HELP: Record<HelpTopic, string> = {
  overview: USAGE,
  explain: `Usage: spex explain [FILE|-] [options]
Explains which spans of FILE (or standard input) drive the model's answer, and prints a report.

${EXPLAIN_OPTIONS}

${EXIT_CODES}`,
  compare: `Usage: spex compare A B [options]
Explains two versions of a prompt with the same settings, lines their spans up by text (unchanged, edited,
added, removed) and reports each span's and each interaction's value in A, in B and the change; whether the
answers differ comes first. --format markdown | html | json (default: markdown).
  --model-b NAME        explain B with this model instead (the same text, or another, under another model)

${EXPLAIN_OPTIONS}

${EXIT_CODES}`,
  batch: `Usage: spex batch TEMPLATE --inputs data.jsonl [options]
Explains a prompt template with {{placeholders}} over every input of a JSON Lines file (one object per line,
a key per placeholder): the template's own spans are the features, each input's text is pinned. Reports per
span its mean total effect, spread and how often it is in a top interaction, the interactions that recur and
the inputs where the template behaves differently. --format markdown | html | json | csv (default: markdown).
  --inputs FILE         the inputs, one JSON object per line
  --on-broken B         skip | stop: what a broken inputs line does                 (default: skip)
  --inputs-at-once N    inputs explained at once; their calls share --concurrency    (default: 2)

${EXPLAIN_OPTIONS}

${EXIT_CODES}`,
  mcp: `Usage: spex mcp [options]
Serves the Model Context Protocol to agents: the tools explain_interactions, estimate_cost, what_if, refine and
compare_prompts, each explanation as a resource spex://explanation/{id}, and the explanation drawn in the chat
(ui://spex/explanation.html, MCP Apps). The options of spex explain below are every tool call's defaults.
  --max-budget N        the most masks one tool call may ask for; above it, refused  (default: 4000)
  --allow-remote ORIGIN an endpoint off this machine prompts may be sent to (repeat; * for any); calls to
                        others are refused before anything is sent
  --http PORT           serve Streamable HTTP at http://127.0.0.1:PORT/mcp instead of standard input and
                        output (0: any free port; the URL is printed to standard error)

${EXPLAIN_OPTIONS}

${EXIT_CODES}`,
  segment: `Usage: spex segment [FILE|-] [options]
Prints the features FILE (or standard input) splits into, with their UTF-16 offsets, as JSON.

${SEGMENT_OPTIONS}

${EXIT_CODES}`,
};

/** The help text for a topic. */
export function helpText(topic: HelpTopic): string {
  return HELP[topic];
}

const OPTIONS = {
  backend: { type: 'string' },
  endpoint: { type: 'string', multiple: true, default: [] },
  model: { type: 'string' },
  'api-key-env': { type: 'string' },
  api: { type: 'string', default: 'completions' },
  raw: { type: 'boolean', default: false },
  'prompt-format': { type: 'string', default: 'auto' },
  exec: { type: 'string' },
  value: { type: 'string', default: 'auto' },
  target: { type: 'string' },
  'max-answer-tokens': { type: 'string', default: '32' },
  'value-range': { type: 'string' },
  granularity: { type: 'string', default: 'sentence' },
  pin: { type: 'string', multiple: true, default: [] },
  refine: { type: 'string', multiple: true, default: [] },
  'refine-top': { type: 'string', default: '1' },
  'model-b': { type: 'string' },
  inputs: { type: 'string' },
  'on-broken': { type: 'string', default: 'skip' },
  'max-budget': { type: 'string', default: '4000' },
  'allow-remote': { type: 'string', multiple: true, default: [] },
  http: { type: 'string' },
  'inputs-at-once': { type: 'string', default: String(DEFAULT_INPUTS_AT_ONCE) },
  mask: { type: 'string', default: 'remove' },
  algorithm: { type: 'string', default: 'auto' },
  budget: { type: 'string', default: '1000' },
  'max-order': { type: 'string', default: '5' },
  'target-r2': { type: 'string', default: String(DEFAULT_TARGET_R2) },
  plateau: { type: 'string', default: String(DEFAULT_PLATEAU) },
  index: { type: 'string', default: 'fsii' },
  order: { type: 'string', default: '2' },
  top: { type: 'string', default: '10' },
  seed: { type: 'string', default: '0' },
  concurrency: { type: 'string', default: '4' },
  threads: { type: 'string', default: '0' },
  gpu: { type: 'string' },
  timeout: { type: 'string', default: '60000' },
  retries: { type: 'string', default: '6' },
  cache: { type: 'string' },
  'no-cache': { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  format: { type: 'string', default: 'markdown' },
  output: { type: 'string' },
  quiet: { type: 'boolean', default: false },
  debug: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'v', default: false },
} as const satisfies ParseArgsConfig['options'];

/** True when the command line asks for stack traces; read before parsing, so it works even when parsing fails. */
export function wantsDebug(argv: readonly string[]): boolean {
  return argv.includes('--debug');
}

export function parseCommandLine(argv: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  const { values, positionals } = parsed;
  const [verb, ...afterVerb] = positionals;
  if (verb === 'mcp') {
    if (values.help) return { kind: 'help', topic: 'mcp' };
    if (afterVerb.length > 0) throw new UsageError(`spex mcp takes no files (tool calls bring the prompts); got ${afterVerb.join(' ')}.`);
    const ownOptions = ['--max-budget', '--allow-remote', '--http'];
    const explainArgv = ownOptions.reduce((kept, name) => withoutOption(kept, name), [...argv]);
    const defaults = parseCommandLine(explainArgv.map((argument) => (argument === 'mcp' ? 'explain' : argument)));
    if (defaults.kind !== 'explain') throw new UsageError('spex mcp takes the options of spex explain as its defaults.');
    return {
      kind: 'mcp',
      defaults,
      maxBudget: integer('--max-budget', values['max-budget'], 1, 10_000_000),
      allowRemote: values['allow-remote'].map(allowedOrigin),
      ...(values.http === undefined ? {} : { http: integer('--http', values.http, 0, 65_535) }),
    };
  }
  const [input = '-', ...rest] = afterVerb;
  if (values.help)
    return { kind: 'help', topic: verb === 'explain' || verb === 'segment' || verb === 'compare' || verb === 'batch' ? verb : 'overview' };
  if (values.version) return { kind: 'version' };
  if (verb === undefined) return { kind: 'help', topic: 'overview' };
  if (values.http !== undefined) throw new UsageError('--http goes with spex mcp (spex mcp --http PORT).');
  // compare takes two inputs; every other command one.
  const [inputB, ...extra] = verb === 'compare' ? rest : [undefined, ...rest];
  if (extra.length > 0)
    throw new UsageError(
      `Unexpected arguments: ${extra.join(' ')}. Give ${verb === 'compare' ? 'two input files (A and B)' : 'one input file (or - for standard input)'}.`,
    );
  if (verb === 'compare' && (inputB === undefined || positionals.length < 3))
    throw new UsageError('spex compare takes two files: spex compare A.txt B.txt (the two versions of the prompt).');
  if (verb === 'compare' && (input === '-' || inputB === '-'))
    throw new UsageError('spex compare reads two files; standard input cannot be one of them.');
  const granularity = values.granularity;
  if (!isGranularity(granularity))
    throw new UsageError(`--granularity must be token, word, sentence, line, paragraph, message or separator:REGEX, not "${granularity}".`);
  const promptFormat = oneOf('--prompt-format', values['prompt-format'], PROMPT_FORMATS);
  if (verb === 'segment') return { kind: 'segment', input, granularity, pin: values.pin, promptFormat };
  if (verb !== 'explain' && verb !== 'compare' && verb !== 'batch')
    throw new UsageError(`Unknown command "${verb}". Use spex explain, compare, batch or segment (spex --help lists them).`);
  if (verb === 'batch') {
    if (values.inputs === undefined) throw new UsageError('spex batch needs the inputs: --inputs data.jsonl (one JSON object per line).');
    if (input === '-') throw new UsageError('spex batch reads the template from a file: spex batch TEMPLATE --inputs data.jsonl.');
    if (values['prompt-format'] === 'messages')
      throw new UsageError(
        'spex batch explains text templates; a chat message list cannot be a template yet. Drop --prompt-format messages.',
      );
    if (values.refine.length > 0 || values['dry-run']) throw new UsageError('--refine and --dry-run go with spex explain, not spex batch.');
  } else if (values.inputs !== undefined) throw new UsageError('--inputs goes with spex batch.');
  if (verb === 'compare' && values.refine.length > 0) throw new UsageError('--refine goes with spex explain, not spex compare.');
  if (verb !== 'compare' && values['model-b'] !== undefined) throw new UsageError('--model-b goes with spex compare.');
  if (verb === 'compare' && values.format === 'csv')
    throw new UsageError('spex compare writes --format markdown, html or json (a comparison has two tables, not one CSV).');
  if (verb === 'compare' && values['dry-run'])
    throw new UsageError('--dry-run previews one run; preview each file with spex explain --dry-run.');

  // --exec alone implies the exec backend; otherwise Ollama is the default.
  const backend = oneOf('--backend', values.backend ?? (values.exec === undefined ? 'ollama' : 'exec'), BACKEND_NAMES);
  if (backend === 'exec' && (values.exec === undefined || values.exec.trim().length === 0)) {
    throw new UsageError('--backend exec needs a scorer: --exec "COMMAND" (for example --exec "node examples/offline-scorer.mjs").');
  }
  if (values.exec !== undefined && backend !== 'exec') throw new UsageError('--exec goes with --backend exec.');
  if (backend === 'llama' && values.endpoint.length > 0)
    throw new UsageError(
      '--backend llama runs the model in this process; it takes --model FILE.gguf or an Ollama model name, not --endpoint.',
    );
  for (const endpoint of values.endpoint) {
    const problem = endpointUrlProblem(endpoint);
    if (problem !== undefined)
      throw new UsageError(
        `--endpoint ${problem}. API keys never go in the URL: put the key in an environment variable and name it with --api-key-env.`,
      );
  }
  const apiKeyEnv = values['api-key-env'];
  if (apiKeyEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/u.test(apiKeyEnv)) {
    throw new UsageError(`--api-key-env takes the NAME of an environment variable (e.g. OPENAI_API_KEY), not "${apiKeyEnv.slice(0, 4)}…".`);
  }
  const value = oneOf('--value', values.value, ['auto', ...VALUE_FUNCTION_NAMES] as const);
  if (value === 'label' && values.target === undefined) throw new UsageError('--value label needs the label to score: --target "Yes".');
  const algorithm = oneOf('--algorithm', values.algorithm, ['auto', ...ALGORITHM_NAMES] as const);
  const index = oneOf('--index', values.index, INDEX_NAMES);
  let masking: Masking;
  try {
    masking = parseMasking(values.mask);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.gpu !== undefined && backend !== 'llama')
    throw new UsageError('--gpu goes with --backend llama (an Ollama or OpenAI-compatible server chooses its own GPU).');
  if (values.cache !== undefined && values['no-cache']) throw new UsageError('--cache and --no-cache contradict each other.');
  const refine = values.refine.map((unit) => {
    if (!isGranularity(unit))
      throw new UsageError(`--refine must be token, word, sentence, line, paragraph, message or separator:REGEX, not "${unit}".`);
    return unit;
  });
  if (refine.length > 0 && values['no-cache'])
    throw new UsageError("--refine reuses the coarser run's calls through the cache; it cannot go with --no-cache.");
  if (refine.length > 0 && masking.kind !== 'remove')
    throw new UsageError('--refine reuses calls only under --mask remove (a placeholder per piece is another prompt than one per span).');
  if (refine.length > 0 && values['dry-run']) throw new UsageError('--dry-run previews one run; drop --refine to preview the first.');
  return {
    kind: 'explain',
    input,
    backend,
    endpoints: values.endpoint,
    model: values.model,
    apiKeyEnv,
    valueRange: values['value-range'] === undefined ? undefined : valueRange(values['value-range']),
    api: oneOf('--api', values.api, ['completions', 'chat'] as const),
    raw: values.raw,
    promptFormat,
    exec: values.exec,
    granularity,
    pin: values.pin,
    target: values.target,
    value,
    maxAnswerTokens: integer('--max-answer-tokens', values['max-answer-tokens'], 1, 4096),
    masking,
    algorithm,
    budget: integer('--budget', values.budget, 1, 10_000_000),
    maxOrder: integer('--max-order', values['max-order'], 1, 8),
    targetR2: fraction('--target-r2', values['target-r2'], true),
    plateau: fraction('--plateau', values.plateau, false),
    index,
    order: integer('--order', values.order, 1, 8),
    top: integer('--top', values.top, 0, 1_000_000),
    refine,
    refineTop: integer('--refine-top', values['refine-top'], 1, 4096),
    seed: integer('--seed', values.seed, 0, 2 ** 32 - 1),
    concurrency: integer('--concurrency', values.concurrency, 1, 1024),
    threads: integer('--threads', values.threads, 0, 1024),
    gpu: oneOf('--gpu', values.gpu ?? 'auto', GPU_CHOICES),
    llamaIdleTimeoutS: DEFAULT_LLAMA_IDLE_TIMEOUT_S,
    timeoutMs: integer('--timeout', values.timeout, 1, 86_400_000),
    retries: integer('--retries', values.retries, 0, 100),
    cache: values.cache,
    noCache: values['no-cache'],
    dryRun: values['dry-run'],
    format: oneOf('--format', values.format, OUTPUT_FORMATS),
    output: values.output,
    quiet: values.quiet,
    ...(verb === 'compare'
      ? { compare: { inputB: inputB as string, ...(values['model-b'] === undefined ? {} : { modelB: values['model-b'] }) } }
      : {}),
    ...(verb === 'batch'
      ? {
          batch: {
            inputs: values.inputs as string,
            onBroken: oneOf('--on-broken', values['on-broken'], ['skip', 'stop'] as const),
            inputsAtOnce: integer('--inputs-at-once', values['inputs-at-once'], 1, 64),
          },
        }
      : {}),
  };
}

/** The arguments without one option and its value (`--name V` or `--name=V`). */
function withoutOption(argv: readonly string[], name: string): string[] {
  const kept: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] as string;
    if (argument === name) index += 1;
    else if (!argument.startsWith(`${name}=`)) kept.push(argument);
  }
  return kept;
}

/** --allow-remote ORIGIN: an endpoint's origin (a URL is cut to its origin), or * for any. */
function allowedOrigin(text: string): string {
  if (text === '*') return text;
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  } catch {
    // Told below.
  }
  throw new UsageError(`--allow-remote takes an endpoint's origin (e.g. https://api.openai.com) or *; got ${shown(text)}.`);
}

/** --value-range MIN:MAX. */
function valueRange(text: string): ValueRange {
  const range = parseValueRange(text);
  if (!range) throw new UsageError(`--value-range takes ${VALUE_RANGE_SHAPE}; got ${shown(text)}.`);
  return range;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')}; got ${shown(value)}.`);
  return value as T;
}

/** A number in [0, 1], or in (0, 1] when `positive`. */
function fraction(flag: string, text: string, positive: boolean): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value > 1 || (positive ? value <= 0 : value < 0)) {
    throw new UsageError(`${flag} must be a number ${positive ? 'above 0 and at most 1' : 'from 0 to 1'}; got ${shown(text)}.`);
  }
  return value;
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}; got ${shown(text)}.`);
  }
  return value;
}

/** A value as typed, quoted unless it is a plain number (so "-5" reads as -5). */
function shown(text: string): string {
  const value = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return /^[-+]?[\d.]+(e[-+]?\d+)?$/iu.test(value) ? value : JSON.stringify(value);
}

/** Options that take a value, by their long name. */
const VALUE_OPTIONS = new Set(
  Object.entries(OPTIONS)
    .filter(([, spec]) => spec.type === 'string')
    .map(([name]) => `--${name}`),
);

/**
 * parseArgs calls `--budget -5` ambiguous (-5 could be an option); a negative number after an option
 * that takes a value is that option's value, so it is joined as `--budget=-5` and checked like any other.
 */
function joinNegativeValues(argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (arg === '--') {
      joined.push(...argv.slice(i));
      break;
    }
    if (VALUE_OPTIONS.has(arg) && next !== undefined && /^-(\d|\.\d|inf)/iu.test(next)) {
      joined.push(`${arg}=${next}`);
      i += 1;
    } else joined.push(arg);
  }
  return joined;
}

/** parseArgs's errors span lines and suggest JavaScript-flavoured fixes; one line in our words instead. */
function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const text = message ?? String(error);
  const option = /'(-{1,2}[^' ]+)/u.exec(text)?.[1] ?? 'an option';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `Unknown option ${option}. Run "spex explain --help" for the options.`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/u.test(text)) return `${option} needs a value.`;
      if (/ambiguous/u.test(text))
        return `${option} needs a value, and the next word starts with "-" like an option. Write ${option}=VALUE if the value starts with "-".`;
      if (/does not take an argument/u.test(text)) return `${option} takes no value.`;
      break;
  }
  return text.split('\n')[0] ?? text;
}
