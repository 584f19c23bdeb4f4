import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { explanationGist } from '../../protocol/gist';
import { recordedExplanation, syntheticExplanation } from '../fixtures/sampleExplanation';
import { waitFor } from '../helpers/waitFor';
import { applyTheme, openPanel, showView, THEME_NAMES, useBrowserAndSite } from '../helpers/webviewHarness';
import { spokenSummary } from '../../protocol/spokenSummary';

/** A 60-sentence prompt: the size at which the interaction list used to start 2,000 px down. */
const LONG = syntheticExplanation({ featureCount: 60, terms: 90, seed: 21 });
const HEIGHT = 860;

interface Layout {
  readonly scrollWidth: number;
  readonly clientWidth: number;
  /** Top of the first interaction row, in viewport pixels. */
  readonly listTop: number;
  readonly detailsOpen: boolean;
  /** Height of the header, the toolbar and the banner together, without the one-sentence gist (content, not chrome). */
  readonly chromeHeight: number;
}

async function layout(page: Page): Promise<Layout> {
  // No named functions inside: the test transpiler wraps them in a helper the page lacks.
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    listTop: document.querySelector('#interactions li.term')?.getBoundingClientRect().top ?? Number.POSITIVE_INFINITY,
    detailsOpen: (document.getElementById('run-details') as HTMLDetailsElement).open,
    chromeHeight:
      (document.getElementById('layout')?.getBoundingClientRect().top ?? 0) -
      (document.getElementById('header')?.getBoundingClientRect().top ?? 0) -
      (document.getElementById('gist')?.getBoundingClientRect().height ?? 0),
  }));
}

async function savedUi(page: Page): Promise<Record<string, unknown>> {
  const saved = await page.evaluate(() => sessionStorage.getItem('vscode-state') ?? '{}');
  return (JSON.parse(saved) as { ui?: Record<string, unknown> }).ui ?? {};
}

describe('the panel at the widths people use', () => {
  const chromium = useBrowserAndSite();

  for (const width of [420, 520, 800, 1400])
    for (const theme of THEME_NAMES)
      it(`at ${width} px in ${theme}: no horizontal scroll, a short header, and the interactions within the first screen of a 60-sentence prompt`, async () => {
        const { page, errors } = await openPanel(chromium.browser(), chromium.url(), { width, height: HEIGHT });
        await applyTheme(page, theme);
        await showView(page, { type: 'showExplanation', explanation: LONG, partial: false, verifiable: true });
        // A selected interaction draws its connector over the text: it must not widen the page either.
        await page.locator('#interactions li.term').first().click();
        const shown = await layout(page);
        assert.ok(shown.scrollWidth <= shown.clientWidth, `scroll width ${shown.scrollWidth} at ${shown.clientWidth}`);
        assert.ok(shown.listTop < HEIGHT, `the first interaction starts at ${shown.listTop} px`);
        assert.equal(shown.detailsOpen, false, 'the run details start closed');
        assert.ok(shown.chromeHeight < 200, `header and toolbar take ${shown.chromeHeight} px`);
        // The matrix fits as well.
        await page.locator('vscode-tab-header[data-tab="matrix"]').click();
        await page.locator('svg.matrix rect.cell').first().waitFor();
        const withMatrix = await layout(page);
        assert.ok(
          withMatrix.scrollWidth <= withMatrix.clientWidth,
          `with the matrix: scroll width ${withMatrix.scrollWidth} at ${withMatrix.clientWidth}`,
        );
        assert.deepEqual(errors, []);
        await page.close();
      });

  it('says the explanation in one sentence at the top, under the index the panel shows', async () => {
    const { page } = await openPanel(chromium.browser(), chromium.url(), { width: 520, height: HEIGHT });
    const explanation = recordedExplanation();
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
    const gist = page.locator('#gist');
    assert.equal(await gist.textContent(), explanationGist(explanation));
    assert.match((await gist.textContent()) ?? '', /^The answer depends mostly on \[\d\]/u);
    assert.ok((await gist.evaluate((element) => element.getBoundingClientRect().bottom)) < 120, 'the sentence is at the top');
    // Screen readers hear the verdict, the sentence and the strongest interactions once, from a live region.
    const spoken = page.locator('#spoken');
    assert.equal(await spoken.getAttribute('role'), 'status');
    assert.equal(await spoken.textContent(), spokenSummary(explanation));
    assert.equal(await gist.getAttribute('aria-live'), null, 'the visible sentence is not announced a second time');
    // A partial round is not announced.
    await showView(page, { type: 'showExplanation', explanation: { ...explanation, partial: true }, partial: true, verifiable: false });
    assert.equal(await spoken.textContent(), '');
    await page.close();
  });

  it('keeps the selection and the what-if prediction in a bar at the bottom while the page scrolls', async () => {
    const { page, errors } = await openPanel(chromium.browser(), chromium.url(), { width: 520, height: HEIGHT });
    await showView(page, { type: 'showExplanation', explanation: LONG, partial: false, verifiable: true });
    const bar = page.locator('#selection-bar');
    assert.equal(await bar.isHidden(), true, 'nothing selected, no what-if: no bar');
    const first = page.locator('#interactions li.term[data-features*=","]').first();
    const features = ((await first.getAttribute('data-features')) ?? '').split(',').map((index) => `\\[${Number(index) + 1}\\]`);
    await first.click();
    assert.match(
      (await bar.locator('.bar-selection').textContent()) ?? '',
      new RegExp(`^${features.join(' “[^”]*” \\+ ')} “[^”]*”: (synergy|redundancy) [+−]\\d`, 'u'),
    );
    // Scrolled to the end of the list, the bar is still at the bottom of the window.
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const box = await bar.boundingBox();
    assert.ok(box && box.y + box.height <= HEIGHT + 0.5 && box.y > HEIGHT - 120, `the bar is at ${JSON.stringify(box)}`);
    await page.locator('vscode-tab-header[data-tab="whatif"]').click();
    await page.locator('#text .feature[data-index="3"]').click();
    assert.match((await bar.locator('.bar-whatif').textContent()) ?? '', /^What-if: 1 span removed → [−\d]/u);
    await bar.locator('.bar-clear').click();
    assert.equal(await page.locator('#text .feature.selected').count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('leaves no horizontal scroll behind when the panel narrows with a connector drawn', async () => {
    const { page } = await openPanel(chromium.browser(), chromium.url(), { width: 1400, height: HEIGHT });
    await showView(page, { type: 'showExplanation', explanation: LONG, partial: false, verifiable: true });
    await page.locator('#interactions li.term[data-features*=","]').first().click();
    await page.setViewportSize({ width: 520, height: HEIGHT });
    const narrowed = await waitFor(
      'the layout to settle at 520 px',
      async () => {
        const shown = await layout(page);
        return shown.clientWidth === 520 ? shown : undefined;
      },
      10_000,
    );
    assert.ok(narrowed.scrollWidth <= narrowed.clientWidth, `scroll width ${narrowed.scrollWidth} at ${narrowed.clientWidth}`);
    await page.close();
  });

  it('in the what-if, keeps the prediction within the first screen and says what a click on a span does', async () => {
    const { page } = await openPanel(chromium.browser(), chromium.url(), { width: 520, height: HEIGHT });
    await showView(page, { type: 'showExplanation', explanation: LONG, partial: false, verifiable: true });
    await page.locator('vscode-tab-header[data-tab="whatif"]').click();
    await page.locator('#text .feature[data-index="3"]').click();
    await page.locator('#text .feature[data-index="5"]').hover();
    assert.equal(await page.locator('#hover-card .card-hint').textContent(), 'A click removes the span in the what-if.');
    await page.locator('#text .feature[data-index="3"]').hover();
    assert.equal(await page.locator('#hover-card .card-hint').textContent(), 'A click brings the span back in the what-if.');
    const predictionBottom = await page.locator('#whatif-prediction').evaluate((element) => element.getBoundingClientRect().bottom);
    assert.ok(predictionBottom < HEIGHT, `the prediction ends at ${predictionBottom} px`);
    await page.close();
  });

  it('remembers the run details opened and the text pane resized, across explanations and reloads', async () => {
    const { page } = await openPanel(chromium.browser(), chromium.url(), { width: 520, height: HEIGHT });
    await showView(page, { type: 'showExplanation', explanation: LONG, partial: false, verifiable: true });
    await page.locator('#run-details > summary').click();
    await waitFor('the opened details saved', async () => ((await savedUi(page)).detailsOpen === true ? true : undefined), 5_000);
    assert.ok(await page.locator('#facts').isVisible());
    // A drag of the pane's resize handle sets its height; the panel keeps it.
    await page.locator('#text-pane').evaluate((pane) => ((pane as HTMLElement).style.height = '300px'));
    await waitFor('the text height saved', async () => ((await savedUi(page)).textHeight === 300 ? true : undefined), 5_000);
    const other = syntheticExplanation({ featureCount: 12, terms: 10, seed: 4, tag: 'T' });
    await showView(page, { type: 'showExplanation', explanation: other, partial: false, verifiable: true });
    assert.equal((await layout(page)).detailsOpen, true, 'a new explanation keeps the details open');
    await page.reload();
    await waitFor('the restored view', async () => ((await page.locator('#text .feature').count()) === 12 ? true : undefined), 30_000);
    const restored = await layout(page);
    assert.equal(restored.detailsOpen, true);
    assert.equal(await page.locator('#text-pane').evaluate((pane) => Math.round(pane.getBoundingClientRect().height)), 300);
    await page.close();
  });
});
