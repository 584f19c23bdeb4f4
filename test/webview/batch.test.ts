import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import type { BatchResult } from '../../protocol/batch';
import type { ShowBatchMessage } from '../../protocol/reportView';
import { runBatch } from '../../server/batch/runBatch';
import { fourierFromMobius, sampleExplanation } from '../fixtures/sampleExplanation';
import { cspViolations, openPanel, postedOfType, showView, useBrowserAndSite } from '../helpers/webviewHarness';
import { waitFor } from '../helpers/waitFor';

const TEMPLATE = 'Answer in one line. Be kind to the reader. Use the records only.\n\nQuestion: {{question}}\n';
/** Five inputs and a broken line (line 3): the fourth input (line 5) makes "Be kind" matter three times as much; the fifth (line 6) does not fit. */
const INPUTS = [
  '{"question": "Who built it?"}',
  '{"question": "When did it open?"}',
  'not json',
  '{"question": "How long is it?"}',
  '{"question": "Why so kind?"}',
  '{"question": "Where is it?"}',
].join('\n');

/** The batch as `spex/batch` returns it, from planted explanations of the filled template. */
async function plantedBatch(): Promise<BatchResult> {
  return runBatch({
    template: TEMPLATE,
    inputs: INPUTS,
    granularity: 'sentence',
    onBroken: 'skip',
    inputsAtOnce: 1,
    explain: (rendered, _input, position) => {
      const kind = position === 3 ? 3 : 1;
      const mobius = [
        { features: [0], value: 1 + position * 0.05 },
        { features: [1], value: 0.2 * kind },
        { features: [0, 2], value: 0.8 },
      ];
      return Promise.resolve(
        sampleExplanation({
          text: rendered.text,
          features: rendered.features,
          pinned: rendered.pinned,
          target: ' Okafor.',
          interactions: mobius,
          featureValues: [1, 0.2 * kind, 0, 0],
          fourier: fourierFromMobius(mobius),
          // The fifth input's fit does not capture the model: it is left out of every figure.
          faithfulness: { r2: position === 4 ? -0.3 : 0.98, heldOut: 40 },
          index: 'mobius',
        }),
      );
    },
  });
}

function message(batch: BatchResult): ShowBatchMessage {
  return { type: 'showBatch', batch, template: 'system-prompt.md', inputs: 'eval.jsonl' };
}

function row(page: Page, span: number): Locator {
  return page.locator(`#batch-spans tbody tr[data-span="${span}"]`);
}

describe('webview panel: a template across its inputs', () => {
  const chromium = useBrowserAndSite();
  let batch: BatchResult;
  let page: Page | undefined;
  let errors: string[] = [];
  const open = async (width = 1280): Promise<Page> => {
    ({ page, errors } = await openPanel(chromium.browser(), `${chromium.url()}batch`, { width, height: 860 }));
    await showView(page, message(batch));
    return page;
  };
  before(async () => {
    batch = await plantedBatch();
  });
  afterEach(async () => {
    assert.deepEqual(errors, []);
    if (page) assert.deepEqual(await cspViolations(page), []);
    await page?.close();
    page = undefined;
  });
  after(() => undefined);

  it('says what ran, and what was left out and skipped', async () => {
    const view = await open();
    assert.match(
      (await view.locator('#summary').textContent()) ?? '',
      /^system-prompt\.md over eval\.jsonl: 5 inputs explained \(1 line skipped\) · 4 template spans · /u,
    );
    const notice = (await view.locator('#notice').textContent()) ?? '';
    assert.match(notice, /1 input whose fit does not capture the model is left out of the figures \(line 6\)\./u);
    assert.match(notice, /Skipped: line 3: not JSON/u);
  });

  it('draws each span across the inputs: one cell per input, on one scale, the unfit input marked', async () => {
    const view = await open();
    // The template's own text is the spans, its "Question:" label included; the question is pinned.
    assert.equal(await view.locator('#batch-spans tbody tr').count(), 4);
    const kind = row(view, 1);
    assert.match((await kind.locator('td').first().textContent()) ?? '', /^\[2\] Be kind to the reader\./u);
    assert.deepEqual(await kind.locator('td.number').allTextContents(), ['0.300 ± 0.200', '0.200 … 0.600', '0 of 4']);
    const cells = kind.locator('.strip-cell');
    assert.equal(await cells.count(), 5);
    const strengths = await cells.evaluateAll((buttons) =>
      buttons.map(
        (button) =>
          `${(button as HTMLElement).className.replace('strip-cell ', '')} ${(button as HTMLElement).style.getPropertyValue('--strength')}`,
      ),
    );
    // Alpha's total effect under the fourth input (1.15 + 0.4 of its pair) sets the scale; that input's "Be kind" is three times the others'.
    assert.deepEqual(strengths, ['raises 0.129', 'raises 0.129', 'raises 0.129', 'raises 0.387', 'no-fit 0.129']);
    assert.equal(await cells.nth(3).getAttribute('aria-label'), "line 5: +0.600; open this input's explanation");
    // The recurring pair of the first and third spans, in every input that fits.
    const term = await view.locator('#batch-terms tbody tr').first().locator('td').allTextContents();
    assert.equal(term[0], 'synergy');
    assert.match(term[1] ?? '', /^\[1\] Answer in one line\. \+ \[3\] Use the records only\.$/u);
    assert.deepEqual(term.slice(2), ['4 of 5', '0.800']);
  });

  it('opens an input’s explanation from its cell or its outlier row', async () => {
    const view = await open();
    await row(view, 1).locator('.strip-cell').nth(2).click();
    await waitFor('showInput posted', async () => ((await postedOfType(view, 'showInput')).length > 0 ? true : undefined), 5000);
    assert.deepEqual(await postedOfType(view, 'showInput'), [{ type: 'showInput', input: 2 }]);
    const outlier = view.locator('#batch-outliers tbody tr').first();
    assert.match((await outlier.locator('td').first().textContent()) ?? '', /^line 5$/u);
    await outlier.locator('button', { hasText: 'Open' }).click();
    await waitFor('a second showInput', async () => ((await postedOfType(view, 'showInput')).length > 1 ? true : undefined), 5000);
    assert.deepEqual((await postedOfType(view, 'showInput'))[1], { type: 'showInput', input: 3 });
    await view.locator('#export-csv').click();
    await waitFor('the export asked for', async () => ((await postedOfType(view, 'exportReport')).length > 0 ? true : undefined), 5000);
    assert.deepEqual(await postedOfType(view, 'exportReport'), [{ type: 'exportReport', format: 'csv' }]);
  });

  it('fits a 520 px split (and a 340 px one) without scrolling sideways, and comes back after a reload', async () => {
    const overflowAt = async (view: Page): Promise<number> =>
      view.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    const narrow = await open(340);
    assert.ok((await overflowAt(narrow)) <= 0, `340 px: ${await overflowAt(narrow)} px of horizontal scroll`);
    await narrow.close();
    const view = await open(520);
    assert.ok((await overflowAt(view)) <= 0, `520 px: ${await overflowAt(view)} px of horizontal scroll`);
    await view.reload();
    await waitFor(
      'the restored batch',
      async () => ((await view.locator('#batch-spans tbody tr').count()) === 4 ? true : undefined),
      10_000,
    );
  });
});
