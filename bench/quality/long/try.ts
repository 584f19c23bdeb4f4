/**
 * The quick variant runner for the long-prompt benchmark: the same tables as
 * `npm run bench:quality -- --long`, for the workloads, budgets and seeds asked for. Scored values
 * and the published pipeline's results come from .bench-cache/quality-long/ (SPEX_BENCH_CACHE
 * points elsewhere), so after a change to the recovery only ours (and first-order) is refit.
 *
 *   npx tsx bench/quality/long/try.ts [--workload NAME…] [--budget N…] [--seeds K] [--quick]
 *                                     [--no-published] [--refresh-published] [--fit-time]
 *
 * Defaults: every workload, budgets 500 and 1,000, 3 seeds, the published pipeline's shapiq grid
 * (--quick: its quick grid). --fit-time adds the n = 100 fit-time micro-benchmark.
 */
// First, as in the CLI and the server: libuv's thread pool is sized before anything starts it.
import '../../../server/backends/llama/threadPool';
import { longSection, selectWorkloads, type LongOptions } from './section';

const USAGE =
  'Usage: npx tsx bench/quality/long/try.ts [--workload NAME…] [--budget N…] [--seeds K] [--quick] [--no-published] [--refresh-published] [--fit-time]';

function parseArguments(argv: readonly string[]): LongOptions {
  const workloads: string[] = [];
  const budgets: number[] = [];
  let seeds = 3;
  let quick = false;
  let published = true;
  let refreshPublished = false;
  let fitTime = false;
  /** The values after an option, up to the next option. */
  const valuesAfter = (index: number): string[] => {
    const values: string[] = [];
    for (let i = index + 1; i < argv.length && !(argv[i] as string).startsWith('--'); i += 1) values.push(argv[i] as string);
    return values;
  };
  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i] as string;
    if (argument === '--workload' || argument === '--budget') {
      const values = valuesAfter(i);
      if (values.length === 0) throw new Error(`${argument} needs at least one value. ${USAGE}`);
      i += values.length;
      if (argument === '--workload') workloads.push(...values.flatMap((value) => value.split(',')));
      else
        for (const value of values.flatMap((text) => text.split(','))) {
          const budget = Number(value);
          if (!Number.isInteger(budget) || budget < 16) throw new Error(`--budget needs whole numbers of at least 16; got "${value}".`);
          budgets.push(budget);
        }
    } else if (argument === '--seeds') {
      seeds = Number(argv[(i += 1)]);
      if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`--seeds needs a positive whole number; got "${argv[i] ?? ''}".`);
    } else if (argument === '--quick') quick = true;
    else if (argument === '--no-published') published = false;
    else if (argument === '--refresh-published') refreshPublished = true;
    else if (argument === '--fit-time') fitTime = true;
    else throw new Error(`Unknown option "${argument}". ${USAGE}`);
  }
  selectWorkloads(workloads);
  return {
    workloads,
    budgets: budgets.length > 0 ? [...new Set(budgets)].sort((a, b) => a - b) : [500, 1000],
    seeds,
    grid: quick ? 'quick' : 'shapiq',
    published,
    refreshPublished,
    fitTime,
  };
}

async function main(): Promise<void> {
  let options: LongOptions;
  try {
    options = parseArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  const report = await longSection(options, (line) => void process.stderr.write(`${line}\n`));
  process.stdout.write(`## Long prompts\n\n${report}\nTotal time: ${((performance.now() - started) / 1000).toFixed(1)} s.\n`);
}

main().then(
  // The llama backend keeps its model loaded for a while after the last call; nothing is left to do.
  () => process.exit(),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
