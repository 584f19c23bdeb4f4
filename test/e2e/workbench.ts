import type { FrameLocator, Locator, Page } from 'playwright-core';

/**
 * Driving VS Code 1.139's workbench like a person, with the selectors that work there (see
 * ../shared/docs/e2e.md). Every wait has a deadline; nothing sleeps for a fixed time.
 */

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}

/** Waits until the explorer shows `file`, then opens it with a double-click (a single click leaves focus in the explorer). */
export async function openFile(page: Page, file: string): Promise<Locator> {
  const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${file}"]`);
  await row.waitFor({ timeout: 120_000 });
  await row.dblclick();
  await page.locator('.editor-instance .monaco-editor.focused').waitFor({ timeout: 30_000 });
  return page.locator('.editor-instance .monaco-editor').first();
}

/** Selects the whole document (Ctrl+A in the editor), retrying until the selection is drawn. */
export async function selectAll(page: Page, editor: Locator): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    await editor.locator('.view-line').first().click();
    await page.keyboard.press('Control+a');
    try {
      await editor.locator('.view-overlays .selected-text').first().waitFor({ timeout: 5_000 });
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

/** Right-clicks a line of the editor and clicks a context-menu item (the menu lives in a shadow root). */
export async function contextMenu(page: Page, editor: Locator, lineIndex: number, item: string): Promise<void> {
  // Monaco redraws its lines after a selection, detaching and reusing their elements: Playwright's click
  // finds the line again and waits until it is visible and still before it clicks.
  await editor
    .locator('.view-line')
    .nth(lineIndex)
    .click({ button: 'right', position: { x: 20, y: 5 }, timeout: 15_000 });
  const entry = page.getByRole('menuitem', { name: item });
  await entry.waitFor({ timeout: 15_000 });
  await entry.click();
}

/** Runs a command from the palette, clicking the row whose label is exactly `title` (Enter would run the top fuzzy match). */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  // The palette can close again as soon as it opened when something takes the focus at that moment
  // (an editor opening, a webview settling): then it is opened again, up to three times.
  for (let attempt = 1; ; attempt += 1) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ timeout: 15_000 });
      await input.fill(`>${title}`, { timeout: 5_000 });
      break;
    } catch (error) {
      if (attempt === 3) throw error;
      await page.keyboard.press('Escape');
    }
  }
  await pickExact(page, title);
}

/** Clicks the quick-pick row labelled exactly `label`. */
export async function pickExact(page: Page, label: string): Promise<void> {
  await page
    .locator('.quick-input-widget .quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`, 'u') }) })
    .first()
    .click({ timeout: 15_000 });
}

/** The content frame of the (last opened) webview panel. */
export function webview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
}

/** Background colours of the decorations SPEX drew in the editor. */
export async function decorationColours(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('.editor-instance .monaco-editor .view-overlays [class*="TextEditorDecorationType"]')).map(
      (element) => getComputedStyle(element).backgroundColor,
    ),
  );
}

/** Switches the colour theme through the palette and waits for the workbench to follow. */
export async function switchTheme(page: Page, theme: 'Dark Modern' | 'Light Modern'): Promise<void> {
  await runCommand(page, 'Preferences: Color Theme');
  await pickExact(page, theme);
  await page.locator(theme === 'Dark Modern' ? '.monaco-workbench.vs-dark' : '.monaco-workbench.vs').waitFor({ timeout: 15_000 });
}
