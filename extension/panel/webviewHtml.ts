import { randomBytes } from 'node:crypto';

export interface WebviewHtmlInput {
  /** webview.cspSource: the origin VS Code serves local resources from. */
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  /** A fresh nonce per render; see createNonce. */
  readonly nonce: string;
  readonly title: string;
}

/** 128 random bits from the operating system's generator, base64: never Math.random. */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The panel's whole HTML, and the only place its security policy is set: nothing loads unless
 * listed (default-src 'none'), scripts run only with this render's nonce, styles, fonts and images
 * come only from our own dist/ folder. No data is embedded in the page; it arrives by postMessage.
 */
export function webviewHtml(input: WebviewHtmlInput): string {
  const policy = [
    "default-src 'none'",
    `script-src 'nonce-${input.nonce}'`,
    `style-src ${input.cspSource}`,
    `font-src ${input.cspSource}`,
    `img-src ${input.cspSource} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(policy)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(input.styleUri)}">
<title>${escapeText(input.title)}</title>
</head>
<body>
<header><h2>${escapeText(input.title)}</h2><span id="summary" aria-live="polite"></span></header>
<main id="text" aria-label="Explained text"></main>
<ol id="interactions" aria-label="Strongest interactions"></ol>
<script nonce="${escapeAttribute(input.nonce)}" src="${escapeAttribute(input.scriptUri)}"></script>
</body>
</html>`;
}

function escapeText(text: string): string {
  return text.replace(/[&<>]/gu, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[character] ?? character);
}

function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/gu, '&quot;');
}
