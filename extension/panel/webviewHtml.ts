import { randomBytes } from 'node:crypto';
import { escapeAttribute, escapeText, pageOpening, panelBody, type PanelView } from '../../protocol/panelPage';

export type { PanelView };

export interface WebviewHtmlInput {
  /** webview.cspSource: the origin VS Code serves local resources from. */
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  /** A fresh nonce per render; see createNonce. */
  readonly nonce: string;
  readonly title: string;
  /** Which panel: an explanation (default), a comparison of two versions, or a template over its inputs; one script serves all. */
  readonly view?: PanelView;
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
  return `${pageOpening(policy)}
<link rel="stylesheet" href="${escapeAttribute(input.styleUri)}">
<title>${escapeText(input.title)}</title>
</head>
<body data-view="${input.view ?? 'explanation'}">
${panelBody(input.view ?? 'explanation', input.title)}
<script nonce="${escapeAttribute(input.nonce)}" src="${escapeAttribute(input.scriptUri)}"></script>
</body>
</html>`;
}
