import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { Explanation } from '../../protocol/explanation';
import type { IndexName } from '../../server/recovery/indexNames';
import { interactionIndex } from '../../server/recovery/indices';
import { indicesOf, keyOfSorted } from '../../server/recovery/interactionKey';
import { syntheticExplanation } from '../fixtures/sampleExplanation';
import { chooseOption, cspViolations, openPanel, useBrowserAndSite, showView } from '../helpers/webviewHarness';

/** The strongest `top` terms of order ≥ 2, as the recovery core computes them. */
function strongestTerms(explanation: Explanation, index: IndexName, order: number, top: number): number[][] {
  const spectrum = new Map(explanation.fourier.map((term) => [keyOfSorted(term.features), term.value]));
  return [...interactionIndex(index, spectrum, order)]
    .filter(([key, value]) => key.length >= 2 && value !== 0)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || a[0].length - b[0].length || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([key]) => indicesOf(key));
}

/** The pairs drawn, strongest first: one focusable cell each (its mirror is decoration). */
async function drawnPairs(page: Page): Promise<string[]> {
  return page
    .locator('svg.matrix rect.cell[tabindex="0"]')
    .evaluateAll((cells) => cells.map((cell) => (cell as SVGElement).dataset.features ?? ''));
}

async function openMatrix(page: Page, explanation: Explanation): Promise<void> {
  await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
  await page.locator('vscode-tab-header[data-tab="matrix"]').click();
}

describe('webview panel: the interaction matrix', () => {
  const chromium = useBrowserAndSite();
  let page: Page;
  let errors: string[];
  const explanation = syntheticExplanation({ featureCount: 240, terms: 320, seed: 5 });

  beforeEach(async () => {
    await page?.close();
    ({ page, errors } = await openPanel(chromium.browser(), chromium.url()));
  });

  it('draws the top 25 pairs as mirrored cells, with only the spans that take part on its axes', async () => {
    await openMatrix(page, explanation);
    const pairs = strongestTerms(explanation, 'fsii', 2, 25);
    assert.deepEqual(
      await drawnPairs(page),
      pairs.map((features) => features.join(',')),
    );
    assert.equal(await page.locator('svg.matrix rect.cell').count(), 2 * pairs.length);
    const members = [...new Set(pairs.flat())].sort((a, b) => a - b);
    assert.deepEqual(
      await page.locator('svg.matrix g.span').evaluateAll((spans) => spans.map((span) => Number((span as SVGGElement).dataset.index))),
      members,
    );
    assert.ok(members.length < 240);
    assert.match(
      (await page.locator('.matrix-summary').textContent()) ?? '',
      new RegExp(`^25 interactions of \\d+, among ${members.length} of 240 spans\\.$`, 'u'),
    );
    // A pair's two cells sit at (row a, column b) and (row b, column a), in text order along both axes.
    const [a, b] = pairs[0] as [number, number];
    const cells = await page
      .locator(`svg.matrix rect.cell[data-features="${a},${b}"]`)
      .evaluateAll((rects) => rects.map((rect) => [Number(rect.getAttribute('x')), Number(rect.getAttribute('y'))]));
    const cell = Number(await page.locator('svg.matrix rect.cell').first().getAttribute('width'));
    const rank = (feature: number): number => members.indexOf(feature) * cell;
    assert.deepEqual(cells.map(([x, y]) => `${x},${y}`).sort(), [`${rank(b)},${rank(a)}`, `${rank(a)},${rank(b)}`].sort());
    // Cells carry their value in their label; opacity follows it.
    const first = page.locator('svg.matrix rect.cell[tabindex="0"]').first();
    assert.match((await first.getAttribute('aria-label')) ?? '', /^\[\d+\] “.*” × \[\d+\] “.*”: (synergy|redundancy) [+−]\d/u);
    assert.equal(await first.evaluate((rect) => (rect as SVGElement).style.getPropertyValue('--share')), '1.000');
    assert.deepEqual(errors, []);
  });

  it('tells synergy from redundancy by texture as well as hue', async () => {
    await openMatrix(page, explanation);
    const fills = await page.evaluate(() => ({
      synergy: getComputedStyle(document.querySelector('svg.matrix rect.cell.synergy') as Element).fill,
      redundancy: getComputedStyle(document.querySelector('svg.matrix rect.cell.redundancy') as Element).fill,
    }));
    assert.match(fills.synergy, /^rgb/u);
    assert.match(fills.redundancy, /url\("?#matrix-hatch"?\)/u);
  });

  it('fits the pane at 520 px with every label horizontal and inside the drawing', async () => {
    await page.setViewportSize({ width: 520, height: 860 });
    await openMatrix(page, syntheticExplanation({ featureCount: 60, terms: 90, seed: 21 }));
    const measured = await page.evaluate(() => {
      const figure = (document.querySelector('svg.matrix') as SVGSVGElement).getBoundingClientRect();
      const frame = (document.querySelector('.matrix-frame') as HTMLElement).getBoundingClientRect();
      const labels = [...document.querySelectorAll('svg.matrix .row-label, svg.matrix .column-label')].map((label) => {
        const box = label.getBoundingClientRect();
        return { left: box.left, right: box.right, top: box.top, bottom: box.bottom, transform: label.getAttribute('transform') };
      });
      return {
        figure: { left: figure.left, right: figure.right, top: figure.top, bottom: figure.bottom },
        frameRight: frame.right,
        labels,
        scrolls: document.documentElement.scrollWidth > document.documentElement.clientWidth,
      };
    });
    assert.equal(measured.scrolls, false);
    assert.ok(
      measured.figure.right <= measured.frameRight + 0.5,
      `the matrix ends at ${measured.figure.right}, its frame at ${measured.frameRight}`,
    );
    assert.ok(measured.labels.length > 0);
    for (const label of measured.labels) {
      assert.equal(label.transform, null);
      assert.ok(
        label.left >= measured.figure.left - 0.5 && label.right <= measured.figure.right + 0.5 && label.top >= measured.figure.top - 0.5,
        `a label at ${JSON.stringify(label)} leaves the drawing ${JSON.stringify(measured.figure)}`,
      );
    }
    assert.ok(
      (await page.locator('svg.matrix .row-label').first().textContent())?.startsWith('['),
      'at 32 spans drawn the rows carry their text',
    );
  });

  it('selects as the list does: a cell picks its pair, the diagonal its span, Enter the focused cell; pointing names the pair', async () => {
    await openMatrix(page, explanation);
    const [, second] = strongestTerms(explanation, 'fsii', 2, 2);
    const features = (second as number[]).join(',');
    const cell = page.locator(`svg.matrix rect.cell[tabindex="0"][data-features="${features}"]`);
    await cell.hover();
    assert.equal(await page.locator('.matrix-readout').textContent(), await cell.getAttribute('aria-label'));
    await cell.click();
    assert.equal(await page.locator('svg.matrix rect.cell.selected').count(), 2);
    assert.deepEqual(
      await page
        .locator('#text .feature.selected')
        .evaluateAll((spans) => spans.map((span) => (span as HTMLElement).dataset.index).join(',')),
      features,
    );
    await page.locator('vscode-tab-header[data-tab="list"]').click();
    assert.equal(await page.locator('#interactions li.term[aria-selected="true"]').getAttribute('data-features'), features);
    await page.locator('vscode-tab-header[data-tab="matrix"]').click();
    const node = (second as number[])[0] as number;
    await page.locator(`svg.matrix g.span[data-index="${node}"] rect`).dispatchEvent('click');
    assert.deepEqual(
      await page
        .locator('#text .feature.selected')
        .evaluateAll((spans) => spans.map((span) => Number((span as HTMLElement).dataset.index))),
      [node],
    );
    await page.locator('svg.matrix rect.cell[tabindex="0"]').first().focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('svg.matrix rect.cell.selected').count(), 2);
    assert.deepEqual(errors, []);
  });

  it('grows to the top 200 with numbers or no labels, and lists interactions of three or more spans under it', async () => {
    await openMatrix(page, explanation);
    await chooseOption(page, 'matrix-top', 'Top 200');
    const pairs = strongestTerms(explanation, 'fsii', 2, 200);
    assert.equal((await drawnPairs(page)).length, pairs.length);
    const members = new Set(pairs.flat()).size;
    const labels = await page.locator('svg.matrix .row-label').allTextContents();
    assert.ok(
      members <= 160 ? labels.length > 0 && labels.every((label) => /^\d+$/u.test(label)) : labels.length === 0,
      `${members} spans, labels ${labels.length}`,
    );
    await chooseOption(page, 'order-select', '3');
    const shown = strongestTerms(explanation, 'fsii', 3, 200);
    const triples = shown.filter((features) => features.length === 3).map((features) => features.join(','));
    assert.ok(triples.length > 0);
    assert.deepEqual(
      await page.locator('.matrix-higher li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.features ?? '')),
      triples,
    );
    assert.equal(await drawnPairs(page).then((drawn) => drawn.length), shown.length - triples.length);
    await page.locator('.matrix-higher li').first().click();
    assert.equal(await page.locator('.matrix-higher li.selected').getAttribute('data-features'), triples[0]);
    assert.equal(await page.locator('#text .feature.selected').count(), 3);
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(errors, []);
  });
});
