import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { Explanation } from '../../protocol/explanation';
import { ExplainTextRequest, ExplanationChangedNotification, type ExplainOptions } from '../../protocol/server';
import { repoPath } from '../../test/helpers/paths';
import { CLI_PATH } from '../../test/helpers/runCli';
import { startServer } from '../../test/helpers/serverProcess';
import { markdownTable } from '../recovery';
import type { InstantCommand, InstantMessage } from './instantOllama';

/**
 * What SPEX spends per model call on its own side: the built CLI and the built server against an
 * Ollama-API endpoint that answers at once (instantOllama.ts, a process of its own whose CPU is not
 * counted), with `--value logprob` and a one-token answer, so one call per mask. The prompt has 60
 * words explained word by word; SPEX's non-adaptive design scores all its masks in one batch, so the
 * calls run back to back with no fit in between and calls/s measures the call path alone.
 *
 * Two CPU figures per call, each for the whole process (every thread: the event loop, V8's compiler
 * and garbage-collector threads, libuv, the recovery worker) and for its main thread alone (where
 * request building, JSON, cache keys, scheduling and progress run):
 * - the run's: CPU over the whole run less what starting the process costs (the CLI: `spex --version`
 *   with the same probe; the server is measured around the request, after start-up), divided by the
 *   calls the endpoint answered (cold) or the masks the cache answered (warm). It includes the set-up,
 *   the fit, the report and V8 compiling the hot code, which a longer run spreads thinner;
 * - the steady state: the CPU between the call a quarter of the way into the masked calls and the
 *   last one, read from /proc by the endpoint as each call arrives, divided by the calls between.
 * A cold run stores every answer in a fresh cache; the warm rerun answers every mask from that cache.
 * The machine's other work shows in CPU time too (caches, preemption), so each cold configuration runs
 * three times (once with --quick) and the run with the median steady-state CPU is shown.
 */

const CONCURRENCIES = [1, 4, 16] as const;
const WARM_CONCURRENCY = 16;
/** Gaps between calls at least this long end a burst: the set-up before the masks, the fit after them. */
const BURST_GAP_MS = 100;
/** The steady state starts this far into the burst of masked calls, once V8 has compiled the hot code. */
const STEADY_FROM = 0.25;
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in ticks of 1/100 s. */
const TICKS_PER_SECOND = 100;
const CPU_PROBE = repoPath('bench', 'cost', 'cpuProbe.mjs');
const INSTANT_SERVER = repoPath('bench', 'cost', 'instantOllama.ts');

/** Sixty words, one feature each at word granularity. */
export const CALL_OVERHEAD_TEXT = [
  'The harbour council met on a cold winter morning to review the plans for the new stone bridge.',
  'Engineers described the steel cables, the granite towers and the budget for the wide river crossing.',
  'Traffic from the north ferry would move to the bridge once it opened.',
  'The committee asked who designed the span and when the work would finish.',
].join(' ');

interface CpuFigures {
  /** All threads, user + system, in ms. */
  readonly processMs: number;
  /** The main thread alone, in ms; null where /proc is missing. */
  readonly mainMs: number | null;
}

interface Measured {
  readonly runtime: 'CLI' | 'server';
  readonly cache: 'cold' | 'warm';
  readonly concurrency: number;
  /** Calls the endpoint answered during the run (set-up included). */
  readonly calls: number;
  readonly masks: number;
  /** Masks answered by the cache. */
  readonly cached: number;
  /** Whole run, as the caller saw it. */
  readonly wallMs: number;
  /** Calls per second over the burst of masked calls. */
  readonly callsPerSecond: number | null;
  /** CPU of the run, start-up excluded, per call (cold) or per cached mask (warm). */
  readonly run: CpuFigures;
  /** CPU per call in the steady state; null without a burst of calls. */
  readonly steady: CpuFigures | null;
  /** Progress messages the run produced (the CLI's redraws, the server's $/progress notifications). */
  readonly progressMessages: number;
}

/** What the endpoint saw of one run. */
interface Seen {
  readonly calls: number;
  readonly times: readonly number[];
  readonly processMs: readonly number[];
  readonly mainMs: readonly number[];
}

/** The instant endpoint, a child process. */
interface InstantEndpoint {
  readonly url: string;
  /** Reads this process's CPU at every call from now on. */
  watch(pid: number): void;
  /** The calls since the last report. */
  report(): Promise<Seen>;
  close(): void;
}

async function startInstantEndpoint(): Promise<InstantEndpoint> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', INSTANT_SERVER], {
    cwd: repoPath(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const send = (command: InstantCommand): void => void child.send(command);
  const next = <K extends InstantMessage['kind']>(kind: K): Promise<Extract<InstantMessage, { kind: K }>> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: InstantMessage): void => {
        if (message.kind !== kind) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message as Extract<InstantMessage, { kind: K }>);
      };
      const onExit = (code: number | null): void => reject(new Error(`The instant endpoint exited (code ${String(code)}).`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const { url } = await next('listening');
  return {
    url,
    watch: (pid) => send({ kind: 'watch', pid }),
    async report() {
      const answer = next('report');
      send({ kind: 'report' });
      return answer;
    },
    close() {
      child.kill();
    },
  };
}

/** The longest run of calls with no gap of BURST_GAP_MS (the masked prompts), as indices [from, to). */
export function burstOf(times: readonly number[]): { from: number; to: number } | undefined {
  let best: { from: number; to: number } | undefined;
  let from = 0;
  for (let i = 1; i <= times.length; i += 1) {
    if (i === times.length || (times[i] as number) - (times[i - 1] as number) >= BURST_GAP_MS) {
      if (!best || i - from > best.to - best.from) best = { from, to: i };
      from = i;
    }
  }
  return best && best.to - best.from >= 2 ? best : undefined;
}

/** Calls/s over the burst, and the CPU per call from a quarter of the way into it to its end. */
function fromEndpoint(seen: Seen): { callsPerSecond: number | null; steady: CpuFigures | null } {
  const burst = burstOf(seen.times);
  if (!burst) return { callsPerSecond: null, steady: null };
  const first = seen.times[burst.from] as number;
  const last = seen.times[burst.to - 1] as number;
  const callsPerSecond = last > first ? ((burst.to - burst.from - 1) * 1000) / (last - first) : null;
  const from = burst.from + Math.floor((burst.to - burst.from) * STEADY_FROM);
  const to = burst.to - 1;
  const at = (values: readonly number[], index: number): number | undefined => values[index];
  const [p0, p1, m0, m1] = [at(seen.processMs, from), at(seen.processMs, to), at(seen.mainMs, from), at(seen.mainMs, to)];
  if (p0 === undefined || p1 === undefined || to <= from) return { callsPerSecond, steady: null };
  return {
    callsPerSecond,
    steady: {
      processMs: (p1 - p0) / (to - from),
      mainMs: m0 === undefined || m1 === undefined ? null : (m1 - m0) / (to - from),
    },
  };
}

function explainArgs(url: string, budget: number, concurrency: number, cache: string): string[] {
  return [
    'explain',
    '-',
    '--backend',
    'ollama',
    '--endpoint',
    url,
    '--granularity',
    'word',
    '--value',
    'logprob',
    '--max-answer-tokens',
    '1',
    '--algorithm',
    'spex',
    '--budget',
    String(budget),
    '--concurrency',
    String(concurrency),
    '--cache',
    cache,
    '--format',
    'json',
  ];
}

/** Runs the built CLI with the CPU probe loaded; resolves with its output and its CPU figures. */
async function runProbedCli(
  args: readonly string[],
  input: string,
  scratch: string,
  onSpawn: (pid: number) => void = () => undefined,
): Promise<{ stdout: string; cpu: CpuFigures; wallMs: number; progressLines: number }> {
  const cpuFile = path.join(scratch, `cpu-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', CPU_PROBE, CLI_PATH, ...args], {
    cwd: repoPath(),
    stdio: ['pipe', 'pipe', 'pipe'],
    // Standard error claims to be a terminal, so the CLI draws its progress line as for a person.
    env: { ...process.env, SPEX_BENCH_CPU_FILE: cpuFile, SPEX_BENCH_TTY_STDERR: '1' },
  });
  if (child.pid !== undefined) onSpawn(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(input);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`The CLI failed (exit ${String(code)}): ${stderr.trim().slice(-500)}`);
  const cpu = JSON.parse(await readFile(cpuFile, 'utf8')) as CpuFigures;
  // Each redraw of the progress line starts with a carriage return.
  const progressLines = (stderr.match(/\r/gu) ?? []).length;
  return { stdout, cpu, wallMs, progressLines };
}

function perCall(cpu: CpuFigures, count: number): CpuFigures {
  const n = Math.max(1, count);
  return { processMs: cpu.processMs / n, mainMs: cpu.mainMs === null ? null : cpu.mainMs / n };
}

const minus = (a: CpuFigures, b: CpuFigures): CpuFigures => ({
  processMs: a.processMs - b.processMs,
  mainMs: a.mainMs === null || b.mainMs === null ? null : a.mainMs - b.mainMs,
});

/** The CLI's start-up CPU: `spex --version` with the probe, the least of three. */
async function cliStartup(scratch: string): Promise<CpuFigures> {
  const runs: CpuFigures[] = [];
  for (let i = 0; i < 3; i += 1) runs.push((await runProbedCli(['--version'], '', scratch)).cpu);
  return runs.reduce((least, run) => (run.processMs < least.processMs ? run : least));
}

async function measureCli(
  endpoint: InstantEndpoint,
  options: { budget: number; concurrency: number; cache: string; scratch: string; startup: CpuFigures; warm: boolean },
): Promise<Measured> {
  await endpoint.report();
  const args = explainArgs(endpoint.url, options.budget, options.concurrency, options.cache);
  const run = await runProbedCli(args, CALL_OVERHEAD_TEXT, options.scratch, (pid) => endpoint.watch(pid));
  const seen = await endpoint.report();
  const explanation = JSON.parse(run.stdout) as Explanation;
  const { callsPerSecond, steady } = fromEndpoint(seen);
  return {
    runtime: 'CLI',
    cache: options.warm ? 'warm' : 'cold',
    concurrency: options.concurrency,
    calls: seen.calls,
    masks: explanation.calls.masks,
    cached: explanation.calls.cached,
    wallMs: run.wallMs,
    callsPerSecond,
    run: perCall(minus(run.cpu, options.startup), options.warm ? explanation.calls.cached : seen.calls),
    steady,
    progressMessages: run.progressLines,
  };
}

/** CPU of a live process so far: /proc/<pid>/stat's user + system ticks, and its main thread's run time. */
function processCpu(pid: number): CpuFigures {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name (which may hold spaces; the last ')' ends it), utime and stime are the 12th and 13th fields.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const mainNs = Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]);
  return { processMs: (ticks * 1000) / TICKS_PER_SECOND, mainMs: mainNs / 1e6 };
}

/** One server process and cache: the cold explanation, then (with `warmRerun`) the same one again. */
async function measureServer(
  endpoint: InstantEndpoint,
  options: { budget: number; concurrency: number; cacheDirectory: string; warmRerun: boolean },
): Promise<Measured[]> {
  const server = startServer();
  const pid = server.child.pid;
  if (pid === undefined) throw new Error('The server did not start.');
  let progress = 0;
  server.connection.onNotification('$/progress', () => {
    progress += 1;
  });
  server.connection.onNotification(ExplanationChangedNotification, () => undefined);
  try {
    await server.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
      initializationOptions: { cacheDirectory: options.cacheDirectory },
    });
    await server.connection.sendNotification('initialized', {});
    const explainOptions: ExplainOptions = {
      backend: 'ollama',
      endpoint: endpoint.url,
      granularity: 'word',
      value: 'logprob',
      maxAnswerTokens: 1,
      algorithm: 'spex',
      budget: options.budget,
      concurrency: options.concurrency,
    };
    endpoint.watch(pid);
    const runs: Measured[] = [];
    for (const cache of options.warmRerun ? (['cold', 'warm'] as const) : (['cold'] as const)) {
      await endpoint.report();
      progress = 0;
      const before = processCpu(pid);
      const started = performance.now();
      const result = await server.connection.sendRequest(ExplainTextRequest, {
        text: CALL_OVERHEAD_TEXT,
        options: explainOptions,
        workDoneToken: `bench-${cache}-${options.concurrency}`,
      });
      const wallMs = performance.now() - started;
      const cpu = minus(processCpu(pid), before);
      const seen = await endpoint.report();
      const { callsPerSecond, steady } = fromEndpoint(seen);
      const { calls } = result.explanation;
      runs.push({
        runtime: 'server',
        cache,
        concurrency: options.concurrency,
        calls: seen.calls,
        masks: calls.masks,
        cached: calls.cached,
        wallMs,
        callsPerSecond,
        run: perCall(cpu, cache === 'cold' ? seen.calls : calls.cached),
        steady,
        progressMessages: progress,
      });
    }
    return runs;
  } finally {
    await server.stop();
  }
}

/** The run whose steady-state CPU per call is the median of `runs`. */
function median(runs: readonly Measured[]): Measured {
  const key = (run: Measured): number => run.steady?.processMs ?? run.run.processMs;
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)] as Measured;
}

const fixed = (value: number, digits: number): string => value.toFixed(digits);
const thousands = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number | null | undefined): string => (value === null || value === undefined ? '—' : fixed(value, 3));

export async function callOverheadBenchmark(options: { readonly quick: boolean; readonly log: (line: string) => void }): Promise<string> {
  const budget = options.quick ? 1500 : 4000;
  const repeats = options.quick ? 1 : 3;
  const scratch = await mkdtemp(path.join(tmpdir(), 'spex-bench-cost-'));
  const endpoint = await startInstantEndpoint();
  const rows: Measured[] = [];
  const loads: number[] = [];
  let startup: CpuFigures;
  try {
    startup = await cliStartup(scratch);
    const log = (row: Measured): void =>
      options.log(
        `[cost] ${row.runtime} ${row.cache} C = ${row.concurrency}: ${row.calls} calls, ${fixed(row.wallMs / 1000, 2)} s, ${row.callsPerSecond === null ? '—' : fixed(row.callsPerSecond, 0)} calls/s, ${ms(row.run.processMs)} ms CPU a call over the run, ${ms(row.steady?.processMs)} steady`,
      );
    for (const concurrency of CONCURRENCIES) {
      const runs: Measured[] = [];
      for (let repeat = 0; repeat < repeats; repeat += 1) {
        loads.push(loadavg()[0] ?? 0);
        const cache = await mkdtemp(path.join(scratch, 'cli-cache-'));
        const common = { budget, concurrency, cache, scratch, startup };
        runs.push(await measureCli(endpoint, { ...common, warm: false }));
        log(runs[runs.length - 1] as Measured);
        if (concurrency === WARM_CONCURRENCY && repeat === 0) {
          rows.push(await measureCli(endpoint, { ...common, warm: true }));
          log(rows[rows.length - 1] as Measured);
        }
      }
      rows.push(median(runs));
    }
    for (const concurrency of CONCURRENCIES) {
      const runs: Measured[] = [];
      let warm: Measured | undefined;
      for (let repeat = 0; repeat < repeats; repeat += 1) {
        loads.push(loadavg()[0] ?? 0);
        const cacheDirectory = await mkdtemp(path.join(scratch, 'server-cache-'));
        const warmRerun = concurrency === WARM_CONCURRENCY && repeat === 0;
        const [cold, rerun] = await measureServer(endpoint, { budget, concurrency, cacheDirectory, warmRerun });
        runs.push(cold as Measured);
        log(cold as Measured);
        if (rerun) {
          warm = rerun;
          log(rerun);
        }
      }
      rows.push(median(runs));
      if (warm) rows.push(warm);
    }
  } finally {
    endpoint.close();
    await rm(scratch, { recursive: true, force: true });
  }
  // Cold rows first, then the warm rerun, per runtime.
  const order = (row: Measured): number => (row.runtime === 'CLI' ? 0 : 10) + (row.cache === 'warm' ? 5 : 0) + row.concurrency / 100;
  rows.sort((a, b) => order(a) - order(b));
  const table = markdownTable(
    [
      'runtime',
      'cache',
      'C',
      'masks',
      'calls',
      'wall s',
      'calls/s',
      'CPU ms/call, run',
      'main thread',
      'CPU ms/call, steady',
      'main thread',
      'progress messages',
    ],
    rows.map((row) => [
      row.runtime,
      row.cache,
      String(row.concurrency),
      thousands(row.masks),
      thousands(row.calls),
      fixed(row.wallMs / 1000, 2),
      row.callsPerSecond === null ? '—' : thousands(row.callsPerSecond),
      ms(row.run.processMs),
      ms(row.run.mainMs),
      ms(row.steady?.processMs),
      ms(row.steady?.mainMs),
      thousands(row.progressMessages),
    ]),
    2,
  );
  const words = CALL_OVERHEAD_TEXT.split(/\s+/u).length;
  return [
    `The built CLI and server against an Ollama-API endpoint that answers at once (a process of its own, whose CPU is not counted), \`--value logprob\` with a one-token answer (one call per mask), a ${words}-word prompt at word granularity, \`--algorithm spex\` at budget ${thousands(budget)}: all masks in one batch, so no fit interrupts the calls. Cold runs start from an empty cache and store every answer; the warm rerun finds every mask in the cache (its CPU is per mask).`,
    '',
    `CPU per call over the run is the process's user + system time less start-up (\`spex --version\` costs the CLI ${fixed(startup.processMs, 0)} ms${startup.mainMs === null ? '' : `, ${fixed(startup.mainMs, 0)} ms of it on the main thread`}; the server is measured around the request), divided by the calls: it includes the set-up, the fit, the report and V8 compiling the hot code. The steady state is the CPU from the call a quarter of the way into the masked calls to the last one, per call. "Main thread" is the event loop alone (requests, JSON, cache, scheduling, progress); the other columns count every thread. Calls/s is over the masked calls. Progress messages are the CLI's redraws of its progress line (drawn as on a terminal) and the server's \`$/progress\` notifications. ${repeats > 1 ? `Each cold row is the median of ${repeats} runs by steady-state CPU. ` : ''}Load average while measuring: ${fixed(Math.min(...loads), 1)}–${fixed(Math.max(...loads), 1)} on this machine.`,
    '',
    table,
  ].join('\n');
}
