import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { recordedExplanation } from '../fixtures/sampleExplanation';
import { waitFor } from '../helpers/waitFor';
import { chooseOption, openPanel, showView, useBrowserAndSite } from '../helpers/webviewHarness';

interface DrawnArc {
  readonly features: string;
  readonly kind: 'synergy' | 'redundancy' | 'neutral';
  readonly selected: boolean;
  readonly dashed: boolean;
  readonly stroke: string;
  readonly opacity: number;
  readonly label: string | null;
  /** The y of each end, in the stage's coordinates. */
  readonly ends: number[];
}

async function drawnArcs(page: Page): Promise<DrawnArc[]> {
  return page.locator('#margin-arcs .margin-arc').evaluateAll((groups) =>
    groups.map((group) => {
      const arc = group.querySelector('.arc') as SVGPathElement;
      const style = getComputedStyle(arc);
      return {
        features: group.getAttribute('data-features') ?? '',
        kind: group.classList.contains('synergy') ? 'synergy' : group.classList.contains('redundancy') ? 'redundancy' : 'neutral',
        selected: group.classList.contains('selected'),
        dashed: style.strokeDasharray !== 'none',
        stroke: style.stroke,
        opacity: Number(getComputedStyle(group).opacity),
        label: group.querySelector('text')?.textContent ?? null,
        ends: Array.from(group.querySelectorAll('circle')).map((circle) => Number(circle.getAttribute('cy'))),
      };
    }),
  );
}

/** The middle of each span's first line, in the stage's coordinates. */
async function spanLines(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const origin = (document.getElementById('text-stage') as HTMLElement).getBoundingClientRect();
    return Array.from(document.querySelectorAll('#text .feature')).map((span) => {
      const rect = span.getClientRects()[0] as DOMRect;
      return rect.top - origin.top + rect.height / 2;
    });
  });
}

describe('the strongest interactions drawn beside the text', () => {
  const chromium = useBrowserAndSite();
  const explanation = recordedExplanation();
  /** The pairs and larger sets the panel lists, strongest first. */
  const sets = [...explanation.interactions]
    .filter((term) => term.features.length >= 2 && !term.belowNoise)
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value));

  it('draws the five strongest as arcs between their spans’ lines, synergy and redundancy told apart by hue and dash', async () => {
    const { page, errors } = await openPanel(chromium.browser(), chromium.url(), { width: 520, height: 860 });
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
    const arcs = await drawnArcs(page);
    assert.deepEqual(
      arcs.map((arc) => arc.features).sort(),
      sets
        .slice(0, 5)
        .map((term) => term.features.join(','))
        .sort(),
    );
    const lines = await spanLines(page);
    for (const arc of arcs) {
      const expected = arc.features
        .split(',')
        .map((feature) => lines[Number(feature)] as number)
        .sort((a, b) => a - b);
      assert.deepEqual(
        arc.ends.map((y) => Math.round(y)),
        expected.map((y) => Math.round(y)),
        `ends of ${arc.features}`,
      );
    }
    const synergy = arcs.find((arc) => arc.kind === 'synergy');
    const redundancy = arcs.find((arc) => arc.kind === 'redundancy');
    assert.ok(synergy && redundancy, 'the recorded explanation has both kinds among its strongest five');
    assert.equal(synergy.dashed, false);
    assert.equal(redundancy.dashed, true);
    assert.notEqual(synergy.stroke, redundancy.stroke);
    assert.ok(
      arcs.every((arc) => arc.opacity === 1 && arc.label === null),
      'without a selection every arc is drawn alike, without values',
    );
    // The text moved right to make room, and nothing scrolls sideways.
    assert.ok(await page.locator('#text-stage.with-arcs').isVisible());
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('emphasises the selected interaction with its value and fades the rest', async () => {
    const { page } = await openPanel(chromium.browser(), chromium.url(), { width: 800, height: 860 });
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
    const strongest = sets[0]?.features.join(',') ?? '';
    await page.locator(`#interactions li.term[data-features="${strongest}"]`).click();
    const arcs = await waitFor(
      'the selected arc',
      async () => {
        const drawn = await drawnArcs(page);
        return drawn.some((arc) => arc.selected) ? drawn : undefined;
      },
      5_000,
    );
    const selected = arcs.filter((arc) => arc.selected);
    assert.deepEqual(
      selected.map((arc) => arc.features),
      [strongest],
    );
    // Its value is in a pill on its arc, inside the margin: off the text, and not repeated over it.
    assert.match(selected[0]?.label ?? '', /^[+−]\d/u);
    const pill = await page.locator('#margin-arcs .margin-arc.selected .value-pill rect').evaluate((rect) => {
      const box = rect.getBoundingClientRect();
      const text = (document.getElementById('text') as HTMLElement).getBoundingClientRect();
      const margin = (document.getElementById('margin-arcs') as Element).getBoundingClientRect();
      return { left: box.left, right: box.right, marginLeft: margin.left, textLeft: text.left };
    });
    assert.ok(
      pill.left >= pill.marginLeft && pill.right <= pill.textLeft + 0.5,
      `the pill spans ${pill.left}–${pill.right}, the text starts at ${pill.textLeft}`,
    );
    assert.equal(await page.locator('#connectors .value-pill').count(), 0);
    // Without arcs the connector over the text carries it, boxed on the page's background.
    await chooseOption(page, 'arcs-select', 'none');
    await waitFor(
      "the connector's pill",
      async () => ((await page.locator('#connectors .value-pill text').count()) === 1 ? true : undefined),
      5_000,
    );
    assert.match((await page.locator('#connectors .value-pill text').textContent()) ?? '', /^[+−]\d\S*$/u);
    await chooseOption(page, 'arcs-select', '5');
    assert.ok(
      arcs.filter((arc) => !arc.selected).every((arc) => arc.opacity < 0.5),
      'the other arcs are faint',
    );
    await page.close();
  });

  it('draws as many as chosen, none at all, and only the kinds the filters let through', async () => {
    const { page } = await openPanel(chromium.browser(), chromium.url(), { width: 800, height: 860 });
    await showView(page, { type: 'showExplanation', explanation, partial: false, verifiable: true });
    await chooseOption(page, 'arcs-select', '3');
    await waitFor('three arcs', async () => ((await drawnArcs(page)).length === Math.min(3, sets.length) ? true : undefined), 5_000);
    await chooseOption(page, 'arcs-select', 'none');
    await waitFor('no arcs', async () => ((await drawnArcs(page)).length === 0 ? true : undefined), 5_000);
    assert.equal(await page.locator('#text-stage.with-arcs').count(), 0, 'the margin goes with the arcs');
    await chooseOption(page, 'arcs-select', '20');
    await page.locator('#sign-synergy').click();
    const arcs = await waitFor(
      'only redundancies',
      async () => {
        const drawn = await drawnArcs(page);
        return drawn.length > 0 && drawn.every((arc) => arc.kind === 'redundancy') ? drawn : undefined;
      },
      5_000,
    );
    assert.equal(arcs.length, Math.min(20, sets.filter((term) => term.value < 0).length));
    await page.close();
  });
});
