/**
 * The cost benchmark's HTTP part: what an explanation costs over the Ollama API when the model is
 * real (the tiny TinyStories model behind test/fixtures/realModelOllama, which counts requests and
 * the prompt tokens Ollama's prompt cache would evaluate), read (a) token by token and (b) by the
 * greedy walk; whether the two read the same values; and how much of the llama backend's exact
 * function the Ollama path's recovered function explains, with bounded values fitted as censored
 * and taken as they are.
 */
import { createLlamaValueSource } from '../../server/backends/llama/llamaScorer';
import { applyMask } from '../../server/ablation/mask';
import { explainText, segmentForExplanation } from '../../server/engine/explain';
import { createValueSource, type ValueSource } from '../../server/engine/valueSource';
import { CompiledFourier } from '../../server/recovery/expansion';
import { keyOfSorted } from '../../server/recovery/interactionKey';
import { fullMask, uniformMask } from '../../server/recovery/masks';
import { seededRandom } from '../../server/recovery/random';
import type { WalkResult } from '../../server/value/greedyWalk';
import { maskValueOf } from '../../server/value/valueFunction';
import type { Explanation } from '../../protocol/explanation';
import { startRealModelOllama, type RealModelOllama } from '../../test/fixtures/realModelOllama/server';
import { TINY_MODEL_PATH } from '../../test/llama/tinyModel';
import { markdownTable } from '../recovery';
import { COST_WORKLOADS, type CostWorkload } from './prompts';

const CONCURRENCY = 4;
/** Masks on which the two methods' values are compared one by one. */
const COMPARED_MASKS = 120;
/** Generated-token values (evaluated one by one) and forced-prefix values (in a batch) differ in float32 rounding. */
const SAME_VALUE = 1e-3;

interface MethodRow {
  readonly workload: string;
  readonly method: string;
  readonly masks: number;
  readonly callsPerMask: number;
  readonly maxCalls: number;
  readonly submittedPerMask: number;
  readonly evaluatedPerMask: number;
  readonly evaluatedTotal: number;
  readonly generatedPerMask: number;
  readonly bounded: number;
  readonly seconds: number;
}

interface AgreementRow {
  readonly workload: string;
  readonly bothExact: number;
  readonly equal: number;
  readonly largestDifference: number;
  readonly censoredR2: number;
  readonly uncensoredR2: number;
  readonly valuesR2: number;
}

export async function httpWalkBenchmark(options: {
  readonly quick: boolean;
  readonly log: (line: string) => void;
  /** The workloads to run (default all): a run of one while working on it. */
  readonly workloads?: readonly CostWorkload[];
}): Promise<string> {
  const methodRows: MethodRow[] = [];
  const agreementRows: AgreementRow[] = [];
  const pacedRows: PacedRow[] = [];
  for (const workload of options.workloads ?? COST_WORKLOADS) {
    const budget = options.quick ? 100 : workload.budget;
    const server = await startRealModelOllama({ parallel: CONCURRENCY, threads: 1 });
    try {
      const sources = new Map<string, ValueSource>();
      for (const method of ['tokenwise', 'walk'] as const) {
        options.log(`cost: ${workload.name}, ${method} over the real-model Ollama server, budget ${budget}`);
        const walks: WalkResult[] = [];
        const source = await ollamaSource(server, workload, method, (walk) => walks.push(walk));
        sources.set(method, source);
        const before = server.stats();
        const started = Date.now();
        const explanation = await explain(workload, source, budget);
        const seconds = (Date.now() - started) / 1000;
        const after = server.stats();
        const masks = explanation.calls.model;
        const requests = explanation.calls.requests ?? 0;
        methodRows.push({
          workload: workload.name,
          method: method === 'walk' ? '(b) greedy walk' : '(a) token by token',
          masks,
          callsPerMask: requests / masks,
          maxCalls: method === 'walk' ? Math.max(...walks.map((walk) => walk.calls)) : source.callsPerMask,
          submittedPerMask: (after.promptTokens - before.promptTokens) / masks,
          evaluatedPerMask: (after.promptTokensEvaluated - before.promptTokensEvaluated) / masks,
          evaluatedTotal: after.promptTokensEvaluated - before.promptTokensEvaluated,
          generatedPerMask: (after.generatedTokens - before.generatedTokens) / masks,
          bounded: explanation.calls.bounded ?? 0,
          seconds,
        });
        options.log(`cost: ${JSON.stringify(methodRows[methodRows.length - 1])}`);
        if (method === 'walk') {
          agreementRows.push(await agreement(workload, sources, explanation, budget, options.log));
          options.log(`cost: ${JSON.stringify(agreementRows[agreementRows.length - 1])}`);
        }
      }
      for (const source of sources.values()) await source.close();
      pacedRows.push(...(await pacedWallTimes(server, workload, options)));
    } finally {
      await server.close();
    }
  }
  const costTable = markdownTable(
    [
      'prompt',
      'method',
      'masks',
      'calls per mask (mean)',
      'calls per mask (max)',
      'prompt tokens submitted per mask',
      'prompt tokens evaluated per mask (after the prompt cache)',
      'per explanation',
      'tokens generated per mask',
      'bounded masks',
      'wall time',
    ],
    methodRows.map((row) => [
      row.workload,
      row.method,
      String(row.masks),
      row.callsPerMask.toFixed(2),
      String(row.maxCalls),
      row.submittedPerMask.toFixed(0),
      row.evaluatedPerMask.toFixed(0),
      String(row.evaluatedTotal),
      row.generatedPerMask.toFixed(1),
      String(row.bounded),
      `${row.seconds.toFixed(1)} s`,
    ]),
    'llrrrrrrrrr',
  );
  const agreementTable = markdownTable(
    [
      'prompt',
      `masks both read exactly (of ${COMPARED_MASKS})`,
      `equal within ${SAME_VALUE}`,
      'largest difference',
      'R² of the Ollama-path values vs exact',
      'recovered function vs the llama backend’s, censored (target ≥ 0.95)',
      'the same with bounds taken as values',
    ],
    agreementRows.map((row) => [
      row.workload,
      String(row.bothExact),
      String(row.equal),
      row.largestDifference.toExponential(1),
      row.valuesR2.toFixed(3),
      row.censoredR2.toFixed(3),
      row.uncensoredR2.toFixed(3),
    ]),
    'lrrrrrr',
  );
  const pacedTable = markdownTable(
    ['prompt', 'method', 'masks', 'calls per mask', 'prompt tokens evaluated per mask', 'tokens generated per mask', 'wall time per mask'],
    pacedRows.map((row) => [
      row.workload,
      row.method,
      String(row.masks),
      row.callsPerMask.toFixed(2),
      row.evaluatedPerMask.toFixed(0),
      row.generatedPerMask.toFixed(1),
      `${(row.msPerMask / 1000).toFixed(2)} s`,
    ]),
    'llrrrrr',
  );
  return [
    `Over the Ollama API, answered by the real tiny model (test/fixtures/realModelOllama, ${CONCURRENCY} cache slots, concurrency ${CONCURRENCY}, raw prompts, top 20 alternatives); target: greedy walk ≤ 1.5 calls per mask at sentence granularity:`,
    '',
    costTable,
    '',
    'Do the two methods read the same values, and how close is the Ollama path to the exact function (the llama backend on the same model and prompt, same budget; R² on 2,000 fresh uniform masks)?',
    '',
    agreementTable,
    '',
    `The tiny model evaluates a prompt token about as fast as it generates one, so wall time above counts requests more than model work. At a bigger model's pace (the fixture holds its one model queue ${PACE.promptTokenMs} ms for each prompt token it evaluates and ${PACE.tokenMs} ms for each token it generates, about a 1–3B model's pace on a laptop's CPU; the walk's streamed generations stop at their divergence), budget ${PACED_BUDGET}:`,
    '',
    pacedTable,
  ].join('\n');
}

/**
 * A 1–3B model's pace on a laptop's CPU (a few hundred prompt tokens a second in a batch, a few dozen
 * generated ones): what most users of the Ollama backend wait for.
 */
const PACE = { promptTokenMs: 2, tokenMs: 20 } as const;
const PACED_BUDGET = 50;

export interface PacedRow {
  readonly workload: string;
  readonly method: string;
  readonly masks: number;
  readonly callsPerMask: number;
  readonly evaluatedPerMask: number;
  readonly generatedPerMask: number;
  readonly msPerMask: number;
}

/** Both methods at PACE on masks the server has not seen (another seed), so its prompt cache starts cold. */
export async function pacedWallTimes(
  server: RealModelOllama,
  workload: CostWorkload,
  options: { readonly quick: boolean; readonly log: (line: string) => void },
): Promise<PacedRow[]> {
  const budget = options.quick ? 20 : PACED_BUDGET;
  const rows: PacedRow[] = [];
  server.setFaults(PACE);
  try {
    for (const method of ['tokenwise', 'walk'] as const) {
      options.log(`cost: ${workload.name}, ${method} at a bigger model's pace, budget ${budget}`);
      const source = await ollamaSource(server, workload, method, () => undefined);
      const before = server.stats();
      const started = Date.now();
      const explanation = await explain(workload, source, budget, true, 2);
      const elapsed = Date.now() - started;
      const after = server.stats();
      await source.close();
      const masks = explanation.calls.model;
      rows.push({
        workload: workload.name,
        method: method === 'walk' ? '(b) greedy walk, streamed' : '(a) token by token',
        masks,
        callsPerMask: (explanation.calls.requests ?? 0) / masks,
        evaluatedPerMask: (after.promptTokensEvaluated - before.promptTokensEvaluated) / masks,
        generatedPerMask: (after.generatedTokens - before.generatedTokens) / masks,
        msPerMask: elapsed / masks,
      });
      options.log(`cost: ${JSON.stringify(rows[rows.length - 1])}`);
    }
  } finally {
    server.setFaults({});
  }
  return rows;
}

function ollamaSource(
  server: RealModelOllama,
  workload: CostWorkload,
  method: 'walk' | 'tokenwise',
  onWalk: (walk: WalkResult) => void,
): Promise<ValueSource> {
  return createValueSource({
    backend: 'ollama',
    endpoints: [server.url],
    model: server.model,
    raw: true,
    value: 'logprob',
    maxAnswerTokens: workload.answerTokens,
    concurrency: CONCURRENCY,
    timeoutMs: 120_000,
    seed: 0,
    prompt: workload.text,
    logprobMethod: method,
    onWalk,
  });
}

function explain(workload: CostWorkload, source: ValueSource, budget: number, censorBounds = true, seed = 1): Promise<Explanation> {
  return explainText({
    text: workload.text,
    granularity: workload.granularity,
    pin: workload.pin,
    masking: { kind: 'remove' },
    source,
    algorithm: 'auto',
    budget,
    maxOrder: 3,
    index: 'fourier',
    order: 3,
    top: 0,
    seed,
    concurrency: CONCURRENCY,
    censorBounds,
  });
}

/** Mask-by-mask agreement of the two methods, and the recovered function against the llama backend's exact one. */
async function agreement(
  workload: CostWorkload,
  sources: ReadonlyMap<string, ValueSource>,
  walked: Explanation,
  budget: number,
  log: (line: string) => void,
): Promise<AgreementRow> {
  const tokenwise = sources.get('tokenwise') as ValueSource;
  const walk = sources.get('walk') as ValueSource;
  const { features } = segmentForExplanation({ text: workload.text }, workload.granularity, workload.pin);
  const n = features.length;
  const random = seededRandom(17);
  log(`cost: ${workload.name}, comparing values on ${COMPARED_MASKS} masks and against the llama backend`);
  const exact = await createLlamaValueSource({
    model: TINY_MODEL_PATH,
    raw: true,
    value: 'logprob',
    target: walked.target ?? undefined,
    maxAnswerTokens: workload.answerTokens,
    concurrency: 1,
    threads: 1,
    prompt: workload.text,
  });
  let bothExact = 0;
  let equal = 0;
  let largestDifference = 0;
  const walkValues: number[] = [];
  const exactValues: number[] = [];
  const masks = [fullMask(n), new Uint8Array(n), ...Array.from({ length: COMPARED_MASKS - 2 }, () => uniformMask(n, random))];
  for (const mask of masks) {
    const text = applyMask(workload.text, features, mask, { kind: 'remove' });
    const [a, b] = await Promise.all([tokenwise.score(text, mask), walk.score(text, mask)]);
    const byToken = maskValueOf(a);
    const byWalk = maskValueOf(b);
    walkValues.push(byWalk.value);
    exactValues.push(await exact.score(text, mask));
    if (byToken.bounded || byWalk.bounded) continue;
    bothExact += 1;
    const difference = Math.abs(byToken.value - byWalk.value);
    largestDifference = Math.max(largestDifference, difference);
    if (difference <= SAME_VALUE) equal += 1;
  }
  const exactExplanation = await explain(workload, exact, budget);
  const uncensored = await explain(workload, walk, budget, false);
  await exact.close();
  const reference = surrogate(exactExplanation);
  const censored = surrogate(walked);
  const asValues = surrogate(uncensored);
  const fresh = Array.from({ length: 2000 }, () => uniformMask(n, random));
  const truth = fresh.map((mask) => reference.evaluate(mask));
  return {
    workload: workload.name,
    bothExact,
    equal,
    largestDifference,
    valuesR2: rSquared(exactValues, walkValues),
    censoredR2: rSquared(
      truth,
      fresh.map((mask) => censored.evaluate(mask)),
    ),
    uncensoredR2: rSquared(
      truth,
      fresh.map((mask) => asValues.evaluate(mask)),
    ),
  };
}

function surrogate(explanation: Explanation): CompiledFourier {
  return new CompiledFourier(new Map(explanation.fourier.map((term) => [keyOfSorted(term.features), term.value])));
}

/** 1 − residual / total variance of `truth`. */
function rSquared(truth: readonly number[], predicted: readonly number[]): number {
  const mean = truth.reduce((sum, value) => sum + value, 0) / truth.length;
  let residual = 0;
  let total = 0;
  truth.forEach((value, i) => {
    residual += (value - (predicted[i] as number)) ** 2;
    total += (value - mean) ** 2;
  });
  return 1 - residual / total;
}
