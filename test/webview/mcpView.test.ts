import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolRequest, CallToolResult, ReadResourceRequest } from '@modelcontextprotocol/sdk/types.js';
import * as esbuild from 'esbuild';
import type { Browser, Frame, Page } from 'playwright-core';
import { EXPLANATION_META_KEY, EXPLANATION_VIEW_URI } from '../../protocol/mcpView';
import type { ExplanationSummary } from '../../server/mcp/explanationSummary';
import { launchChromium } from '../helpers/browser';
import { repoPath } from '../helpers/paths';
import { CLI_PATH } from '../helpers/runCli';
import { waitFor } from '../helpers/waitFor';

const RAG = repoPath('examples', 'rag-context.md');
const SCORER = `node ${repoPath('examples', 'offline-scorer.mjs')}`;
const CACHE = mkdtempSync(path.join(tmpdir(), 'spex-mcp-view-'));
const LOAD_TIMEOUT_MS = 30_000;

/** Records policy violations in every frame, the view's included, before any of its scripts run. */
const RECORD_CSP = `
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (event) =>
    window.__csp.push(event.violatedDirective + ' ' + event.blockedURI + ' ' + (event.sample || '')),
  );
`;

interface HostLog {
  readonly sizes: { width?: number; height?: number }[];
  readonly calls: string[];
  readonly initialized: boolean;
}

/**
 * The view as a person meets it in an agent's chat: the real SPEX server (the built CLI over stdio,
 * its client declaring MCP Apps support), the view's page from the server's ui:// resource, framed
 * in headless Chromium by ext-apps' reference host (test/fixtures/mcpAppHost.ts), whose tool calls
 * go back to the same server.
 */
describe('MCP App view: the explanation drawn in an agent’s chat', () => {
  let client: Client;
  let browser: Browser;
  let hostScript: string;
  let html: string;
  let explained: CallToolResult;
  const page: { current?: Page } = {};

  before(async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_PATH, 'mcp', '--exec', SCORER, '--granularity', 'paragraph', '--index', 'mobius', '--cache', CACHE],
      stderr: 'pipe',
    });
    client = new Client(
      { name: 'spex-view-test', version: '1.0.0' },
      { capabilities: { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } } },
    );
    await client.connect(transport);
    browser = await launchChromium();
    const bundle = await esbuild.build({
      entryPoints: [repoPath('test', 'fixtures', 'mcpAppHost.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      logLevel: 'silent',
    });
    hostScript = bundle.outputFiles[0]?.text ?? '';
    const resource = await client.readResource({ uri: EXPLANATION_VIEW_URI });
    const content = resource.contents[0] as { text: string; mimeType: string };
    assert.equal(content.mimeType, 'text/html;profile=mcp-app');
    html = content.text;
    explained = (await client.callTool({
      name: 'explain_interactions',
      arguments: { file: RAG, pin: ['Question:[^\\n]*'], top: 3 },
    })) as CallToolResult;
    assert.notEqual(explained.isError, true);
  });

  after(async () => {
    await page.current?.close();
    await browser?.close();
    await client?.close();
    rmSync(CACHE, { recursive: true, force: true });
  });

  /** A chat page with the view framed at `width` px and handed this tool result; returns the view's frame. */
  async function openView(result: CallToolResult, width = 520): Promise<{ page: Page; view: Frame; errors: string[] }> {
    await page.current?.close();
    const opened = await browser.newPage({ viewport: { width: width + 40, height: 900 } });
    page.current = opened;
    const errors: string[] = [];
    opened.on('pageerror', (error) => errors.push(error.message));
    await opened.addInitScript(RECORD_CSP);
    await opened.exposeFunction('callServerTool', (params: CallToolRequest['params']) => client.callTool(params));
    await opened.exposeFunction('readServerResource', (params: ReadResourceRequest['params']) => client.readResource(params));
    await opened.setContent('<!DOCTYPE html><html><body style="margin:0"></body></html>');
    await opened.addScriptTag({ content: hostScript });
    await opened.evaluate(
      ([page, args, toolResult, frameWidth]) =>
        (window as unknown as { startView(...values: unknown[]): Promise<void> }).startView(page, args, toolResult, frameWidth),
      [html, { file: RAG }, result, width] as const,
    );
    const view = await waitFor(
      'the view’s frame',
      async () => {
        const handle = await opened.locator('iframe').elementHandle();
        return (await handle?.contentFrame()) ?? undefined;
      },
      LOAD_TIMEOUT_MS,
    );
    await view.locator('#text .feature').first().waitFor({ timeout: LOAD_TIMEOUT_MS });
    return { page: opened, view, errors };
  }

  async function hostLog(chat: Page): Promise<HostLog> {
    return chat.evaluate(() => (window as unknown as { hostLog: HostLog }).hostLog);
  }

  it('is one self-contained page under a strict policy, named by the tools that return explanations', async () => {
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/u.exec(html)?.[1] ?? '';
    assert.match(policy, /^default-src 'none'; script-src 'nonce-([A-Za-z0-9+/=]+)'; style-src 'nonce-\1'; img-src data:/u);
    // Nothing to fetch: no element loads a URL, and the script and styles are inline with the policy's nonce.
    const markup = html.replace(/(<script[^>]*>)[\s\S]*?(<\/script>)/gu, '$1$2').replace(/(<style[^>]*>)[\s\S]*?(<\/style>)/gu, '$1$2');
    assert.equal(/<(script|link|img|iframe|object|embed)\b[^>]*\s(src|href|data)=/iu.exec(markup)?.[0], undefined);
    assert.equal((markup.match(/<script/gu) ?? []).length, 1);
    const nonce = /'nonce-([^']+)'/u.exec(policy)?.[1];
    assert.ok(html.includes(`<script nonce="${nonce}">`) && html.includes(`<style nonce="${nonce}">`));
    // A fresh nonce for every read.
    const again = (await client.readResource({ uri: EXPLANATION_VIEW_URI })).contents[0] as { text: string };
    assert.notEqual(/'nonce-([^']+)'/u.exec(again.text)?.[1], nonce);
    const { tools } = await client.listTools();
    const viewOf = (name: string) =>
      (tools.find((tool) => tool.name === name)?._meta?.['ui'] as { resourceUri?: string } | undefined)?.resourceUri;
    assert.equal(viewOf('explain_interactions'), EXPLANATION_VIEW_URI);
    assert.equal(viewOf('refine'), EXPLANATION_VIEW_URI);
    assert.equal(viewOf('what_if'), undefined);
    // The client declared MCP Apps: the result carries the whole explanation for the view.
    const carried = explained._meta?.[EXPLANATION_META_KEY] as { features?: unknown[] } | undefined;
    assert.equal(carried?.features?.length, 6);
  });

  it('draws the explanation in a sandboxed frame at 520 px: tints, arcs, no export buttons, nothing blocked, the frame sized to it', async () => {
    const { page: chat, view, errors } = await openView(explained);
    const tones: string[] = await view.locator('#text .feature').evaluateAll((spans: Element[]) => spans.map((span) => span.className));
    assert.equal(tones.length, 6);
    assert.ok(tones.filter((name) => /\b(raises|lowers)\b/u.test(name)).length >= 3, tones.join(' | '));
    await waitFor('arcs beside the text', async () => ((await view.locator('#margin-arcs .margin-arc').count()) > 0 ? true : undefined));
    // Drawn weakest first, so the last arc is the strongest: the planted redundancy [2]+[4] (0-based 1 and 3), dashed.
    const arcs = view.locator('#margin-arcs .margin-arc');
    assert.equal(await arcs.last().getAttribute('data-features'), '1,3');
    assert.match((await arcs.last().getAttribute('class')) ?? '', /\bredundancy\b/u);
    assert.ok((await arcs.evaluateAll((groups) => groups.map((group) => group.getAttribute('data-features')))).includes('0,2'));
    assert.equal(await view.locator('#export-json, #copy-markdown, #rerun').count(), 0);
    assert.match((await view.locator('#summary').textContent()) ?? '', /\S/u);
    // The host's dark theme reached the panel's styles.
    assert.equal(await view.evaluate(() => document.body.classList.contains('vscode-dark')), true);
    assert.equal(await view.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(30, 30, 30)');
    assert.equal(await view.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scroll');
    const log = await waitFor('a size report', async () => {
      const current = await hostLog(chat);
      return current.sizes.some((size) => (size.height ?? 0) > 200) ? current : undefined;
    });
    assert.equal(log.initialized, true);
    assert.deepEqual(await view.evaluate(() => (window as unknown as { __csp: string[] }).__csp), []);
    assert.deepEqual(errors, []);
  });

  it('what-if: Verify asks the model through the host (what_if) and shows its value beside the prediction', async () => {
    const { page: chat, view } = await openView(explained);
    await view.locator('vscode-tab-header[data-tab="whatif"]').click();
    await view.locator('#text .feature[data-index="0"]').click();
    await view.locator('#text .feature[data-index="2"]').click();
    const predicted = Number(await view.locator('#whatif-prediction .predicted').getAttribute('data-value'));
    await view.locator('#verify').click();
    const done = view.locator('li.verification.done');
    await done.waitFor({ timeout: LOAD_TIMEOUT_MS });
    const modelValue = Number(await done.locator('.model-value').getAttribute('data-value'));
    // The fit is exact, so the surrogate's prediction is the scorer's value.
    assert.ok(Math.abs(modelValue - predicted) < 1e-6, `${modelValue} vs ${predicted}`);
    assert.ok((await hostLog(chat)).calls.includes('what_if'));
  });

  it('drill-down: "Drill into this span" calls refine through the host and draws the finer explanation', async () => {
    const { page: chat, view } = await openView(explained);
    await view.locator('#text .feature[data-index="0"]').click();
    await view.locator('#hover-card button.drill').click();
    await waitFor(
      'the refined explanation',
      async () => ((await view.locator('#text .feature').count()) > 6 ? true : undefined),
      LOAD_TIMEOUT_MS,
    );
    assert.ok((await hostLog(chat)).calls.includes('refine'));
    assert.match((await view.locator('#facts').textContent()) ?? '', /Drill-down/u);
  });

  it('reads the explanation from its resource when the result carries none (a host that did not declare MCP Apps)', async () => {
    const { _meta: carried, ...bare } = explained;
    assert.ok(carried);
    const { view } = await openView(bare, 400);
    assert.equal(await view.locator('#text .feature').count(), 6);
    const summary = explained.structuredContent as unknown as ExplanationSummary;
    assert.match(summary.id, /\S/u);
    assert.equal(
      await view.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
      true,
      'no sideways scroll at 400 px',
    );
  });

  it('says so when the tool failed, instead of drawing anything', async () => {
    const { page: chat } = await openViewRaw({ content: [{ type: 'text', text: 'The model endpoint is unreachable.' }], isError: true });
    const view = await waitFor(
      'the frame',
      async () => (await (await chat.locator('iframe').elementHandle())?.contentFrame()) ?? undefined,
    );
    await waitFor('the status line', async () =>
      /unreachable/u.test((await view.locator('#mcp-status').textContent()) ?? '') ? true : undefined,
    );
    assert.equal(await view.locator('#text .feature').count(), 0);
  });

  /** Like openView, without waiting for spans (a result with nothing to draw). */
  async function openViewRaw(result: CallToolResult): Promise<{ page: Page }> {
    await page.current?.close();
    const opened = await browser.newPage({ viewport: { width: 560, height: 900 } });
    page.current = opened;
    await opened.exposeFunction('callServerTool', (params: CallToolRequest['params']) => client.callTool(params));
    await opened.exposeFunction('readServerResource', (params: ReadResourceRequest['params']) => client.readResource(params));
    await opened.setContent('<!DOCTYPE html><html><body></body></html>');
    await opened.addScriptTag({ content: hostScript });
    await opened.evaluate(
      ([page, toolResult]) =>
        (window as unknown as { startView(...values: unknown[]): Promise<void> }).startView(page, {}, toolResult, 520),
      [html, result] as const,
    );
    return { page: opened };
  }
});
