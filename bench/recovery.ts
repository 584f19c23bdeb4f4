import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CompiledFourier, rSquared } from '../server/recovery/expansion';
import { INDEX_NAMES } from '../server/recovery/indexNames';
import { interactionIndex } from '../server/recovery/indices';
import { uniformMask } from '../server/recovery/masks';
import { spexHoldout, spexParameters } from '../server/recovery/plan';
import { seededRandom } from '../server/recovery/random';
import { recover } from '../server/recovery/recover';
import type { Spectrum } from '../server/recovery/spectrum';
import { decodeSpex } from '../server/recovery/spex/spexDecode';
import { designMask, planSpexDesign, spexSampleCount } from '../server/recovery/spex/spexDesign';
import type { MaskEvaluator } from '../server/recovery/types';
import { plantedSpectrum, plantedValues } from '../test/helpers/plantedFunctions';
import { recoverFirstOrder } from './firstOrder';

/**
 * The recovery benchmark: how many model calls each algorithm needs on planted sparse functions, how
 * long the n = 1,024 fits take and how much memory they hold, how fast a recovered surrogate
 * evaluates, and how fast the interaction indices are computed. Every function here returns Markdown;
 * nothing asserts.
 */

/** Fresh uniform masks on which a recovered expansion is compared with the true function. */
const TEST_MASKS = 2000;
/** The planted functions' largest interaction degree. */
const PLANTED_DEGREE = 4;
/** The recovery degree given to ProxySPEX and SPEX in the calls-to-R² grid: the planted degree, so SPEX's design is no larger than needed. */
const GRID_MAX_ORDER = 4;
const THRESHOLDS = [0.9, 0.95] as const;
/** Budgets about √2 apart, so that "calls to reach R²" is resolved to within a factor 1.4. */
const FULL_LADDER = [250, 350, 500, 700, 1000, 1400, 2000, 2800, 4000, 5600, 8000, 11000, 16000, 22000, 32000] as const;
const QUICK_LADDER = [250, 500, 1000, 2000, 4000, 8000] as const;

type AlgorithmLabel = 'ProxySPEX' | 'SPEX' | 'first-order';
const ALGORITHMS: readonly AlgorithmLabel[] = ['ProxySPEX', 'SPEX', 'first-order'];

export interface PlantedCaseOptions {
  readonly featureCount: number;
  /** Planted non-constant terms. */
  readonly terms: number;
  /** Standard deviation of the Gaussian noise added to every value. */
  readonly noise: number;
  readonly seed: number;
}

/** A planted ground truth with everything needed to score a recovery against it. */
export interface PlantedCase {
  readonly truth: Spectrum;
  /** A new evaluator whose noise stream starts afresh, so every run of a cell sees the same noise. */
  readonly evaluator: () => MaskEvaluator;
  /** R² of an expansion against the noise-free truth on the fixed fresh test masks. */
  readonly testR2: (fourier: Spectrum) => number;
  /** The standard deviation of the noise-free truth over the test masks, the scale against which σ is small or large. */
  readonly truthSd: number;
}

/**
 * The truth, noise and test masks of one cell all derive from its seed (with distinct offsets so the
 * streams do not coincide); the algorithms receive the same seed.
 */
export function plantedCase(options: PlantedCaseOptions): PlantedCase {
  const { featureCount, terms, noise, seed } = options;
  const truth = plantedSpectrum({ featureCount, terms, maxDegree: PLANTED_DEGREE, random: seededRandom(seed), hierarchy: 'chain' });
  const testRandom = seededRandom(seed + 1_000_003);
  const testMasks = Array.from({ length: TEST_MASKS }, () => uniformMask(featureCount, testRandom));
  const truthOnTest = new CompiledFourier(truth).evaluateMany(testMasks);
  return {
    truth,
    evaluator: () => {
      const values = plantedValues(truth, seededRandom(seed + 2_000_003), noise);
      return (masks) => Promise.resolve(values(masks));
    },
    testR2: (fourier) => rSquared(truthOnTest, new CompiledFourier(fourier).evaluateMany(testMasks)),
    truthSd: standardDeviation(truthOnTest),
  };
}

function standardDeviation(values: Float64Array): number {
  let mean = 0;
  for (const value of values) mean += value / values.length;
  let variance = 0;
  for (const value of values) variance += (value - mean) ** 2 / values.length;
  return Math.sqrt(variance);
}

interface Rung {
  readonly budget: number;
  /** Undefined when the budget is below the algorithm's smallest design. */
  readonly masksQueried?: number;
  readonly r2?: number;
  /** The algorithm's own compute time in milliseconds (evaluator time excluded). */
  readonly computeMs?: number;
  /** Why the rung is special (SPEX lowered its degree, or could not run). */
  readonly note?: string;
}

interface Cell {
  readonly featureCount: number;
  readonly terms: number;
  readonly noise: number;
  readonly seed: number;
}

async function runRung(algorithm: AlgorithmLabel, cell: Cell, planted: PlantedCase, budget: number): Promise<Rung> {
  const evaluate = planted.evaluator();
  const { featureCount, seed } = cell;
  if (algorithm === 'first-order') {
    const result = await recoverFirstOrder(evaluate, { featureCount, budget, seed });
    return { budget, masksQueried: result.masksQueried, r2: planted.testR2(result.fourier), computeMs: result.computeMs };
  }
  if (algorithm === 'SPEX' && spexParameters(featureCount, budget, GRID_MAX_ORDER) === undefined) {
    return { budget, note: 'below design' };
  }
  const result = await recover(evaluate, {
    featureCount,
    budget,
    maxOrder: GRID_MAX_ORDER,
    algorithm: algorithm === 'SPEX' ? 'spex' : 'proxyspex',
    seed,
  });
  const lowered = result.plan.maxOrder < GRID_MAX_ORDER ? `t=${result.plan.maxOrder}` : undefined;
  return {
    budget,
    masksQueried: result.diagnostics.masksQueried,
    r2: planted.testR2(result.fourier),
    computeMs: result.diagnostics.computeMs,
    ...(lowered ? { note: lowered } : {}),
  };
}

/** Climbs the ladder until both thresholds are reached (which the first-order baseline is not expected to do) or it ends. */
async function climb(algorithm: AlgorithmLabel, cell: Cell, planted: PlantedCase, ladder: readonly number[]): Promise<Rung[]> {
  const rungs: Rung[] = [];
  for (const budget of ladder) {
    const rung = await runRung(algorithm, cell, planted, budget);
    rungs.push(rung);
    if (THRESHOLDS.every((threshold) => reached(rungs, threshold) !== undefined)) break;
  }
  return rungs;
}

/** The fewest calls among the rungs whose R² reached the threshold. */
function reached(rungs: readonly Rung[], threshold: number): number | undefined {
  let best: number | undefined;
  for (const rung of rungs) {
    if (rung.r2 !== undefined && rung.masksQueried !== undefined && rung.r2 >= threshold) {
      best = best === undefined ? rung.masksQueried : Math.min(best, rung.masksQueried);
    }
  }
  return best;
}

const count = (value: number): string => value.toLocaleString('en-US');
/** R² to three decimals; "0.999+" keeps a near-perfect fit apart from an exact one, "< 0" is worse than predicting the mean. */
function formatR2(value: number): string {
  if (value >= 0.9995 && value < 1) return '0.999+';
  if (value < -0.0005) return '< 0';
  return Math.abs(value).toFixed(3) === '0.000' ? '0.000' : value.toFixed(3);
}

/**
 * A Markdown table. `alignment` is either a string with one letter per column, l (left) or r (right;
 * also every column past its end), or a number: that many leading columns left-aligned, the rest right.
 */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], alignment: number | string = 1): string {
  const isLeft = (column: number): boolean => (typeof alignment === 'number' ? column < alignment : alignment[column] === 'l');
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, column) => (isLeft(column) ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (isLeft(column) ? '-'.repeat(width + 2) : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n') + '\n';
}

/** Part 1: the calls-to-R² grid, a summary table and the full ladder behind it. */
export async function callsToR2(options: { readonly quick: boolean; readonly log: (line: string) => void }): Promise<string> {
  const featureCounts = options.quick ? [64, 256] : [64, 256, 1024];
  const termCounts = [16, 64];
  const noises = options.quick ? [0] : [0, 0.1];
  const ladder = options.quick ? QUICK_LADDER : FULL_LADDER;
  // The two noise levels of an (n, s) pair share their seed: same planted function, same masks and the
  // same Gaussian draws scaled by σ, so the σ columns differ by the noise alone.
  const cells: Cell[] = [];
  featureCounts.forEach((featureCount, i) =>
    termCounts.forEach((terms, j) => {
      for (const noise of noises) cells.push({ featureCount, terms, noise, seed: 1 + i * termCounts.length + j });
    }),
  );

  const summary: string[][] = [];
  const detail: string[][] = [];
  for (const cell of cells) {
    const planted = plantedCase(cell);
    for (const algorithm of ALGORITHMS) {
      const started = performance.now();
      const rungs = await climb(algorithm, cell, planted, ladder);
      const seconds = (performance.now() - started) / 1000;
      options.log(
        `  n=${cell.featureCount} s=${cell.terms} σ=${cell.noise} ${algorithm}: ${rungs.length} budgets in ${seconds.toFixed(1)} s`,
      );
      const last = [...rungs].reverse().find((rung) => rung.r2 !== undefined);
      const prefix = [
        count(cell.featureCount),
        String(cell.terms),
        String(cell.noise),
        planted.truthSd.toFixed(2),
        String(cell.seed),
        algorithm,
      ];
      summary.push([
        ...prefix,
        ...THRESHOLDS.map((threshold) => {
          const calls = reached(rungs, threshold);
          return calls === undefined ? `> ${count(ladder[ladder.length - 1] ?? 0)}` : count(calls);
        }),
        last?.r2 === undefined || last.masksQueried === undefined ? '—' : `${formatR2(last.r2)} @ ${count(last.masksQueried)}`,
        last?.computeMs === undefined ? '—' : (last.computeMs / 1000).toFixed(2),
      ]);
      detail.push([
        ...prefix,
        ...ladder.map((budget) => {
          const rung = rungs.find((candidate) => candidate.budget === budget);
          if (!rung) return '';
          if (rung.r2 === undefined || rung.masksQueried === undefined) return rung.note ?? '—';
          return `${formatR2(rung.r2)} (${count(rung.masksQueried)}${rung.note ? `, ${rung.note}` : ''})`;
        }),
      ]);
    }
  }
  const prefixHeader = ['n', 's', 'σ', 'sd(f)', 'seed', 'algorithm'];
  // Numbers right-aligned, the algorithm's name left-aligned.
  const alignment = 'rrrrrl';
  return [
    `Planted functions: s non-constant Fourier terms of degree ≤ ${PLANTED_DEGREE} over n features, hierarchy 'chain' (every term comes with`,
    `a chain of its subsets), coefficients ±[0.3, 1], plus Gaussian noise of standard deviation σ on every value. ProxySPEX (default`,
    `options: anytime doubling rounds, target R² 0.999) and SPEX run with maxOrder ${GRID_MAX_ORDER}; first-order is least squares on ∅ and the`,
    `n singletons over the same kind of uniform masks (what LIME and ContextCite fit). Each algorithm climbs the budget ladder`,
    `${ladder.map(count).join(', ')} and stops once both thresholds are reached. "Calls" are the distinct masks the run actually`,
    `scored (ProxySPEX may stop before its budget; SPEX scores its design's distinct masks plus a hold-out). R² is measured against the`,
    `noise-free truth on ${count(TEST_MASKS)} fresh uniform masks. One fixed seed per cell (column "seed") drives the planted function, the`,
    `noise, the test masks and the algorithms; the σ = 0 and σ = 0.1 cells of an (n, s) pair share it, so they differ only by the noise.`,
    `"sd(f)" is the standard deviation of the noise-free function over the test masks, the scale to read σ against.`,
    `With fewer masks than n + 1 the first-order fit is under-determined (CGLS returns a near minimum-norm interpolant), hence R² < 0 there.`,
    `"last rung" is the budget where the climb stopped: the first to reach both thresholds, or the largest; "compute" is the`,
    `algorithm's own time there (diagnostics.computeMs; the fit alone for first-order), the planted evaluator's time excluded.`,
    '',
    markdownTable(
      [...prefixHeader, 'calls to R² ≥ 0.9', 'calls to R² ≥ 0.95', 'R² @ calls, last rung', 'compute, last rung (s)'],
      summary,
      alignment,
    ),
    `"> ${count(ladder[ladder.length - 1] ?? 0)}": not reached on any rung of the ladder. The ladder behind the table: one column per budget, R² (calls) in each;`,
    `"below design" = the budget is smaller than SPEX's smallest design, "t=k" = SPEX lowered its degree to fit the budget, blank = not run:`,
    '',
    markdownTable([...prefixHeader, ...ladder.map(count)], detail, alignment),
  ].join('\n');
}

/** The n = 1,024 fit cases, each run alone in a fresh Node process by bench/memory.ts. */
export interface FitCase {
  readonly id: string;
  readonly label: string;
  readonly kind: 'proxyspex-once' | 'proxyspex-anytime' | 'spex' | 'spex-decode' | 'first-order';
  readonly noise: number;
  /** The time target, in seconds, where the project set one. */
  readonly targetSeconds?: number;
}

const FIT_FEATURES = 1024;
const FIT_TERMS = 64;
/** The fit cases use the product's default recovery degree (SPEX's t = 5 is required by the b = 8 design below). */
const FIT_MAX_ORDER = 5;
const FIT_SPEX_B = 8;
const FIT_MASKS = 8000;

export const FIT_CASES: readonly FitCase[] = [
  { id: 'proxyspex-once-0', label: 'ProxySPEX, 8,000 masks in one round', kind: 'proxyspex-once', noise: 0, targetSeconds: 5 },
  { id: 'proxyspex-once-0.1', label: 'ProxySPEX, 8,000 masks in one round', kind: 'proxyspex-once', noise: 0.1, targetSeconds: 5 },
  { id: 'proxyspex-anytime-0', label: 'ProxySPEX, budget 8,000, default rounds', kind: 'proxyspex-anytime', noise: 0 },
  { id: 'spex-0', label: `recoverSpex, b = ${FIT_SPEX_B}, t = ${FIT_MAX_ORDER}`, kind: 'spex', noise: 0, targetSeconds: 5 },
  { id: 'spex-0.1', label: `recoverSpex, b = ${FIT_SPEX_B}, t = ${FIT_MAX_ORDER}`, kind: 'spex', noise: 0.1, targetSeconds: 5 },
  {
    id: 'spex-decode-0',
    label: `decodeSpex alone, b = ${FIT_SPEX_B}, t = ${FIT_MAX_ORDER}`,
    kind: 'spex-decode',
    noise: 0,
    targetSeconds: 5,
  },
  {
    id: 'spex-decode-0.1',
    label: `decodeSpex alone, b = ${FIT_SPEX_B}, t = ${FIT_MAX_ORDER}`,
    kind: 'spex-decode',
    noise: 0.1,
    targetSeconds: 5,
  },
  { id: 'first-order-0', label: 'first-order least squares, 8,000 masks', kind: 'first-order', noise: 0 },
];

/** What one fit case measured about its own work (memory is added by the harness). */
export interface FitOutcome {
  /** Values computed: distinct masks scored, or design values decoded. */
  readonly values: number;
  readonly wallMs: number;
  /** The algorithm's own compute time (diagnostics.computeMs), or the timed call for decodeSpex. */
  readonly computeMs: number;
  readonly r2: number;
  readonly note: string;
}

/** Runs one fit case; called in the child process, after the harness has recorded the memory baseline via `ready`. */
export async function runFitCase(fitCase: FitCase, ready: () => void): Promise<FitOutcome> {
  const planted = plantedCase({ featureCount: FIT_FEATURES, terms: FIT_TERMS, noise: fitCase.noise, seed: 42 });
  const evaluate = planted.evaluator();
  const spexBudget = spexSampleCount(FIT_FEATURES, FIT_SPEX_B, FIT_MAX_ORDER) + spexHoldout(10 ** 6);
  switch (fitCase.kind) {
    case 'proxyspex-once':
    case 'proxyspex-anytime': {
      ready();
      const started = performance.now();
      const result = await recover(evaluate, {
        featureCount: FIT_FEATURES,
        budget: FIT_MASKS,
        maxOrder: FIT_MAX_ORDER,
        algorithm: 'proxyspex',
        seed: 42,
        ...(fitCase.kind === 'proxyspex-once' ? { proxySpex: { maxRounds: 1 } } : {}),
      });
      const wallMs = performance.now() - started;
      const { diagnostics } = result;
      return {
        values: diagnostics.masksQueried,
        wallMs,
        computeMs: diagnostics.computeMs,
        r2: planted.testR2(result.fourier),
        note: `${diagnostics.supportSize} terms; rounds at ${diagnostics.rounds.map((round) => count(round.masks)).join(' / ')} masks`,
      };
    }
    case 'spex': {
      ready();
      const started = performance.now();
      const result = await recover(evaluate, {
        featureCount: FIT_FEATURES,
        budget: spexBudget,
        maxOrder: FIT_MAX_ORDER,
        algorithm: 'spex',
        seed: 42,
      });
      const wallMs = performance.now() - started;
      const { diagnostics, plan } = result;
      return {
        values: diagnostics.masksQueried,
        wallMs,
        computeMs: diagnostics.computeMs,
        r2: planted.testR2(result.fourier),
        note: `b = ${plan.spexBins ?? '?'}, t = ${plan.maxOrder}, ${diagnostics.supportSize} terms`,
      };
    }
    case 'spex-decode': {
      const parameters = spexParameters(FIT_FEATURES, spexBudget, FIT_MAX_ORDER);
      const design = planSpexDesign({ featureCount: FIT_FEATURES, b: FIT_SPEX_B, t: FIT_MAX_ORDER, random: seededRandom(42) });
      // The design's values are computed in chunks so that the 43,008 masks never exist at once.
      const values = new Float64Array(design.sampleCount);
      const chunk = 4096;
      for (let first = 0; first < design.sampleCount; first += chunk) {
        const masks = Array.from({ length: Math.min(chunk, design.sampleCount - first) }, (_, i) => designMask(design, first + i));
        values.set(await evaluate(masks), first);
      }
      ready();
      const started = performance.now();
      const decoded = decodeSpex(design, values);
      const decodeMs = performance.now() - started;
      return {
        values: design.sampleCount,
        wallMs: decodeMs,
        computeMs: decodeMs,
        r2: planted.testR2(decoded.spectrum),
        note: `peeled ${decoded.spectrum.size} terms (no refit); plan for this budget: b = ${parameters?.b ?? '?'}, t = ${parameters?.t ?? '?'}`,
      };
    }
    case 'first-order': {
      ready();
      const started = performance.now();
      const result = await recoverFirstOrder(evaluate, { featureCount: FIT_FEATURES, budget: FIT_MASKS, seed: 42 });
      const wallMs = performance.now() - started;
      return {
        values: result.masksQueried,
        wallMs,
        computeMs: result.computeMs,
        r2: planted.testR2(result.fourier),
        note: 'CGLS on 1,025 columns',
      };
    }
  }
}

/** The report bench/memory.ts prints as its last line of output. */
export interface FitReport extends FitOutcome {
  readonly id: string;
  /** Resident set size just before the measured work started (modules loaded, truth and test masks built). */
  readonly rssBeforeMiB: number;
  /** The kernel's peak resident set size of the whole child process. */
  readonly maxRssMiB: number;
  /** The largest heapUsed + arrayBuffers seen by a 20 ms sampler; a lower bound (see bench/memory.ts). */
  readonly sampledHeapMiB: number;
}

function isFitReport(value: unknown): value is FitReport {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.id === 'string' &&
    typeof record.note === 'string' &&
    ['values', 'wallMs', 'computeMs', 'r2', 'rssBeforeMiB', 'maxRssMiB', 'sampledHeapMiB'].every((key) => typeof record[key] === 'number')
  );
}

const run = promisify(execFile);

/**
 * Runs one fit case in a fresh Node process. A fresh process is the robust way to get a peak: the
 * kernel's maxRSS covers every allocation, including the long synchronous phases during which no
 * in-process sampler can run, and nothing left over from earlier benchmarks inflates it.
 */
async function measureInChild(fitCase: FitCase): Promise<FitReport> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(__dirname, 'memory.ts'), fitCase.id], {
    cwd: join(__dirname, '..'),
    maxBuffer: 1 << 20,
  });
  const lastLine = stdout.trim().split('\n').pop() ?? '';
  const parsed: unknown = JSON.parse(lastLine);
  if (!isFitReport(parsed)) throw new Error(`bench/memory.ts printed an unexpected report for ${fitCase.id}: ${lastLine}`);
  return parsed;
}

/** Parts 2 and 3: fit time and memory of the n = 1,024 runs. */
export async function fitTimeAndMemory(options: { readonly log: (line: string) => void }): Promise<string> {
  const rows: string[][] = [];
  for (const fitCase of FIT_CASES) {
    const report = await measureInChild(fitCase);
    options.log(`  ${fitCase.id}: ${(report.wallMs / 1000).toFixed(2)} s`);
    const seconds = (ms: number): string => (ms / 1000).toFixed(2);
    rows.push([
      fitCase.label,
      String(fitCase.noise),
      count(report.values),
      seconds(report.wallMs),
      seconds(report.computeMs),
      fitCase.targetSeconds === undefined ? '' : `≤ ${fitCase.targetSeconds} s`,
      formatR2(report.r2),
      report.rssBeforeMiB.toFixed(0),
      report.maxRssMiB.toFixed(0),
      (report.maxRssMiB - report.rssBeforeMiB).toFixed(0),
      report.sampledHeapMiB.toFixed(0),
      report.note,
    ]);
  }
  return [
    `n = ${count(FIT_FEATURES)}, a planted function with s = ${FIT_TERMS} terms of degree ≤ ${PLANTED_DEGREE} (hierarchy 'chain', seed 42), maxOrder ${FIT_MAX_ORDER}.`,
    `Each row is one run in a fresh Node process (cold: no warm-up, as a CLI run would be). "values" are the distinct masks scored`,
    `(for decodeSpex: the design's values, repeats included). "wall" is the whole call including the instant planted evaluator;`,
    `"compute" is the algorithm's diagnostics.computeMs (for decodeSpex and first-order: the timed fit itself). Memory in MiB:`,
    `"RSS before" is the process just before the measured work (Node, tsx, the truth and the test masks), "peak RSS" is the`,
    `kernel's maxRSS of the process, "Δ" is their difference, and "sampled heap" is the largest heapUsed + arrayBuffers seen by a`,
    `20 ms timer (a lower bound: the timer cannot fire during a long synchronous phase).`,
    '',
    markdownTable(
      ['case', 'σ', 'values', 'wall (s)', 'compute (s)', 'target', 'R²', 'RSS before', 'peak RSS', 'Δ', 'sampled heap', 'note'],
      rows,
      'lrrrrlrrrrrl',
    ),
  ].join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** The median time of `runs` calls after `warmups` untimed calls (the JIT needs a few to settle on tight loops). */
export function timeMs(runs: number, work: () => void, warmups = 1): number {
  for (let i = 0; i < warmups; i += 1) work();
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    work();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

/** Part 4: masks per millisecond of a recovered surrogate, batched and one at a time. */
export function surrogateSpeed(): string {
  const terms = 1000;
  const batch = 5000;
  const rows: string[][] = [];
  for (const featureCount of [64, 256, 1024]) {
    const random = seededRandom(featureCount);
    const spectrum = plantedSpectrum({ featureCount, terms, maxDegree: 5, random, hierarchy: 'none' });
    const compiled = new CompiledFourier(spectrum);
    const masks = Array.from({ length: batch }, () => uniformMask(featureCount, random));
    const manyMs = timeMs(9, () => compiled.evaluateMany(masks), 5);
    const oneMs = timeMs(5, () => masks.forEach((mask) => compiled.evaluate(mask)), 2);
    // A sanity check that the two paths agree, since the table compares their speeds.
    const many = compiled.evaluateMany(masks);
    let difference = 0;
    masks.forEach((mask, i) => (difference = Math.max(difference, Math.abs(compiled.evaluate(mask) - (many[i] as number)))));
    rows.push([
      count(featureCount),
      count(spectrum.size),
      (batch / manyMs).toFixed(0),
      (batch / oneMs).toFixed(0),
      `${(oneMs / manyMs).toFixed(1)}×`,
      difference.toExponential(1),
    ]);
  }
  return [
    `CompiledFourier on a random expansion of ${count(terms)} terms of degree ≤ 5 (plus ∅; hierarchy 'none'), ${count(batch)} uniform masks per`,
    `call; median of 9 runs after 5 warm-ups (evaluateMany) or of 5 after 2 (evaluate, one mask at a time). The last column is the largest`,
    `difference between the two paths' values.`,
    '',
    markdownTable(['n', 'terms', 'evaluateMany (masks/ms)', 'evaluate (masks/ms)', 'speed-up', 'max abs. difference'], rows, 0),
  ].join('\n');
}

/** Part 5: the nine interaction indices of order 3 on a large expansion. */
export function indexSpeed(): string {
  const featureCount = 4096;
  const terms = 2000;
  const order = 3;
  const spectrum = plantedSpectrum({ featureCount, terms, maxDegree: 5, random: seededRandom(9), hierarchy: 'none' });
  const rows = INDEX_NAMES.map((name) => {
    const ms = timeMs(5, () => interactionIndex(name, spectrum, order));
    return [name, ms.toFixed(1), count(interactionIndex(name, spectrum, order).size)];
  });
  return [
    `interactionIndex(name, fourier, ${order}) on a random expansion of ${count(terms)} terms of degree ≤ 5 (plus ∅) over n = ${count(featureCount)}`,
    `features; median of 5 runs after a warm-up. "terms out" is the size of the index's output.`,
    '',
    markdownTable(['index', 'time (ms)', 'terms out'], rows, 1),
  ].join('\n');
}
