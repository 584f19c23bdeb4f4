import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { Explanation } from '../../protocol/explanation';
import type { VerifyMaskMessage } from '../../protocol/webview';
import { CompiledFourier } from '../../server/recovery/expansion';
import { keyOfSorted } from '../../server/recovery/interactionKey';
import { bestKeep, smallestFlip } from '../../webview/model/bestSpans';
import { bridgeScore, recordedExplanation, syntheticExplanation } from '../fixtures/sampleExplanation';
import { waitFor } from '../helpers/waitFor';
import {
  chooseOption,
  cspViolations,
  openPanel,
  postedOfType,
  postToWebview,
  useBrowserAndSite,
  showView,
} from '../helpers/webviewHarness';

/** The surrogate as the recovery core evaluates it: the explanation's Fourier expansion, compiled. */
function surrogateOf(explanation: Explanation): CompiledFourier {
  return new CompiledFourier(new Map(explanation.fourier.map((term) => [keyOfSorted(term.features), term.value])));
}

function maskWithout(n: number, removed: readonly number[]): Uint8Array {
  const mask = new Uint8Array(n).fill(1);
  for (const index of removed) mask[index] = 0;
  return mask;
}

async function predicted(page: Page): Promise<number> {
  return Number(await page.locator('#whatif-prediction .predicted').getAttribute('data-value'));
}

async function removedSpans(page: Page): Promise<number[]> {
  return page.locator('#text .feature.removed').evaluateAll((spans) => spans.map((span) => Number((span as HTMLElement).dataset.index)));
}

async function isDisabled(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).evaluate((element) => (element as HTMLElement & { disabled: boolean }).disabled);
}

describe('webview panel: what-if', () => {
  const chromium = useBrowserAndSite();
  let page: Page;
  let errors: string[];
  const explanation = recordedExplanation();
  const n = explanation.features.length;
  const surrogate = surrogateOf(explanation);

  beforeEach(async () => {
    await page?.close();
    ({ page, errors } = await openPanel(chromium.browser(), chromium.url()));
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
    await page.locator('vscode-tab-header[data-tab="whatif"]').click();
  });

  it('clicking spans removes them and the prediction is the surrogate’s, instantly', async () => {
    assert.equal(await predicted(page), surrogate.evaluate(maskWithout(n, [])));
    await page.locator('#text .feature[data-index="1"]').click();
    await page.locator('#text .feature[data-index="4"]').click();
    assert.deepEqual(await removedSpans(page), [1, 4]);
    const value = await predicted(page);
    assert.equal(value, surrogate.evaluate(maskWithout(n, [1, 4])));
    // Exact recovery reproduces the scorer, so the surrogate is the planted function itself.
    assert.ok(Math.abs(value - bridgeScore(maskWithout(n, [1, 4]))) < 1e-9);
    assert.match((await page.locator('#whatif-prediction').textContent()) ?? '', /past halfway to all removed/u);
    await page.locator('#text .feature[data-index="1"]').click();
    assert.deepEqual(await removedSpans(page), [4]);
    assert.equal(await predicted(page), surrogate.evaluate(maskWithout(n, [4])));
    assert.match((await page.locator('#whatif-prediction').textContent()) ?? '', /nearer all kept/u);
    // X on a focused span toggles it from any tab; the keyboard reaches every span.
    await page.locator('vscode-tab-header[data-tab="list"]').click();
    await page.locator('#text .feature[data-index="6"]').focus();
    await page.keyboard.press('x');
    assert.deepEqual(await removedSpans(page), [4, 6]);
    assert.match((await page.locator('#text .feature[data-index="6"]').getAttribute('aria-label')) ?? '', /Removed in the what-if\.$/u);
    await page.locator('vscode-tab-header[data-tab="whatif"]').click();
    await page.locator('#whatif-invert').click();
    assert.deepEqual(await removedSpans(page), [0, 1, 2, 3, 5, 7, 8]);
    assert.equal(await predicted(page), surrogate.evaluate(maskWithout(n, [0, 1, 2, 3, 5, 7, 8])));
    await page.locator('#whatif-restore').click();
    assert.deepEqual(await removedSpans(page), []);
  });

  it('"Verify with model" posts the what-if mask with increasing request ids and shows the real value beside the prediction', async () => {
    await page.locator('#text .feature[data-index="1"]').click();
    await page.locator('#text .feature[data-index="4"]').click();
    await page.locator('#verify').click();
    await page.locator('#text .feature[data-index="0"]').click();
    await page.locator('#verify').click();
    const requests = await postedOfType<VerifyMaskMessage>(page, 'verifyMask');
    assert.deepEqual(requests, [
      { type: 'verifyMask', requestId: 1, mask: [1, 0, 1, 1, 0, 1, 1, 1, 1] },
      { type: 'verifyMask', requestId: 2, mask: [0, 0, 1, 1, 0, 1, 1, 1, 1] },
    ]);
    assert.equal(await page.locator('li.verification.pending').count(), 2);
    const first = surrogate.evaluate(maskWithout(n, [1, 4]));
    await postToWebview(page, { type: 'verifyResult', requestId: 1, mask: requests[0]?.mask, value: -8.9, predicted: first, cached: true });
    await postToWebview(page, { type: 'verifyFailed', requestId: 2, message: 'The model endpoint is unreachable.' });
    // An answer to a request this page never made is ignored.
    await postToWebview(page, { type: 'verifyResult', requestId: 99, mask: requests[0]?.mask, value: 0, predicted: 0, cached: false });
    await waitFor('both answers', async () => ((await page.locator('li.verification.pending').count()) === 0 ? true : undefined));
    const done = page.locator('li.verification.done');
    assert.equal(await done.getAttribute('data-request-id'), '1');
    assert.equal(await done.locator('.model-value').getAttribute('data-value'), '-8.9');
    assert.match((await done.textContent()) ?? '', /^#1 2 spans removed · surrogate −8\.85 · model −8\.90 \(−0\.0500 off\) cached$/u);
    assert.match((await page.locator('li.verification.failed').textContent()) ?? '', /failed: The model endpoint is unreachable\.$/u);
    assert.equal(await page.locator('li.verification').count(), 2);
  });

  it("shows the model's own answer after Verify: a flip only where the answer changed, an ellipsis where it was cut", async () => {
    await page.locator('#text .feature[data-index="1"]').click();
    await page.locator('#verify').click();
    await page.locator('#text .feature[data-index="4"]').click();
    await page.locator('#verify').click();
    const [first, second] = await postedOfType<VerifyMaskMessage>(page, 'verifyMask');
    const answer = (text: string, changed: boolean, cut = false) => ({
      text,
      cut,
      original: ' The bridge opened in',
      originalCut: true,
      changed,
    });
    // A malformed answer makes the whole message invalid: it is dropped, the request stays pending.
    await postToWebview(page, {
      type: 'verifyResult',
      requestId: 1,
      mask: first?.mask,
      value: -9,
      predicted: -9,
      cached: false,
      answer: { text: 3 },
    });
    assert.equal(await page.locator('li.verification.pending').count(), 2);
    await postToWebview(page, {
      type: 'verifyResult',
      requestId: 1,
      mask: first?.mask,
      value: -9,
      predicted: -9,
      cached: false,
      answer: answer(' The bridge opened in', false, true),
    });
    await postToWebview(page, {
      type: 'verifyResult',
      requestId: 2,
      mask: second?.mask,
      value: -11,
      predicted: -10,
      cached: false,
      answer: answer(' No', true),
    });
    await waitFor('both answers', async () => ((await page.locator('li.verification.pending').count()) === 0 ? true : undefined));
    const same = page.locator('li.verification[data-request-id="1"] .model-answer');
    assert.equal(await same.textContent(), 'The answer stays the same:  The bridge opened in…');
    assert.equal(await same.evaluate((line) => line.classList.contains('changed')), false);
    const flipped = page.locator('li.verification[data-request-id="2"] .model-answer');
    assert.equal(await flipped.textContent(), 'The answer flips:  No (with every span kept:  The bridge opened in…)');
    assert.equal(await flipped.locator('q.answer-now').textContent(), ' No');
    // The answers are kept with the rest of the panel's state.
    await page.reload();
    await waitFor('the restored answers', async () =>
      (await page.locator('li.verification .model-answer').count()) === 2 ? true : undefined,
    );
  });

  it('turns Verify off, saying why, for a partial run and after a reload; a fresh post from the host turns it back on', async () => {
    await showView(page, { type: 'showExplanation', explanation, partial: true, verifiable: false });
    assert.equal(await isDisabled(page, '#verify'), true);
    assert.match((await page.locator('#verify-note').textContent()) ?? '', /still going/u);
    await page.locator('#verify').click({ force: true });
    assert.deepEqual(await postedOfType(page, 'verifyMask'), []);
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
    assert.equal(await isDisabled(page, '#verify'), false);

    await chooseOption(page, 'index-select', 'STII');
    await page.locator('vscode-tab-header[data-tab="list"]').click();
    await page.locator('#interactions li.term[data-features="0,1"]').click();
    await page.locator('vscode-tab-header[data-tab="whatif"]').click();
    await page.locator('#text .feature[data-index="2"]').click();
    await page.locator('#verify').click();
    await page.reload();
    await waitFor('the restored view', async () => ((await page.locator('#text .feature').count()) === n ? true : undefined));
    assert.equal(await page.locator('#index-select').evaluate((select) => (select as HTMLSelectElement).value), 'stii');
    assert.deepEqual(
      await page
        .locator('#text .feature.selected')
        .evaluateAll((spans) => spans.map((span) => Number((span as HTMLElement).dataset.index))),
      [0, 1],
    );
    assert.deepEqual(await removedSpans(page), [2]);
    assert.equal(await isDisabled(page, '#verify'), true);
    assert.match((await page.locator('#verify-note').textContent()) ?? '', /restored after a reload/u);
    assert.match((await page.locator('li.verification').textContent()) ?? '', /No answer: the panel was reloaded while waiting\./u);
    assert.match((await page.locator('#banner').textContent()) ?? '', /^Restored from the last session/u);
    // After ready, the host posts the explanation it still holds: the choices stay, Verify comes back.
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
    assert.equal(await isDisabled(page, '#verify'), false);
    assert.deepEqual(await removedSpans(page), [2]);
    await page.locator('#verify').click();
    assert.deepEqual(await postedOfType(page, 'verifyMask'), [{ type: 'verifyMask', requestId: 2, mask: [1, 1, 0, 1, 1, 1, 1, 1, 1] }]);
  });

  it('"Best k spans" keeps the k spans the surrogate says keep the answer most, then offers to verify', async () => {
    await page.locator('#best-k input').fill('2');
    await page.locator('#best-k input').press('Enter');
    await page.locator('#find-keep').click();
    const expected = bestKeep(surrogate, n, 2, 1);
    const kept = new Set(expected.kept);
    assert.deepEqual(
      await removedSpans(page),
      explanation.features.map((feature) => feature.index).filter((index) => !kept.has(index)),
    );
    assert.deepEqual([...kept].sort(), [0, 1]);
    assert.equal(await predicted(page), surrogate.evaluate(maskWithout(n, [2, 3, 4, 5, 6, 7, 8])));
    assert.match(
      (await page.locator('#search-result').textContent()) ?? '',
      /^Keeping only these 2 spans predicts −4\.20 \(99% of the way/u,
    );
    await page.locator('#verify').click();
    assert.deepEqual(await postedOfType(page, 'verifyMask'), [{ type: 'verifyMask', requestId: 1, mask: [1, 1, 0, 0, 0, 0, 0, 0, 0] }]);
  });

  it('"Smallest set past halfway" finds the fewest removals that move the value past the midpoint', async () => {
    await page.locator('#find-flip').click();
    const rule = {
      full: explanation.fullValue,
      empty: explanation.emptyValue,
      threshold: (explanation.fullValue + explanation.emptyValue) / 2,
      direction: 1 as const,
    };
    const expected = smallestFlip(surrogate, n, rule);
    assert.deepEqual(expected.removed, [1]);
    assert.deepEqual(await removedSpans(page), [1]);
    assert.match(
      (await page.locator('#search-result').textContent()) ?? '',
      /^Removing this span takes the value past halfway to all removed: −7\.65, beyond the midpoint −6\.58/u,
    );
    assert.match((await page.locator('#whatif-prediction').textContent()) ?? '', /past halfway to all removed/u);
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(errors, []);
  });

  it('matches the surrogate and stays fast at 2,000 spans', async () => {
    const large = syntheticExplanation({ featureCount: 2000, terms: 600, seed: 11 });
    const largeSurrogate = surrogateOf(large);
    await showView(page, { type: 'showExplanation', explanation: large, partial: false, verifiable: true });
    for (const index of [5, 700, 1999]) await page.locator(`#text .feature[data-index="${index}"]`).click();
    assert.ok(Math.abs((await predicted(page)) - largeSurrogate.evaluate(maskWithout(2000, [5, 700, 1999]))) < 1e-9);
    await page.locator('#find-keep').click();
    const expected = bestKeep(largeSurrogate, 2000, 3, large.fullValue >= large.emptyValue ? 1 : -1);
    const kept = new Set(expected.kept);
    assert.deepEqual(
      await removedSpans(page),
      large.features.map((feature) => feature.index).filter((index) => !kept.has(index)),
    );
    // The search scores in batches (evaluateMany) and the display one mask at a time: equal up to rounding.
    assert.ok(Math.abs((await predicted(page)) - expected.value) < 1e-9);
    const searchMs = await page.evaluate(() => performance.getEntriesByName('spex:search').at(-1)?.duration ?? Number.NaN);
    assert.ok(searchMs < 2000, `best 3 of 2,000 spans took ${searchMs} ms`);
  });
});
