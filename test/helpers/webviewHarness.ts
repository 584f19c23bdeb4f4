import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createNonce, webviewHtml } from '../../extension/panel/webviewHtml';
import { launchChromium } from './browser';
import { repoPath } from './paths';
import { waitFor } from './waitFor';

/**
 * Serves the panel the way VS Code does: the page from webviewHtml (the same CSP and nonce code),
 * with dist/webview.js and dist/webview.css as its only resources, from one loopback origin.
 */
export async function serveWebview(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const origin = `http://${request.headers.host ?? ''}`;
    const send = (status: number, type: string, body: string | Buffer): void => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    // "/" is the explanation panel, "/comparison" and "/batch" the report panels: the same page builder, script and policy.
    const view = ({ '/': 'explanation', '/comparison': 'comparison', '/batch': 'batch' } as const)[request.url ?? ''];
    if (view) {
      send(
        200,
        'text/html; charset=utf-8',
        webviewHtml({
          cspSource: origin,
          scriptUri: `${origin}/dist/webview.js`,
          styleUri: `${origin}/dist/webview.css`,
          nonce: createNonce(),
          title: { explanation: 'SPEX: Interactions', comparison: 'SPEX: Comparison', batch: 'SPEX: Template over Inputs' }[view],
          view,
        }),
      );
      return;
    }
    const asset = { '/dist/webview.js': 'text/javascript', '/dist/webview.css': 'text/css' }[request.url ?? ''];
    if (!asset) return send(404, 'text/plain', 'not found');
    readFile(repoPath(request.url ?? '')).then(
      (body) => send(200, asset, body),
      () => send(404, 'text/plain', `${request.url} is not built: run "npm run build" first`),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Stands in for VS Code's acquireVsCodeApi: records what the panel posts in window.__posted and keeps
 * its state in sessionStorage, so a reload sees it as VS Code's getState would. It also records every
 * CSP violation in window.__csp, so a test can assert that nothing the panel does is blocked.
 */
export async function installVsCodeStub(page: Page): Promise<void> {
  // A string, not a function: the test transpiler wraps named functions in a helper the page lacks.
  await page.addInitScript(`
    const posted = [];
    window.__posted = posted;
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (event) =>
      window.__csp.push(event.violatedDirective + ' ' + event.blockedURI + ' ' + (event.sample || '')),
    );
    window.acquireVsCodeApi = () => ({
      postMessage: (message) => posted.push(JSON.parse(JSON.stringify(message))),
      getState: () => {
        const saved = sessionStorage.getItem('vscode-state');
        return saved === null ? undefined : JSON.parse(saved);
      },
      setState: (state) => sessionStorage.setItem('vscode-state', JSON.stringify(state)),
    });
  `);
}

export async function posted(page: Page): Promise<unknown[]> {
  return page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted.slice());
}

/** The messages of one type the panel has posted, in order. */
export async function postedOfType<T extends { type: string }>(page: Page, type: T['type']): Promise<T[]> {
  return (await posted(page)).filter((message): message is T => (message as { type?: unknown }).type === type);
}

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp: string[] }).__csp.slice());
}

/** Delivers a host → webview message the way VS Code does: a window message event, JSON-encoded like VS Code's. */
export async function postToWebview(page: Page, message: unknown): Promise<void> {
  await page.evaluate((data) => window.postMessage(data, '*'), JSON.parse(JSON.stringify(message)) as unknown);
}

/** Generous: the test files run in parallel, each with its own Chromium, on machines with few cores. */
const LOAD_TIMEOUT_MS = 30_000;

/** How many views the panel has rendered (it measures each as "spex:render"). */
export async function renderCount(page: Page): Promise<number> {
  return page.evaluate(() => performance.getEntriesByName('spex:render').length);
}

/** Posts a view and waits until the panel has rendered it. */
export async function showView(page: Page, message: unknown): Promise<void> {
  const before = await renderCount(page);
  await postToWebview(page, message);
  await waitFor('the panel to render the view', async () => ((await renderCount(page)) > before ? true : undefined), LOAD_TIMEOUT_MS);
}

/** A page with the panel loaded and the VS Code stub installed; page errors are collected in `errors`. */
export async function openPanel(
  browser: Browser,
  url: string,
  viewport = { width: 1280, height: 860 },
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await installVsCodeStub(page);
  await page.goto(url);
  await waitFor('the ready message', async () => ((await postedOfType(page, 'ready')).length > 0 ? true : undefined), LOAD_TIMEOUT_MS);
  return { page, errors };
}

/** Picks an option of a vscode-single-select the way a person does: open it, click the option. */
export async function chooseOption(page: Page, selectId: string, label: string): Promise<void> {
  await page.locator(`#${selectId}`).click();
  await page
    .locator(`#${selectId} li.option`)
    .filter({ hasText: new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')}\\s*$`, 'u') })
    .click();
}

export type Theme = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

/** The four kinds of theme VS Code has, each as the harness draws it. */
export const THEME_NAMES: readonly Theme[] = ['light', 'dark', 'high-contrast', 'high-contrast-light'];

/** A subset of VS Code's Light Modern, Dark Modern, Dark High Contrast and Light High Contrast colours: what the panel and its controls use. */
const THEMES: Readonly<Record<Theme, { kind: string; colours: Readonly<Record<string, string>> }>> = {
  light: {
    kind: 'vscode-light',
    colours: {
      foreground: '#3b3b3b',
      'editor-background': '#ffffff',
      descriptionForeground: '#717171',
      focusBorder: '#005fb8',
      'panel-border': '#e5e5e5',
      'panel-background': '#f8f8f8',
      'button-background': '#005fb8',
      'button-foreground': '#ffffff',
      'button-hoverBackground': '#0258a8',
      'button-border': '#0000001a',
      'button-secondaryBackground': '#e5e5e5',
      'button-secondaryForeground': '#3b3b3b',
      'button-secondaryHoverBackground': '#cccccc',
      'settings-dropdownBackground': '#ffffff',
      'settings-dropdownForeground': '#3b3b3b',
      'settings-dropdownBorder': '#cecece',
      'settings-dropdownListBorder': '#c8c8c8',
      'settings-checkboxBackground': '#f8f8f8',
      'settings-checkboxBorder': '#cecece',
      'settings-checkboxForeground': '#3b3b3b',
      'settings-textInputBackground': '#ffffff',
      'settings-textInputBorder': '#cecece',
      'settings-textInputForeground': '#3b3b3b',
      'settings-headerBorder': '#e5e5e5',
      'input-background': '#ffffff',
      'input-foreground': '#3b3b3b',
      'input-border': '#cecece',
      'panelTitle-activeForeground': '#3b3b3b',
      'panelTitle-inactiveForeground': '#717171',
      'panelTitle-activeBorder': '#005fb8',
      'list-activeSelectionBackground': '#e8e8e8',
      'list-activeSelectionForeground': '#000000',
      'list-hoverBackground': '#f2f2f2',
      'list-focusOutline': '#005fb8',
      'editorHoverWidget-background': '#f8f8f8',
      'editorHoverWidget-border': '#c8c8c8',
      'editorHoverWidget-foreground': '#3b3b3b',
      'badge-background': '#cccccc',
      'badge-foreground': '#3b3b3b',
      'widget-shadow': '#00000029',
      'editorWarning-foreground': '#bf8803',
      errorForeground: '#a1260d',
      'spex-raisesBackground': '#0072B266',
      'spex-raisesBackgroundWeak': '#0072B226',
      'spex-lowersBackground': '#E69F0066',
      'spex-lowersBackgroundWeak': '#E69F0026',
    },
  },
  dark: {
    kind: 'vscode-dark',
    colours: {
      foreground: '#cccccc',
      'editor-background': '#1f1f1f',
      descriptionForeground: '#9d9d9d',
      focusBorder: '#0078d4',
      'panel-border': '#2b2b2b',
      'panel-background': '#181818',
      'button-background': '#0078d4',
      'button-foreground': '#ffffff',
      'button-hoverBackground': '#026ec1',
      'button-border': '#ffffff12',
      'button-secondaryBackground': '#313131',
      'button-secondaryForeground': '#cccccc',
      'button-secondaryHoverBackground': '#3c3c3c',
      'settings-dropdownBackground': '#313131',
      'settings-dropdownForeground': '#cccccc',
      'settings-dropdownBorder': '#3c3c3c',
      'settings-dropdownListBorder': '#454545',
      'settings-checkboxBackground': '#313131',
      'settings-checkboxBorder': '#3c3c3c',
      'settings-checkboxForeground': '#cccccc',
      'settings-textInputBackground': '#313131',
      'settings-textInputBorder': '#3c3c3c',
      'settings-textInputForeground': '#cccccc',
      'settings-headerBorder': '#2b2b2b',
      'input-background': '#313131',
      'input-foreground': '#cccccc',
      'input-border': '#3c3c3c',
      'panelTitle-activeForeground': '#cccccc',
      'panelTitle-inactiveForeground': '#9d9d9d',
      'panelTitle-activeBorder': '#0078d4',
      'list-activeSelectionBackground': '#04395e',
      'list-activeSelectionForeground': '#ffffff',
      'list-hoverBackground': '#2a2d2e',
      'list-focusOutline': '#0078d4',
      'editorHoverWidget-background': '#202020',
      'editorHoverWidget-border': '#454545',
      'editorHoverWidget-foreground': '#cccccc',
      'badge-background': '#616161',
      'badge-foreground': '#f8f8f8',
      'widget-shadow': '#0000005c',
      'editorWarning-foreground': '#cca700',
      errorForeground: '#f85149',
      'spex-raisesBackground': '#56B4E966',
      'spex-raisesBackgroundWeak': '#56B4E926',
      'spex-lowersBackground': '#E69F0066',
      'spex-lowersBackgroundWeak': '#E69F0026',
    },
  },
  'high-contrast': {
    kind: 'vscode-high-contrast',
    colours: {
      foreground: '#ffffff',
      'editor-background': '#000000',
      descriptionForeground: '#ffffff',
      focusBorder: '#f38518',
      contrastBorder: '#6fc3df',
      contrastActiveBorder: '#f38518',
      'panel-border': '#6fc3df',
      'panel-background': '#000000',
      'button-background': '#000000',
      'button-foreground': '#ffffff',
      'button-border': '#6fc3df',
      'button-secondaryBackground': '#000000',
      'button-secondaryForeground': '#ffffff',
      'settings-dropdownBackground': '#000000',
      'settings-dropdownForeground': '#ffffff',
      'settings-dropdownBorder': '#6fc3df',
      'settings-dropdownListBorder': '#6fc3df',
      'settings-checkboxBackground': '#000000',
      'settings-checkboxBorder': '#6fc3df',
      'settings-checkboxForeground': '#ffffff',
      'settings-textInputBackground': '#000000',
      'settings-textInputBorder': '#6fc3df',
      'settings-textInputForeground': '#ffffff',
      'settings-headerBorder': '#6fc3df',
      'input-background': '#000000',
      'input-foreground': '#ffffff',
      'input-border': '#6fc3df',
      'panelTitle-activeForeground': '#ffffff',
      'panelTitle-inactiveForeground': '#ffffff',
      'panelTitle-activeBorder': '#6fc3df',
      'list-activeSelectionBackground': '#000000',
      'list-activeSelectionForeground': '#ffffff',
      'list-focusOutline': '#f38518',
      'editorHoverWidget-background': '#0c141f',
      'editorHoverWidget-border': '#6fc3df',
      'editorHoverWidget-foreground': '#ffffff',
      'badge-background': '#000000',
      'badge-foreground': '#ffffff',
      'editorWarning-foreground': '#b89500',
      errorForeground: '#f48771',
      'spex-raisesBackground': '#56B4E999',
      'spex-raisesBackgroundWeak': '#56B4E955',
      'spex-lowersBackground': '#E69F0099',
      'spex-lowersBackgroundWeak': '#E69F0055',
    },
  },
  // VS Code marks a light high-contrast webview with both classes.
  'high-contrast-light': {
    kind: 'vscode-high-contrast vscode-high-contrast-light',
    colours: {
      foreground: '#292929',
      'editor-foreground': '#292929',
      'editor-background': '#ffffff',
      descriptionForeground: '#292929',
      focusBorder: '#006bbd',
      contrastBorder: '#0f4a85',
      contrastActiveBorder: '#006bbd',
      'panel-border': '#0f4a85',
      'panel-background': '#ffffff',
      'button-background': '#0f4a85',
      'button-foreground': '#ffffff',
      'button-border': '#0f4a85',
      'button-secondaryBackground': '#ffffff',
      'button-secondaryForeground': '#292929',
      'settings-dropdownBackground': '#ffffff',
      'settings-dropdownForeground': '#292929',
      'settings-dropdownBorder': '#0f4a85',
      'settings-dropdownListBorder': '#0f4a85',
      'settings-checkboxBackground': '#ffffff',
      'settings-checkboxBorder': '#0f4a85',
      'settings-checkboxForeground': '#292929',
      'settings-textInputBackground': '#ffffff',
      'settings-textInputBorder': '#0f4a85',
      'settings-textInputForeground': '#292929',
      'settings-headerBorder': '#0f4a85',
      'input-background': '#ffffff',
      'input-foreground': '#292929',
      'input-border': '#0f4a85',
      'panelTitle-activeForeground': '#292929',
      'panelTitle-inactiveForeground': '#292929',
      'panelTitle-activeBorder': '#0f4a85',
      'list-activeSelectionBackground': '#ffffff',
      'list-activeSelectionForeground': '#292929',
      'list-focusOutline': '#006bbd',
      'editorHoverWidget-background': '#ffffff',
      'editorHoverWidget-border': '#0f4a85',
      'editorHoverWidget-foreground': '#292929',
      'badge-background': '#0f4a85',
      'badge-foreground': '#ffffff',
      'editorWarning-foreground': '#895503',
      errorForeground: '#b5200d',
      'spex-raisesBackground': '#0072B299',
      'spex-raisesBackgroundWeak': '#0072B255',
      'spex-lowersBackground': '#E69F0099',
      'spex-lowersBackgroundWeak': '#E69F0055',
    },
  },
};

/** Sets the theme variables and body class VS Code would set (CSSOM is allowed by the CSP; a <style> tag is not). */
export async function applyTheme(page: Page, theme: Theme): Promise<void> {
  const { kind, colours } = THEMES[theme];
  await page.evaluate(
    ({ entries, kind: bodyClass }) => {
      const root = document.documentElement.style;
      root.setProperty('--vscode-font-family', 'system-ui, "Ubuntu", "Droid Sans", sans-serif');
      root.setProperty('--vscode-font-size', '13px');
      root.setProperty('--vscode-editor-font-family', '"DejaVu Sans Mono", monospace');
      root.setProperty('--vscode-editor-font-size', '13px');
      for (const [name, value] of entries) root.setProperty(`--vscode-${name}`, value);
      for (const name of ['vscode-light', 'vscode-dark', 'vscode-high-contrast', 'vscode-high-contrast-light'])
        document.body.classList.remove(name);
      document.body.classList.add(...bodyClass.split(' '));
    },
    { entries: Object.entries(colours), kind },
  );
}

/**
 * One Chromium and one panel server for a test file: registers before/after hooks that start and
 * stop them, and returns accessors for use in the tests' own hooks.
 */
export function useBrowserAndSite(): { browser: () => Browser; url: () => string } {
  let browser: Browser | undefined;
  let site: Awaited<ReturnType<typeof serveWebview>> | undefined;
  before(async () => {
    browser = await launchChromium();
    site = await serveWebview();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });
  return {
    browser: () => {
      if (!browser) throw new Error('Chromium has not started yet.');
      return browser;
    },
    url: () => {
      if (!site) throw new Error('The panel server has not started yet.');
      return site.url;
    },
  };
}
