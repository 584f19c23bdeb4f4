import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { hasExited, killProcessTree, OWN_PROCESS_GROUP } from './processTree';
import type { MaskScorer, ScoreRequest } from './scorer';
import { BackendError } from './scorer';

export interface ExecScorerOptions {
  /** A shell command line; the program speaks the JSON Lines protocol on its stdin and stdout. */
  readonly command: string;
  readonly cwd?: string;
  /** How long one answer may take, in milliseconds. */
  readonly timeoutMs?: number;
}

interface Pending {
  resolve(value: number): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
  onAbort?: () => void;
  signal?: AbortSignal;
}

const STDERR_LINES_KEPT = 20;
/** After its stdin closes, a scorer has this long to exit by itself before SIGTERM, and as long again before SIGKILL. */
const EXIT_GRACE_MS = 500;
/** What one answer line looks like, for messages about lines that are not one. */
const ANSWER_SHAPE = 'each answer is one line {"id": <the request\'s id>, "value": <number>} or {"id": …, "error": "<message>"}';

/**
 * Scorer processes still running. If this process exits without closing them (an uncaught error,
 * process.exit on a second Ctrl-C), they are killed on the way out: they run in their own process
 * group, so the terminal's Ctrl-C no longer reaches them.
 */
const running = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;
function track(child: ChildProcessWithoutNullStreams): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const entry of running) killProcessTree(entry, 'SIGKILL');
  });
}

/**
 * Any scorer program as a value function. We write one line per request,
 * `{"id": <int>, "mask": [0|1, ...], "text": "<masked input>"}`, and the program answers
 * `{"id": <int>, "value": <number>}` or `{"id": <int>, "error": "<msg>"}` per line, in any order and
 * with many requests in flight. A crash, a line that is not an answer, an answer to a request never
 * sent or answered already, a missing answer or a non-finite value ends every pending request with an
 * error that says which of these happened and stops the scorer, with everything it started.
 */
export class ExecScorer implements MaskScorer {
  readonly description: string;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  /** Requests cancelled before their answer came: a late answer to one of them is dropped, not an error. */
  private readonly cancelled = new Set<number>();
  private readonly stderrTail: string[] = [];
  private readonly timeoutMs: number;
  private nextId = 1;
  private failure: BackendError | undefined;

  constructor(options: ExecScorerOptions) {
    this.description = `exec: ${options.command}`;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.child = spawn(options.command, {
      shell: true,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...OWN_PROCESS_GROUP,
    });
    track(this.child);
    this.child.stdin.on('error', () => {
      // A scorer that exits early closes its stdin; the exit handler reports why.
    });
    this.child.on('error', (error) => this.fail(new BackendError(`The scorer "${options.command}" could not start: ${error.message}`)));
    // 'close' comes after the child's output streams have ended, so its last stderr lines are in.
    this.child.on('close', (code, signal) => {
      const how = signal === null ? `exited with code ${code ?? 'unknown'}` : `was killed by ${signal}`;
      const stderr = this.stderrTail.length > 0 ? `\nIts last error output:\n${this.stderrTail.join('\n')}` : '';
      this.fail(new BackendError(`The scorer "${options.command}" ${how} before answering every request.${stderr}`));
    });
    createInterface({ input: this.child.stderr }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_LINES_KEPT) this.stderrTail.shift();
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.receive(line));
  }

  score(request: ScoreRequest, signal?: AbortSignal): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const id = this.nextId;
    this.nextId += 1;
    return new Promise<number>((resolve, reject) => {
      // A scorer that misses its deadline is hung or far too slow: every later request would wait as long.
      const timer = setTimeout(
        () => this.stop(`The scorer gave no answer to request ${id} within ${this.timeoutMs} ms (the timeout), so it was stopped.`),
        this.timeoutMs,
      );
      const entry: Pending = { resolve, reject, timer };
      if (signal) {
        entry.signal = signal;
        entry.onAbort = () => {
          this.cancelled.add(id);
          this.settle(id)?.reject(abortError(signal));
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.pending.set(id, entry);
      const line = JSON.stringify({ id, mask: Array.from(request.mask), text: request.text });
      this.child.stdin.write(`${line}\n`);
    });
  }

  /**
   * Closes the scorer's stdin and waits for it to exit, then SIGTERM, then SIGKILL, each after a short
   * grace, to its whole process tree; whatever it left running is killed and our pipes are released,
   * so a scorer that never exits cannot keep this process alive.
   */
  async close(): Promise<void> {
    this.failure ??= new BackendError('The scorer was closed.');
    if (this.child.pid === undefined) return;
    if (!hasExited(this.child)) {
      const exited = new Promise<void>((resolve) => {
        this.child.once('exit', () => resolve());
        this.child.once('error', () => resolve());
      });
      this.child.stdin.end();
      const term = setTimeout(() => killProcessTree(this.child, 'SIGTERM'), EXIT_GRACE_MS);
      const kill = setTimeout(() => killProcessTree(this.child, 'SIGKILL'), 2 * EXIT_GRACE_MS);
      await exited;
      clearTimeout(term);
      clearTimeout(kill);
    }
    killProcessTree(this.child, 'SIGKILL');
    this.child.stdout.destroy();
    this.child.stderr.destroy();
  }

  private receive(line: string): void {
    if (line.trim().length === 0) return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.stop(`The scorer wrote a line that is not JSON: ${truncate(line)}`);
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.stop(`The scorer wrote ${truncate(line)}, which is not an answer: ${ANSWER_SHAPE}.`);
      return;
    }
    const { id, value, error } = message as Record<string, unknown>;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id >= this.nextId) {
      this.stop(`The scorer answered a request it was never sent (${truncate(line)}): ${ANSWER_SHAPE}.`);
      return;
    }
    if (this.cancelled.delete(id)) return;
    const entry = this.settle(id);
    if (!entry) {
      this.stop(`The scorer answered request ${id} twice (the second time: ${truncate(line)}); each request gets exactly one answer.`);
      return;
    }
    if (typeof error === 'string') entry.reject(new BackendError(`The scorer reported an error for request ${id}: ${error}`));
    else if (typeof value !== 'number' || !Number.isFinite(value)) {
      // JSON.parse reads 1e999 as Infinity, so the line itself shows what the scorer wrote.
      entry.reject(new BackendError(`The scorer answered request ${id} without a finite number as its value: ${truncate(line)}`));
    } else entry.resolve(value);
  }

  /** Removes a pending request and its timer and abort listener; undefined if it already settled. */
  private settle(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (entry.onAbort) entry.signal?.removeEventListener('abort', entry.onAbort);
    return entry;
  }

  private fail(error: BackendError): void {
    this.failure ??= error;
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(this.failure);
  }

  /** The scorer broke the protocol or hung: fail everything pending with `message` and stop its process tree. */
  private stop(message: string): void {
    this.fail(new BackendError(message));
    killProcessTree(this.child, 'SIGTERM');
    const kill = setTimeout(() => {
      if (!hasExited(this.child)) killProcessTree(this.child, 'SIGKILL');
    }, 2 * EXIT_GRACE_MS);
    kill.unref();
  }
}

function truncate(line: string): string {
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted.', 'AbortError');
}
