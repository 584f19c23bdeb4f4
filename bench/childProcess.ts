import { spawn } from 'node:child_process';

/**
 * Runs a benchmark's measurements in a child process of their own (`node --import tsx <script> …args`),
 * so that its peak memory and its llama.cpp threads are its own: passes on the child's standard-error
 * lines that start with `tag` as progress, and parses the JSON it prints on its last line.
 */
export function runBenchChild<T>(script: string, args: readonly string[], tag: string, log: (line: string) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      for (const line of chunk.split('\n').filter((part) => part.startsWith(tag))) log(line);
    });
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`The benchmark child ${script} failed (exit ${code}):\n${stderr}`));
      else resolve(JSON.parse(last) as T);
    });
  });
}
