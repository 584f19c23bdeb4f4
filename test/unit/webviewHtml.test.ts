import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNonce, webviewHtml } from '../../extension/panel/webviewHtml';

const input = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.css',
  nonce: 'bm9uY2Utbm9uY2Utbm9uY2U=',
  title: 'SPEX <Interactions>',
};

function policyOf(html: string): string[] {
  const match = /http-equiv="Content-Security-Policy" content="([^"]*)"/u.exec(html);
  assert.ok(match, 'the page has a CSP meta tag');
  return (match[1] ?? '').split(';').map((directive) => directive.trim());
}

describe('webviewHtml', () => {
  it('sets a CSP that allows nothing but our nonce-tagged script and our own styles', () => {
    const policy = policyOf(webviewHtml(input));
    assert.equal(policy[0], "default-src 'none'");
    assert.ok(policy.includes(`script-src 'nonce-${input.nonce}'`));
    assert.ok(policy.includes(`style-src ${input.cspSource}`));
    assert.ok(!policy.some((directive) => /unsafe-(inline|eval)/u.test(directive)));
  });

  it('has exactly one script, carrying the nonce, and no inline code or data', () => {
    const html = webviewHtml(input);
    const scripts = html.match(/<script[^>]*>[\s\S]*?<\/script>/gu) ?? [];
    assert.equal(scripts.length, 1);
    assert.equal(scripts[0], `<script nonce="${input.nonce}" src="${input.scriptUri}"></script>`);
    assert.doesNotMatch(html, /\son[a-z]+=/u);
  });

  it('has the static skeleton the panel script draws into, and nothing else to run', () => {
    const html = webviewHtml(input);
    for (const id of [
      'summary',
      'facts',
      'warning',
      'banner',
      'toolbar',
      'legend',
      'text',
      'text-stage',
      'connectors',
      'hover-card',
      'side',
    ]) {
      assert.match(html, new RegExp(`id="${id}"`, 'u'), `#${id}`);
    }
    assert.doesNotMatch(html, /\sstyle=/u);
  });

  it('builds the report panels on the same page: their own skeletons, the same policy and script', () => {
    const explanation = webviewHtml(input);
    const policyOf = (html: string): string | undefined => /http-equiv="Content-Security-Policy" content="([^"]*)"/u.exec(html)?.[1];
    for (const [view, ids] of [
      ['comparison', ['answers', 'summary', 'toolbar', 'notice', 'label-a', 'text-a', 'label-b', 'text-b', 'span-changes', 'term-changes']],
      ['batch', ['summary', 'toolbar', 'notice', 'batch-spans', 'batch-terms', 'batch-outliers']],
    ] as const) {
      const html = webviewHtml({ ...input, view });
      assert.match(html, new RegExp(`<body data-view="${view}">`, 'u'));
      for (const id of ids) assert.match(html, new RegExp(`id="${id}"`, 'u'), `${view}: #${id}`);
      assert.doesNotMatch(html, /id="text-stage"/u, `${view}: no explanation skeleton`);
      assert.equal(policyOf(html)?.replace(/nonce-[^']*/u, ''), policyOf(explanation)?.replace(/nonce-[^']*/u, ''));
      assert.equal((html.match(/<script/gu) ?? []).length, 1);
    }
  });

  it('escapes the title', () => {
    assert.match(webviewHtml(input), /SPEX &lt;Interactions&gt;/u);
  });

  it('makes a fresh 128-bit nonce each time', () => {
    const nonces = new Set(Array.from({ length: 100 }, createNonce));
    assert.equal(nonces.size, 100);
    for (const nonce of nonces) assert.equal(Buffer.from(nonce, 'base64').length, 16);
  });
});
