/**
 * The child process of the llama benchmark: `node --import tsx bench/llamaChild.ts` loads the tiny
 * model from ../shared/models/, runs every measurement and prints a LlamaReport as JSON on its last
 * line. A process of its own makes its peak RSS the figure for the backend, not for other sections.
 */
// First, as in the CLI and the server: libuv's thread pool is sized before anything starts it.
import '../server/backends/llama/threadPool';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { applyMask } from '../server/ablation/mask';
import { segmentText } from '../server/ablation/segment';
import { createLlamaValueSource, type LlamaValueSource } from '../server/backends/llama/llamaScorer';
import { llamaRuntime } from '../server/backends/llama/loader';
import { releaseAllModels } from '../server/backends/llama/modelRegistry';
import { explainText } from '../server/engine/explain';
import type { Granularity } from '../protocol/features';
import { seededRandom } from '../server/recovery/random';
import { STORY, TINY_MODEL_PATH, TINY_MODEL_SHA256 } from '../test/llama/tinyModel';

export interface ScoringRow {
  readonly workload: string;
  readonly features: number;
  /** Tokens of the masked prompts, on average. */
  readonly meanPromptTokens: number;
  readonly workers: number;
  readonly reuse: boolean;
  readonly calls: number;
  readonly callsPerSecond: number;
  readonly tokensPerCall: number;
  /** What reusing every shared token would evaluate per call, in the same order. */
  readonly idealTokensPerCall: number;
}

export interface ExplainRow {
  readonly workload: string;
  readonly features: number;
  readonly budget: number;
  readonly masks: number;
  readonly seconds: number;
  readonly callsPerSecond: number;
  readonly reuseShare: number;
  /** Tokens evaluated against the ideal reuse's. */
  readonly idealRatio: number;
  readonly heldOutR2: number | null;
}

export interface LlamaReport {
  readonly runtimeInitMs: number;
  readonly modelLoadMs: number;
  readonly modelBytes: number;
  readonly answerTokens: number;
  readonly scoring: ScoringRow[];
  readonly explanations: ExplainRow[];
  readonly rssBeforeMiB: number;
  readonly maxRssMiB: number;
}

/** Twelve sentences: the test story and two more. */
const TWELVE_SENTENCES = `${STORY} "Can we fly the kite again tomorrow?" Tom smiled and said yes.`;

/** A story of exactly 100 words (one feature per word). */
function hundredWords(): string {
  const words =
    `${STORY} The kite went up high in the blue sky. Lily laughed and ran after it. Tom ran too. The sun was warm and the grass was green. Mom watched them and smiled. When the sun went down, they sat on the grass and ate apples. Lily gave Tom a big red apple. Tom said thank you. Then Lily said to Tom,`.split(
      ' ',
    );
  return words.slice(words.length - 100).join(' ');
}

const MASKS = 256;
/** Timed runs per row; the median is reported. */
const RUNS = 3;
const ANSWER_TOKENS = 12;

async function scoringRow(workload: string, text: string, granularity: Granularity, workers: number, reuse: boolean): Promise<ScoringRow> {
  const source = await createLlamaValueSource({
    model: TINY_MODEL_PATH,
    raw: false,
    value: 'auto',
    maxAnswerTokens: ANSWER_TOKENS,
    concurrency: workers,
    threads: 1,
    prompt: text,
    prefixReuse: reuse,
  });
  const { features } = segmentText(text, { granularity });
  const random = seededRandom(features.length);
  const masks = Array.from({ length: MASKS }, () => features.map(() => (random() < 0.5 ? 0 : 1)));
  const texts = masks.map((mask) => applyMask(text, features, mask, { kind: 'remove' }));
  // One warm-up call allocates the workers' contexts outside the timed runs.
  await Promise.all(texts.slice(0, workers).map((masked) => source.tokenLogprobs(masked)));
  const before = source.stats();
  // The median of a few runs: a shared machine's other load shows up as outliers.
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    await Promise.all(texts.map((masked) => source.tokenLogprobs(masked)));
    rates.push(texts.length / ((performance.now() - started) / 1000));
  }
  const after = source.stats();
  const calls = after.calls - before.calls;
  rates.sort((a, b) => a - b);
  return {
    workload,
    features: features.length,
    meanPromptTokens: meanPromptTokens(source),
    workers: source.settings.workers,
    reuse,
    calls: texts.length,
    callsPerSecond: rates[Math.floor(RUNS / 2)] as number,
    tokensPerCall: (after.evaluatedTokens - before.evaluatedTokens) / calls,
    idealTokensPerCall: (after.idealTokens - before.idealTokens) / calls,
  };
}

/** Without reuse a call evaluates its prompt and all answer tokens but the last. */
function meanPromptTokens(source: LlamaValueSource): number {
  const stats = source.stats();
  return stats.calls > 0 ? stats.noReuseTokens / stats.calls - source.answer.length + 1 : 0;
}

async function explainRow(workload: string, text: string, granularity: Granularity, budget: number): Promise<ExplainRow> {
  const source = await createLlamaValueSource({
    model: TINY_MODEL_PATH,
    raw: false,
    value: 'auto',
    maxAnswerTokens: ANSWER_TOKENS,
    concurrency: 4,
    threads: 0,
    prompt: text,
  });
  const started = performance.now();
  const explanation = await explainText({
    text,
    granularity,
    masking: { kind: 'remove' },
    source,
    algorithm: 'auto',
    budget,
    maxOrder: 5,
    index: 'fsii',
    order: 2,
    top: 10,
    seed: 0,
    concurrency: 4,
  });
  const seconds = (performance.now() - started) / 1000;
  const stats = source.stats();
  return {
    workload,
    features: explanation.features.length,
    budget,
    masks: explanation.calls.masks,
    seconds,
    callsPerSecond: explanation.calls.model / seconds,
    reuseShare: stats.evaluatedTokens / stats.noReuseTokens,
    idealRatio: stats.evaluatedTokens / stats.idealTokens,
    heldOutR2: explanation.faithfulness.r2,
  };
}

async function main(): Promise<void> {
  if (!existsSync(TINY_MODEL_PATH)) throw new Error(`The benchmark model is missing: ${TINY_MODEL_PATH}.`);
  const digest = createHash('sha256').update(readFileSync(TINY_MODEL_PATH)).digest('hex');
  if (digest !== TINY_MODEL_SHA256) throw new Error(`${TINY_MODEL_PATH} has sha256 ${digest}, not ${TINY_MODEL_SHA256}.`);
  const rssBefore = process.memoryUsage().rss;
  const initStarted = performance.now();
  await llamaRuntime();
  const runtimeInitMs = performance.now() - initStarted;
  const first = await createLlamaValueSource({
    model: TINY_MODEL_PATH,
    raw: false,
    value: 'auto',
    maxAnswerTokens: ANSWER_TOKENS,
    concurrency: 1,
    threads: 1,
    prompt: TWELVE_SENTENCES,
  });
  const words = hundredWords();
  const scoring: ScoringRow[] = [];
  for (const [workload, text, granularity] of [
    ['12 sentences', TWELVE_SENTENCES, 'sentence'],
    ['100 words', words, 'word'],
  ] as const) {
    for (const workers of [1, 2]) {
      for (const reuse of [false, true]) {
        process.stderr.write(`[llama] ${workload}, ${workers} worker(s), reuse ${reuse ? 'on' : 'off'}\n`);
        scoring.push(await scoringRow(workload, text, granularity, workers, reuse));
      }
    }
  }
  const explanations = [
    await explainRow('12 sentences', TWELVE_SENTENCES, 'sentence', 1000),
    await explainRow('100 words', words, 'word', 1000),
  ];
  const report: LlamaReport = {
    runtimeInitMs,
    modelLoadMs: first.loadMs,
    modelBytes: first.file.bytes,
    answerTokens: first.answer.length,
    scoring,
    explanations,
    rssBeforeMiB: rssBefore / 2 ** 20,
    // resourceUsage().maxRSS is in kibibytes.
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  await releaseAllModels();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
