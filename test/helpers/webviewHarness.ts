import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { createNonce, webviewHtml } from '../../extension/panel/webviewHtml';
import { repoPath } from './paths';

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
    if (request.url === '/') {
      send(
        200,
        'text/html; charset=utf-8',
        webviewHtml({
          cspSource: origin,
          scriptUri: `${origin}/dist/webview.js`,
          styleUri: `${origin}/dist/webview.css`,
          nonce: createNonce(),
          title: 'SPEX: Interactions',
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
 * its state in sessionStorage, so a reload sees it as VS Code's getState would.
 */
export async function installVsCodeStub(page: Page): Promise<void> {
  // A string, not a function: the test transpiler wraps named functions in a helper the page lacks.
  await page.addInitScript(`
    const posted = [];
    window.__posted = posted;
    window.acquireVsCodeApi = () => ({
      postMessage: (message) => posted.push(message),
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

/** Delivers a host → webview message the way VS Code does: a window message event. */
export async function postToWebview(page: Page, message: unknown): Promise<void> {
  await page.evaluate((data) => window.postMessage(data, '*'), message);
}

/** Sets the theme variables VS Code would put on <html> (CSSOM is allowed by the CSP; a <style> tag is not). */
export async function applyTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  const colours =
    theme === 'light'
      ? {
          foreground: '#3b3b3b',
          'editor-background': '#ffffff',
          'editor-findMatchHighlightBackground': 'rgba(234,92,0,0.33)',
          'editor-selectionHighlightBackground': 'rgba(173,214,255,0.5)',
          focusBorder: '#005fb8',
          descriptionForeground: '#717171',
        }
      : {
          foreground: '#cccccc',
          'editor-background': '#1f1f1f',
          'editor-findMatchHighlightBackground': 'rgba(234,92,0,0.33)',
          'editor-selectionHighlightBackground': 'rgba(173,214,255,0.15)',
          focusBorder: '#0078d4',
          descriptionForeground: '#9d9d9d',
        };
  await page.evaluate(
    ({ entries, kind }) => {
      for (const [name, value] of entries) document.documentElement.style.setProperty(`--vscode-${name}`, value);
      document.body.className = kind;
    },
    { entries: Object.entries(colours), kind: theme === 'light' ? 'vscode-light' : 'vscode-dark' },
  );
}
