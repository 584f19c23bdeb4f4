import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
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

/**
 * Any scorer program as a value function. We write one line per request,
 * `{"id": <int>, "mask": [0|1, ...], "text": "<masked input>"}`, and the program answers
 * `{"id": <int>, "value": <number>}` or `{"id": <int>, "error": "<msg>"}` per line, in any order and
 * with many requests in flight. A crash, a line that is not JSON, a missing answer or a non-finite
 * value ends every pending request with an error that says which of these happened.
 */
export class ExecScorer implements MaskScorer {
  readonly description: string;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
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
    });
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
      const timer = setTimeout(() => {
        this.settle(id)?.reject(new BackendError(`The scorer gave no answer to request ${id} within ${this.timeoutMs} ms.`));
      }, this.timeoutMs);
      const entry: Pending = { resolve, reject, timer };
      if (signal) {
        entry.signal = signal;
        entry.onAbort = () => this.settle(id)?.reject(abortError(signal));
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.pending.set(id, entry);
      const line = JSON.stringify({ id, mask: Array.from(request.mask), text: request.text });
      this.child.stdin.write(`${line}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }

  private receive(line: string): void {
    if (line.trim().length === 0) return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.fail(new BackendError(`The scorer wrote a line that is not JSON: ${truncate(line)}`));
      this.child.kill();
      return;
    }
    const { id, value, error } = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
    if (typeof id !== 'number' || !this.pending.has(id)) {
      this.fail(new BackendError(`The scorer answered an unknown request id: ${truncate(line)}`));
      this.child.kill();
      return;
    }
    const entry = this.settle(id);
    if (!entry) return;
    if (typeof error === 'string') entry.reject(new BackendError(`The scorer reported an error for request ${id}: ${error}`));
    else if (typeof value !== 'number' || !Number.isFinite(value)) {
      entry.reject(new BackendError(`The scorer answered request ${id} with ${JSON.stringify(value)}, which is not a finite number.`));
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
}

function truncate(line: string): string {
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted.', 'AbortError');
}
