import path from 'node:path';
import { describeBlockRule } from '../../server/backends/llama/blockPartition';
import { runBenchChild } from '../childProcess';
import { markdownTable } from '../recovery';
import type { LlamaTokensReport } from './llamaTokensChild';

/** The target: tokens evaluated per mask at most this many times the ideal. */
const TARGET_RATIO = 1.15;

/**
 * Tokens the llama backend evaluates per mask on the cost workloads (bench/cost/prompts.ts), whole
 * explanations at budget 500 with the tiny model in raw mode (`spex explain --backend llama --model
 * stories260K.gguf --raw`): (c) every prompt evaluated whole, (d) with prefix reuse, in the fixed
 * 16-token blocks of before and in the blocks the backend uses, beside the ideal reuse for the same
 * prompts in the same order, and the wall time. Unless quick, a second table scores each explanation's
 * prompts again on one worker under candidate block rules: tokens against the ideal, batches, and
 * prompts per second. Everything runs in a child process (llamaTokensChild.ts).
 */
export async function llamaTokensBenchmark(options: { quick: boolean; log: (line: string) => void }): Promise<string> {
  const report = await runBenchChild<LlamaTokensReport>(
    path.join(__dirname, 'llamaTokensChild.ts'),
    options.quick ? ['--quick'] : [],
    '[cost/llama]',
    options.log,
  );
  const perMask = (tokens: number, masks: number): string => (tokens / masks).toFixed(1);
  const explanations = markdownTable(
    [
      'workload',
      'masks',
      'answer tokens',
      'evaluated',
      'tokens per mask',
      'tokens per explanation',
      'ideal per mask',
      'ratio to ideal',
      'wall time',
    ],
    report.explanations.map((row) => {
      const counted = row.reuse ? row.tokens.evaluated : row.tokens.whole;
      const ratio = counted / row.tokens.ideal;
      return [
        row.workload,
        String(row.masks),
        String(row.answerTokens),
        row.reuse ? `(d) with reuse, blocks ${describeBlockRule(row.rule)}` : '(c) every prompt whole',
        perMask(counted, row.tokens.prompts),
        String(counted),
        perMask(row.tokens.ideal, row.tokens.prompts),
        `${ratio.toFixed(2)} ${ratio <= TARGET_RATIO ? '≤' : '>'} ${TARGET_RATIO}`,
        `${row.seconds.toFixed(1)} s`,
      ];
    }),
    'lrrlrrrrr',
  );
  const workers = report.explanations[0]?.workers ?? 1;
  const lines = [
    `Whole explanations at budget 500 (\`--backend llama --raw\`, the CLI's concurrency 4, so ${workers} worker${workers === 1 ? '' : 's'} here). ` +
      `Per mask means per scored prompt: the masks and the three noise probes of the full prompt. ` +
      'The ideal evaluates each prompt after the longest prefix it shares with the prompt the same worker evaluated before it; ' +
      `the target is at most ${TARGET_RATIO} times the ideal.`,
    '',
    explanations,
  ];
  if (report.rules.length > 0) {
    const rules = markdownTable(
      [
        'workload',
        'prompts',
        'blocks',
        'tokens per prompt',
        'ideal per prompt',
        'ratio to ideal',
        'batches per prompt',
        'prompts/s',
        'prompts per CPU second',
      ],
      report.rules.map((row) => [
        row.workload,
        String(row.prompts),
        describeBlockRule(row.rule),
        perMask(row.tokens.evaluated, row.tokens.prompts),
        perMask(row.tokens.ideal, row.tokens.prompts),
        (row.tokens.evaluated / row.tokens.ideal).toFixed(2),
        row.batchesPerPrompt.toFixed(1),
        row.promptsPerSecond.toFixed(0),
        row.promptsPerCpuSecond.toFixed(0),
      ]),
      'lrlrrrrrr',
    );
    lines.push(
      "Block rules compared: each explanation's masked prompts scored again on one worker (one llama.cpp thread), all queued at once, " +
        "three times, the rules taking turns within each run (the median rates are shown; CPU seconds are this process's, " +
        'steadier than wall time on a shared machine). Blocks end where the rule allows once they hold the smallest number of tokens, ' +
        'and always at the largest.',
      '',
      rules,
    );
  }
  return lines.join('\n');
}
