import { callOverheadBenchmark } from './callOverhead';

/**
 * `npm run bench -- --only cost`: what an explanation costs. For now the CPU SPEX spends per model call
 * against an endpoint that answers at once; the model-work parts (calls and tokens per mask on the
 * shared workloads of prompts.ts) join it here.
 */
export async function costBenchmark(options: { readonly quick: boolean; readonly log: (line: string) => void }): Promise<string> {
  return `### CPU per model call\n\n${await callOverheadBenchmark(options)}`;
}
