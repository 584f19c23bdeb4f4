import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { recordedExplanation, syntheticExplanation } from '../fixtures/sampleExplanation';
import { repoPath } from '../helpers/paths';
import {
  applyTheme,
  cspViolations,
  openPanel,
  postToWebview,
  useBrowserAndSite,
  showView,
  THEME_NAMES,
  type Theme,
} from '../helpers/webviewHarness';

const ARTIFACTS = repoPath('test-results', 'webview');

/** Saves a screenshot and checks it is a real image, not an empty file. */
function checkSaved(path: string): void {
  assert.ok(statSync(path).size > 10_000, `${path} is a screenshot`);
}

describe('webview panel screenshots (saved as test artifacts)', () => {
  const chromium = useBrowserAndSite();

  before(() => {
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  for (const theme of THEME_NAMES) {
    it(`in the ${theme} theme: a selected synergy, its connector and a span's partners`, async () => {
      const { page, errors } = await openPanel(chromium.browser(), chromium.url());
      await applyTheme(page, theme);
      await showView(page, { type: 'showExplanation', explanation: recordedExplanation(), partial: false, verifiable: true });
      await page.locator('#interactions li.term[data-features="0,1"]').click();
      await page.locator('#text .feature[data-index="4"]').hover();
      const path = `${ARTIFACTS}/explanation-${theme}.png`;
      await page.screenshot({ path });
      checkSaved(path);
      assert.deepEqual(await cspViolations(page), []);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }

  for (const theme of ['high-contrast', 'high-contrast-light'] as const satisfies readonly Theme[])
    it(`at a 520 px split in ${theme}: the selected synergy, its value on its arc, the list within the first screen`, async () => {
      const { page, errors } = await openPanel(chromium.browser(), chromium.url(), { width: 520, height: 860 });
      await applyTheme(page, theme);
      await showView(page, { type: 'showExplanation', explanation: recordedExplanation(), partial: false, verifiable: true });
      await page.locator('#interactions li.term[data-features="0,1"]').click();
      const path = `${ARTIFACTS}/panel-520-${theme}.png`;
      await page.screenshot({ path });
      checkSaved(path);
      assert.deepEqual(errors, []);
      await page.close();
    });

  it('of the what-if: two spans removed, verified with the model', async () => {
    const { page } = await openPanel(chromium.browser(), chromium.url());
    await applyTheme(page, 'light');
    const explanation = recordedExplanation({ faithfulness: { r2: 0.74, heldOut: 48 }, algorithm: { name: 'proxyspex', reason: 'test' } });
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
    await page.locator('vscode-tab-header[data-tab="whatif"]').click();
    await page.locator('#text .feature[data-index="1"]').click();
    await page.locator('#text .feature[data-index="6"]').click();
    await page.locator('#verify').click();
    await postToWebview(page, {
      type: 'verifyResult',
      requestId: 1,
      mask: [1, 0, 1, 1, 1, 1, 0, 1, 1],
      value: -7.11,
      predicted: -7.05,
      cached: false,
    });
    await page.locator('#find-flip').click();
    await page.locator('li.verification.done').waitFor();
    const path = `${ARTIFACTS}/what-if.png`;
    await page.screenshot({ path });
    checkSaved(path);
    await page.close();
  });

  it('of the interaction matrix at 60 spans, at 520 px in light and dark', async () => {
    const { page } = await openPanel(chromium.browser(), chromium.url(), { width: 520, height: 860 });
    await showView(page, {
      type: 'showExplanation',
      explanation: syntheticExplanation({ featureCount: 60, terms: 90, seed: 21 }),
      partial: false,
      verifiable: true,
    });
    await page.locator('vscode-tab-header[data-tab="matrix"]').click();
    for (const theme of ['light', 'dark'] as const) {
      await applyTheme(page, theme);
      const path = `${ARTIFACTS}/matrix-${theme}.png`;
      await page.screenshot({ path });
      checkSaved(path);
    }
    await page.close();
  });

  it('of a streamed partial run', async () => {
    const { page } = await openPanel(chromium.browser(), chromium.url(), { width: 1000, height: 700 });
    await applyTheme(page, 'dark');
    const partial = { ...recordedExplanation(), fullValue: Number.NaN, emptyValue: Number.NaN, faithfulness: { r2: 0.88, heldOut: 32 } };
    await showView(page, { type: 'showExplanation', explanation: partial, partial: true, verifiable: false });
    const path = `${ARTIFACTS}/partial-dark.png`;
    await page.screenshot({ path });
    checkSaved(path);
    await page.close();
  });
});
