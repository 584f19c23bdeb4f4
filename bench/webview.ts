import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { syntheticExplanation } from '../test/fixtures/sampleExplanation';
import { launchChromium } from '../test/helpers/browser';
import { repoPath } from '../test/helpers/paths';
import { chooseOption, openPanel, serveWebview } from '../test/helpers/webviewHarness';
import { markdownTable } from './recovery';

/**
 * The panel benchmark: how long the built webview takes to render a large explanation (2,000 spans,
 * 500 listed interactions) in headless Chromium, how fast its local work is (index switching, what-if,
 * the best-k search, the matrix), and how big its bundle is. Targets: render ≤ 200 ms, webview.js ≤ 400 KB.
 */

const SPANS = 2000;
const PLANTED_TERMS = 600;
const RUNS = 5;
const RENDER_TARGET_MS = 200;
const SIZE_TARGET_KB = 400;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** The duration of the panel's last performance measure of this name (the panel measures its own work). */
async function lastMeasure(page: Page, name: string): Promise<number> {
  return page.evaluate((entry) => performance.getEntriesByName(entry).at(-1)?.duration ?? Number.NaN, name);
}

/**
 * Posts a view and returns [script ms, ms until the next frame is painted]. The second clock starts
 * before the message is posted and stops in a task after the next animation frame, so it includes
 * style, layout and paint.
 */
async function timeRender(page: Page, message: unknown): Promise<[number, number]> {
  const painted = await page.evaluate(
    (data) =>
      new Promise<number>((resolve) => {
        const started = performance.now();
        window.postMessage(data, '*');
        window.addEventListener('message', () => requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - started), 0)), {
          once: true,
        });
      }),
    message,
  );
  return [await lastMeasure(page, 'spex:render'), painted];
}

/**
 * The bundle built in memory the way scripts/build.mjs builds it: unminified (`npm run build`) or
 * minified (`--production`, what the .vsix ships). Measured here rather than read from dist/, which
 * holds whichever of the two was built last.
 */
async function bundleSize(minify: boolean): Promise<{ bytes: number; gzip: number }> {
  const result = await esbuild.build({
    absWorkingDir: repoPath(),
    entryPoints: { webview: 'webview/main.ts' },
    bundle: true,
    minify,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    legalComments: 'none',
    write: false,
    outdir: 'dist',
    logLevel: 'silent',
  });
  const script = result.outputFiles.find((file) => file.path.endsWith('webview.js'));
  if (!script) throw new Error('esbuild produced no webview.js');
  return { bytes: script.contents.length, gzip: gzipSync(script.contents).length };
}

export async function webviewBenchmark(options: { readonly log: (line: string) => void }): Promise<string> {
  if (!existsSync(repoPath('dist', 'webview.js'))) throw new Error('dist/webview.js is not built: run "npm run build" first.');
  const development = await bundleSize(false);
  const production = await bundleSize(true);
  const browser = await launchChromium();
  const site = await serveWebview();
  try {
    const { page } = await openPanel(browser, site.url, { width: 1400, height: 900 });
    const scripts: number[] = [];
    const frames: number[] = [];
    let rows = 0;
    for (let run = 0; run <= RUNS; run += 1) {
      // Each run shows a different text, so the spans are rebuilt every time; run 0 warms up.
      const explanation = syntheticExplanation({ featureCount: SPANS, terms: PLANTED_TERMS, seed: 1, tag: `R${run}-` });
      const [script, frame] = await timeRender(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
      if (run > 0) {
        scripts.push(script);
        frames.push(frame);
      }
      rows = await page.locator('#interactions li.term').count();
      options.log(`[webview] render ${run}: ${script.toFixed(1)} ms script, ${frame.toFixed(1)} ms to a painted frame`);
    }
    const spans = await page.locator('#text .feature').count();

    const indexMs: number[] = [];
    for (const label of ['SII', 'STII', 'FSII', 'Banzhaf', 'FSII']) {
      await chooseOption(page, 'index-select', label);
      indexMs.push(await lastMeasure(page, 'spex:index'));
    }

    await page.locator('vscode-tab-header[data-tab="whatif"]').click();
    const toggleMs: number[] = [];
    for (const index of [3, 500, 1200, 1999, 3]) {
      toggleMs.push(
        await page.evaluate((feature) => {
          const span = document.querySelector<HTMLElement>(`#text .feature[data-index="${feature}"]`);
          const started = performance.now();
          span?.click();
          return performance.now() - started;
        }, index),
      );
    }
    const searchMs: number[] = [];
    for (let run = 0; run < 3; run += 1) {
      await page.locator('#find-keep').click();
      searchMs.push(await lastMeasure(page, 'spex:search'));
    }

    await page.locator('vscode-tab-header[data-tab="matrix"]').click();
    await chooseOption(page, 'matrix-top', 'Top 200');
    const matrixMs = await lastMeasure(page, 'spex:matrix');
    const pairs = await page.locator('svg.matrix rect.cell[tabindex="0"]').count();
    const nodes = await page.locator('svg.matrix g.span').count();

    const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
    const table = markdownTable(
      ['measure', 'figure', 'target'],
      [
        [
          `render ${spans.toLocaleString('en-US')} spans + ${rows} listed interactions: script`,
          `${median(scripts).toFixed(1)} ms`,
          `≤ ${RENDER_TARGET_MS} ms`,
        ],
        ['the same, until the next painted frame (style, layout, paint)', `${median(frames).toFixed(1)} ms`, `≤ ${RENDER_TARGET_MS} ms`],
        ['switch the index (recompute, retint, relist)', `${median(indexMs).toFixed(1)} ms`, ''],
        ['what-if: toggle a span, surrogate prediction', `${median(toggleMs).toFixed(2)} ms`, ''],
        [`best 3 of ${spans.toLocaleString('en-US')} spans (greedy on the surrogate)`, `${median(searchMs).toFixed(1)} ms`, ''],
        [`matrix: top ${pairs} pairs, ${nodes} spans`, `${matrixMs.toFixed(1)} ms`, ''],
        [
          'webview.js, development build (npm run build)',
          `${kb(development.bytes)} (${kb(development.gzip)} gzip)`,
          `≤ ${SIZE_TARGET_KB} KB`,
        ],
        [
          'webview.js, production build (minified, as shipped)',
          `${kb(production.bytes)} (${kb(production.gzip)} gzip)`,
          `≤ ${SIZE_TARGET_KB} KB`,
        ],
      ],
      1,
    );
    return [
      `Headless Chromium (${browser.version()}), the built dist/webview.js under its real CSP. A planted explanation of`,
      `${SPANS.toLocaleString('en-US')} sentence spans and ${PLANTED_TERMS} Fourier terms (FSII of order 2, the list capped at 500 rows);`,
      `medians of ${RUNS} renders of fresh texts after a warm-up. Timings of local work are the panel's own performance measures.`,
      '',
      table,
    ].join('\n');
  } finally {
    await browser.close();
    await site.close();
  }
}
