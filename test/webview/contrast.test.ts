import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordedExplanation } from '../fixtures/sampleExplanation';
import { applyTheme, openPanel, showView, THEME_NAMES, useBrowserAndSite } from '../helpers/webviewHarness';

type Rgba = readonly [number, number, number, number];

/** "rgb(1, 2, 3)", "rgba(1, 2, 3, 0.4)" or "color(srgb 0.1 0.2 0.3 / 0.4)" (from color-mix) → [r, g, b, a], channels 0–255, alpha 0–1. */
function parseColour(text: string): Rgba {
  const srgb = /color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)(?: \/ ([\d.]+))?\)/u.exec(text);
  if (srgb) return [Number(srgb[1]) * 255, Number(srgb[2]) * 255, Number(srgb[3]) * 255, srgb[4] === undefined ? 1 : Number(srgb[4])];
  const parts = /rgba?\(([^)]+)\)/u
    .exec(text)?.[1]
    ?.split(',')
    .map((part) => Number(part.trim()));
  if (!parts || parts.length < 3) throw new Error(`not a colour: ${text}`);
  return [parts[0] as number, parts[1] as number, parts[2] as number, parts[3] ?? 1];
}

/** `top` drawn with its alpha (times `opacity`) over the opaque `bottom`. */
function over(top: Rgba, bottom: Rgba, opacity = 1): Rgba {
  const alpha = top[3] * opacity;
  return [0, 1, 2].map((i) => alpha * (top[i] as number) + (1 - alpha) * (bottom[i] as number)).concat(1) as unknown as Rgba;
}

/** WCAG 2 contrast ratio of two opaque colours. */
function contrast(a: Rgba, b: Rgba): number {
  const luminance = (colour: Rgba): number => {
    const [r, g, b] = [0, 1, 2].map((i) => {
      const channel = (colour[i] as number) / 255;
      return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** Hue in degrees, and saturation (0: grey), of an opaque colour. */
function hueOf(colour: Rgba): { hue: number; saturation: number } {
  const [r, g, b] = [colour[0] / 255, colour[1] / 255, colour[2] / 255];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const chroma = max - min;
  if (chroma === 0) return { hue: 0, saturation: 0 };
  const hue = max === r ? ((g - b) / chroma) % 6 : max === g ? (b - r) / chroma + 2 : (r - g) / chroma + 4;
  return { hue: (hue * 60 + 360) % 360, saturation: chroma / max };
}

describe('contrast in every theme, computed from the rendered colours', () => {
  const chromium = useBrowserAndSite();

  for (const theme of THEME_NAMES)
    it(`${theme}: faded spans and the lines that tell synergy from redundancy keep 4.5:1, the selection is not the hue of "lowers", focus and selection differ`, async () => {
      const { page } = await openPanel(chromium.browser(), chromium.url(), { width: 520, height: 860 });
      await applyTheme(page, theme);
      await showView(page, { type: 'showExplanation', explanation: recordedExplanation(), partial: false, verifiable: true });
      await page.locator('#interactions li.term[data-features*=","]').first().click();
      const rendered = await page.evaluate(() => ({
        page: getComputedStyle(document.body).backgroundColor,
        lowers: getComputedStyle(document.body).getPropertyValue('--spex-lowers-line').trim(),
        faded: Array.from(document.querySelectorAll('#text .feature:not(.selected)')).map((span) => {
          const style = getComputedStyle(span);
          return { colour: style.color, background: style.backgroundColor, opacity: Number(style.opacity) };
        }),
        ring: getComputedStyle(document.querySelector('#text .feature.selected') as Element).boxShadow,
      }));
      const pageColour = parseColour(rendered.page);
      // The arcs, connectors and matrix cells are drawn in these two colours (and told apart by dash and hatch too).
      for (const name of ['--spex-raises-line', '--spex-lowers-line']) {
        const line = parseColour(
          await page.evaluate((variable) => {
            const probe = document.createElement('span');
            probe.style.color = `var(${variable})`;
            document.body.append(probe);
            const colour = getComputedStyle(probe).color;
            probe.remove();
            return colour;
          }, name),
        );
        const ratio = contrast(line, pageColour);
        assert.ok(ratio >= 4.5, `${theme}: ${name} has contrast ${ratio.toFixed(2)} on the page`);
      }
      assert.ok(rendered.faded.length > 0);
      for (const span of rendered.faded) {
        const background = over(parseColour(span.background), pageColour);
        const text = over(parseColour(span.colour), background);
        // The span's opacity blends both its text and its tint with the page behind it.
        const ratio = contrast(over(text, pageColour, span.opacity), over(background, pageColour, span.opacity));
        assert.ok(ratio >= 4.5, `${theme}: a faded span's text has contrast ${ratio.toFixed(2)}`);
      }
      // The ring is the last colour of the box shadow (the inner one is the gap in the page's colour).
      const ringColours = rendered.ring.match(/rgba?\([^)]+\)|color\(srgb[^)]+\)/gu) ?? [];
      const ring = hueOf(parseColour(ringColours.at(-1) ?? ''));
      const lowers = hueOf(
        parseColour(
          await page.evaluate((hex) => {
            const probe = document.createElement('span');
            probe.style.color = hex;
            document.body.append(probe);
            const colour = getComputedStyle(probe).color;
            probe.remove();
            return colour;
          }, rendered.lowers),
        ),
      );
      const apart = Math.min(Math.abs(ring.hue - lowers.hue), 360 - Math.abs(ring.hue - lowers.hue));
      assert.ok(
        ring.saturation < 0.15 || apart > 40,
        `${theme}: the selection ring's hue ${ring.hue.toFixed(0)}° is that of "lowers" (${lowers.hue.toFixed(0)}°)`,
      );
      // Focus is a dashed outline; the selection is a ring, no outline.
      // Focus moved by the keyboard, as a person tabbing and arrowing through the spans does.
      await page.locator('#text .feature:not(.selected)').first().focus();
      await page.keyboard.press('ArrowRight');
      const focusStyle = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
      assert.equal(focusStyle, 'dashed');
      await page.close();
    });
});
