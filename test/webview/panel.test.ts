import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ShowSegmentationMessage } from '../../protocol/webview';
import { segmentText } from '../../server/ablation/segment';
import { sampleExplanation } from '../fixtures/sampleExplanation';
import { launchChromium } from '../helpers/browser';
import { repoPath } from '../helpers/paths';
import { waitFor } from '../helpers/waitFor';
import { applyTheme, installVsCodeStub, posted, postToWebview, serveWebview } from '../helpers/webviewHarness';

const ARTIFACTS = repoPath('test-results', 'webview');

function segmentation(text: string, pin: string[] = []): ShowSegmentationMessage {
  return { type: 'showSegmentation', text, ...segmentText(text, { granularity: 'sentence', pin }) };
}

describe('webview panel in headless Chromium', () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof serveWebview>>;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    site = await serveWebview();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });
  beforeEach(async () => {
    await page?.close();
    page = await browser.newPage({ viewport: { width: 900, height: 500 } });
    errors.length = 0;
    page.on('pageerror', (error) => errors.push(error.message));
    await installVsCodeStub(page);
    await page.goto(site.url);
  });

  it('says ready once loaded, with no script errors', async () => {
    await waitFor('the ready message', async () =>
      (await posted(page)).some((message) => (message as { type?: string }).type === 'ready') ? true : undefined,
    );
    assert.deepEqual(errors, []);
  });

  it('renders one span per feature, with the original text and line breaks intact', async () => {
    const message = segmentation('Question: who?\n\nFirst fact here. Second fact!\nThird line.', ['Question:[^\\n]*']);
    await postToWebview(page, message);
    const spans = page.locator('#text .feature');
    await waitFor('feature spans', async () => ((await spans.count()) === message.features.length ? true : undefined));
    assert.deepEqual(
      await spans.allTextContents(),
      message.features.map((feature) => feature.text),
    );
    assert.equal(await page.locator('#text').textContent(), message.text);
    assert.deepEqual(await page.locator('#text .pinned').allTextContents(), ['Question: who?']);
    assert.equal(await page.locator('#summary').textContent(), '3 features, 1 pinned span');
  });

  it('renders hostile prompt text as text and runs none of it', async () => {
    const text = 'Look <img src=x onerror="window.__pwned=1">. Then <script>window.__pwned=2</script>. Go javascript:window.__pwned=3 now.';
    await postToWebview(page, segmentation(text));
    await waitFor('the rendered text', async () => ((await page.locator('#text').textContent()) === text ? true : undefined));
    assert.equal(await page.locator('#text img, #text script, #text a').count(), 0);
    await page.locator('#text .feature').first().click();
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  });

  it('posts revealFeature when a span is clicked or activated with the keyboard', async () => {
    await postToWebview(page, segmentation('Alpha one. Beta two. Gamma three.'));
    await page.locator('#text .feature').nth(1).click();
    await page.locator('#text .feature').nth(2).focus();
    await page.keyboard.press('Enter');
    await waitFor('two reveal messages', async () => ((await posted(page)).length >= 3 ? true : undefined));
    assert.deepEqual((await posted(page)).slice(1), [
      { type: 'revealFeature', index: 1 },
      { type: 'revealFeature', index: 2 },
    ]);
  });

  it('ignores malformed messages', async () => {
    await postToWebview(page, {
      type: 'showSegmentation',
      text: 'abc',
      features: [{ index: 0, text: 'abc', start: 0, end: 99 }],
      pinned: [],
    });
    await postToWebview(page, { type: 'somethingElse' });
    await postToWebview(page, segmentation('Valid one.'));
    await waitFor('the valid message to render', async () =>
      (await page.locator('#text').textContent()) === 'Valid one.' ? true : undefined,
    );
    assert.deepEqual(errors, []);
  });

  it('restores what it showed after a reload, from its saved state', async () => {
    await postToWebview(page, segmentation('Kept across reloads. Really.'));
    await waitFor('spans', async () => ((await page.locator('#text .feature').count()) === 2 ? true : undefined));
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

  it('shows an explanation: spans tinted by sign, interactions listed, hostile text inert', async () => {
    const explanation = sampleExplanation();
    await postToWebview(page, { type: 'showExplanation', explanation, partial: false });
    await waitFor('tinted spans', async () => ((await page.locator('#text .feature.raises').count()) > 0 ? true : undefined));
    const classes = await page.locator('#text .feature').evaluateAll((spans: Element[]) => spans.map((span: Element) => span.className));
    assert.deepEqual(classes, ['feature raises', 'feature neutral', 'feature neutral', 'feature lowers']);
    assert.equal(await page.locator('#text').textContent(), explanation.text);
    assert.equal(await page.locator('#text b').count(), 0);
    const items = await page.locator('#interactions li').allTextContents();
    assert.equal(items[0], '+2.0000 synergy: [1] Beta <b>follows</b>. + [2] Gamma joins.');
    assert.match(
      (await page.locator('#summary').textContent()) ?? '',
      /4 features · exact · logprob · 16 model calls, 0 cached · held-out R² 0\.970/u,
    );
  });

  it('ignores an explanation whose indices point outside its features', async () => {
    const broken = sampleExplanation({ interactions: [{ features: [0, 9], value: 1 }] });
    await postToWebview(page, { type: 'showExplanation', explanation: broken, partial: false });
    await postToWebview(page, segmentation('After the broken one.'));
    await waitFor('the valid message', async () =>
      (await page.locator('#text').textContent()) === 'After the broken one.' ? true : undefined,
    );
    assert.deepEqual(errors, []);
  });

  it('saves screenshots in light and dark themes', async () => {
    await postToWebview(
      page,
      segmentation('Question: when did it open?\n\nThe Mira bridge crosses the river. It opened in 1931. Okafor designed it.', [
        'Question:[^\\n]*',
      ]),
    );
    await waitFor('spans', async () => ((await page.locator('#text .feature').count()) === 3 ? true : undefined));
    for (const theme of ['light', 'dark'] as const) {
      await applyTheme(page, theme);
      await page.screenshot({ path: `${ARTIFACTS}/panel-${theme}.png` });
    }
  });
});
