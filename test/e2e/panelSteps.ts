import path from 'node:path';
import type { Page } from 'playwright-core';
import type { FakeModelServer } from '../fixtures/fakeModelServer';
import { waitFor } from '../helpers/waitFor';
import { webview } from './workbench';

type Step = (name: string, run: () => Promise<void>) => Promise<void>;

/**
 * The panel's part of the end-to-end run: the spans, the planted top interaction, a what-if toggle
 * answered by the surrogate, and "Verify with model" answered by the fake model through spex/verify.
 */
export async function panelSteps(step: Step, page: () => Page, context: { fake: FakeModelServer; artifacts: string }): Promise<void> {
  const panel = () => webview(page());
  await step('the panel opens and shows one span per document', async () => {
    await panel().locator('#interactions li.term').first().waitFor({ timeout: 120_000 });
    const spans = await panel().locator('#text .feature').allTextContents();
    if (spans.length !== 6 || !spans[0]?.startsWith('[1] The Mira bridge')) throw new Error(`spans: ${JSON.stringify(spans)}`);
  });
  await step('the top interaction is the planted synergy of documents 1 and 3', async () => {
    const first = panel().locator('#interactions li.term').first();
    const features = await first.getAttribute('data-features');
    if (features !== '0,2') throw new Error(`the top interaction is ${features ?? 'missing'}: ${(await first.textContent()) ?? ''}`);
    await page().screenshot({ path: path.join(context.artifacts, 'panel-light.png') });
  });
  await step('a what-if toggle is answered by the surrogate at once', async () => {
    await panel().locator('vscode-tab-header[data-tab="whatif"]').click();
    const prediction = panel().locator('#whatif-prediction .predicted');
    const before = Number(await prediction.getAttribute('data-value'));
    await panel().locator('#text .feature[data-index="2"]').click();
    await waitFor(
      'a new prediction',
      async () => (Number(await prediction.getAttribute('data-value')) !== before ? true : undefined),
      15_000,
    );
    const after = Number(await prediction.getAttribute('data-value'));
    // Removing document 3 loses the planted synergy (3) with document 1.
    if (!(before - after > 2.5)) throw new Error(`prediction went from ${before} to ${after}`);
  });
  await step('"Verify with model" asks the real model for the same mask, and for its answer', async () => {
    const calls = context.fake.requestCount('/v1/completions');
    await panel().locator('#verify').click();
    const done = panel().locator('li.verification.done').first();
    await done.waitFor({ timeout: 60_000 });
    const modelValue = Number(await done.locator('.model-value').getAttribute('data-value'));
    const predicted = Number(await panel().locator('#whatif-prediction .predicted').getAttribute('data-value'));
    if (!(Math.abs(modelValue - predicted) < 1e-6)) throw new Error(`model ${modelValue} vs surrogate ${predicted}`);
    if (context.fake.requestCount('/v1/completions') <= calls && !/cached/u.test((await done.textContent()) ?? ''))
      throw new Error('the model was not asked');
    // And what the model now answers: the fake answers every prompt alike, so no flip.
    const answer = (await done.locator('.model-answer').textContent()) ?? '';
    if (!/^The answer stays the same: /u.test(answer)) throw new Error(`the verified answer reads: ${answer}`);
    await page().screenshot({ path: path.join(context.artifacts, 'what-if-light.png') });
  });
}
