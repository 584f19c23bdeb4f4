/**
 * The child process of the llama tokens benchmark (bench/cost/llamaTokens.ts):
 * `node --import tsx bench/cost/llamaTokensChild.ts [--quick]` explains the cost workloads on the
 * llama backend with the tiny model and prints a LlamaTokensReport as JSON on its last line. A process
 * of its own keeps llama.cpp's threads and memory away from the other sections' timings.
 */
// First, as in the CLI and the server: libuv's thread pool is sized before anything starts it.
import '../../server/backends/llama/threadPool';
import type { TokenCounts } from '../../protocol/explanation';
import { DEFAULT_BLOCK_RULE, describeBlockRule, FIXED_BLOCK_RULE, type BlockRule } from '../../server/backends/llama/blockPartition';
import { createLlamaValueSource, type LlamaValueSource } from '../../server/backends/llama/llamaScorer';
import { llamaRuntime } from '../../server/backends/llama/loader';
import { releaseAllModels } from '../../server/backends/llama/modelRegistry';
import { explainText } from '../../server/engine/explain';
import { TINY_MODEL_PATH, tinyModelSkip } from '../../test/llama/tinyModel';
import { COST_WORKLOADS, type CostWorkload } from './prompts';

/** One whole explanation: what it scored, the tokens that cost and how long it took. */
export interface ExplanationRow {
  readonly workload: string;
  readonly reuse: boolean;
  /** The block rule, with reuse. */
  readonly rule: BlockRule;
  readonly workers: number;
  readonly masks: number;
  readonly answerTokens: number;
  readonly tokens: TokenCounts;
  readonly seconds: number;
}

/** One block rule, scoring one explanation's masked prompts again on one worker. */
export interface RuleRow {
  readonly workload: string;
  readonly rule: BlockRule;
  readonly prompts: number;
  readonly tokens: TokenCounts;
  /** Blocks decoded per prompt. */
  readonly batchesPerPrompt: number;
  readonly promptsPerSecond: number;
  readonly promptsPerCpuSecond: number;
}

export interface LlamaTokensReport {
  readonly explanations: ExplanationRow[];
  readonly rules: RuleRow[];
}

/** The rules compared: fixed blocks as before, and blocks ending at word or sentence starts. */
export const CANDIDATE_RULES: readonly BlockRule[] = [
  FIXED_BLOCK_RULE,
  { breaks: 'none', minTokens: 8, maxTokens: 8 },
  { breaks: 'none', minTokens: 32, maxTokens: 32 },
  { breaks: 'word', minTokens: 2, maxTokens: 16 },
  { breaks: 'word', minTokens: 4, maxTokens: 16 },
  { breaks: 'word', minTokens: 8, maxTokens: 16 },
  { breaks: 'sentence', minTokens: 4, maxTokens: 16 },
  DEFAULT_BLOCK_RULE,
  { breaks: 'sentence', minTokens: 8, maxTokens: 32 },
];

/** Timed runs per rule; the median rate is reported. */
const RUNS = 3;

/** A source on the tiny model in raw mode; `threads` 0 is the CLI's default (the cores shared between the workers). */
function sourceFor(
  workload: CostWorkload,
  options: { workers: number; threads: number; reuse?: boolean; rule?: BlockRule },
): Promise<LlamaValueSource> {
  return createLlamaValueSource({
    model: TINY_MODEL_PATH,
    raw: true,
    value: 'auto',
    maxAnswerTokens: workload.answerTokens,
    concurrency: options.workers,
    threads: options.threads,
    prompt: workload.text,
    prefixReuse: options.reuse ?? true,
    ...(options.rule ? { blockRule: options.rule } : {}),
  });
}

/** Explains the workload as `spex explain --backend llama --raw` does, keeping the masked prompts it scored. */
async function explain(workload: CostWorkload, reuse: boolean, rule: BlockRule, texts: string[]): Promise<ExplanationRow> {
  // The CLI's default concurrency (4), which the backend caps at one worker per core.
  const source = await sourceFor(workload, { workers: 4, threads: 0, reuse, rule });
  const scored: LlamaValueSource = { ...source, score: (text, mask, signal) => (texts.push(text), source.score(text, mask, signal)) };
  const started = performance.now();
  const explanation = await explainText({
    text: workload.text,
    granularity: workload.granularity,
    pin: workload.pin,
    masking: { kind: 'remove' },
    source: scored,
    algorithm: 'auto',
    budget: workload.budget,
    maxOrder: 5,
    index: 'fsii',
    order: 2,
    top: 10,
    seed: 0,
    concurrency: 4,
  });
  const seconds = (performance.now() - started) / 1000;
  const tokens = explanation.calls.tokens;
  if (!tokens) throw new Error('The llama backend reported no token counts.');
  return {
    workload: workload.name,
    reuse,
    rule,
    workers: source.settings.workers,
    masks: explanation.calls.masks,
    answerTokens: source.answer.length,
    tokens,
    seconds,
  };
}

/**
 * Scores `texts` again on one worker under each rule, all queued at once, RUNS times: tokens against
 * the ideal, and prompts per second of wall time and of this process's CPU time. The rules take turns
 * within each run, so that the other load of a shared machine falls on all of them alike.
 */
async function compareRules(workload: CostWorkload, texts: readonly string[], rules: readonly BlockRule[]): Promise<RuleRow[]> {
  const sources = await Promise.all(rules.map((rule) => sourceFor(workload, { workers: 1, threads: 1, rule })));
  const measured = rules.map(() => ({ wall: [] as number[], cpu: [] as number[], tokens: [] as TokenCounts[], batches: [] as number[] }));
  for (let run = 0; run < RUNS; run += 1) {
    for (const [i, source] of sources.entries()) {
      process.stderr.write(
        `[cost/llama] ${workload.name}: run ${run + 1} of ${RUNS}, blocks ${describeBlockRule(rules[i] as BlockRule)}\n`,
      );
      // The pool's worker is rebuilt for another rule: the warm-up keeps that out of the timing.
      await source.tokenLogprobs(workload.text);
      const before = source.tokenCounts();
      const batchesBefore = source.stats().batches;
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      await Promise.all(texts.map((text) => source.tokenLogprobs(text)));
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const after = source.tokenCounts();
      const record = measured[i] as (typeof measured)[number];
      record.wall.push(texts.length / seconds);
      record.cpu.push(texts.length / ((cpu.user + cpu.system) / 1e6));
      record.tokens.push(difference(after, before));
      record.batches.push((source.stats().batches - batchesBefore) / texts.length);
    }
  }
  return rules.map((rule, i) => {
    const record = measured[i] as (typeof measured)[number];
    return {
      workload: workload.name,
      rule,
      prompts: texts.length,
      tokens: record.tokens[0] as TokenCounts,
      batchesPerPrompt: record.batches[0] as number,
      promptsPerSecond: median(record.wall),
      promptsPerCpuSecond: median(record.cpu),
    };
  });
}

function difference(after: TokenCounts, before: TokenCounts): TokenCounts {
  return {
    prompts: after.prompts - before.prompts,
    evaluated: after.evaluated - before.evaluated,
    whole: after.whole - before.whole,
    ideal: after.ideal - before.ideal,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const problem = tinyModelSkip();
  if (problem) throw new Error(problem);
  await llamaRuntime();
  const explanations: ExplanationRow[] = [];
  const rules: RuleRow[] = [];
  for (const workload of COST_WORKLOADS) {
    const texts: string[] = [];
    // Every prompt whole; with reuse in the fixed 16-token blocks of before; with reuse as it is.
    for (const [reuse, rule] of [
      [false, DEFAULT_BLOCK_RULE],
      [true, FIXED_BLOCK_RULE],
      [true, DEFAULT_BLOCK_RULE],
    ] as const) {
      process.stderr.write(
        `[cost/llama] ${workload.name}: explanation, prefix reuse ${reuse ? `on, blocks ${describeBlockRule(rule)}` : 'off'}\n`,
      );
      explanations.push(await explain(workload, reuse, rule, reuse && rule === DEFAULT_BLOCK_RULE ? texts : []));
    }
    if (quick) continue;
    rules.push(...(await compareRules(workload, texts, CANDIDATE_RULES)));
  }
  const report: LlamaTokensReport = { explanations, rules };
  await releaseAllModels();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
