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
function strongestEdges(explanation: Explanation, index: IndexName, order: number, top: number): number[][] {
  const spectrum = new Map(explanation.fourier.map((term) => [keyOfSorted(term.features), term.value]));
  return [...interactionIndex(index, spectrum, order)]
    .filter(([key, value]) => key.length >= 2 && value !== 0)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || a[0].length - b[0].length || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([key]) => indicesOf(key));
}

async function edgeFeatures(page: Page): Promise<string[]> {
  return page.locator('svg.network g.edge').evaluateAll((edges) => edges.map((edge) => (edge as SVGGElement).dataset.features ?? ''));
}

describe('webview panel: the interaction network at 240 features', () => {
  const chromium = useBrowserAndSite();
  let page: Page;
  let errors: string[];
  const explanation = syntheticExplanation({ featureCount: 240, terms: 320, seed: 5 });

  beforeEach(async () => {
    await page?.close();
    ({ page, errors } = await openPanel(chromium.browser(), chromium.url()));
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
    await page.locator('vscode-tab-header[data-tab="network"]').click();
  });

  it('draws the top 25 interactions, and only the spans that take part in them', async () => {
    const edges = strongestEdges(explanation, 'fsii', 2, 25);
    assert.deepEqual(
      await edgeFeatures(page),
      edges.map((features) => features.join(',')),
    );
    const members = [...new Set(edges.flat())].sort((a, b) => a - b);
    assert.deepEqual(
      await page.locator('svg.network g.node').evaluateAll((nodes) => nodes.map((node) => Number((node as SVGGElement).dataset.index))),
      members,
    );
    assert.ok(members.length < 240);
    assert.match(
      (await page.locator('.network-summary').textContent()) ?? '',
      new RegExp(`^25 interactions of \\d+, among ${members.length} of 240 spans\\.$`, 'u'),
    );
    // Edges carry their value in their label; width and colour follow it.
    const first = page.locator('svg.network g.edge').first();
    assert.match((await first.getAttribute('aria-label')) ?? '', /^(synergy|redundancy) [+−]\d\.\d{2,3}: \[\d+\]/u);
    assert.equal(await first.evaluate((edge) => (edge as SVGGElement).style.getPropertyValue('--share')), '1.000');
    const networkMs = await page.evaluate(() => performance.getEntriesByName('spex:network').at(-1)?.duration ?? Number.NaN);
    assert.ok(networkMs < 200, `the network took ${networkMs} ms`);
  });

  it('clicking an edge selects the same interaction as the list; clicking a node selects its span', async () => {
    const [, second] = strongestEdges(explanation, 'fsii', 2, 2);
    const features = (second as number[]).join(',');
    // Chords cross, so the click goes to the edge itself rather than to a point that another chord may cover.
    await page.locator(`svg.network g.edge[data-features="${features}"] path.hit`).dispatchEvent('click');
    assert.equal(await page.locator(`svg.network g.edge.selected`).getAttribute('data-features'), features);
    assert.deepEqual(
      await page
        .locator('#text .feature.selected')
        .evaluateAll((spans) => spans.map((span) => (span as HTMLElement).dataset.index).join(',')),
      features,
    );
    await page.locator('vscode-tab-header[data-tab="list"]').click();
    assert.equal(await page.locator('#interactions li.term[aria-selected="true"]').getAttribute('data-features'), features);
    await page.locator('vscode-tab-header[data-tab="network"]').click();
    const node = (second as number[])[0] as number;
    await page.locator(`svg.network g.node[data-index="${node}"] circle`).dispatchEvent('click');
    assert.deepEqual(
      await page
        .locator('#text .feature.selected')
        .evaluateAll((spans) => spans.map((span) => Number((span as HTMLElement).dataset.index))),
      [node],
    );
    // The keyboard works too: Enter on a focused edge selects it.
    await page.locator('svg.network g.edge').first().focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('svg.network g.edge.selected').count(), 1);
  });

  it('grows to the top 200 and shows higher orders as hubs, still without labels crowding', async () => {
    await chooseOption(page, 'network-top', 'Top 200');
    const edges = strongestEdges(explanation, 'fsii', 2, 200);
    assert.equal((await edgeFeatures(page)).length, edges.length);
    const members = new Set(edges.flat()).size;
    const labels = await page.locator('svg.network .label').allTextContents();
    assert.ok(
      members <= 120 ? labels.every((label) => /^\d+$/u.test(label)) : labels.length === 0,
      `${members} nodes, labels ${labels.length}`,
    );
    await chooseOption(page, 'order-select', '3');
    const hubs = await page.locator('svg.network g.edge rect.hub').count();
    const triples = strongestEdges(explanation, 'fsii', 3, 200).filter((features) => features.length === 3).length;
    assert.ok(triples > 0);
    assert.equal(hubs, triples);
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(errors, []);
  });
});
