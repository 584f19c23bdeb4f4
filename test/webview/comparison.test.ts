import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import type { Comparison } from '../../protocol/comparison';
import type { ShowComparisonMessage } from '../../protocol/reportView';
import { compareExplanations } from '../../server/compare/compareExplanations';
import { fourierFromMobius, sampleExplanation } from '../fixtures/sampleExplanation';
import { cspViolations, openPanel, postedOfType, showView, useBrowserAndSite } from '../helpers/webviewHarness';
import { waitFor } from '../helpers/waitFor';

/**
 * B drops "Delta waits.", rewords Gamma and adds Epsilon; its Beta + Gamma synergy is half of A's
 * (Beta's total effect falls from 1.02 to 0.5), and it answers another year. A's Beta sentence
 * carries markup that must show as text.
 */
function plantedComparison(): Comparison {
  const mobiusA = [
    { features: [0], value: 1.5 },
    { features: [1], value: 0.02 },
    { features: [1, 2], value: 2 },
    { features: [2, 3], value: -0.8 },
    { features: [3], value: -0.4 },
  ];
  const a = sampleExplanation({ fourier: fourierFromMobius(mobiusA) });
  const textB = 'Alpha opens. Beta <b>follows</b>. Gamma joins now. Epsilon ends.';
  const sentences = ['Alpha opens.', 'Beta <b>follows</b>.', 'Gamma joins now.', 'Epsilon ends.'];
  let cursor = 0;
  const features = sentences.map((sentence, index) => {
    const start = textB.indexOf(sentence, cursor);
    cursor = start + sentence.length;
    return { index, text: sentence, start, end: cursor };
  });
  const mobiusB = [
    { features: [0], value: 1.5 },
    { features: [1, 2], value: 1 },
    { features: [3], value: 0.3 },
  ];
  const b = sampleExplanation({
    text: textB,
    features,
    target: ' The bridge opened in 1932.',
    interactions: mobiusB,
    featureValues: [1.5, 0, 0, 0.3],
    fourier: fourierFromMobius(mobiusB),
  });
  return compareExplanations(a, b);
}

function message(comparison: Comparison): ShowComparisonMessage {
  return { type: 'showComparison', comparison, labelA: 'prompt.md', labelB: 'git HEAD' };
}

function spanOf(page: Page, side: 'a' | 'b', text: string): Locator {
  return page.locator(`#text-${side} .feature`, { hasText: text }).first();
}

describe('webview panel: two versions side by side', () => {
  const chromium = useBrowserAndSite();
  let page: Page | undefined;
  let errors: string[] = [];
  const open = async (width = 1280): Promise<Page> => {
    ({ page, errors } = await openPanel(chromium.browser(), `${chromium.url()}comparison`, { width, height: 860 }));
    await showView(page, message(plantedComparison()));
    return page;
  };
  afterEach(async () => {
    assert.deepEqual(errors, []);
    if (page) assert.deepEqual(await cspViolations(page), []);
    await page?.close();
    page = undefined;
  });

  it('says first that the answers differ, then shows each version with what happened to its spans', async () => {
    const view = await open();
    const answers = (await view.locator('#answers').textContent()) ?? '';
    assert.match(answers, /^The answers differ\. A answers “ The bridge opened in 1931\.”; B answers “ The bridge opened in 1932\.”/u);
    assert.equal(await view.locator('#label-a').textContent(), 'A · prompt.md');
    assert.equal(await view.locator('#label-b').textContent(), 'B · git HEAD');
    const statuses = async (side: 'a' | 'b') =>
      view
        .locator(`#text-${side} .feature`)
        .evaluateAll((spans) => spans.map((span) => `${span.textContent} ${(span as HTMLElement).dataset.status}`));
    assert.deepEqual(await statuses('a'), [
      'Alpha opens. unchanged',
      'Beta <b>follows</b>. unchanged',
      'Gamma joins. edited',
      'Delta waits. removed',
    ]);
    assert.deepEqual(await statuses('b'), [
      'Alpha opens. unchanged',
      'Beta <b>follows</b>. unchanged',
      'Gamma joins now. edited',
      'Epsilon ends. added',
    ]);
    // Prompt text is text: the markup in it made no element.
    assert.equal(await view.locator('#text-a b, #text-b b').count(), 0);
    // The synergy halved: Beta's total effect changed, and the text says by how much.
    const beta = spanOf(view, 'a', 'Beta');
    assert.match((await beta.getAttribute('class')) ?? '', /\bchanged\b/u);
    assert.equal(await view.locator('#text-a .delta').first().textContent(), '−0.52');
    assert.equal(
      await beta.getAttribute('aria-label'),
      '[2] Beta <b>follows</b>.: total effect 1.02 in A, change −0.520; unchanged; [2] in B',
    );
    // Alpha's effect did not change: no call-out.
    assert.doesNotMatch((await spanOf(view, 'a', 'Alpha').getAttribute('class')) ?? '', /\bchanged\b/u);
  });

  it('lights the counterpart of the span pointed at, in the other version', async () => {
    const view = await open();
    await spanOf(view, 'a', 'Gamma').hover();
    await waitFor(
      'the counterpart lit',
      async () => ((await view.locator('#text-b .feature.counterpart').count()) === 1 ? true : undefined),
      5000,
    );
    assert.equal(await view.locator('#text-b .feature.counterpart').textContent(), 'Gamma joins now.');
    await spanOf(view, 'b', 'Epsilon').focus();
    await waitFor(
      'the earlier light cleared',
      async () => ((await view.locator('.feature.counterpart').count()) === 0 ? true : undefined),
      5000,
    );
    assert.equal(await view.locator('#text-b .feature.pointed').textContent(), 'Epsilon ends.');
  });

  it('lists spans and interactions with both values, the largest change first, and exports both', async () => {
    const view = await open();
    const rowText = (row: Locator): Promise<string[]> =>
      row.locator('td .status, td .text-a, td .text-b, td .spans, td.number').allTextContents();
    // Delta's −0.8 went with it (no change to compute: its effect in A ranks it), then Beta's −0.52.
    assert.deepEqual(await rowText(view.locator('#span-changes tbody tr').first()), [
      'removed in B',
      '[4] Delta waits.',
      '−0.800',
      '—',
      '—',
    ]);
    assert.deepEqual(await rowText(view.locator('#span-changes tbody tr').nth(1)), [
      'unchanged',
      '[2] Beta <b>follows</b>.',
      '1.02',
      '0.500',
      '−0.520',
    ]);
    assert.deepEqual(await rowText(view.locator('#span-changes tbody tr', { hasText: 'Gamma' })), [
      'edited',
      '[3] Gamma joins.',
      '→ [3] Gamma joins now.',
      '0.600',
      '0.500',
      '−0.100',
    ]);
    assert.deepEqual(await rowText(view.locator('#span-changes tbody tr').nth(2)), ['added in B', '[4] Epsilon ends.', '—', '0.300', '—']);
    assert.deepEqual(await rowText(view.locator('#term-changes tbody tr').first()), ['synergy', '[2] + [3]', '2.00', '1.00', '−1.00']);
    await view.locator('#export-html').click();
    await view.locator('#open-markdown').click();
    await waitFor('the export asked for', async () => ((await postedOfType(view, 'exportReport')).length > 0 ? true : undefined), 5000);
    assert.deepEqual(await postedOfType(view, 'exportReport'), [{ type: 'exportReport', format: 'html' }]);
    assert.equal((await postedOfType(view, 'openReportMarkdown')).length, 1);
  });

  it('fits a 520 px split with the versions side by side, and stacks them narrower, down to 340 px; a reload restores the view', async () => {
    for (const [width, sideBySide] of [
      [520, true],
      [400, false],
      [340, false],
    ] as const) {
      const view = await open(width);
      const overflow = await view.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${width} px: ${overflow} px of horizontal scroll`);
      const [a, b] = await view
        .locator('.version')
        .evaluateAll((sections) => sections.map((section) => section.getBoundingClientRect().top));
      assert.equal(a === b, sideBySide, `${width} px: tops ${a} and ${b}`);
      if (width === 520) {
        await view.reload();
        await waitFor(
          'the restored comparison',
          async () => ((await view.locator('#text-a .feature').count()) === 4 ? true : undefined),
          10_000,
        );
      }
      assert.deepEqual(errors, []);
      await view.close();
      page = undefined;
    }
  });

  it('says when the versions are too different to line up, and ignores a malformed message', async () => {
    const view = await open();
    await showView(view, message({ ...plantedComparison(), tooDifferent: true, alignedShare: 0.1 }));
    assert.match((await view.locator('#notice').textContent()) ?? '', /too few spans \(10 % lined up\)/u);
    assert.equal(await view.locator('#notice').isVisible(), true);
    const before = await view.locator('#text-a').innerHTML();
    await view.evaluate(() => window.postMessage({ type: 'showComparison', comparison: { spans: 'no' }, labelA: 'x', labelB: 'y' }, '*'));
    await view.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
    assert.equal(await view.locator('#text-a').innerHTML(), before);
  });
});
