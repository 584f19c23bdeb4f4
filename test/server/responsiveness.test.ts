import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { ExplainTextRequest, ExplanationChangedNotification, GetVersionRequest, type ExplainTextResult } from '../../protocol/server';
import { repoPath } from '../helpers/paths';
import { runCli } from '../helpers/runCli';
import { startServer, type RunningServer } from '../helpers/serverProcess';
import { waitFor } from '../helpers/waitFor';

// Large fits must not hold up the server or the CLI: each explanation's recovery runs in a worker
// thread. These runs use a scorer on which every ProxySPEX round's fit takes seconds (a thousand word
// features, deep trees), and check that requests, cancels, Ctrl-C and a second explanation are served
// while a fit runs. The bounds are generous (the machine is shared); `npm run bench -- --only
// responsiveness` prints the real figures against the targets.

const SCORER = repoPath('test', 'fixtures', 'scorers', 'denseScorer.mjs');
/** A thousand distinct words, twenty to a line. */
const TEXT = Array.from({ length: 1000 }, (_, i) => `w${i}${i % 20 === 19 ? '\n' : ' '}`).join('');
/**
 * Rounds of 125, 250, 500 and 998 masks: the anchors (the full and the empty prompt) are among the
 * first round's, and the noise probe's two repeats of the full prompt come out of the budget.
 */
const OPTIONS = { backend: 'exec', exec: `node "${SCORER}"`, granularity: 'word', budget: 1000, maxOrder: 8 } as const;
/** Masks scored when a round's fit starts: the rounds' cumulative sizes. */
const ROUND_ENDS = [125, 250, 500, 998];
/** A scorer that answers at once leaves the run this quiet only while it fits. */
const QUIET_MS = 300;
/** Pings are paced, not sent back to back, so they do not crowd the server they measure. */
const PING_INTERVAL_MS = 20;

/** What the client saw of a run, in arrival order: each scored mask, and each round's partial result after its fit. */
interface RunEvent {
  readonly token: string;
  readonly kind: 'progress' | 'partial';
  readonly done: number;
  readonly at: number;
}

/** A fit, as the client sees it: between a round's last scored mask and that round's partial result. */
interface FitSpan {
  readonly token: string;
  /** Indexes into the event list: the round's last progress event and the partial after the fit. */
  readonly from: number;
  readonly to: number;
}

function fitSpans(events: readonly RunEvent[], token: string): FitSpan[] {
  const spans: FitSpan[] = [];
  let lastProgress = -1;
  events.forEach((event, index) => {
    if (event.token !== token) return;
    if (event.kind === 'progress') lastProgress = index;
    else if (lastProgress >= 0) spans.push({ token, from: lastProgress, to: index });
  });
  return spans;
}

describe('responsiveness while large fits run', () => {
  let server: RunningServer;
  const events: RunEvent[] = [];
  const scratch = mkdtempSync(path.join(tmpdir(), 'spex-responsiveness-'));

  before(async () => {
    server = startServer();
    server.connection.onNotification('$/progress', (params: { token: string; value: { kind: string; message?: string } }) => {
      if (params.value.kind !== 'report') return;
      const done = Number(/^(\d+)\//u.exec(params.value.message ?? '')?.[1] ?? Number.NaN);
      events.push({ token: params.token, kind: 'progress', done, at: Date.now() });
    });
    server.connection.onNotification(ExplanationChangedNotification, (params) => {
      if (params.explanation !== null)
        events.push({ token: String(params.workDoneToken), kind: 'partial', done: Number.NaN, at: Date.now() });
    });
    await server.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
      initializationOptions: { cacheDirectory: path.join(scratch, 'cache') },
    });
    await server.connection.sendNotification('initialized', {});
  });
  after(async () => {
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Each run has a seed of its own, so that it scores its own masks rather than the cache's. */
  function explain(token: string, seed: number, cancel?: CancellationTokenSource): Promise<ExplainTextResult> {
    return server.connection.sendRequest(
      ExplainTextRequest,
      { text: TEXT, options: { ...OPTIONS, seed }, workDoneToken: token },
      cancel?.token,
    );
  }

  /**
   * The run is fitting round 3 or 4 (the long fits, so that the fit is still running when a cancel
   * arrives): its last event is the last mask of that round, some time ago.
   */
  function fitting(token: string): number | undefined {
    const mine = events.filter((event) => event.token === token);
    const last = mine[mine.length - 1];
    return last?.kind === 'progress' && ROUND_ENDS.indexOf(last.done) >= 2 && Date.now() - last.at >= QUIET_MS ? last.done : undefined;
  }

  it('answers other requests within 2 s while a fit runs', async () => {
    const run = explain('ping', 1);
    let finished = false;
    const stop = (): void => void (finished = true);
    run.then(stop, stop);
    const pings: { sentAfter: number; answeredBefore: number; latencyMs: number }[] = [];
    while (!finished) {
      const sentAfter = events.length;
      const sent = performance.now();
      await server.connection.sendRequest(GetVersionRequest);
      pings.push({ sentAfter, answeredBefore: events.length, latencyMs: performance.now() - sent });
      await delay(PING_INTERVAL_MS);
    }
    const result = await run;
    assert.equal(result.cancelled, false);
    const spans = fitSpans(events, 'ping');
    assert.equal(spans.length, result.explanation.sampling?.rounds.length, 'a partial result after each round');
    // A ping sent after a round's last mask was scored and answered before the fit's result came was answered during the fit.
    const duringFits = pings.filter((ping) => spans.some((span) => span.from < ping.sentAfter && ping.answeredBefore <= span.to));
    const slowest = Math.max(...pings.map((ping) => ping.latencyMs));
    const longestFit = Math.max(...spans.map((span) => (events[span.to]?.at ?? 0) - (events[span.from]?.at ?? 0)));
    assert.ok(duringFits.length > 0, `no ping was answered during a fit (${pings.length} pings, fits up to ${longestFit} ms)`);
    assert.ok(slowest < 2000, `a request waited ${Math.round(slowest)} ms`);
  });

  it('answers a cancel during a fit within 3 s, with what the scored masks explain', async () => {
    const cancel = new CancellationTokenSource();
    const run = explain('cancel', 2, cancel);
    const fittingAfter = await waitFor('a fit to be running', () => fitting('cancel'), 120_000);
    const partialsBefore = events.filter((event) => event.token === 'cancel' && event.kind === 'partial').length;
    const cancelledAt = performance.now();
    cancel.cancel();
    const result = await run;
    const answeredMs = performance.now() - cancelledAt;
    assert.equal(result.cancelled, true);
    assert.equal(result.explanation.partial, true);
    assert.match(result.explanation.algorithm.reason, /cancelled after \d+ masks/u);
    // The fit was running when the cancel came: every mask of its round was scored, and its result never came.
    assert.equal(result.explanation.calls.masks, fittingAfter);
    assert.equal(events.filter((event) => event.token === 'cancel' && event.kind === 'partial').length, partialsBefore);
    assert.equal(partialsBefore, ROUND_ENDS.indexOf(fittingAfter));
    assert.ok(answeredMs < 3000, `answered ${Math.round(answeredMs)} ms after the cancel`);
  });

  it('runs two explanations together: one scores while the other fits', async () => {
    const [first, second] = await Promise.all([explain('first', 3), explain('second', 4)]);
    assert.equal(first.cancelled, false);
    assert.equal(second.cancelled, false);
    assert.notEqual(first.id, second.id);
    const overlaps = (fits: string, scores: string): number =>
      fitSpans(events, fits).filter((span) => events.slice(span.from + 1, span.to).some((event) => event.token === scores)).length;
    const together = overlaps('first', 'second') + overlaps('second', 'first');
    assert.ok(together > 0, 'neither explanation progressed while the other was fitting');
  });

  it('ends the CLI within 5 s of Ctrl-C during a fit, saying it was interrupted', async () => {
    const log = path.join(scratch, 'requests.log');
    const requests = (): number[] =>
      (() => {
        try {
          return readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number);
        } catch {
          return [];
        }
      })();
    let interruptedAt = 0;
    const result = await runCli(
      [
        'explain',
        '-',
        '--exec',
        `node "${SCORER}" --log "${log}"`,
        '--granularity',
        'word',
        // The last round's fit, on 2,000 masks, is the longest.
        '--budget',
        '2000',
        '--max-order',
        '8',
        '--no-cache',
      ],
      {
        input: TEXT,
        onSpawn: (child) => {
          void waitFor(
            'the last round of masks to be scored and its fit to be running',
            () => {
              const times = requests();
              return times.length >= 2000 && Date.now() - (times[times.length - 1] ?? 0) >= QUIET_MS ? true : undefined;
            },
            120_000,
          ).then(() => {
            interruptedAt = performance.now();
            child.kill('SIGINT');
          });
        },
      },
    );
    const exitedMs = performance.now() - interruptedAt;
    assert.ok(interruptedAt > 0, 'the interrupt was sent');
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^spex: Interrupted\.$/mu);
    assert.equal(result.stdout, '', 'no report: the run ended during its fit');
    assert.ok(exitedMs < 5000, `exited ${Math.round(exitedMs)} ms after Ctrl-C`);
  });
});
