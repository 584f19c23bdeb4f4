// The test command. `npm test` runs every check CI runs, in this order, and prints a summary:
//   build → typecheck → lint → format → unit → server → llama → webview → package
// The llama tier runs the in-process llama backend against the real model in ../shared/models/.
// `node scripts/test.mjs <tier>…` runs only the named test tiers (building first when they need dist/).
// Every step runs even after a failure, so one run shows everything that is wrong; the exit code is
// non-zero if any step failed. A tier whose tests were all skipped (the llama tier without its model,
// outside CI) shows SKIP, not PASS, and the last line names it.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TIERS = ['unit', 'server', 'llama', 'webview', 'package'];
/** Tiers that run what `npm run build` produced. */
const NEEDS_BUILD = new Set(['server', 'llama', 'webview']);

const requested = process.argv.slice(2);
for (const tier of requested) {
  if (!TIERS.includes(tier)) {
    console.error(`Unknown test tier "${tier}". Tiers: ${TIERS.join(', ')}.`);
    process.exit(2);
  }
}
const tiers = requested.length > 0 ? requested : TIERS;

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function testFiles(tier) {
  const folder = path.join(root, 'test', tier);
  return readdirSync(folder, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.test.ts'))
    .sort()
    .map((file) => path.join('test', tier, file));
}

/** Runs one tier under node:test (TypeScript through tsx); counts come from a TAP copy of the report. */
async function runTier(tier) {
  const files = testFiles(tier);
  if (files.length === 0) return { code: 1, summary: 'no test files' };
  mkdirSync(path.join(root, 'test-results'), { recursive: true });
  const tap = path.join('test-results', `${tier}.tap`);
  const code = await run(process.execPath, [
    '--import',
    'tsx',
    '--test',
    '--test-timeout=300000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ]);
  const report = readFileSync(path.join(root, tap), 'utf8');
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'mu').exec(report)?.[1] ?? 0);
  // A skipped suite (the llama tier without its model) counts no skipped test, only its own "# SKIP" line.
  const skips = [...report.matchAll(/^\s*ok \d+ - .*? # SKIP ?(.*)$/gmu)];
  const [passed, failed, todo] = [count('pass'), count('fail'), count('todo')];
  const counts = `${passed} passed, ${failed} failed${skips.length ? `, ${skips.length} skipped` : ''}${todo ? `, ${todo} todo` : ''}`;
  if (code === 0 && passed === 0 && failed === 0 && skips.length > 0) {
    return { code, skipped: true, summary: `SKIPPED, nothing ran (${counts}): ${skips[0]?.[1] || 'skipped'}` };
  }
  return { code, summary: counts };
}

const steps = [];
const npx = (bin, ...args) => run(path.join(root, 'node_modules', '.bin', bin), args);
if (requested.length === 0 || tiers.some((tier) => NEEDS_BUILD.has(tier)))
  steps.push(['build', () => run(process.execPath, ['scripts/build.mjs'])]);
if (requested.length === 0) {
  steps.push(['typecheck', () => npx('tsc', '-b')]);
  steps.push(['lint', () => npx('eslint', '.', '--max-warnings', '0')]);
  steps.push(['format', () => npx('prettier', '--check', '.')]);
}
for (const tier of tiers) steps.push([`${tier} tests`, () => runTier(tier)]);

const results = [];
for (const [name, step] of steps) {
  console.log(`\n━━ ${name} ━━`);
  const started = Date.now();
  const outcome = await step();
  const { code, summary, skipped = false } = typeof outcome === 'number' ? { code: outcome, summary: '' } : outcome;
  results.push({ name, ok: code === 0, skipped, summary, seconds: (Date.now() - started) / 1000 });
}

console.log('\n━━ summary ━━');
for (const result of results) {
  const status = !result.ok ? 'FAIL' : result.skipped ? 'SKIP' : 'PASS';
  console.log(`${status}  ${result.name.padEnd(14)} ${result.seconds.toFixed(1).padStart(6)} s  ${result.summary}`);
}
const failed = results.filter((result) => !result.ok);
const skipped = results.filter((result) => result.ok && result.skipped);
const skippedNote = skipped.length > 0 ? ` Skipped, so not checked: ${skipped.map((result) => result.name).join(', ')}.` : '';
console.log(
  failed.length === 0
    ? `All checks passed.${skippedNote}`
    : `${failed.length} of ${results.length} checks failed: ${failed.map((result) => result.name).join(', ')}.${skippedNote}`,
);
process.exitCode = failed.length === 0 ? 0 : 1;
