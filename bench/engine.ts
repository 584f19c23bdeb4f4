import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Explanation } from '../protocol/explanation';
import { seededRandom } from '../server/recovery/random';
import {
  startFakeModelServer,
  type FakeModelOptions,
  type FakeModelServer,
  type FakeRequestRecord,
  type FakeTerm,
} from '../test/fixtures/fakeModelServer';
import { runCli } from '../test/helpers/runCli';
import { markdownTable } from './recovery';

/**
 * The engine benchmark: the built CLI against the fake model server with a fixed per-call latency.
 * It measures how close the engine comes to the throughput its concurrency allows (calls/s against
 * C ÷ latency), how much of a run the recovery's own computation takes, and whether a second
 * identical run is served entirely from the call cache. Everything runs through `dist/cli.js` and
 * real HTTP, so the figures include process start-up, the clients, the scheduler and the mask pool.
 * Nothing asserts; every function returns Markdown.
 */

/** The fake model's latency for every request: long enough to dominate per-call overhead, short enough for 1,000 calls at C = 1. */
const LATENCY_MS = 50;
/** The prompt's length in words (one feature per word). */
const WORDS = 256;
/** The default budget of the CLI, which the targets refer to. */
const DEFAULT_BUDGET = 1000;
/**
 * A stretch of at least this many milliseconds with no call in flight is a pause: a fit of the recovery,
 * which takes tens of milliseconds at n = 256. Shorter gaps are the client's per-call overhead, e.g.
 * between the noise-floor repeats, which run one after another.
 */
const PAUSE_MS = LATENCY_MS / 2;
/** The Ollama row scores the answer token by token (one call per answer token), so it gets a smaller budget to stay short. */
const OLLAMA_BUDGET = 250;
const ANSWER = ' The bridge opened in 1931.';

/** Trigger words: letters only, none in the answer, each placed exactly once so that masking it removes it. */
const TRIGGER_WORDS = [
  'alpha',
  'beta',
  'gamma',
  'delta',
  'epsilon',
  'zeta',
  'theta',
  'iota',
  'kappa',
  'lambda',
  'sigma',
  'omega',
  'bravo',
  'charlie',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'juliett',
  'kilo',
  'lima',
  'mike',
  'november',
  'oscar',
  'papa',
  'quebec',
  'romeo',
  'sierra',
  'tango',
  'uniform',
  'victor',
  'whiskey',
] as const;

/** Filler words: none is a trigger word, so only the placed triggers move the planted value. */
const FILLER = [
  'river',
  'stone',
  'council',
  'winter',
  'harbour',
  'engineer',
  'steel',
  'cable',
  'tower',
  'report',
  'traffic',
  'budget',
  'city',
  'north',
  'south',
  'ferry',
  'crossing',
  'design',
  'committee',
  'storm',
  'span',
  'granite',
  'workers',
  'plans',
];

/** A deterministic prompt of exactly WORDS whitespace-separated words with every trigger word once, spread evenly. */
export function engineText(): string {
  const random = seededRandom(7);
  const words = Array.from({ length: WORDS }, () => FILLER[Math.floor(random() * FILLER.length)] as string);
  TRIGGER_WORDS.forEach((word, index) => (words[Math.floor(((index + 0.5) * WORDS) / TRIGGER_WORDS.length)] = word));
  // A full stop every twelve words makes it read like sentences; segmentation at word granularity keeps the count.
  return words.map((word, index) => (index % 12 === 11 || index === WORDS - 1 ? `${word}.` : word)).join(' ');
}

/** A planted function over the prompt's trigger words, as the fake server takes it. */
interface PlantedFunction {
  readonly label: string;
  readonly description: string;
  readonly model: Pick<FakeModelOptions, 'answer' | 'terms' | 'baseLogprob'>;
}

/** The backend tests' function: four terms that ProxySPEX pins down early, so it stops sampling before the budget is spent. */
const SPARSE: PlantedFunction = {
  label: 'sparse',
  description: '−9 + 1.5·[alpha] + 2·[beta ∧ gamma] − 1.8·[delta ∧ omega] + 0.7·[omega]',
  model: {
    answer: ANSWER,
    baseLogprob: -9,
    terms: [
      { words: ['alpha'], value: 1.5 },
      { words: ['beta', 'gamma'], value: 2 },
      { words: ['delta', 'omega'], value: -1.8 },
      { words: ['omega'], value: 0.7 },
    ],
  },
};

/**
 * Twelve single words, six pairs and three triples over the 32 trigger words, with values of either
 * sign between 0.3 and 1.5: enough terms that the fresh-mask R² stays below ProxySPEX's stopping
 * target until the last round, so a run spends the whole default budget, as the figures assume.
 */
function spreadFunction(): PlantedFunction {
  const random = seededRandom(11);
  const terms: FakeTerm[] = [];
  let next = 0;
  for (const order of [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3]) {
    // Stepping by 7 through 32 words (coprime) gives every term distinct words and spreads terms over the prompt.
    const words = Array.from({ length: order }, () => TRIGGER_WORDS[(next++ * 7) % TRIGGER_WORDS.length] as string);
    terms.push({ words, value: (random() < 0.5 ? -1 : 1) * (0.3 + 1.2 * random()) });
  }
  // The fake requires every log-probability to stay at most −0.5, so the base sits below the sum of the positive terms.
  const baseLogprob = -1 - terms.reduce((sum, term) => sum + Math.max(0, term.value), 0);
  return {
    label: 'spread',
    description: `${terms.length} terms (12 singles, 6 pairs, 3 triples) over ${TRIGGER_WORDS.length} trigger words`,
    model: { answer: ANSWER, baseLogprob, terms },
  };
}

type Backend = 'openai' | 'ollama';

/**
 * How a backend reaches the fake: the endpoint URL, the path masked prompts are scored on, and the
 * value function's set-up calls on that path, which come before any mask is scored. With `--value auto`
 * the OpenAI-compatible backend generates the answer to the full prompt and then probes for echo (two
 * calls); Ollama, which cannot echo, only generates the answer (one call). The cache table's second
 * run, which scores nothing, measures the OpenAI figure independently.
 */
function backendShape(backend: Backend, server: FakeModelServer): { endpoint: string; path: string; setupCalls: number } {
  return backend === 'openai'
    ? { endpoint: server.openaiBaseURL, path: '/v1/completions', setupCalls: 2 }
    : { endpoint: server.url, path: '/api/chat', setupCalls: 1 };
}

/** What the fake's request log says about the masked-prompt calls of one run. */
export interface Timeline {
  /** From the first masked call's arrival to the last one's end. */
  readonly windowMs: number;
  /** Stretches of at least PAUSE_MS with no call in flight, in time order: the recovery's fits. */
  readonly pauses: readonly number[];
  /** Calls before the last pause (the recovery's rounds) and their busy time: the time before that pause less the earlier pauses. */
  readonly roundCalls: number;
  readonly roundBusyMs: number;
  /**
   * Capacity lost while each round drains, as wall time: from a round's last arrival to its end, no new
   * call can start because the next round's masks wait for this round's fit.
   */
  readonly drainMs: number;
  /** Calls after the last pause (the final fit): the empty prompt and the noise-floor repeats, and their time. */
  readonly tailCalls: number;
  readonly tailMs: number;
}

/** Reads a run off the fake's timestamps: every call is taken to occupy [arrival, arrival + latency] at C slots. */
export function timeline(calls: readonly FakeRequestRecord[], concurrency: number, latencyMs: number): Timeline {
  const arrivals = calls.map((call) => call.at).sort((a, b) => a - b);
  const first = arrivals[0];
  if (first === undefined) return { windowMs: 0, pauses: [], roundCalls: 0, roundBusyMs: 0, drainMs: 0, tailCalls: 0, tailMs: 0 };
  // Segments of calls separated by pauses; each ends when its last call does.
  const segments: { start: number; end: number; from: number; to: number }[] = [];
  let segment = { start: first, end: first + latencyMs, from: 0, to: 1 };
  arrivals.forEach((at, index) => {
    if (index === 0) return;
    if (at - segment.end >= PAUSE_MS) {
      segments.push(segment);
      segment = { start: at, end: at + latencyMs, from: index, to: index + 1 };
    } else segment = { ...segment, end: Math.max(segment.end, at + latencyMs), to: index + 1 };
  });
  segments.push(segment);
  const pauses = segments.slice(1).map((next, index) => next.start - (segments[index]?.end ?? next.start));
  const rounds = segments.length > 1 ? segments.slice(0, -1) : segments;
  const tail = segments.length > 1 ? segments[segments.length - 1] : undefined;
  let drainMs = 0;
  for (const round of rounds) {
    const lastArrival = arrivals[round.to - 1] ?? round.end;
    // ∫ k dt after the last arrival is the part of each call still in flight then; the rest of C × (end − last arrival) is idle.
    const stillInFlight = arrivals.slice(round.from, round.to).reduce((sum, at) => sum + Math.max(0, at + latencyMs - lastArrival), 0);
    drainMs += round.end - lastArrival - stillInFlight / concurrency;
  }
  return {
    windowMs: segment.end - first,
    pauses,
    roundCalls: rounds.reduce((sum, round) => sum + round.to - round.from, 0),
    roundBusyMs: rounds.reduce((sum, round) => sum + round.end - round.start, 0),
    drainMs,
    tailCalls: tail === undefined ? 0 : tail.to - tail.from,
    tailMs: tail === undefined ? 0 : tail.end - tail.start,
  };
}

/** One CLI run and what the fake saw of it. */
interface EngineRun {
  readonly planted: PlantedFunction;
  readonly backend: Backend;
  readonly concurrency: number;
  readonly budget: number;
  readonly explanation: Explanation;
  /** Requests on every path during the run, and on the scoring path. */
  readonly requests: number;
  readonly scoringRequests: number;
  /** Scoring-path calls before the masked prompts: the value function's set-up (answer generation, echo probe). */
  readonly setupCalls: number;
  /** Masked-prompt HTTP calls: every scoring-path call after the set-up. */
  readonly maskCalls: number;
  /** The model phase's wall time as the CLI measured it: timing.totalMs − timing.recoveryMs. */
  readonly modelWallMs: number;
  readonly timeline: Timeline;
  /** CPU time the fake server (this process) spent per request it answered. */
  readonly fakeCpuMsPerCall: number;
  /** Wall time of the whole CLI process, start-up and set-up included. */
  readonly processMs: number;
}

interface RunOptions {
  readonly backend: Backend;
  readonly concurrency: number;
  readonly budget?: number;
  /** A cache directory; without one the run passes --no-cache. */
  readonly cache?: string;
}

async function runEngine(server: FakeModelServer, planted: PlantedFunction, text: string, options: RunOptions): Promise<EngineRun> {
  const { endpoint, path, setupCalls } = backendShape(options.backend, server);
  const budget = options.budget ?? DEFAULT_BUDGET;
  const before = server.requests.length;
  // This process runs the fake, so its CPU time during the run is the fake's share of the per-call overhead.
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await runCli(
    [
      'explain',
      '-',
      '--backend',
      options.backend,
      '--endpoint',
      endpoint,
      '--granularity',
      'word',
      '--concurrency',
      String(options.concurrency),
      '--budget',
      String(budget),
      ...(options.cache === undefined ? ['--no-cache'] : ['--cache', options.cache]),
      '--quiet',
      '--format',
      'json',
    ],
    { input: text },
  );
  const processMs = performance.now() - started;
  if (result.code !== 0) throw new Error(`The CLI failed (exit ${String(result.code)}): ${result.stderr.trim()}`);
  const explanation = JSON.parse(result.stdout) as Explanation;
  const seen = server.requests.slice(before);
  const scoring = seen.filter((request) => request.path === path);
  // Every scoring call after the set-up is for a masked prompt: one per mask with echo (two for the empty
  // prompt, whose first token echo cannot score), one per answer token and mask for Ollama.
  const maskCalls = scoring.length - setupCalls;
  if (maskCalls < explanation.calls.model)
    throw new Error(`The fake saw ${maskCalls} masked calls, fewer than the ${explanation.calls.model} model calls the CLI reports.`);
  const cpu = process.cpuUsage(cpuBefore);
  return {
    planted,
    backend: options.backend,
    concurrency: options.concurrency,
    budget,
    explanation,
    requests: seen.length,
    scoringRequests: scoring.length,
    setupCalls,
    maskCalls,
    modelWallMs: explanation.timing.totalMs - explanation.timing.recoveryMs,
    timeline: timeline(scoring.slice(setupCalls), options.concurrency, LATENCY_MS),
    fakeCpuMsPerCall: (cpu.user + cpu.system) / 1000 / Math.max(1, seen.length),
    processMs,
  };
}

/** Runs `task` against a fresh fake server, so that each run's request log is its own. */
async function withServer<T>(planted: PlantedFunction, task: (server: FakeModelServer) => Promise<T>): Promise<T> {
  const server = await startFakeModelServer({ ...planted.model, latencyMs: LATENCY_MS });
  try {
    return await task(server);
  } finally {
    await server.close();
  }
}

const fixed = (value: number, digits = 0): string => value.toFixed(digits);
const percent = (value: number): string => `${(value * 100).toFixed(1)} %`;
const thousands = (value: number): string => Math.round(value).toLocaleString('en-US');
const idealMs = (calls: number, concurrency: number): number => (calls * LATENCY_MS) / concurrency;

interface Case {
  readonly planted: PlantedFunction;
  readonly backend: Backend;
  readonly concurrency: number;
  readonly budget?: number;
}

export async function engineBenchmark(options: { readonly quick: boolean; readonly log: (line: string) => void }): Promise<string> {
  // The fake server waits out its latency with one abort listener per request on a single shared signal;
  // with 16 calls in flight Node would warn of a listener leak that is none, so the limit is raised here.
  const previousLimit = EventEmitter.defaultMaxListeners;
  EventEmitter.defaultMaxListeners = 256;
  try {
    return await measure(options);
  } finally {
    EventEmitter.defaultMaxListeners = previousLimit;
  }
}

async function measure(options: { readonly quick: boolean; readonly log: (line: string) => void }): Promise<string> {
  const text = engineText();
  const spread = spreadFunction();
  const cases: Case[] = [
    ...(options.quick ? [4, 16] : [1, 4, 16]).map((concurrency) => ({ planted: spread, backend: 'openai' as const, concurrency })),
    ...(options.quick ? [16] : [4, 16]).map((concurrency) => ({ planted: SPARSE, backend: 'openai' as const, concurrency })),
    { planted: spread, backend: 'ollama', concurrency: 4, budget: OLLAMA_BUDGET },
  ];
  const runs: EngineRun[] = [];
  for (const entry of cases) {
    const run = await withServer(entry.planted, (server) =>
      runEngine(server, entry.planted, text, {
        backend: entry.backend,
        concurrency: entry.concurrency,
        ...(entry.budget === undefined ? {} : { budget: entry.budget }),
      }),
    );
    options.log(
      `[engine] ${entry.planted.label} ${entry.backend} C = ${entry.concurrency}: ${run.maskCalls} calls in ${fixed(run.modelWallMs)} ms`,
    );
    runs.push(run);
  }

  const cacheConcurrency = 16;
  const cacheDirectory = await mkdtemp(join(tmpdir(), 'spex-bench-engine-'));
  let cacheRuns: readonly EngineRun[];
  try {
    cacheRuns = await withServer(spread, async (server) => {
      const cached = { backend: 'openai', concurrency: cacheConcurrency, cache: cacheDirectory } as const;
      // Sequential on purpose: the second run must find everything the first one stored.
      const first = await runEngine(server, spread, text, cached);
      const second = await runEngine(server, spread, text, cached);
      return [first, second];
    });
  } finally {
    await rm(cacheDirectory, { recursive: true, force: true });
  }
  options.log(`[engine] cache: the second run made ${cacheRuns[1]?.explanation.calls.model ?? '?'} model calls`);

  const features = runs[0]?.explanation.features.length ?? WORDS;
  const algorithm = runs[0]?.explanation.algorithm.name ?? 'unknown';
  const ollama = runs.find((run) => run.backend === 'ollama');
  const ollamaCallsPerMask = ollama ? Math.round(ollama.maskCalls / Math.max(1, ollama.explanation.calls.model)) : 0;
  const label = (run: EngineRun): string[] => [run.planted.label, run.backend, String(run.concurrency)];

  const throughputRows = runs.map((run) => {
    const achieved = run.maskCalls / (run.modelWallMs / 1000);
    const ideal = run.concurrency / (LATENCY_MS / 1000);
    const { roundCalls, roundBusyMs } = run.timeline;
    return [
      ...label(run),
      thousands(run.budget),
      thousands(run.explanation.calls.masks),
      thousands(run.maskCalls),
      thousands(run.setupCalls),
      thousands(run.modelWallMs),
      fixed(achieved, 1),
      fixed(ideal, 0),
      fixed(achieved / ideal, 3),
      fixed(idealMs(roundCalls, run.concurrency) / roundBusyMs, 3),
    ];
  });

  const recoveryRows = runs.map((run) => {
    const { recoveryMs, modelMs, totalMs } = run.explanation.timing;
    return [
      ...label(run),
      thousands(totalMs),
      thousands(recoveryMs),
      thousands(run.modelWallMs),
      percent(recoveryMs / run.modelWallMs),
      thousands(modelMs),
      percent(recoveryMs / modelMs),
      run.explanation.faithfulness.r2 === null ? '–' : fixed(run.explanation.faithfulness.r2, 4),
    ];
  });

  const lossRows = runs.map((run) => {
    const { pauses, roundCalls, roundBusyMs, drainMs, tailCalls, tailMs } = run.timeline;
    const { recoveryMs } = run.explanation.timing;
    const lost = run.modelWallMs - idealMs(run.maskCalls, run.concurrency);
    const inRounds = roundBusyMs - idealMs(roundCalls, run.concurrency);
    const inTail = tailMs - idealMs(tailCalls, run.concurrency);
    const pauseMs = pauses.reduce((sum, pause) => sum + pause, 0);
    return [
      ...label(run),
      thousands(lost),
      fixed((run.concurrency * roundBusyMs) / Math.max(1, roundCalls), 1),
      fixed(run.fakeCpuMsPerCall, 2),
      thousands(drainMs),
      thousands(inRounds - drainMs),
      `${thousands(inTail)} (${tailCalls} calls)`,
      pauses.map((pause) => thousands(pause)).join(', '),
      thousands(pauseMs - recoveryMs),
      thousands(lost - inRounds - inTail - (pauseMs - recoveryMs)),
    ];
  });

  const cacheRows = cacheRuns.map((run, index) => [
    index === 0 ? 'first' : 'second',
    thousands(run.explanation.calls.model),
    thousands(run.explanation.calls.cached),
    thousands(run.explanation.calls.masks),
    thousands(run.scoringRequests),
    thousands(run.maskCalls),
    thousands(run.requests),
    thousands(run.explanation.timing.totalMs),
    thousands(run.processMs),
  ]);

  return [
    `The built CLI (\`dist/cli.js\`) explains a ${features}-word prompt (--granularity word: ${features} features; the ` +
      `recovery chose ${algorithm}) against the fake model server, which answers every request after a fixed ${LATENCY_MS} ms. ` +
      `Two planted functions of the prompt's words: *sparse* is ${SPARSE.description}, which ProxySPEX pins down after ` +
      `two rounds and stops; *spread* is ${spread.description}, which keeps it sampling to the end of the budget. The ` +
      `OpenAI-compatible backend scores a masked prompt with one echoed completion; Ollama needs one call per answer ` +
      `token (${ollamaCallsPerMask} here), so its row has a budget of ${OLLAMA_BUDGET}. Every run but the cache table's ` +
      `uses --no-cache. The *model phase* is the CLI's own wall time outside the recovery's computation, ` +
      'timing.totalMs − timing.recoveryMs; it leaves out process start-up and the value function’s set-up calls.',
    '',
    '### Throughput',
    '',
    markdownTable(
      [
        'function',
        'backend',
        'C',
        'budget',
        'masks scored',
        'masked HTTP calls',
        'set-up calls',
        'model phase (ms)',
        'calls/s',
        'ideal C/latency',
        'ratio',
        'ratio within rounds',
      ],
      throughputRows,
      2,
    ),
    `Target: ratio ≥ 0.95, where the ideal keeps C calls in flight all the time (C ÷ ${LATENCY_MS} ms). "Masked HTTP calls" ` +
      'are the calls the fake received for masked prompts: one per mask, plus the three noise-floor repeats of the full ' +
      'prompt, plus one for the empty prompt with echo (a prompt’s first token has no echoed log-probability, so the ' +
      'first answer token of an empty context is generated separately). "Set-up calls" are the value function’s calls on ' +
      'the same path before them; calls/s counts masked HTTP calls only. "Ratio within rounds" is the ' +
      'same ratio over the recovery’s sampling rounds alone, from the fake’s timestamps: without the pauses between ' +
      'rounds and without the sequential tail after the last fit.',
    '',
    '### Recovery share',
    '',
    markdownTable(
      [
        'function',
        'backend',
        'C',
        'total (ms)',
        'recovery (ms)',
        'model phase (ms)',
        'recovery ÷ model phase',
        'Σ call latencies (ms)',
        'recovery ÷ Σ latencies',
        'held-out R²',
      ],
      recoveryRows,
      2,
    ),
    'Target: recovery ÷ model time ≤ 5 %. The reported denominator is the model phase in wall time. timing.modelMs ' +
      'sums every call’s latency, about C times the wall time spent waiting, so the last-but-one column flatters the ' +
      'recovery by that factor and is shown for comparison only.',
    '',
    '### Where the model phase loses time (from the fake’s request timestamps)',
    '',
    markdownTable(
      [
        'function',
        'backend',
        'C',
        'model phase − ideal (ms)',
        'slot cycle in rounds (ms)',
        'fake CPU per call (ms)',
        'round drains (ms)',
        'other loss in rounds (ms)',
        'loss in the tail (ms)',
        'pauses, none in flight (ms)',
        'pauses − recovery (ms)',
        'elsewhere (ms)',
      ],
      lossRows,
      2,
    ),
    `Each masked call is taken to occupy [arrival, arrival + ${LATENCY_MS} ms] at the fake, and the columns split "model ` +
      'phase − ideal" into parts that add up. A *slot cycle* is how long a slot takes per call during the rounds (C × busy ' +
      `time ÷ calls; ${LATENCY_MS} ms would be ideal); the fake’s CPU time per call is the part of the excess the fake ` +
      'itself spends building answers after its sleep (it runs in the benchmark process). A *round drain* is the capacity ' +
      'left idle from a round’s last call ' +
      'until its end: no new call can start, because the masks of round k + 1 exist only after round k’s fit. *Other ' +
      'loss in rounds* is the rest of the rounds’ excess over the ideal: the client’s per-call overhead (building the ' +
      'request, parsing the echoed log-probabilities, the scheduler) and CPU contention between the CLI and the fake on ' +
      `this machine. *Pauses* are stretches of at least ${PAUSE_MS} ms with no call in flight: ProxySPEX’s fits after ` +
      'each round. They are recovery time, which the model phase already excludes, so "pauses − recovery" should be ' +
      'near 0. The *tail* follows the last fit: the empty prompt (where no round scored it) and the three noise-floor ' +
      'repeats of the full prompt, which run one after another, so it costs about four latencies at any C. ' +
      '"Elsewhere" is what remains: the CLI’s own time before the first masked call and after the last one.',
    '',
    '### Call cache: two identical runs',
    '',
    markdownTable(
      [
        'run',
        'calls.model',
        'calls.cached',
        'masks',
        'fake /v1/completions requests',
        'of them masked prompts',
        'fake requests, all paths',
        'total (ms)',
        'process (ms)',
      ],
      cacheRows,
      1,
    ),
    `Both runs: the spread function, --backend openai, C = ${cacheConcurrency}, the same --cache directory. Target: the second ` +
      'run makes 0 model calls. What still reaches the fake is the value function’s set-up (listing the models, ' +
      'generating the answer to the full prompt, probing for echo), which the call cache does not cover and which is not ' +
      'a masked-prompt call.',
  ].join('\n');
}
