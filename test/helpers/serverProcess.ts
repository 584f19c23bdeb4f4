import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { repoPath } from './paths';

export interface RunningServer {
  readonly child: ChildProcessWithoutNullStreams;
  readonly connection: MessageConnection;
  /** Everything the server wrote to stderr so far (it must never write logs to stdout). */
  stderr(): string;
  stop(): Promise<void>;
}

export const SERVER_PATH = repoPath('dist', 'server.js');

/** Spawns the built server exactly as VS Code does (node dist/server.js --stdio) and connects to it. */
export function startServer(): RunningServer {
  if (!existsSync(SERVER_PATH)) throw new Error(`${SERVER_PATH} is missing: run "npm run build" first.`);
  const child = spawn(process.execPath, [SERVER_PATH, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  connection.listen();
  return {
    child,
    connection,
    stderr: () => stderr,
    async stop() {
      connection.dispose();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The LSP initialize handshake, as a client that wants nothing but our custom requests. */
export async function initialize(
  connection: MessageConnection,
): Promise<{ capabilities: unknown; serverInfo?: { name: string; version: string } }> {
  const result = await connection.sendRequest<{ capabilities: unknown; serverInfo?: { name: string; version: string } }>('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities: {},
  });
  await connection.sendNotification('initialized', {});
  return result;
}
