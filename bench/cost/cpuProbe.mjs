// Loaded into a measured SPEX process with `node --import` by the cost benchmark (bench/cost/callOverhead.ts).
// When the process exits, it writes the CPU time it used to the file named by SPEX_BENCH_CPU_FILE: all
// threads together (user + system), and the main thread alone (Linux only: the event loop, where request
// building, JSON, cache keys, scheduling and progress run, as opposed to the recovery's worker thread).
// It is plain JavaScript so that nothing but this file is added to the process it measures.
// With SPEX_BENCH_TTY_STDERR=1 it also makes standard error claim to be a terminal, so that the CLI
// writes its progress line as it would for a person watching.
import { readFileSync, writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.SPEX_BENCH_CPU_FILE;
if (isMainThread && file) {
  if (process.env.SPEX_BENCH_TTY_STDERR === '1') Object.defineProperty(process.stderr, 'isTTY', { value: true });
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    let mainMs = null;
    try {
      // The first field is the time the thread ran, in nanoseconds; the main thread's id is the process id.
      mainMs = Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    } catch {
      // No /proc: only the whole process is reported.
    }
    writeFileSync(file, JSON.stringify({ processMs: (user + system) / 1000, mainMs }));
  });
}
