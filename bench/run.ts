/**
 * `npm run bench`: prints speed figures as a table. Benchmarks never assert; they report.
 * Each row is the median of several runs after a warm-up.
 */
import { applyMask } from '../server/ablation/mask';
import { segmentText } from '../server/ablation/segment';
import { exactMask, recoverExact } from '../server/recovery/exact';
import { seededRandom } from '../server/recovery/random';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function time(runs: number, work: () => void): number {
  work();
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    work();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

const random = seededRandom(1);
const words = ['the', 'bridge', 'opened', 'in', '1931,', 'and', 'Okafor', 'designed', 'it.', 'Rivers', 'flood', 'often!'];
const oneMegabyte = Array.from(
  { length: 180_000 },
  (_, i) => words[Math.floor(random() * words.length)] + (i % 17 === 16 ? '\n\n' : ' '),
).join('');

const rows: [string, string][] = [];
const segmentMs = time(3, () => segmentText(oneMegabyte, { granularity: 'word' }));
rows.push([`segment ${(oneMegabyte.length / 1e6).toFixed(1)} M characters into words`, `${segmentMs.toFixed(0)} ms`]);
const sentenceMs = time(3, () => segmentText(oneMegabyte, { granularity: 'sentence' }));
rows.push([`segment the same text into sentences`, `${sentenceMs.toFixed(0)} ms`]);

const prompt = oneMegabyte.slice(0, 20_000);
const { features } = segmentText(prompt, { granularity: 'word' });
const masks = Array.from({ length: 200 }, () => Uint8Array.from(features, () => (random() < 0.5 ? 1 : 0)));
const maskMs = time(5, () => masks.forEach((mask) => applyMask(prompt, features, mask, { kind: 'remove' })));
rows.push([`apply a mask to a ${features.length}-word prompt`, `${((maskMs / masks.length) * 1000).toFixed(0)} µs`]);

const n = 16;
const values = Float64Array.from({ length: 2 ** n }, (_, index) => {
  const mask = exactMask(n, index);
  return mask.reduce((sum, bit, i) => sum + bit * (i + 1), 0) + (mask[0] ?? 0) * (mask[1] ?? 0) * 3;
});
const exactMs = time(3, () => recoverExact(n, values));
rows.push([`exact recovery, n = ${n} (${2 ** n} masks)`, `${exactMs.toFixed(0)} ms`]);

const width = Math.max(...rows.map(([name]) => name.length));
process.stdout.write(`| ${'benchmark'.padEnd(width)} | figure |\n|${'-'.repeat(width + 2)}|-------:|\n`);
for (const [name, figure] of rows) process.stdout.write(`| ${name.padEnd(width)} | ${figure.padStart(6)} |\n`);
