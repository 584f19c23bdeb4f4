import path from 'node:path';
import { describeBlockRule, DEFAULT_BLOCK_RULE } from '../server/backends/llama/blockPartition';
import { runBenchChild } from './childProcess';
import type { LlamaReport } from './llamaChild';
import { markdownTable } from './recovery';

/**
 * The llama backend benchmark: the tiny TinyStories model (../shared/models/stories260K.gguf) run in
 * process through node-llama-cpp. It reports calls per second and tokens evaluated per call with and
 * without prefix reuse for n = 12 sentences and n = 100 words, whole explanations at the default
 * budget, the model's load time and the process's peak memory. Everything runs in a child process
 * (bench/llamaChild.ts) so that the peak RSS is the backend's own.
 */
export async function llamaBenchmark(options: { readonly log: (line: string) => void }): Promise<string> {
  const report = await runBenchChild<LlamaReport>(path.join(__dirname, 'llamaChild.ts'), [], '[llama]', options.log);
  const scoring = markdownTable(
    [
      'workload',
      'prompt tokens (mean)',
      'workers',
      'prefix reuse',
      'calls/s',
      'tokens evaluated per call',
      'share of no-reuse tokens',
      'ideal per call',
    ],
    report.scoring.map((row) => {
      const without = report.scoring.find((other) => other.workload === row.workload && other.workers === row.workers && !other.reuse);
      return [
        `n = ${row.workload}`,
        row.meanPromptTokens.toFixed(0),
        String(row.workers),
        row.reuse ? 'on' : 'off',
        row.callsPerSecond.toFixed(0),
        row.tokensPerCall.toFixed(1),
        without ? `${((100 * row.tokensPerCall) / without.tokensPerCall).toFixed(0)} %` : '',
        row.idealTokensPerCall.toFixed(1),
      ];
    }),
    'lrrlrrrr',
  );
  const explanations = markdownTable(
    ['explanation', 'budget', 'masks scored', 'time', 'calls/s', 'tokens evaluated vs. no reuse', 'vs. the ideal', 'held-out R²'],
    report.explanations.map((row) => [
      `n = ${row.workload}`,
      String(row.budget),
      String(row.masks),
      `${row.seconds.toFixed(1)} s`,
      row.callsPerSecond.toFixed(0),
      `${(100 * row.reuseShare).toFixed(0)} %`,
      `${row.idealRatio.toFixed(2)}×`,
      row.heldOutR2 === null ? 'exact' : row.heldOutR2.toFixed(3),
    ]),
    1,
  );
  const memory = markdownTable(
    ['figure', 'value'],
    [
      ['llama.cpp runtime start (getLlama, prebuilt CPU binary)', `${report.runtimeInitMs.toFixed(0)} ms`],
      [`model load (${(report.modelBytes / 1e6).toFixed(1)} MB GGUF)`, `${report.modelLoadMs.toFixed(0)} ms`],
      ['peak RSS of the benchmark process', `${report.maxRssMiB.toFixed(0)} MiB`],
      ['RSS before the runtime started', `${report.rssBeforeMiB.toFixed(0)} MiB`],
    ],
    1,
  );
  return [
    `The tiny model (260K parameters, 512-token vocabulary) on the CPU, one llama.cpp thread per worker; ${report.scoring[0]?.calls ?? 0} random masks ` +
      `(each span kept with probability ½) per row, scored three times (the median rate is shown), answer of ${report.answerTokens} tokens generated at temperature 0. ` +
      'Without reuse every call evaluates its whole prompt and answer; with reuse, masks are taken in prefix order and only what follows ' +
      `the last block start at or before the shared prefix's end is evaluated (blocks ${describeBlockRule(DEFAULT_BLOCK_RULE)}). ` +
      'The ideal reuses every token a prompt shares with the one the same worker evaluated before it. ' +
      'The values are the same either way (the llama tests check it).',
    '',
    scoring,
    'Whole explanations (`explainText`, ProxySPEX at the default budget, concurrency 4):',
    '',
    explanations,
    memory,
  ].join('\n');
}
