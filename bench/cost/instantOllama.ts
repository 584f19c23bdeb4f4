/**
 * An Ollama-API server that answers every generation at once with the same one-token answer and its
 * log-probabilities, for measuring what SPEX itself spends per model call. It runs as a child process
 * of the cost benchmark (so its CPU is not the measured process's) and spends as little as it can, since
 * it shares the machine's cores with what it measures: whole HTTP answers made once, requests read no
 * further than their request line and Content-Length (the clients' JSON is not its business here).
 *
 * Over IPC it takes `{ kind: 'report' }` and answers with the generation calls since the last report,
 * their arrival times and the watched process's CPU at each (see `watch`), then forgets them.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';

const INSTANT_MODEL = 'instant:1b';
const DIGEST = 'a'.repeat(64);
/** The answer: one token, so the logprob value function makes one call per mask. */
const TOKEN = ' Yes';

/** What the child tells its parent. */
export type InstantMessage =
  | { readonly kind: 'listening'; readonly url: string }
  | {
      readonly kind: 'report';
      readonly calls: number;
      /** Arrival times (ms, this machine's wall clock), one per generation call. */
      readonly times: readonly number[];
      /** The watched process's CPU when each call arrived (ms: all threads, and its main thread), where one is watched. */
      readonly processMs: readonly number[];
      readonly mainMs: readonly number[];
    };

/** What the parent tells the child: report and forget the calls so far, or read a process's CPU at every call from now on. */
export type InstantCommand = { readonly kind: 'report' } | { readonly kind: 'watch'; readonly pid: number };

function alternatives(): { token: string; logprob: number; bytes: number[] }[] {
  return Array.from({ length: 20 }, (_, i) => {
    const token = i === 0 ? TOKEN : ` w${i}`;
    return { token, logprob: -0.1 - i, bytes: [...Buffer.from(token)] };
  });
}

const logprobs = [{ token: TOKEN, logprob: -0.1, bytes: [...Buffer.from(TOKEN)], top_logprobs: alternatives() }];
const stats = {
  done: true,
  done_reason: 'stop',
  total_duration: 1000,
  load_duration: 0,
  prompt_eval_count: 60,
  prompt_eval_duration: 500,
  eval_count: 1,
  eval_duration: 500,
};
const created = '2026-01-01T00:00:00Z';
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const BODIES: Record<string, Buffer> = {
  '/api/chat': json({ model: INSTANT_MODEL, created_at: created, message: { role: 'assistant', content: TOKEN }, ...stats, logprobs }),
  '/api/generate': json({ model: INSTANT_MODEL, created_at: created, response: TOKEN, ...stats, context: [], logprobs }),
  '/api/version': json({ version: '0.12.11' }),
  '/api/tags': json({
    models: [{ name: INSTANT_MODEL, model: INSTANT_MODEL, modified_at: created, size: 1, digest: DIGEST, details: {} }],
  }),
  '/api/show': json({
    modelfile: '',
    parameters: '',
    template: '{{ .Prompt }}',
    details: {},
    model_info: {},
    capabilities: ['completion'],
  }),
};

let calls = 0;
let times: number[] = [];
let processMs: number[] = [];
let mainMs: number[] = [];

/**
 * The watched process's CPU, read from /proc at each call (a few microseconds, spent here): its
 * user + system ticks (1/100 s, every thread, ended ones included) and its main thread's run time
 * (ns). This lets the benchmark measure CPU between any two calls, warm-up excluded.
 */
let watched: { readonly stat: number; readonly schedstat: number } | undefined;
const procBuffer = Buffer.alloc(1024);

function readProc(fd: number): string {
  const length = readSync(fd, procBuffer, 0, procBuffer.length, 0);
  return procBuffer.toString('latin1', 0, length);
}

function recordCpu(): void {
  if (watched === undefined) return;
  try {
    const stat = readProc(watched.stat);
    // After the command name (which may hold spaces; the last ')' ends it), utime and stime are the 12th and 13th fields.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    processMs.push((Number(fields[11]) + Number(fields[12])) * 10);
    mainMs.push(Number(readProc(watched.schedstat).split(' ')[0]) / 1e6);
  } catch {
    // The process has ended: nothing more to read.
    watched = undefined;
  }
}

function watch(pid: number): void {
  if (watched !== undefined) {
    closeSync(watched.stat);
    closeSync(watched.schedstat);
  }
  watched = { stat: openSync(`/proc/${pid}/stat`, 'r'), schedstat: openSync(`/proc/${pid}/task/${pid}/schedstat`, 'r') };
}

/** A whole HTTP/1.1 answer, status line to body, made once per route. */
function httpAnswer(status: string, body: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${body.length}\r\n\r\n`, 'latin1'),
    body,
  ]);
}

const ANSWERS = new Map(Object.entries(BODIES).map(([path, body]) => [path, httpAnswer('200 OK', body)]));
const NOT_FOUND = httpAnswer('404 Not Found', Buffer.from('{"error":"not found"}'));
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Serves one connection: HTTP/1.1 requests one after another (keep-alive), each answered as soon as
 * its body has arrived. Node's own HTTP server would cost this process several times the CPU per
 * request; the requests here come from two known clients, with a Content-Length or no body.
 */
function serve(socket: Socket): void {
  socket.setNoDelay(true);
  let pending: Buffer = Buffer.alloc(0);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      const headEnd = pending.indexOf(HEADER_END);
      if (headEnd < 0) return;
      const head = pending.toString('latin1', 0, headEnd);
      const length = /\r\ncontent-length: *(\d+)/iu.exec(head);
      const bodyLength = length ? Number(length[1]) : 0;
      if (/\r\ntransfer-encoding:/iu.test(head)) {
        socket.destroy();
        return;
      }
      const end = headEnd + HEADER_END.length + bodyLength;
      if (pending.length < end) return;
      pending = pending.subarray(end);
      const path = head.slice(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
      if (path === '/api/chat' || path === '/api/generate') {
        calls += 1;
        times.push(performance.timeOrigin + performance.now());
        recordCpu();
      }
      socket.write(ANSWERS.get(path) ?? NOT_FOUND);
    }
  });
}

function main(): void {
  const server = createServer(serve);
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.send?.({ kind: 'listening', url: `http://127.0.0.1:${port}` } satisfies InstantMessage);
  });
  process.on('message', (message: InstantCommand) => {
    if (message.kind === 'watch') {
      watch(message.pid);
      return;
    }
    process.send?.({ kind: 'report', calls, times, processMs, mainMs } satisfies InstantMessage);
    calls = 0;
    times = [];
    processMs = [];
    mainMs = [];
  });
  // The parent going away ends this process too.
  process.on('disconnect', () => process.exit(0));
}

main();
