import { callOverheadBenchmark } from './callOverhead';
import { httpWalkBenchmark } from './httpWalk';
import { llamaTokensBenchmark } from './llamaTokens';

/**
 * `npm run bench -- --only cost`: what an explanation costs in model work and in SPEX's own CPU.
 * The model-work parts run the shared workloads of prompts.ts on the tiny model: over the Ollama API
 * (token by token against the greedy walk, and against the llama backend's exact function) and in
 * process (tokens evaluated against the ideal); then the CPU SPEX spends per call against an endpoint
 * that answers at once.
 */
export async function costBenchmark(options: { readonly quick: boolean; readonly log: (line: string) => void }): Promise<string> {
  const parts = [`### Over the Ollama API\n\n${await httpWalkBenchmark(options)}`];
  parts.push(`### In process: the llama backend\n\n${await llamaTokensBenchmark(options)}`);
  parts.push(`### CPU per model call\n\n${await callOverheadBenchmark(options)}`);
  return parts.join('\n\n');
}
