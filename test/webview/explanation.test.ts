import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { Explanation } from '../../protocol/explanation';
import { INDEX_NAMES, type IndexName } from '../../server/recovery/indexNames';
import { interactionIndex } from '../../server/recovery/indices';
import { EMPTY_KEY, indicesOf, keyOfSorted } from '../../server/recovery/interactionKey';
import type { Spectrum } from '../../server/recovery/spectrum';
import { INDEX_LABELS } from '../../webview/model/analysis';
import { recordedExplanation, sampleExplanation } from '../fixtures/sampleExplanation';
import { chooseOption, cspViolations, openPanel, useBrowserAndSite, showView } from '../helpers/webviewHarness';
import { significant } from '../../webview/format';

function spectrumOf(explanation: Explanation): Spectrum {
  return new Map(explanation.fourier.map((term) => [keyOfSorted(term.features), term.value]));
}

/** The non-empty, non-zero terms of an index as "features → value", computed by the recovery core. */
function expectedTerms(explanation: Explanation, index: IndexName, order: number): Map<string, number> {
  const terms = new Map<string, number>();
  for (const [key, value] of interactionIndex(index, spectrumOf(explanation), order)) {
    if (key !== EMPTY_KEY && value !== 0) terms.set(indicesOf(key).join(','), value);
  }
  return terms;
}

/** The span tints the panel must show: Banzhaf values under the Fourier index, the index's singletons otherwise. */
function expectedTints(explanation: Explanation, index: IndexName, order: number): number[] {
  const singletons = interactionIndex(index === 'fourier' ? 'banzhaf' : index, spectrumOf(explanation), index === 'fourier' ? 1 : order);
  return explanation.features.map((feature) => singletons.get(keyOfSorted([feature.index])) ?? 0);
}

async function listed(page: Page): Promise<Map<string, number>> {
  const rows = await page
    .locator('#interactions li.term')
    .evaluateAll((items) =>
      items.map((item) => [(item as HTMLElement).dataset.features ?? '', Number((item as HTMLElement).dataset.value)] as const),
    );
  return new Map(rows);
}

async function tints(page: Page): Promise<number[]> {
  return page.locator('#text .feature').evaluateAll((spans) => spans.map((span) => Number((span as HTMLElement).dataset.value)));
}

async function selectedSpans(page: Page): Promise<number[]> {
  return page.locator('#text .feature.selected').evaluateAll((spans) => spans.map((span) => Number((span as HTMLElement).dataset.index)));
}

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);
}

describe('webview panel: an explanation', () => {
  const chromium = useBrowserAndSite();
  let page: Page;
  let errors: string[];
  const explanation = recordedExplanation();

  beforeEach(async () => {
    await page?.close();
    ({ page, errors } = await openPanel(chromium.browser(), chromium.url()));
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
  });

  it('renders one span per feature with its text, in the original text', async () => {
    assert.deepEqual(
      await page.locator('#text .feature').allTextContents(),
      explanation.features.map((feature) => feature.text),
    );
    assert.equal(await page.locator('#text').textContent(), explanation.text);
    assert.deepEqual(await page.locator('#text .pinned').allTextContents(), ['Question: when did the Mira bridge open?']);
    assert.deepEqual(await page.locator('#text .glue').allTextContents(), []);
  });

  it('tints spans by their first-order value: sign picks the hue, |value| / largest the strength', async () => {
    const values = explanation.featureValues;
    const largest = Math.max(...values.map(Math.abs));
    const spans = await page.locator('#text .feature').evaluateAll((elements) =>
      elements.map((element) => ({
        tone: ['raises', 'lowers', 'neutral'].find((tone) => element.classList.contains(tone)),
        strength: Number((element as HTMLElement).style.getPropertyValue('--strength')),
        value: Number((element as HTMLElement).dataset.value),
        background: getComputedStyle(element).backgroundColor,
      })),
    );
    spans.forEach((span, index) => {
      const value = values[index] as number;
      assert.equal(span.value, value);
      const share = Math.abs(value) / largest;
      assert.equal(span.tone, share < 0.05 ? 'neutral' : value > 0 ? 'raises' : 'lowers', `span ${index}`);
      assert.ok(Math.abs(span.strength - share) < 0.001, `span ${index} strength`);
    });
    // Stronger raising spans get a more opaque fill of the same hue.
    const alpha = (colour: string): number =>
      Number(/\/\s*([\d.]+)\)$|rgba\([^)]*,\s*([\d.]+)\)$/u.exec(colour)?.slice(1).find(Boolean) ?? 1);
    const raising = spans.filter((span) => span.tone === 'raises').sort((a, b) => a.strength - b.strength);
    assert.ok(raising.length >= 3);
    for (let i = 1; i < raising.length; i += 1) {
      assert.ok(
        alpha((raising[i] as (typeof raising)[number]).background) >= alpha((raising[i - 1] as (typeof raising)[number]).background),
      );
    }
    assert.ok(alpha((raising.at(-1) as (typeof raising)[number]).background) > alpha((raising[0] as (typeof raising)[number]).background));
    assert.equal(spans[6]?.tone, 'lowers');
    // The legend states the range of the values shown.
    assert.equal(await page.locator('.scale-end.lowers').textContent(), `−${significant(Math.min(...values))} lowers`);
    assert.equal(await page.locator('.scale-end.raises').textContent(), `raises +${significant(Math.max(...values))}`);
  });

  it('shows the header: target, model, value function, algorithm, calls, time and faithfulness', async () => {
    const facts = await page
      .locator('#facts .fact')
      .evaluateAll((pairs) =>
        pairs.map((pair) => `${pair.querySelector('dt')?.textContent ?? ''}: ${pair.querySelector('dd')?.textContent ?? ''}`),
      );
    assert.deepEqual(facts, [
      'Target: “ 1931”',
      'Model: exec: node scorer.mjs',
      'Value: logprob',
      'Algorithm: exact',
      'Calls: 515 model · 0 cached · 512 masks',
      'Time: 2.1 s (model calls 2.1 s, recovery 3 ms)',
      'Faithfulness: exact: every mask scored, deterministic values',
      'Noise floor: 0 (deterministic)',
      'Full / empty: −4.15 / −9.00',
    ]);
    assert.equal(await page.locator('#warning').isHidden(), true);
    assert.equal(await page.locator('#banner').isHidden(), true);
  });

  it('says when the text is a chat prompt: the messages in the summary, their roles among the facts', async () => {
    await showView(page, {
      type: 'showExplanation',
      explanation: { ...explanation, chat: { syntax: 'yaml', roles: ['system', 'user', 'user'] } },
      partial: false,
      verifiable: true,
    });
    assert.match((await page.locator('#summary').textContent()) ?? '', / features in 3 messages · /u);
    const prompt = page.locator('#facts .fact', { hasText: 'Prompt' });
    assert.equal(await prompt.locator('dd').textContent(), 'chat: system, user, user');
    assert.match(
      (await prompt.locator('dd').getAttribute('title')) ?? '',
      /written as a YAML message list, sent to the model as messages/u,
    );
  });

  it('shows how the budget was spent: masks of the budget, calls saved, why sampling stopped, each round on a hover', async () => {
    await showView(page, {
      type: 'showExplanation',
      explanation: {
        ...explanation,
        faithfulness: { r2: 0.972, heldOut: 120 },
        sampling: {
          budget: 2000,
          noiseRepeats: 2,
          rounds: [
            { masks: 125, freshR2: null, heldOutR2: 0.61 },
            { masks: 250, freshR2: 0.702, heldOutR2: 0.88 },
            { masks: 500, freshR2: 0.951, heldOutR2: 0.96 },
            { masks: 1000, freshR2: 0.971, heldOutR2: 0.972 },
          ],
          stoppedBecause: 'R² on fresh masks stopped improving (0.9710 → 0.9712)',
          surrogate: { sparse: 0, dense: 0.5, trees: 0.5 },
        },
      },
      partial: false,
    });
    const sampling = page.locator('#facts .fact', { hasText: 'Sampling' });
    assert.equal(
      await sampling.locator('dd').textContent(),
      '1,000 masks and 2 repeats of the full prompt (noise floor) of a budget of 2,000 (998 saved) · R² on fresh masks stopped improving (0.9710 → 0.9712)',
    );
    const title = (await sampling.locator('dd').getAttribute('title')) ?? '';
    assert.match(title, /^125 masks: first round\n250 masks: R² 0\.702 on the new masks\n/u);
    assert.match(title, /Surrogate: 50% dense ridge model, 50% averaged trees$/u);
  });

  it('says plainly when the fit is rough, and shows no findings when it does not fit', async () => {
    const proxy = { name: 'proxyspex', reason: 'test' };
    await showView(page, {
      type: 'showExplanation',
      explanation: { ...explanation, algorithm: proxy, faithfulness: { r2: 0.65, heldOut: 64 } },
      partial: false,
    });
    assert.equal(await page.locator('#warning').isVisible(), true);
    assert.match(
      (await page.locator('#warning').textContent()) ?? '',
      /^Rough fit \(held-out R² 0\.650 on 64 masks\)\. Read the top spans only/u,
    );
    assert.match((await page.locator('#summary').textContent()) ?? '', /^rough fit · /u);
    assert.ok((await listed(page)).size > 0, 'a rough fit still lists its terms');

    await showView(page, {
      type: 'showExplanation',
      explanation: { ...explanation, algorithm: proxy, faithfulness: { r2: 0.42, heldOut: 64 } },
      partial: false,
    });
    assert.match(
      (await page.locator('#warning').textContent()) ?? '',
      /^Does not fit \(held-out R² 0\.420 on 64 masks\)\. .*no spans or interactions/u,
    );
    assert.match((await page.locator('#facts').textContent()) ?? '', /held-out R² 0\.420 on 64 masks/u);
    assert.equal((await listed(page)).size, 0, 'a fit that does not fit lists no terms');
    assert.equal(await page.locator('#text .feature.raises, #text .feature.lowers').count(), 0, 'and tints no span');
  });

  it('lists the terms with their order, value and span texts, strongest first, and sorts by each column', async () => {
    const expected = expectedTerms(explanation, 'fsii', 2);
    const rows = await listed(page);
    assert.equal(rows.size, expected.size);
    for (const [features, value] of expected) assertClose(rows.get(features) ?? Number.NaN, value, `FSII ${features}`);
    const strengths = [...rows.values()].map(Math.abs);
    assert.deepEqual(
      strengths,
      [...strengths].sort((a, b) => b - a),
    );
    const first = page.locator('#interactions li.term').first();
    assert.equal(await first.locator('.order').textContent(), '1');
    assert.equal(await first.locator('.spans').textContent(), '[2] “It opened in 1931.”');
    await page.locator('button.sort[data-sort="value"]').click();
    let values = [...(await listed(page)).values()];
    assert.deepEqual(
      values,
      [...values].sort((a, b) => b - a),
    );
    await page.locator('button.sort[data-sort="value"]').click();
    values = [...(await listed(page)).values()];
    assert.deepEqual(
      values,
      [...values].sort((a, b) => a - b),
    );
    await page.locator('button.sort[data-sort="order"]').click();
    const orders = [...(await listed(page)).keys()].map((features) => features.split(',').length);
    assert.deepEqual(
      orders,
      [...orders].sort((a, b) => b - a),
    );
    await page.locator('button.sort[data-sort="position"]').click();
    const positions = [...(await listed(page)).keys()].map((features) => Number(features.split(',')[0]));
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
    );
    assert.equal(await page.locator('button.sort[data-sort="position"]').getAttribute('aria-pressed'), 'true');
  });

  it('filters by order and by sign', async () => {
    const all = await listed(page);
    await page.locator('#order-1').click();
    const pairs = await listed(page);
    assert.ok(pairs.size > 0 && [...pairs.keys()].every((features) => features.split(',').length === 2));
    await page.locator('#sign-synergy').click();
    const redundancy = await listed(page);
    assert.ok(redundancy.size > 0 && [...redundancy.values()].every((value) => value < 0));
    await page.locator('#order-1').click();
    await page.locator('#sign-synergy').click();
    await page.locator('#sign-redundancy').click();
    const positive = await listed(page);
    assert.deepEqual(
      [...positive.keys()],
      [...all].filter(([, value]) => value > 0).map(([features]) => features),
    );
  });

  it('selecting an interaction highlights exactly its spans and draws a connector; Escape clears it', async () => {
    await page.locator('#interactions li.term[data-features="1,4"]').click();
    assert.deepEqual(await selectedSpans(page), [1, 4]);
    assert.equal(await page.locator('#interactions li.term[aria-selected="true"]').getAttribute('data-features'), '1,4');
    assert.equal(await page.locator('#connectors .connector.redundancy path.arc').count(), 1);
    assert.equal(await page.locator('#connectors circle.end').count(), 2);
    assert.match(
      (await page.locator('#text .feature[data-index="4"]').getAttribute('aria-label')) ?? '',
      /In the selected interaction\.$/u,
    );
    await page.locator('#interactions li.term[data-features="0,1"]').click();
    assert.deepEqual(await selectedSpans(page), [0, 1]);
    assert.equal(await page.locator('#connectors .connector.synergy path.arc').count(), 1);
    await page.locator('#interactions li.term[data-features="0,1"]').press('Escape');
    assert.deepEqual(await selectedSpans(page), []);
    assert.equal(await page.locator('#connectors path').count(), 0);
    // The keyboard selects too: arrows move through the rows, Enter selects.
    await page.locator('#interactions li.term').first().focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    assert.deepEqual(await selectedSpans(page), [0, 1]);
  });

  it('draws a bracket with a hub for an interaction of order 3', async () => {
    await chooseOption(page, 'order-select', '3');
    await page.locator('#interactions li.term[data-features="0,1,2"]').click();
    assert.deepEqual(await selectedSpans(page), [0, 1, 2]);
    assert.equal(await page.locator('#connectors path.arc').count(), 3);
    assert.equal(await page.locator('#connectors rect.hub').count(), 1);
  });

  it('hovering a span lists its strongest partners; clicking pins the card and a partner selects its interaction', async () => {
    await page.locator('#text .feature[data-index="1"]').hover();
    const card = page.locator('#hover-card');
    assert.equal(await card.isVisible(), true);
    const partners = [...expectedTerms(explanation, 'fsii', 2)]
      .filter(([features]) => features.split(',').length >= 2 && features.split(',').includes('1'))
      .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
    assert.deepEqual(
      await card.locator('button.partner').evaluateAll((buttons) => buttons.map((button) => (button as HTMLElement).dataset.features)),
      partners.map(([features]) => features),
    );
    assert.match(
      (await card.locator('button.partner').first().textContent()) ?? '',
      /^\+1\.75 synergy with \[1\] “The Mira bridge crosses the river\.”$/u,
    );
    const partnerSpans = await page
      .locator('#text .feature.partner')
      .evaluateAll((spans) => spans.map((span) => Number((span as HTMLElement).dataset.index)));
    assert.deepEqual(
      partnerSpans.sort(),
      [...new Set(partners.flatMap(([features]) => features.split(',').map(Number)))].filter((i) => i !== 1).sort(),
    );
    await page.locator('#text .feature[data-index="1"]').click();
    assert.equal(await card.getAttribute('class'), 'card pinned');
    await card.locator('button.partner').nth(1).click();
    assert.deepEqual(await selectedSpans(page), partners[1]?.[0].split(',').map(Number));
    await page.keyboard.press('Escape');
    assert.equal(await card.isHidden(), true);
  });

  it('switching the index recomputes every value locally, equal to the recovery core', async () => {
    for (const index of INDEX_NAMES) {
      await chooseOption(page, 'index-select', INDEX_LABELS[index]);
      const order = index === 'shapley' || index === 'banzhaf' ? 1 : 2;
      const expected = expectedTerms(explanation, index, 2);
      const rows = await listed(page);
      assert.equal(rows.size, expected.size, `${index}: number of terms`);
      for (const [features, value] of expected) assertClose(rows.get(features) ?? Number.NaN, value, `${index} ${features}`);
      const expectedTint = expectedTints(explanation, index, 2);
      (await tints(page)).forEach((value, feature) => assertClose(value, expectedTint[feature] as number, `${index} tint ${feature}`));
      assert.ok(rows.size === 0 || [...rows.keys()].every((features) => features.split(',').length <= (order === 1 ? 1 : 2)));
    }
    await chooseOption(page, 'index-select', 'Möbius');
    await chooseOption(page, 'order-select', '3');
    const mobius3 = expectedTerms(explanation, 'mobius', 3);
    const rows = await listed(page);
    assert.equal(rows.size, mobius3.size);
    assertClose(rows.get('0,1,2') ?? Number.NaN, 0.5, 'the planted third-order Möbius term');
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(errors, []);
  });

  it('shows a streamed run as partial, keeps the choices through updates, and a cancelled run as partial', async () => {
    const partial = {
      ...explanation,
      fullValue: Number.NaN,
      emptyValue: Number.NaN,
      noiseFloor: null,
      calls: { model: 130, cached: 0, masks: 128 },
    };
    await showView(page, { type: 'showExplanation', explanation: partial, partial: true, verifiable: false });
    assert.match((await page.locator('#banner').textContent()) ?? '', /^Partial — still running \(128 masks scored so far\)/u);
    assert.match((await page.locator('#summary').textContent()) ?? '', /^Partial · exact · 9 features/u);
    assert.equal(await page.locator('#facts .fact dd').nth(8).textContent(), '— / —');
    await chooseOption(page, 'index-select', 'SII');
    await page.locator('#interactions li.term[data-features="0,1"]').click();
    await showView(page, {
      type: 'showExplanation',
      explanation: { ...partial, calls: { model: 260, cached: 0, masks: 256 } },
      partial: true,
      verifiable: false,
    });
    assert.match((await page.locator('#banner').textContent()) ?? '', /256 masks scored so far/u);
    assert.equal(await page.locator('#index-select').evaluate((select) => (select as HTMLSelectElement).value), 'sii');
    assert.deepEqual(await selectedSpans(page), [0, 1]);
    await showView(page, {
      type: 'showExplanation',
      explanation: { ...partial, partial: true, calls: { model: 300, cached: 4, masks: 296 } },
      partial: true,
      cancelled: true,
      verifiable: false,
    });
    assert.equal(
      await page.locator('#banner').textContent(),
      'Cancelled — what 296 scored masks explain. The values are from a fit on those.',
    );
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
    assert.equal(await page.locator('#banner').isHidden(), true);
    assert.deepEqual(await selectedSpans(page), [0, 1]);
  });

  it('shows an explanation without an expansion as its run reported it, with the index fixed', async () => {
    const sample = sampleExplanation();
    await showView(page, { type: 'showExplanation', explanation: sample, partial: false });
    const classes = await page.locator('#text .feature').evaluateAll((spans: Element[]) => spans.map((span: Element) => span.className));
    assert.deepEqual(classes, ['feature raises', 'feature neutral', 'feature neutral', 'feature lowers']);
    assert.equal(await page.locator('#text b').count(), 0);
    assert.equal(
      await page.locator('#interactions li.term').first().getAttribute('aria-label'),
      'synergy, order 2, +2.00: [2] “Beta <b>follows</b>.” and [3] “Gamma joins.”',
    );
    assert.equal(
      await page.locator('#index-select').evaluate((select) => (select as HTMLSelectElement & { disabled: boolean }).disabled),
      true,
    );
    assert.match(
      (await page.locator('#summary').textContent()) ?? '',
      /^fits well · 4 features · exact · logprob · 16 model calls, 0 cached$/u,
    );
  });
});
