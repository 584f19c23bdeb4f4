import { runCase, type CaseResult, type PublishedGrid } from './compare';
import { fitTimeSection } from './fitTime';
import { formatR2, longReport, type WorkloadResults } from './report';
import { truthSet } from './truthSets';
import { WorkloadFunction } from './workloadFunction';
import { LONG_WORKLOADS, type LongWorkload } from './workloads';

/**
 * The long-prompt benchmark of issue 16, shared by `npm run bench:quality -- --long` and the quick
 * variant runner try.ts: for each workload, its truth set, then every budget and seed through ours,
 * the published pipeline and first-order, then the Markdown report.
 */
export interface LongOptions {
  /** Workload names; empty: all. */
  readonly workloads: readonly string[];
  readonly budgets: readonly number[];
  readonly seeds: number;
  readonly grid: PublishedGrid;
  readonly published: boolean;
  readonly refreshPublished: boolean;
  /** Include the n = 100 fit-time micro-benchmark (target 3). */
  readonly fitTime: boolean;
}

/** What the quality benchmark runs: budgets 500, 1,000 and 2,000 over 3 seeds; --quick 500 and 1,000, one seed, the quick grid. */
export function benchmarkLongOptions(quick: boolean, seeds: number | undefined): LongOptions {
  return {
    workloads: [],
    budgets: quick ? [500, 1000] : [500, 1000, 2000],
    seeds: seeds ?? (quick ? 1 : 3),
    grid: quick ? 'quick' : 'shapiq',
    published: true,
    refreshPublished: false,
    fitTime: true,
  };
}

export function selectWorkloads(names: readonly string[]): LongWorkload[] {
  if (names.length === 0) return [...LONG_WORKLOADS];
  return names.map((name) => {
    const workload = LONG_WORKLOADS.find((candidate) => candidate.name === name);
    if (!workload) throw new Error(`Unknown workload "${name}"; the workloads are ${LONG_WORKLOADS.map((w) => w.name).join(', ')}.`);
    return workload;
  });
}

function caseLine(name: string, result: CaseResult): string {
  const { ours, published, publishedDouble, firstOrder } = result;
  const pair = (run: { uniformR2: number; mostlyKeptR2: number }): string => `${formatR2(run.uniformR2)}/${formatR2(run.mostlyKeptR2)}`;
  return (
    `[long] ${name} B=${result.budget} seed ${result.seed}: ours ${pair(ours)} (${(ours.cpuMs / 1000).toFixed(1)} s CPU, ${ours.surrogate}; ${ours.stoppedBecause})` +
    `${published ? `, published ${pair(published)}` : ''}${publishedDouble ? `, @2B ${pair(publishedDouble)}` : ''}, first-order ${pair(firstOrder)}`
  );
}

export async function longSection(options: LongOptions, log: (line: string) => void): Promise<string> {
  const all: WorkloadResults[] = [];
  for (const workload of selectWorkloads(options.workloads)) {
    const values = new WorkloadFunction(workload, log);
    try {
      const started = performance.now();
      const truth = await truthSet(values);
      const cases: CaseResult[] = [];
      for (const budget of options.budgets) {
        for (let seed = 0; seed < options.seeds; seed += 1) {
          const result = await runCase(values, truth, budget, seed, {
            grid: options.grid,
            published: options.published,
            refreshPublished: options.refreshPublished,
          });
          cases.push(result);
          log(caseLine(workload.name, result));
        }
      }
      log(
        `[long] ${workload.name} (n = ${values.featureCount}): ${((performance.now() - started) / 1000).toFixed(0)} s, ${values.scoredThroughBackend} masks scored through the backend`,
      );
      all.push({
        title: workload.title,
        featureCount: values.featureCount,
        description: workload.description,
        granularity: workload.pin ? `${workload.granularity} (question pinned)` : workload.granularity,
        full: truth.full,
        empty: truth.empty,
        cases,
      });
    } finally {
      await values.close();
    }
  }
  const parts = [longReport(all, options.seeds, options.grid)];
  if (options.fitTime) parts.push(`### Fit time at n = 100 (target 3)\n\n${await fitTimeSection(options.seeds, log)}`);
  return parts.join('\n');
}
