import { parseArgs } from 'node:util';
import type { Granularity } from '../../protocol/features';
import { isGranularity } from '../../protocol/features';
import { parseMasking, type Masking } from '../ablation/mask';
import { INDEX_NAMES, isIndexName, type IndexName } from '../recovery/indexNames';
import { ALGORITHM_NAMES, type AlgorithmChoice } from '../recovery/types';

export const OUTPUT_FORMATS = ['json', 'markdown'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface ExplainCommand {
  readonly kind: 'explain';
  /** A file path, or '-' for standard input. */
  readonly input: string;
  readonly exec: string;
  readonly granularity: Granularity;
  readonly pin: string[];
  readonly masking: Masking;
  readonly algorithm: AlgorithmChoice;
  readonly budget: number;
  readonly maxOrder: number;
  readonly index: IndexName;
  readonly order: number;
  readonly top: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly format: OutputFormat;
  readonly output: string | undefined;
  readonly quiet: boolean;
}

export interface SegmentCommand {
  readonly kind: 'segment';
  readonly input: string;
  readonly granularity: Granularity;
  readonly pin: string[];
}

export type CliCommand = ExplainCommand | SegmentCommand | { readonly kind: 'help' } | { readonly kind: 'version' };

/** A mistake in the command line: reported with the usage text and exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `Usage:
  spex explain [FILE|-] --exec "COMMAND" [options]   explain which spans of FILE drive the scorer's value
  spex segment [FILE|-] [--granularity G] [--pin RE]  print the features FILE splits into, as JSON
  spex --version | --help

Options for explain:
  --exec COMMAND        scorer program speaking JSON Lines on stdin/stdout (see README, "exec scorers")
  --granularity G       token | word | sentence | line | paragraph | separator:REGEX   (default: sentence)
  --pin REGEX           text matching REGEX is never ablated (repeatable)
  --mask M              remove | placeholder | placeholder:TEXT                     (default: remove)
  --algorithm A         auto | exact | proxyspex | spex                              (default: auto)
  --budget N            most model calls to spend                                    (default: 1000)
  --max-order T         recovery degree: highest interaction order searched, 1-8     (default: 5)
  --index I             fourier | mobius | shapley | banzhaf | sii | bii | fsii | fbii | stii  (default: fsii)
  --order K             index order: largest interaction reported, 1-8               (default: 2)
  --top K               how many interactions to report, 0 = all terms and ∅         (default: 10)
  --seed N              seed of every random choice; the same seed repeats a run     (default: 0)
  --concurrency N       scorer requests in flight                                    (default: 4)
  --timeout MS          per-request timeout in milliseconds                          (default: 60000)
  --format F            json | markdown                                              (default: markdown)
  --output FILE         write the report to FILE instead of standard output
  --quiet               no progress on standard error

Exit codes: 0 success, 1 runtime failure (scorer or model), 2 usage error.`;

export function parseCommandLine(argv: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        exec: { type: 'string' },
        granularity: { type: 'string', default: 'sentence' },
        pin: { type: 'string', multiple: true, default: [] },
        mask: { type: 'string', default: 'remove' },
        algorithm: { type: 'string', default: 'auto' },
        budget: { type: 'string', default: '1000' },
        'max-order': { type: 'string', default: '5' },
        index: { type: 'string', default: 'fsii' },
        order: { type: 'string', default: '2' },
        seed: { type: 'string', default: '0' },
        top: { type: 'string', default: '10' },
        concurrency: { type: 'string', default: '4' },
        timeout: { type: 'string', default: '60000' },
        format: { type: 'string', default: 'markdown' },
        output: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [verb, input = '-', ...extra] = positionals;
  if (verb === undefined) return { kind: 'help' };
  if (extra.length > 0) throw new UsageError(`Unexpected arguments: ${extra.join(' ')}. Give one input file (or - for standard input).`);
  const granularity = values.granularity;
  if (!isGranularity(granularity))
    throw new UsageError(`--granularity must be token, word, sentence, line, paragraph or separator:REGEX, not "${granularity}".`);
  if (verb === 'segment') return { kind: 'segment', input, granularity, pin: values.pin };
  if (verb !== 'explain') throw new UsageError(`Unknown command "${verb}". Use explain or segment.`);
  if (values.exec === undefined || values.exec.trim().length === 0) {
    throw new UsageError('explain needs a scorer: --exec "COMMAND" (for example --exec "node examples/offline-scorer.mjs").');
  }
  const format = values.format;
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}, not "${format}".`);
  let masking: Masking;
  try {
    masking = parseMasking(values.mask);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const algorithm = values.algorithm;
  if (algorithm !== 'auto' && !(ALGORITHM_NAMES as readonly string[]).includes(algorithm)) {
    throw new UsageError(`--algorithm must be auto, ${ALGORITHM_NAMES.join(', ')}, not "${algorithm}".`);
  }
  if (!isIndexName(values.index)) throw new UsageError(`--index must be one of ${INDEX_NAMES.join(', ')}, not "${values.index}".`);
  return {
    kind: 'explain',
    input,
    exec: values.exec,
    granularity,
    pin: values.pin,
    masking,
    algorithm: algorithm as AlgorithmChoice,
    budget: integer('--budget', values.budget, 1, 10_000_000),
    maxOrder: integer('--max-order', values['max-order'], 1, 8),
    index: values.index,
    order: integer('--order', values.order, 1, 8),
    top: integer('--top', values.top, 0, 1_000_000),
    seed: integer('--seed', values.seed, 0, 2 ** 32 - 1),
    concurrency: integer('--concurrency', values.concurrency, 1, 1024),
    timeoutMs: integer('--timeout', values.timeout, 1, 86_400_000),
    format: format as OutputFormat,
    output: values.output,
    quiet: values.quiet,
  };
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, not "${text}".`);
  }
  return value;
}
