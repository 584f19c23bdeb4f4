import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { SERVER_PATH } from './serverProcess';
import { waitFor } from './waitFor';

/** One JSON-RPC message as it came over the wire. */
export interface WireMessage {
  readonly jsonrpc: string;
  readonly id?: number | string | null;
  readonly method?: string;
  readonly params?: unknown;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string };
}

/** A server spoken to byte by byte: what it is sent need not be valid, and what it answers is checked strictly. */
export interface WireServer {
  readonly child: ChildProcessWithoutNullStreams;
  /** Writes bytes as they are, no framing added. */
  sendRaw(bytes: string | Buffer): void;
  /** Frames `body` (an object is serialised; a string is sent as the body as it is) with a correct Content-Length. */
  send(body: object | string): void;
  /** Sends a request with a fresh id and waits for the answer with that id. */
  request(method: string, params?: unknown, timeoutMs?: number): Promise<WireMessage>;
  /** Every message read from stdout so far. */
  messages(): readonly WireMessage[];
  /** The first message after `from` (an index into messages()) that `match` accepts, waited for. */
  next(what: string, match: (message: WireMessage) => boolean, from?: number, timeoutMs?: number): Promise<WireMessage>;
  stderr(): string;
  /** Resolves with the exit code once the process has ended. */
  exited(): Promise<number | null>;
  /** Ends stdin and waits for the exit (killing the process after a grace period); throws if stdout held anything but whole frames. */
  stop(): Promise<number | null>;
}

/** Frames a body the way LSP does. */
export function frame(body: object | string): Buffer {
  const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`, 'ascii'), bytes]);
}

const HEADER_START = 'Content-Length: ';

/**
 * Splits `bytes` into frames from the start: returns the messages and the index of the first byte
 * not yet part of a whole frame. Throws when any byte is not part of a well-formed frame: stdout of
 * the server carries JSON-RPC frames and nothing else.
 */
export function parseFrames(bytes: Buffer): { messages: WireMessage[]; consumed: number } {
  const messages: WireMessage[] = [];
  let offset = 0;
  for (;;) {
    const headerEnd = bytes.indexOf('\r\n\r\n', offset);
    if (headerEnd < 0) {
      // What is left must be the start of a header still arriving.
      const tail = bytes.toString('latin1', offset, offset + 200);
      if (!HEADER_START.startsWith(tail.slice(0, HEADER_START.length)) || tail.length >= 200)
        throw new Error(`bytes at ${offset} are not a frame header: ${JSON.stringify(bytes.toString('utf8', offset, offset + 80))}`);
      return { messages, consumed: offset };
    }
    const header = bytes.toString('ascii', offset, headerEnd);
    const length = /^Content-Length: (\d+)(\r\nContent-Type: [^\r\n]+)?$/u.exec(header);
    if (!length) throw new Error(`not a JSON-RPC header: ${JSON.stringify(header)}`);
    const bodyStart = headerEnd + 4;
    const bodyEnd = bodyStart + Number(length[1]);
    if (bodyEnd > bytes.length) return { messages, consumed: offset };
    const message = JSON.parse(bytes.toString('utf8', bodyStart, bodyEnd)) as WireMessage;
    if (message.jsonrpc !== '2.0') throw new Error(`not a JSON-RPC 2.0 message: ${JSON.stringify(message).slice(0, 200)}`);
    messages.push(message);
    offset = bodyEnd;
  }
}

/** Spawns the built server as VS Code does (node dist/server.js --stdio), with no client library in between. */
export function startWireServer(): WireServer {
  if (!existsSync(SERVER_PATH)) throw new Error(`${SERVER_PATH} is missing: run "npm run build" first.`);
  const child = spawn(process.execPath, [SERVER_PATH, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const received: WireMessage[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let framingError: Error | undefined;
  let stderr = '';
  let nextId = 1;
  child.stdout.on('data', (chunk: Buffer) => {
    if (framingError) return;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    try {
      const { messages, consumed } = parseFrames(pending);
      received.push(...messages);
      pending = pending.subarray(consumed);
    } catch (error) {
      framingError = error as Error;
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => {
    // The server may exit (on purpose, after a broken frame) before it has read everything.
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const checked = (): readonly WireMessage[] => {
    if (framingError) throw framingError;
    return received;
  };
  const server: WireServer = {
    child,
    sendRaw: (bytes) => void child.stdin.write(bytes),
    send: (body) => void child.stdin.write(frame(body)),
    async request(method, params, timeoutMs = 30_000) {
      const id = nextId;
      nextId += 1;
      server.send({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
      return server.next(`the answer to ${method} #${id}`, (message) => message.id === id && message.method === undefined, 0, timeoutMs);
    },
    messages: checked,
    next: (what, match, from = 0, timeoutMs = 30_000) =>
      waitFor(
        what,
        () => {
          const messages = checked();
          for (let i = from; i < messages.length; i += 1) if (match(messages[i] as WireMessage)) return messages[i];
          if (child.exitCode !== null) throw new Error(`The server exited (code ${child.exitCode}) before ${what}. Its stderr: ${stderr}`);
          return undefined;
        },
        timeoutMs,
      ),
    stderr: () => stderr,
    exited: () => exit,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exit;
        clearTimeout(timer);
      }
      checked();
      if (pending.length > 0)
        throw new Error(`The server's stdout ended inside a frame: ${JSON.stringify(pending.toString('utf8', 0, 80))}`);
      return exit;
    },
  };
  return server;
}

/**
 * The LSP handshake with no client capabilities (our requests need none). Give a cache directory in
 * `initializationOptions` whenever the test explains anything: the default is the user's cache.
 */
export async function initializeWire(server: WireServer, initializationOptions?: { cacheDirectory: string }): Promise<void> {
  const answer = await server.request('initialize', {
    processId: null,
    rootUri: null,
    capabilities: {},
    ...(initializationOptions ? { initializationOptions } : {}),
  });
  if (answer.error) throw new Error(`initialize failed: ${answer.error.message}`);
  server.send({ jsonrpc: '2.0', method: 'initialized', params: {} });
}
