/**
 * The child-process harness of the fit-time and memory benchmark: `node --import tsx bench/memory.ts
 * <case id>` runs one case of FIT_CASES and prints a FitReport as JSON on its last line.
 *
 * Why a child process: a recovery spends most of its time in long synchronous phases (tree boosting,
 * the sparse refit, SPEX's transforms and peeling) during which a setInterval sampler never fires, so
 * in-process sampling misses the peak. The kernel's maxRSS of a process that ran nothing but the case
 * is the robust figure; the sampler is kept as a lower bound on the JavaScript-side share.
 */
import { FIT_CASES, runFitCase, type FitReport } from './recovery';

const MIB = 1024 * 1024;

async function main(): Promise<void> {
  const id = process.argv[2];
  const fitCase = FIT_CASES.find((candidate) => candidate.id === id);
  if (!fitCase)
    throw new Error(`Unknown fit case ${String(id)}; expected one of ${FIT_CASES.map((candidate) => candidate.id).join(', ')}.`);
  let sampledHeap = 0;
  const sample = (): void => {
    const usage = process.memoryUsage();
    sampledHeap = Math.max(sampledHeap, usage.heapUsed + usage.arrayBuffers);
  };
  let rssBefore = 0;
  let timer: NodeJS.Timeout | undefined;
  const ready = (): void => {
    rssBefore = process.memoryUsage().rss;
    sample();
    timer = setInterval(sample, 20);
  };
  try {
    const outcome = await runFitCase(fitCase, ready);
    sample();
    const report: FitReport = {
      ...outcome,
      id: fitCase.id,
      rssBeforeMiB: rssBefore / MIB,
      // resourceUsage().maxRSS is in kibibytes.
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      sampledHeapMiB: sampledHeap / MIB,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    clearInterval(timer);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
