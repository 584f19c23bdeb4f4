import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VerifyMaskMessage } from '../../protocol/webview';
import { sampleExplanation } from '../fixtures/sampleExplanation';
import { waitFor } from '../helpers/waitFor';
import { openPanel, postedOfType, postToWebview, showView, useBrowserAndSite } from '../helpers/webviewHarness';
import { plain, signed, significant } from '../../webview/format';

describe('numbers as the panel writes them', () => {
  it('uses three significant digits, a typographic minus, and no sign on zero', () => {
    assert.equal(signed(3), '+3.00');
    assert.equal(signed(2.41667), '+2.42');
    assert.equal(signed(-0.0412345), '−0.0412');
    assert.equal(plain(-11.3), '−11.3');
    assert.equal(plain(1234.5), '1235');
    assert.equal(significant(5.1e-9), '5.10e−9');
    assert.equal(signed(0), '0');
  });

  const chromium = useBrowserAndSite();

  it('calls a rounding-level value no effect, says an end of the scale no span reaches, and a verification that matches', async () => {
    const { page, errors } = await openPanel(chromium.browser(), chromium.url(), { width: 520, height: 860 });
    // Nothing lowers; span 2's value is rounding next to the largest, 1.5.
    const explanation = sampleExplanation({
      featureValues: [1.5, 5.1e-9, 0.3, 0.4],
      interactions: [
        { features: [0], value: 1.5 },
        { features: [3], value: 0.4 },
        { features: [2], value: 0.3 },
      ],
    });
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
    assert.equal(await page.locator('.scale-end.lowers').textContent(), 'none lowers');
    assert.equal(await page.locator('.scale-end.raises').textContent(), 'raises +1.50');
    assert.equal(
      await page.locator('#text .feature[data-index="1"]').getAttribute('aria-label'),
      'Span 2: “Beta <b>follows</b>.” Möbius value 0, does not change the value.',
    );
    await page.locator('vscode-tab-header[data-tab="whatif"]').click();
    await page.locator('#text .feature[data-index="3"]').click();
    await page.locator('#verify').click();
    const [request] = await postedOfType<VerifyMaskMessage>(page, 'verifyMask');
    const predicted = Number(await page.locator('#whatif-prediction .predicted').getAttribute('data-value'));
    await postToWebview(page, {
      type: 'verifyResult',
      requestId: request?.requestId,
      mask: request?.mask,
      value: predicted - 3.6e-15,
      predicted,
      cached: false,
    });
    const done = await waitFor(
      'the verification',
      async () => ((await page.locator('li.verification.done').count()) === 1 ? page.locator('li.verification.done') : undefined),
      10_000,
    );
    assert.match((await done.textContent()) ?? '', /\(matches\)$/u);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
