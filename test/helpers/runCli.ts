import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { repoPath } from './paths';

export const CLI_PATH = repoPath('dist', 'cli.js');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the run outlasted `hungAfterMs` and was killed. */
  readonly hung: boolean;
}

export interface RunCliOptions {
  readonly input?: string;
  /** Merged over the test's environment. */
  readonly env?: Record<string, string>;
  readonly onSpawn?: (child: ChildProcessWithoutNullStreams) => void;
  /** A run still going after this many milliseconds is killed and reported as hung (`hung: true`). */
  readonly hungAfterMs?: number;
  /** Another copy of the bundled CLI to run, and the folder to run it in (default: dist/cli.js from the repository). */
  readonly cliPath?: string;
  readonly cwd?: string;
}

/**
 * Runs the built CLI in a child process (never spawnSync: a fake model server in this process must
 * keep answering while the CLI runs).
 */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  const cliPath = options.cliPath ?? CLI_PATH;
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run "npm run build" first.`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd ?? repoPath(),
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    let hung = false;
    const timer =
      options.hungAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            hung = true;
            child.kill('SIGKILL');
          }, options.hungAfterMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, hung });
    });
    child.stdin.end(options.input ?? '');
    options.onSpawn?.(child);
  });
}
