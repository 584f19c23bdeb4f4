import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { ShowSegmentationMessage } from '../../protocol/webview';
import { segmentText } from '../../server/ablation/segment';
import { recordedExplanation } from '../fixtures/sampleExplanation';
import { waitFor } from '../helpers/waitFor';
import {
  chooseOption,
  cspViolations,
  openPanel,
  posted,
  postedOfType,
  postToWebview,
  useBrowserAndSite,
  showView,
} from '../helpers/webviewHarness';

function segmentation(text: string, pin: string[] = []): ShowSegmentationMessage {
  return { type: 'showSegmentation', text, ...segmentText(text, { granularity: 'sentence', pin }) };
}

describe('webview panel in headless Chromium: loading, safety, keyboard', () => {
  const chromium = useBrowserAndSite();
  let page: Page;
  let errors: string[];

  beforeEach(async () => {
    await page?.close();
    ({ page, errors } = await openPanel(chromium.browser(), chromium.url(), { width: 1100, height: 700 }));
  });

  it('says ready once loaded, with no script errors and no CSP violations', async () => {
    assert.deepEqual(await posted(page), [{ type: 'ready' }]);
    assert.deepEqual(errors, []);
    assert.deepEqual(await cspViolations(page), []);
  });

  it('renders the vscode-elements controls under the CSP (adopted stylesheets, no violations)', async () => {
    await showView(page, { type: 'showExplanation', explanation: recordedExplanation(), partial: false, verifiable: true });
    const rendered = await page.evaluate(() =>
      ['vscode-single-select', 'vscode-button', 'vscode-checkbox', 'vscode-tabs', 'vscode-textfield'].map((tag) => {
        const element = document.querySelector(tag);
        return {
          tag,
          defined: customElements.get(tag) !== undefined,
          shadow: (element?.shadowRoot?.childNodes.length ?? 0) > 0,
          adopted: (element?.shadowRoot?.adoptedStyleSheets.length ?? 0) > 0,
          height: element?.getBoundingClientRect().height ?? 0,
        };
      }),
    );
    for (const entry of rendered) {
      assert.ok(entry.defined && entry.shadow && entry.adopted, `${entry.tag} rendered with adopted styles: ${JSON.stringify(entry)}`);
    }
    assert.ok(rendered.filter((entry) => entry.tag !== 'vscode-textfield').every((entry) => entry.height > 0));
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(errors, []);
  });

  it('renders a segmentation: one span per feature, the original text and line breaks intact, pinned spans marked', async () => {
    const message = segmentation('Question: who?\n\nFirst fact here. Second fact!\nThird line.', ['Question:[^\\n]*']);
    await showView(page, message);
    const spans = page.locator('#text .feature');
    assert.deepEqual(
      await spans.allTextContents(),
      message.features.map((feature) => feature.text),
    );
    assert.equal(await page.locator('#text').textContent(), message.text);
    assert.deepEqual(await page.locator('#text .pinned').allTextContents(), ['Question: who?']);
    assert.equal(await page.locator('#summary').textContent(), '3 features, 1 pinned span');
    assert.equal(await page.locator('#text .feature').first().getAttribute('aria-label'), 'Span 1: “First fact here.”');
  });

  it('renders hostile prompt text as text and runs none of it: text, list, card and matrix', async () => {
    const explanation = recordedExplanation();
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
    assert.equal(await page.locator('#text').textContent(), explanation.text);
    assert.equal(await page.locator('img, a, iframe, object, embed').count(), 0);
    assert.equal(await page.locator('script').count(), 1);
    assert.match((await page.locator('#interactions').textContent()) ?? '', /<img src=x onerror=/u);
    await page.locator('#text .feature[data-index="3"]').hover();
    await page.locator('#text .feature[data-index="5"]').click();
    await page.locator('vscode-tab-header[data-tab="matrix"]').click();
    await page.locator('#text .feature[data-index="6"]').click();
    assert.equal(await page.locator('img, a, iframe').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.deepEqual(errors, []);
  });

  it("selects the span the editor's hover links to, and ignores a selection outside the spans shown", async () => {
    await showView(page, { type: 'showExplanation', explanation: recordedExplanation(), partial: false, verifiable: true });
    const selected = (): Promise<number[]> =>
      page.locator('#text .feature.selected').evaluateAll((spans) => spans.map((span) => Number((span as HTMLElement).dataset.index)));
    await postToWebview(page, { type: 'selectSpans', features: [4] });
    await waitFor('span 5 selected', async () => ((await selected()).join() === '4' ? true : undefined));
    await postToWebview(page, { type: 'selectSpans', features: [99] });
    await postToWebview(page, { type: 'selectSpans', features: [-1] });
    await postToWebview(page, { type: 'selectSpans', features: [2] });
    await waitFor('span 3 selected', async () => ((await selected()).join() === '2' ? true : undefined));
    assert.deepEqual(errors, []);
  });

  it('offers "Drill into this span" on a pinned card of a live run, and posts which span', async () => {
    const explanation = recordedExplanation();
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
    await page.locator('#text .feature[data-index="2"]').click();
    const drill = page.locator('#hover-card button.drill');
    assert.equal(await drill.textContent(), 'Drill into this span');
    await drill.click();
    assert.deepEqual(await postedOfType(page, 'drillDown'), [{ type: 'drillDown', index: 2 }]);
    // A partial run has no calls kept to reuse: no button.
    await showView(page, { type: 'showExplanation', explanation, partial: true, verifiable: false });
    await page.locator('#text .feature[data-index="3"]').click();
    await page.locator('#hover-card.pinned').waitFor();
    assert.equal(await page.locator('#hover-card button.drill').count(), 0);
  });

  it('posts revealFeature when a span is clicked or activated with the keyboard', async () => {
    await showView(page, segmentation('Alpha one. Beta two. Gamma three.'));
    await page.locator('#text .feature').nth(1).click();
    await page.locator('#text .feature').nth(2).focus();
    await page.keyboard.press('Enter');
    assert.deepEqual(await postedOfType(page, 'revealFeature'), [
      { type: 'revealFeature', index: 1 },
      { type: 'revealFeature', index: 2 },
    ]);
  });

  it('makes the text one tab stop whose spans the arrow keys, Home and End walk', async () => {
    await showView(page, { type: 'showExplanation', explanation: recordedExplanation(), partial: false, verifiable: true });
    assert.deepEqual(
      await page.locator('#text .feature').evaluateAll((spans) => spans.map((span) => (span as HTMLElement).tabIndex)),
      [0, -1, -1, -1, -1, -1, -1, -1, -1],
    );
    await page.locator('#text .feature').first().focus();
    const focused = async (): Promise<string | undefined> =>
      page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.index);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.equal(await focused(), '2');
    await page.keyboard.press('End');
    assert.equal(await focused(), '8');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await focused(), '7');
    await page.keyboard.press('Home');
    assert.equal(await focused(), '0');
    assert.match(
      (await page.locator('#text .feature').nth(1).getAttribute('aria-label')) ?? '',
      /^Span 2: “It opened in 1931\.” FSII value \+\d\.\d{2}, raises the value\.$/u,
    );
  });

  it('reaches every control with Tab', async () => {
    await showView(page, { type: 'showExplanation', explanation: recordedExplanation(), partial: false, verifiable: true });
    const reached = new Set<string>();
    for (let press = 0; press < 40; press += 1) {
      await page.keyboard.press('Tab');
      const name = await page.evaluate(() => {
        const active = document.activeElement as HTMLElement | null;
        if (!active) return '';
        if (active.matches('vscode-tab-header')) return `tab:${active.dataset.tab ?? ''}`;
        if (active.id) return `#${active.id}`;
        if (active.classList.contains('feature')) return '.feature';
        if (active.matches('li.term')) return 'li.term';
        return active.tagName.toLowerCase();
      });
      reached.add(name);
    }
    for (const expected of [
      '#index-select',
      '#order-select',
      '#export-json',
      '#export-markdown',
      '#export-html',
      '#export-csv',
      '#copy-markdown',
      '.feature',
      '#order-1',
      '#order-2',
      '#sign-synergy',
      '#sign-redundancy',
      'li.term',
    ]) {
      assert.ok(reached.has(expected), `Tab reaches ${expected}; reached ${[...reached].join(', ')}`);
    }
    assert.ok(
      [...reached].some((name) => name.startsWith('tab:')),
      'Tab reaches the tab headers',
    );
  });

  it('posts export and copyMarkdown from the toolbar', async () => {
    await showView(page, { type: 'showExplanation', explanation: recordedExplanation(), partial: false, verifiable: true });
    for (const format of ['json', 'markdown', 'html', 'csv']) await page.locator(`#export-${format}`).click();
    await page.locator('#copy-markdown').click();
    const actions = (await posted(page)).filter((message) => !['ready', 'viewIndex'].includes((message as { type: string }).type));
    assert.deepEqual(actions, [
      { type: 'export', format: 'json' },
      { type: 'export', format: 'markdown' },
      { type: 'export', format: 'html' },
      { type: 'export', format: 'csv' },
      { type: 'copyMarkdown' },
    ]);
  });

  it('tells the host which index, order and filters it shows, with every explanation and after every switch', async () => {
    const explanation = recordedExplanation();
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
    const filter = { hiddenOrders: [], synergy: true, redundancy: true, minShare: 0.01 };
    assert.deepEqual(await postedOfType(page, 'viewIndex'), [
      { type: 'viewIndex', index: explanation.index, order: explanation.order, filter },
    ]);
    await chooseOption(page, 'index-select', 'SII');
    await waitFor('the switch posted', async () => ((await postedOfType(page, 'viewIndex')).length === 2 ? true : undefined));
    assert.deepEqual((await postedOfType(page, 'viewIndex'))[1], { type: 'viewIndex', index: 'sii', order: explanation.order, filter });
    // The size filter hides small terms here and travels to the host with the index.
    const rows = await page.locator('#interactions li.term').count();
    await chooseOption(page, 'min-share', '≥ 10 %');
    await waitFor('the filter posted', async () => ((await postedOfType(page, 'viewIndex')).length === 3 ? true : undefined));
    assert.deepEqual((await postedOfType(page, 'viewIndex'))[2], {
      type: 'viewIndex',
      index: 'sii',
      order: explanation.order,
      filter: { ...filter, minShare: 0.1 },
    });
    const fewer = await page.locator('#interactions li.term').count();
    assert.ok(fewer < rows, `${fewer} rows of ${rows}`);
    assert.match(
      (await page.locator('.list-note').textContent()) ?? '',
      new RegExp(`\\(${rows - fewer} filtered out, ${rows - fewer} of them below 10 % of the largest\\)`, 'u'),
    );
  });

  it('ignores malformed messages, including explanations whose expansion or indices do not fit', async () => {
    await postToWebview(page, {
      type: 'showSegmentation',
      text: 'abc',
      features: [{ index: 0, text: 'abc', start: 0, end: 99 }],
      pinned: [],
    });
    await postToWebview(page, { type: 'somethingElse' });
    const explanation = recordedExplanation();
    await postToWebview(page, {
      type: 'showExplanation',
      explanation: { ...explanation, interactions: [{ features: [0, 99], value: 1 }] },
      partial: false,
    });
    await postToWebview(page, {
      type: 'showExplanation',
      explanation: { ...explanation, fourier: [{ features: [3, 1], value: 1 }] },
      partial: false,
    });
    await postToWebview(page, { type: 'showExplanation', explanation: { ...explanation, calls: null }, partial: false });
    await postToWebview(page, { type: 'verifyResult', requestId: 7, mask: [1], value: 1, predicted: 1, cached: false });
    await showView(page, segmentation('Valid one.'));
    assert.equal(await page.locator('#text').textContent(), 'Valid one.');
    assert.equal(await page.evaluate(() => performance.getEntriesByName('spex:render').length), 1);
    assert.deepEqual(errors, []);
  });

  it('restores a segmentation after a reload, from its saved state', async () => {
    await showView(page, segmentation('Kept across reloads. Really.'));
    await page.reload();
    await waitFor('restored spans', async () => ((await page.locator('#text .feature').count()) === 2 ? true : undefined));
    assert.equal(await page.locator('#text').textContent(), 'Kept across reloads. Really.');
  });

  it('enforces its CSP: an injected inline script does not run', async () => {
    const blocked = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          document.addEventListener('securitypolicyviolation', (event) => resolve(event.violatedDirective), { once: true });
          const script = document.createElement('script');
          script.textContent = 'window.__inline = 1';
          document.body.append(script);
        }),
    );
    assert.match(blocked, /script-src/u);
    assert.equal(await page.evaluate(() => (window as unknown as { __inline?: number }).__inline), undefined);
  });
});
