/**
 * `npm run bench`: prints speed and recovery figures as Markdown tables. Benchmarks never assert; they report.
 *
 * Options: `--quick` shrinks the calls-to-R² grid (n ∈ {64, 256}, σ = 0, budgets up to 8,000) and the engine
 * runs (C ∈ {4, 16}, no C = 1 run of 50 s);
 * `--only <section>[,<section>…]` runs only the named sections (basics, recovery, fit, surrogate, indices, engine, responsiveness,
 * llama, webview, cost, drilldown),
 * e.g. `npm run bench -- --only recovery --quick`.
 */
import { availableParallelism, cpus } from 'node:os';
import { applyMask } from '../server/ablation/mask';
import { segmentText } from '../server/ablation/segment';
import { exactMask, recoverExact } from '../server/recovery/exact';
import { seededRandom } from '../server/recovery/random';
import { costBenchmark } from './cost/index';
import { engineBenchmark } from './engine';
import { llamaBenchmark } from './llama';
import { callsToR2, fitTimeAndMemory, indexSpeed, markdownTable, surrogateSpeed, timeMs } from './recovery';
import { responsivenessBenchmark } from './responsiveness';
import { webviewBenchmark } from './webview';
import { drillDownBenchmark } from './drillDown';

const SECTIONS = [
  'basics',
  'recovery',
  'fit',
  'surrogate',
  'indices',
  'engine',
  'responsiveness',
  'llama',
  'webview',
  'cost',
  'drilldown',
] as const;
type Section = (typeof SECTIONS)[number];

function isSection(value: string): value is Section {
  return (SECTIONS as readonly string[]).includes(value);
}

interface Arguments {
  readonly quick: boolean;
  readonly sections: readonly Section[];
}

function parseArguments(argv: readonly string[]): Arguments {
  let quick = false;
  const only: Section[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i] as string;
    if (argument === '--quick') quick = true;
    else if (argument === '--only' || argument.startsWith('--only=')) {
      const list = argument === '--only' ? (argv[(i += 1)] ?? '') : argument.slice('--only='.length);
      for (const name of list.split(',').filter((part) => part !== '')) {
        if (!isSection(name)) throw new Error(`Unknown section "${name}"; the sections are ${SECTIONS.join(', ')}.`);
        only.push(name);
      }
    } else throw new Error(`Unknown option "${argument}"; use --quick and --only <${SECTIONS.join('|')}>.`);
  }
  return { quick, sections: only.length > 0 ? only : SECTIONS };
}

/** The original speed rows: segmentation, masking and exact recovery. */
function basics(): string {
  const random = seededRandom(1);
  const words = ['the', 'bridge', 'opened', 'in', '1931,', 'and', 'Okafor', 'designed', 'it.', 'Rivers', 'flood', 'often!'];
  const oneMegabyte = Array.from(
    { length: 180_000 },
    (_, i) => words[Math.floor(random() * words.length)] + (i % 17 === 16 ? '\n\n' : ' '),
  ).join('');

  const rows: [string, string][] = [];
  const segmentMs = timeMs(3, () => segmentText(oneMegabyte, { granularity: 'word' }));
  rows.push([`segment ${(oneMegabyte.length / 1e6).toFixed(1)} M characters into words`, `${segmentMs.toFixed(0)} ms`]);
  const sentenceMs = timeMs(3, () => segmentText(oneMegabyte, { granularity: 'sentence' }));
  rows.push([`segment the same text into sentences`, `${sentenceMs.toFixed(0)} ms`]);

  const prompt = oneMegabyte.slice(0, 20_000);
  const { features } = segmentText(prompt, { granularity: 'word' });
  const masks = Array.from({ length: 200 }, () => Uint8Array.from(features, () => (random() < 0.5 ? 1 : 0)));
  const maskMs = timeMs(5, () => masks.forEach((mask) => applyMask(prompt, features, mask, { kind: 'remove' })));
  rows.push([`apply a mask to a ${features.length}-word prompt`, `${((maskMs / masks.length) * 1000).toFixed(0)} µs`]);

  const n = 16;
  const values = Float64Array.from({ length: 2 ** n }, (_, index) => {
    const mask = exactMask(n, index);
    return mask.reduce((sum, bit, i) => sum + bit * (i + 1), 0) + (mask[0] ?? 0) * (mask[1] ?? 0) * 3;
  });
  const exactMs = timeMs(3, () => recoverExact(n, values));
  rows.push([`exact recovery, n = ${n} (${2 ** n} masks)`, `${exactMs.toFixed(0)} ms`]);
  return ['Each row is the median of several runs after a warm-up.', '', markdownTable(['benchmark', 'figure'], rows, 1)].join('\n');
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  const started = performance.now();
  const print = (text: string): void => void process.stdout.write(`${text}\n`);
  // Progress goes to stderr so that stdout stays pasteable Markdown.
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  print(`# SPEX benchmarks\n`);
  print(
    `Machine: ${availableParallelism()}-core machine (${cpu}), Node ${process.versions.node}.${options.quick ? ' Quick grid (--quick).' : ''}\n`,
  );
  for (const section of options.sections) {
    const sectionStarted = performance.now();
    log(`[${section}] running…`);
    switch (section) {
      case 'basics':
        print(`## Text handling and exact recovery\n\n${basics()}`);
        break;
      case 'recovery':
        print(`## Calls to reach a held-out R²\n\n${await callsToR2({ quick: options.quick, log })}`);
        break;
      case 'fit':
        print(`## Fit time and memory at n = 1,024\n\n${await fitTimeAndMemory({ log })}`);
        break;
      case 'surrogate':
        print(`## Surrogate evaluation speed\n\n${surrogateSpeed()}`);
        break;
      case 'indices':
        print(`## Interaction index computation\n\n${indexSpeed()}`);
        break;
      case 'engine':
        print(`## Engine throughput, recovery share and call cache\n\n${await engineBenchmark({ quick: options.quick, log })}`);
        break;
      case 'responsiveness':
        print(`## Responsiveness while recoveries fit\n\n${await responsivenessBenchmark({ log })}`);
        break;
      case 'webview':
        print(`## Panel render time and bundle size\n\n${await webviewBenchmark({ log })}`);
        break;
      case 'llama':
        print(`## The llama backend on the tiny model\n\n${await llamaBenchmark({ log })}`);
        break;
      case 'cost':
        print(`## What an explanation costs\n\n${await costBenchmark({ quick: options.quick, log })}`);
        break;
      case 'drilldown':
        print(`## What a drill-down saves\n\n${await drillDownBenchmark({ log })}`);
        break;
    }
    log(`[${section}] ${((performance.now() - sectionStarted) / 1000).toFixed(1)} s`);
  }
  print(`Total benchmark time: ${((performance.now() - started) / 1000).toFixed(0)} s.`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
