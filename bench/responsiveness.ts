import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { ExplainTextRequest, GetVersionRequest, type ExplainTextResult } from '../protocol/server';
import type { FakeTerm } from '../test/fixtures/fakeModelServer';
import { runCli } from '../test/helpers/runCli';
import { startServer, type RunningServer } from '../test/helpers/serverProcess';
import { waitFor } from '../test/helpers/waitFor';
import { markdownTable } from './recovery';

/**
 * The responsiveness benchmark: what a person waits for while recoveries fit. Everything runs through
 * the built CLI and server (dist/) on a thousand word features at a budget of 2,000, where each
 * ProxySPEX round's fit takes seconds: Ctrl-C to exit, the server's answer to spex/version while
 * explanations run, a cancel to its result, and three explanations at once against one after another.
 * Nothing asserts; the function returns Markdown with each figure beside its target.
 */

const SCORER = join(__dirname, '..', 'test', 'fixtures', 'scorers', 'denseScorer.mjs');
const WORDS = 1000;
const BUDGET = 2000;
/** The i-th word: letters only (the fake model's trigger words are), all distinct. */
const word = (i: number): string => `w${[...i.toString(26)].map((digit) => String.fromCharCode(97 + parseInt(digit, 26))).join('')}`;
/** A thousand distinct words, twenty to a line: one feature each at word granularity. */
const TEXT = Array.from({ length: WORDS }, (_, i) => `${word(i)}${i % 20 === 19 ? '\n' : ' '}`).join('');
/**
 * Scorer requests when each round's fit starts: the rounds' 250, 500, 1,000 and 2,000 masks, the empty
 * mask and the three noise-floor repeats of the full prompt.
 */
const ROUND_ENDS = [254, 504, 1004, 2004];
/** The scorer answers at once, so a run this quiet after a round's last mask is fitting. */
const QUIET_MS = 150;
const PING_INTERVAL_MS = 20;
/** The fake model's latency for the concurrency rows: a fast local model. */
const LATENCY_MS = 5;

const TARGET_EXIT_MS = 1000;
const TARGET_ANSWER_MS = 200;
const TARGET_CANCEL_MS = 1000;

/** A scorer's request log (one arrival time per line), read while it grows. */
function requestTimes(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The round whose fit is running, once the log holds at least `atLeast` requests and has been quiet a while. */
function fittingRound(file: string, atLeast: number): number | undefined {
  const times = requestTimes(file);
  const round = ROUND_ENDS.indexOf(times.length);
  return times.length >= atLeast && round >= 0 && Date.now() - (times[times.length - 1] ?? 0) >= QUIET_MS ? round + 1 : undefined;
}

const ms = (value: number): string => `${Math.round(value).toLocaleString('en-US')} ms`;
const seconds = (value: number): string => `${(value / 1000).toFixed(1)} s`;

interface Row {
  readonly measure: string;
  readonly figure: string;
  readonly target: string;
}

/** Ctrl-C to the CLI at one moment of a run: while masks are scored, or during a round's fit. */
async function interruptCli(scratch: string, moment: 'scoring' | 'fit', atLeast: number): Promise<Row> {
  const log = join(scratch, `cli-${moment}-${atLeast}.log`);
  let sentAt = 0;
  let round: number | undefined;
  const result = await runCli(
    ['explain', '-', '--exec', `node "${SCORER}" --log "${log}"`, '--granularity', 'word', '--budget', String(BUDGET), '--no-cache'],
    {
      input: TEXT,
      onSpawn: (child) => {
        void waitFor(
          moment === 'fit' ? 'a fit' : 'masks being scored',
          () => (moment === 'fit' ? (round = fittingRound(log, atLeast)) : requestTimes(log).length >= atLeast ? true : undefined),
          600_000,
        ).then(() => {
          sentAt = performance.now();
          child.kill('SIGINT');
        });
      },
    },
  );
  const exitMs = performance.now() - sentAt;
  const how = result.code === 1 && /Interrupted/u.test(result.stderr) ? '' : ` (exit ${String(result.code)}, not interrupted)`;
  return {
    measure: `Ctrl-C to exit, CLI, ${moment === 'fit' ? `during the fit of round ${round ?? '?'} of 4` : 'while masks are scored'}`,
    figure: `${ms(exitMs)}${how}`,
    target: `≤ ${ms(TARGET_EXIT_MS)}`,
  };
}

/** Pings the server with spex/version every PING_INTERVAL_MS until `running` settles; returns each answer time. */
async function pingWhile(server: RunningServer, running: Promise<unknown>): Promise<number[]> {
  let finished = false;
  const stop = (): void => void (finished = true);
  running.then(stop, stop);
  const latencies: number[] = [];
  while (!finished) {
    const sent = performance.now();
    await server.connection.sendRequest(GetVersionRequest);
    latencies.push(performance.now() - sent);
    await delay(PING_INTERVAL_MS);
  }
  return latencies;
}

/** A cancel during a round's fit, through the server; the scorer's log tells when the fit runs. */
async function cancelDuringFit(server: RunningServer, scratch: string, atLeast: number): Promise<Row> {
  const log = join(scratch, `cancel-${atLeast}.log`);
  const cancel = new CancellationTokenSource();
  const run = server.connection.sendRequest(
    ExplainTextRequest,
    { text: TEXT, options: { backend: 'exec', exec: `node "${SCORER}" --log "${log}"`, granularity: 'word', budget: BUDGET } },
    cancel.token,
  );
  const round = await waitFor('a fit', () => fittingRound(log, atLeast), 600_000);
  const cancelledAt = performance.now();
  cancel.cancel();
  const result = await run;
  const answeredMs = performance.now() - cancelledAt;
  const shown = /last round's fit/u.test(result.explanation.algorithm.reason) ? "the last round's fit" : 'a fit on every scored mask';
  return {
    measure: `cancel to result, server, during the fit of round ${round} of 4 (${result.explanation.calls.masks} masks scored; shows ${shown})`,
    figure: ms(answeredMs),
    target: `≤ ${ms(TARGET_CANCEL_MS)}`,
  };
}

/** The dense scorer's function, planted in the fake model: every word moves the answer's log-probability a little. */
function denseTerms(): FakeTerm[] {
  const terms: FakeTerm[] = Array.from({ length: WORDS }, (_, i) => ({ words: [word(i)], value: 0.5 * Math.sin(i * 12.9898) }));
  for (let i = 0; i + 1 < WORDS; i += 37) terms.push({ words: [word(i), word(i + 1)], value: 2 });
  return terms;
}

/**
 * The fake model server in a process of its own: in this one, its work would hold up the client
 * whose request times are measured.
 */
async function startFakeModelProcess(scratch: string): Promise<{ readonly baseURL: string; stop(): void }> {
  const terms = denseTerms();
  const config = join(scratch, 'fake-model.json');
  writeFileSync(
    config,
    JSON.stringify({ answer: ' Yes.', baseLogprob: -1 - terms.reduce((sum, term) => sum + Math.max(0, term.value), 0), terms }),
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '..', 'test', 'fixtures', 'fakeModelCli.ts'), '--latency', String(LATENCY_MS), '--config', config],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const { port } = JSON.parse(line) as { port: number };
  return { baseURL: `http://127.0.0.1:${port}/v1`, stop: () => void child.kill() };
}

/** Three explanations against one fake endpoint, one after another and then at once, with the server pinged throughout. */
async function threeExplanations(server: RunningServer, scratch: string, log: (line: string) => void): Promise<Row[]> {
  const fake = await startFakeModelProcess(scratch);
  try {
    const explain = (seed: number): Promise<ExplainTextResult> =>
      server.connection.sendRequest(ExplainTextRequest, {
        text: TEXT,
        options: { backend: 'openai', endpoint: fake.baseURL, granularity: 'word', budget: BUDGET, seed },
      });
    const phase = async (
      label: string,
      work: () => Promise<ExplainTextResult[]>,
    ): Promise<{ wallMs: number; latencies: number[]; clientStallMs: number; results: ExplainTextResult[] }> => {
      // The client's own event-loop stalls (the machine is shared) bound how much of a slow answer is the server's.
      const stalls = monitorEventLoopDelay({ resolution: 10 });
      stalls.enable();
      const started = performance.now();
      const running = work();
      const latencies = await pingWhile(server, running);
      const results = await running;
      const wallMs = performance.now() - started;
      stalls.disable();
      log(`[responsiveness] three explanations ${label}: ${seconds(wallMs)}`);
      return { wallMs, latencies, clientStallMs: stalls.max / 1e6, results };
    };
    // Seeds of their own: the second phase must score its masks, not find the first phase's in the call cache.
    const sequential = await phase('one after another', async () => [await explain(1), await explain(2), await explain(3)]);
    const together = await phase('at once', () => Promise.all([explain(4), explain(5), explain(6)]));
    const share = (results: ExplainTextResult[], part: 'recoveryMs' | 'modelMs'): string => {
      const spent = results.reduce((sum, result) => sum + result.explanation.timing[part], 0);
      const total = results.reduce((sum, result) => sum + result.explanation.timing.totalMs, 0);
      return `${Math.round((100 * spent) / total)} %`;
    };
    const worst = (run: { latencies: number[]; clientStallMs: number }): string =>
      `${ms(Math.max(...run.latencies))} (median ${ms(median(run.latencies))}, ${run.latencies.length} requests; the client itself stalled up to ${ms(run.clientStallMs)})`;
    return [
      {
        measure: `slowest spex/version answer, one explanation at a time (fits: ${share(sequential.results, 'recoveryMs')} of each run)`,
        figure: worst(sequential),
        target: `≤ ${ms(TARGET_ANSWER_MS)}`,
      },
      {
        measure: 'slowest spex/version answer, three explanations at once',
        figure: worst(together),
        target: `≤ ${ms(TARGET_ANSWER_MS)}`,
      },
      { measure: 'three explanations one after another: wall time', figure: seconds(sequential.wallMs), target: '—' },
      { measure: 'three explanations at once: wall time', figure: seconds(together.wallMs), target: 'shorter' },
    ];
  } finally {
    fake.stop();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function responsivenessBenchmark(options: { readonly log: (line: string) => void }): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'spex-bench-responsiveness-'));
  const server = startServer();
  try {
    await server.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
      initializationOptions: { cacheDirectory: join(scratch, 'cache') },
    });
    await server.connection.sendNotification('initialized', {});
    const rows: Row[] = [];
    for (const [moment, atLeast] of [
      ['scoring', 100],
      ['fit', ROUND_ENDS[1] as number],
      ['fit', ROUND_ENDS[3] as number],
    ] as const) {
      rows.push(await interruptCli(scratch, moment, atLeast));
      options.log(`[responsiveness] ${rows[rows.length - 1]?.measure ?? ''}: ${rows[rows.length - 1]?.figure ?? ''}`);
    }
    for (const atLeast of [ROUND_ENDS[2] as number, ROUND_ENDS[3] as number]) {
      rows.push(await cancelDuringFit(server, scratch, atLeast));
      options.log(`[responsiveness] ${rows[rows.length - 1]?.measure ?? ''}: ${rows[rows.length - 1]?.figure ?? ''}`);
    }
    rows.push(...(await threeExplanations(server, scratch, options.log)));
    return [
      `${WORDS.toLocaleString('en-US')} word features, budget ${BUDGET.toLocaleString('en-US')} (ProxySPEX, rounds of 250, 500, 1,000 and 2,000 masks),`,
      'through the built CLI and server. Ctrl-C and cancels use an exec scorer that answers at once and depends on every word',
      `(test/fixtures/scorers/denseScorer.mjs); the three explanations score the same function on the fake model server in a`,
      `process of its own (${LATENCY_MS} ms per call, the default concurrency of 4 shared by all three). spex/version is sent every`,
      `${PING_INTERVAL_MS} ms while they run.`,
      '',
      markdownTable(
        ['measure', 'figure', 'target'],
        rows.map((row) => [row.measure, row.figure, row.target]),
        1,
      ),
    ].join('\n');
  } finally {
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
