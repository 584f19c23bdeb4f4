import { markdownTable } from '../../recovery';
import type { CaseResult, RunMetrics } from './compare';
import { MOSTLY_KEPT_PROBABILITY, MOSTLY_KEPT_TEST_MASKS, UNIFORM_TEST_MASKS } from './truthSets';

/**
 * The long-prompt section's Markdown: R² tables in the style of the README's quality tables, the
 * anchors, masks and fit times of ours, and one line per workload on the issue's targets 1, 2 and 4.
 */

export interface WorkloadResults {
  readonly title: string;
  readonly featureCount: number;
  readonly description: string;
  readonly granularity: string;
  /** Scored values of the full and the empty prompt. */
  readonly full: number;
  readonly empty: number;
  readonly cases: readonly CaseResult[];
}

/** Target 2: R² on mostly-kept masks at B = 1,000 where uniform R² reaches this. */
const TARGET_2_BUDGET = 1000;
const TARGET_2_UNIFORM = 0.9;
const TARGET_2_KEPT = 0.8;
/** An anchor counts as reproduced when the surrogate is this close to the scored value (relative to the value's size, at least 1). */
const ANCHOR_TOLERANCE = 1e-6;

export const formatR2 = (value: number): string =>
  Number.isNaN(value) ? '—' : value >= 0.9995 && value < 1 ? '0.999+' : value < -9.99 ? '< −10' : value.toFixed(3).replace('-', '−');
const count = (value: number): string => Math.round(value).toLocaleString('en-US');
const seconds = (ms: number): string => (ms >= 9950 ? (ms / 1000).toFixed(0) : (ms / 1000).toFixed(1));
const signed = (value: number): string => {
  const text = Math.abs(value) < 5e-4 ? '0.000' : Math.abs(value).toFixed(3);
  return value >= 5e-4 ? `+${text}` : value <= -5e-4 ? `−${text}` : text;
};

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The value of largest magnitude, sign kept. */
function largest(values: readonly number[]): number {
  return values.reduce((best, value) => (Math.abs(value) > Math.abs(best) ? value : best), 0);
}

type Pick = (result: CaseResult) => RunMetrics | undefined;
const PICKS = {
  ours: (result: CaseResult) => result.ours,
  published: (result: CaseResult) => result.published,
  publishedDouble: (result: CaseResult) => result.publishedDouble,
  firstOrder: (result: CaseResult) => result.firstOrder,
} satisfies Record<string, Pick>;

function casesAt(results: WorkloadResults, budget: number): CaseResult[] {
  return results.cases.filter((result) => result.budget === budget);
}

function metricOver(cases: readonly CaseResult[], pick: Pick, metric: (run: RunMetrics) => number): number[] {
  return cases.flatMap((result) => {
    const run = pick(result);
    return run ? [metric(run)] : [];
  });
}

/** "median (worst)" of an R² over seeds. */
function r2Cell(cases: readonly CaseResult[], pick: Pick, metric: (run: RunMetrics) => number): string {
  const values = metricOver(cases, pick, metric);
  if (values.length === 0) return '—';
  return values.length === 1 ? formatR2(values[0] as number) : `${formatR2(median(values))} (${formatR2(Math.min(...values))})`;
}

function budgetsOf(results: WorkloadResults): number[] {
  return [...new Set(results.cases.map((result) => result.budget))].sort((a, b) => a - b);
}

function r2Table(all: readonly WorkloadResults[], metric: (run: RunMetrics) => number): string {
  const rows: string[][] = [];
  for (const results of all) {
    for (const budget of budgetsOf(results)) {
      const cases = casesAt(results, budget);
      rows.push([
        `${results.title} (n = ${results.featureCount})`,
        count(budget),
        r2Cell(cases, PICKS.ours, metric),
        r2Cell(cases, PICKS.published, metric),
        r2Cell(cases, PICKS.publishedDouble, metric),
        r2Cell(cases, PICKS.firstOrder, metric),
      ]);
    }
  }
  return markdownTable(['prompt', 'budget B', 'ours @ B', 'published @ B', 'published @ 2B', 'first-order @ B (ours’ masks)'], rows, 1);
}

function oursTable(all: readonly WorkloadResults[]): string {
  const rows: string[][] = [];
  for (const results of all) {
    for (const budget of budgetsOf(results)) {
      const cases = casesAt(results, budget);
      const ours = cases.map((result) => result.ours);
      const masks = ours.map((run) => run.masks);
      const repeats = ours.reduce((sum, run) => sum + run.repeats, 0);
      // Runs that stopped early have fewer rounds: each round's median is over the runs that had it.
      const rounds = Math.max(0, ...ours.map((run) => run.roundCpuMs.length));
      const perRound = Array.from({ length: rounds }, (_, round) =>
        median(ours.flatMap((run) => (round < run.roundCpuMs.length ? [run.roundCpuMs[round] as number] : []))),
      );
      const published = metricOver(cases, PICKS.publishedDouble, (run) => run.cpuMs);
      rows.push([
        `${results.title} (n = ${results.featureCount})`,
        count(budget),
        signed(largest(ours.map((run) => run.fullError))),
        signed(largest(ours.map((run) => run.emptyError))),
        Math.min(...masks) === Math.max(...masks) ? count(masks[0] ?? 0) : `${count(Math.min(...masks))}–${count(Math.max(...masks))}`,
        count(repeats),
        `${seconds(median(ours.map((run) => run.cpuMs)))} (${seconds(median(ours.map((run) => run.wallMs)))})`,
        perRound.map(seconds).join(' + '),
        published.length > 0 ? seconds(median(published)) : '—',
        [...new Set(ours.map((run) => run.surrogate))].join('; '),
      ]);
    }
  }
  return markdownTable(
    [
      'prompt',
      'budget B',
      'error at full',
      'error at empty',
      'masks scored',
      'asked twice',
      'fit CPU s (wall)',
      'CPU s per round',
      'published @ 2B, CPU s',
      'surrogate',
    ],
    rows,
    'llrrrrrrrl',
  );
}

function promptTable(all: readonly WorkloadResults[]): string {
  return markdownTable(
    ['prompt', 'n', 'one feature', 'value', 'scored: full', 'scored: empty'],
    all.map((results) => [
      results.title,
      String(results.featureCount),
      results.granularity,
      results.description,
      results.full.toFixed(3),
      results.empty.toFixed(3),
    ]),
    'lrllrr',
  );
}

function targetLines(results: WorkloadResults): string {
  const name = `${results.title} (n = ${results.featureCount})`;
  const target1: string[] = [];
  for (const budget of budgetsOf(results)) {
    const cases = casesAt(results, budget);
    const ours = median(metricOver(cases, PICKS.ours, (run) => run.uniformR2));
    const double = median(metricOver(cases, PICKS.publishedDouble, (run) => run.uniformR2));
    const belowFirstOrder = cases.filter((result) => result.ours.uniformR2 < result.firstOrder.uniformR2).length;
    const publishedPart = Number.isNaN(double)
      ? 'published not run'
      : `${formatR2(ours)} ${ours >= double ? '≥' : '<'} published @ ${count(2 * budget)} ${formatR2(double)}`;
    const firstOrderPart =
      belowFirstOrder === 0 ? '≥ first-order on every seed' : `below first-order on ${belowFirstOrder} of ${cases.length} seeds`;
    const met = (Number.isNaN(double) || ours >= double) && belowFirstOrder === 0;
    target1.push(`${met ? 'met' : 'missed'} at ${count(budget)} (${publishedPart}; ${firstOrderPart})`);
  }
  const at1000 = casesAt(results, TARGET_2_BUDGET);
  let target2: string;
  if (at1000.length === 0) target2 = `not measured (no budget of ${count(TARGET_2_BUDGET)})`;
  else {
    const uniform = median(metricOver(at1000, PICKS.ours, (run) => run.uniformR2));
    const kept = median(metricOver(at1000, PICKS.ours, (run) => run.mostlyKeptR2));
    target2 =
      uniform >= TARGET_2_UNIFORM
        ? `${kept >= TARGET_2_KEPT ? 'met' : 'missed'} (mostly-kept R² ${formatR2(kept)} at uniform ${formatR2(uniform)})`
        : `not applicable (uniform R² ${formatR2(uniform)} < ${TARGET_2_UNIFORM}; mostly-kept ${formatR2(kept)})`;
  }
  const scale = (value: number): number => ANCHOR_TOLERANCE * Math.max(1, Math.abs(value));
  const all = results.cases.map((result) => result.ours);
  const fullMiss = largest(all.map((run) => run.fullError));
  const emptyMiss = largest(all.map((run) => run.emptyError));
  const anchors =
    Math.abs(fullMiss) <= scale(results.full) && Math.abs(emptyMiss) <= scale(results.empty)
      ? 'met'
      : `missed (largest error ${signed(fullMiss)} at full, ${signed(emptyMiss)} at empty; scored ${results.full.toFixed(3)} and ${results.empty.toFixed(3)})`;
  const short = results.cases.filter((result) => result.ours.masks !== result.budget);
  const repeats = results.cases.reduce((sum, result) => sum + result.ours.repeats, 0);
  const target4 =
    repeats === 0 && short.length === 0
      ? 'met (masks = budget, none asked twice)'
      : `${repeats === 0 ? 'no mask asked twice' : `${repeats} masks asked again`}; ${short.length === 0 ? 'masks = budget' : `fewer masks than the budget in ${short.length} runs (${[...new Set(short.map((result) => result.ours.stoppedBecause))].join('; ')})`}`;
  return [
    `- **${name}**: target 1 ${target1.join('; ')}.`,
    `  Target 2: ${target2}; full and empty prompt reproduced: ${anchors}. Target 4: ${target4}.`,
  ].join('\n');
}

export function longReport(all: readonly WorkloadResults[], seeds: number, grid: string): string {
  const seedWords = `${seeds} seed${seeds === 1 ? '' : 's'}`;
  return [
    `Each prompt's value is scored through SPEX's own backends (the TinyStories 260K model in process through the llama backend,`,
    `raw prompt, the log-probability of its 12-token greedy continuation; VADER's compound sentiment through the exec backend).`,
    `R² is against scored values on ${count(UNIFORM_TEST_MASKS)} fresh uniform masks and on ${count(MOSTLY_KEPT_TEST_MASKS)} "mostly-kept" masks (each span kept`,
    `with probability ${MOSTLY_KEPT_PROBABILITY}, the what-ifs users toggle); cells are the median over ${seedWords} and, in brackets, the worst seed.`,
    `Ours is \`recover\` with \`algorithm: 'auto'\`; published is the published ProxySPEX pipeline re-implemented`,
    `(bench/quality/publishedProxySpex.ts, ${grid} grid) on B and on 2B uniform masks; first-order is least squares on the very masks ours scored.`,
    '',
    promptTable(all),
    '### Uniform masks',
    '',
    r2Table(all, (run) => run.uniformR2),
    `### Mostly-kept masks (each span kept with probability ${MOSTLY_KEPT_PROBABILITY})`,
    '',
    r2Table(all, (run) => run.mostlyKeptR2),
    '### Ours: the prompt itself, masks and fit time',
    '',
    `"Error at full/empty": the surrogate's prediction minus the scored value of the full and the empty prompt (the largest over`,
    `seeds). "Masks scored": distinct masks ours asked for; "asked twice": masks it asked for again (all seeds). Fit CPU is`,
    `process.cpuUsage() (user + system) around \`recover\` with every value already cached, so the fit alone, median over seeds;`,
    `"CPU s per round" splits it by anytime round (the time between a round's values arriving and its fit reported).`,
    '',
    oursTable(all),
    '### Targets (issue 16)',
    '',
    `Target 1: ours @ B ≥ published @ 2B (medians) and ≥ first-order on the same masks (every seed). Target 2: mostly-kept`,
    `R² ≥ ${TARGET_2_KEPT} at B = ${count(TARGET_2_BUDGET)} where uniform R² ≥ ${TARGET_2_UNIFORM}, and the surrogate reproduces the full and the empty prompt`,
    `(within 10⁻⁶ of the value's size). Target 4: the masks scored equal the budget and none is asked twice.`,
    '',
    all.map(targetLines).join('\n'),
    '',
  ].join('\n');
}
