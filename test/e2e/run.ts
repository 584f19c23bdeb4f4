/**
 * The end-to-end suite: the packaged extension in a real VS Code (code-server), driven like a person
 * through Debian's Chromium, against the fake model server with interactions planted in the example
 * RAG context. Run with `npm run test:e2e`; `E2E_HEADED=1` shows the browser (needs a display).
 * Every step prints its name; the first failure stops the run and names its step.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startFakeModelServer, type FakeModelServer } from '../fixtures/fakeModelServer';
import { CHROMIUM_PATH } from '../helpers/browser';
import { repoPath } from '../helpers/paths';
import { waitFor } from '../helpers/waitFor';
import { E2E_HOME, startCodeServer, type CodeServer } from './codeServer';
import { panelSteps } from './panelSteps';
import { contextMenu, decorationColours, openFile, pickExact, runCommand, selectAll, switchTheme, webview } from './workbench';

const ARTIFACTS = repoPath('test-results', 'e2e');
const RUN = path.join(E2E_HOME, 'run');
const WORKSPACE = path.join(RUN, 'workspace');
const VSIX = repoPath('out', 'spex-explain.vsix');

/**
 * Interactions planted over words that occur in one document each of examples/rag-context.md:
 * documents 1 and 3 in synergy (coast, floods), 2 and 4 redundant (engineer, newspaper), 5 lowers.
 */
export const PLANTED = {
  answer: ' It opened in 1931.',
  baseLogprob: -12,
  terms: [
    { words: ['coast', 'floods'], value: 3 },
    { words: ['engineer'], value: 1 },
    { words: ['newspaper'], value: 1 },
    { words: ['engineer', 'newspaper'], value: -0.8 },
    { words: ['railway'], value: -0.5 },
  ],
};

let failures = 0;
/** The page, once open, so a failing step can leave a screenshot of what the person would have seen. */
let currentPage: Page | undefined;

async function step(name: string, run: () => Promise<void>): Promise<void> {
  const started = Date.now();
  try {
    await run();
    process.stdout.write(`✔ ${name} (${Date.now() - started} ms)\n`);
  } catch (error) {
    failures += 1;
    process.stdout.write(`✖ ${name}\n`);
    await currentPage?.screenshot({ path: path.join(ARTIFACTS, 'failure.png') }).catch(() => undefined);
    throw new Error(`E2E step failed: ${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** What the agent probe (test/e2e/agentProbe) found, as it writes it. */
interface AgentProbeReport {
  readonly tools: string[];
  readonly estimate: string;
  readonly estimateWords: string;
  readonly estimateError: string;
  readonly mcp: { label: string; args: string[]; tools: string[] }[];
  readonly mcpError: string;
}

/** A JSON file once it is there and whole (the extension may be writing it while the suite polls). */
function completeJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Packages the test-only agent probe extension (plain JavaScript, no dependencies) as a .vsix to install beside SPEX. */
function packageAgentProbe(): string {
  const folder = path.join(RUN, 'agent-probe');
  const vsix = path.join(RUN, 'spex-agent-probe.vsix');
  rmSync(folder, { recursive: true, force: true });
  cpSync(repoPath('test', 'e2e', 'agentProbe'), folder, { recursive: true });
  const packed = spawnSync(
    process.execPath,
    [repoPath('node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--skip-license', '-o', vsix],
    { cwd: folder, encoding: 'utf8' },
  );
  if (packed.status !== 0) throw new Error(`vsce could not package the agent probe:\n${packed.stdout}\n${packed.stderr}`);
  return vsix;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A long document for the cancel step: 60 paragraphs, one feature each at the suite's granularity. */
function longDocument(): string {
  return Array.from({ length: 60 }, (_, i) => `Paragraph number ${i + 1} talks about the river and its bridge.`).join('\n\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(ARTIFACTS, { recursive: true });
  if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: run "npm run package" first.`);
  let fake: FakeModelServer | undefined;
  let codeServer: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  try {
    await step('start the fake model server', async () => {
      // 100 ms a call: the example's 64 masks take about two seconds, the long document's run long
      // enough to cancel.
      fake = await startFakeModelServer({ ...PLANTED, latencyMs: 100 });
    });
    await step('start code-server with the packaged extension installed from its .vsix', async () => {
      rmSync(WORKSPACE, { recursive: true, force: true });
      mkdirSync(WORKSPACE, { recursive: true });
      cpSync(repoPath('examples', 'rag-context.md'), path.join(WORKSPACE, 'rag-context.md'));
      writeFileSync(path.join(WORKSPACE, 'long.md'), longDocument());
      // A template and its inputs for "Explain Template over Data Set…".
      writeFileSync(
        path.join(WORKSPACE, 'template.md'),
        'The Mira bridge opened in 1931. Engineer Ana Okafor drew it.\n\nQuestion: {{question}}\n',
      );
      writeFileSync(
        path.join(WORKSPACE, 'inputs.jsonl'),
        `${['Who designed it?', 'When did it open?', 'What crosses the river?'].map((question) => JSON.stringify({ question })).join('\n')}\n`,
      );
      // A chat message list: each message's content is a paragraph, so each is one span under the settings.
      writeFileSync(
        path.join(WORKSPACE, 'chat.json'),
        `${JSON.stringify(
          [
            { role: 'system', content: 'Alpha rules apply to every answer.' },
            { role: 'user', content: 'Beta is set for the bridge. Gamma joins the beta.' },
          ],
          null,
          2,
        )}\n`,
      );
      // The second version for the comparison: the context without its fifth document.
      writeFileSync(
        path.join(WORKSPACE, 'rag-context-b.md'),
        readFileSync(repoPath('examples', 'rag-context.md'), 'utf8').replace(/\n\[5\][^\n]*\n/u, '\n'),
      );
      codeServer = await startCodeServer({
        vsix: VSIX,
        alsoInstall: [packageAgentProbe()],
        workspace: WORKSPACE,
        port: await freePort(),
        runDirectory: path.join(RUN, 'code-server'),
        settings: {
          'spex.backend': 'openai',
          'spex.endpoint': `${(fake as FakeModelServer).openaiBaseURL}`,
          'spex.granularity': 'paragraph',
          'spex.pin': ['Question:[^\\n]*'],
          'spex.index': 'mobius',
          'spex.confirmThreshold': 100000,
        },
      });
    });
    process.stdout.write(`code-server: ${(codeServer as unknown as CodeServer).url}/?folder=${encodeURIComponent(WORKSPACE)}\n`);
    await step('open the workbench in Chromium', async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM_PATH,
        headless: process.env.E2E_HEADED !== '1',
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
      currentPage = page;
      await page.goto(`${(codeServer as CodeServer).url}/?folder=${encodeURIComponent(WORKSPACE)}`);
    });
    const p = (): Page => page as Page;
    let callsAtCancel = 0;
    const editorOf = async (file: string) => openFile(p(), file);
    let editor = await (async () => {
      let opened: Awaited<ReturnType<typeof editorOf>> | undefined;
      await step('open examples/rag-context.md', async () => {
        opened = await editorOf('rag-context.md');
        await opened.locator('.view-lines', { hasText: 'Mira bridge' }).waitFor({ timeout: 30_000 });
      });
      return opened as NonNullable<typeof opened>;
    })();
    await step('select the context and right-click "Explain Interactions"', async () => {
      await selectAll(p(), editor);
      await contextMenu(p(), editor, 2, 'Explain Interactions');
    });
    await step('the run starts with a quick pick of granularity, budget and model (the settings); Enter explains', async () => {
      await p()
        .locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'paragraph spans · at most 1,000 model scores' })
        .first()
        .waitFor({ timeout: 15_000 });
      await p().keyboard.press('Enter');
    });
    await step('a progress notification shows the run', async () => {
      await p().locator('.notification-toast', { hasText: 'SPEX' }).first().waitFor({ timeout: 60_000 });
    });
    await panelSteps(step, p, { fake: fake as FakeModelServer, artifacts: ARTIFACTS });
    await step('decorations tint the explained spans in the editor', async () => {
      const colours = await waitFor(
        'tinted decorations',
        async () => {
          const found = await decorationColours(p());
          return found.some((colour) => colour.startsWith('rgba(0, 114, 178')) ? found : undefined;
        },
        30_000,
      );
      if (!colours.some((colour) => colour.startsWith('rgba(230, 159, 0')))
        throw new Error(`no span tinted as lowering: ${colours.join(', ')}`);
      // The lens above the explained text gives the verdict and the explanation in one sentence.
      const lens = await waitFor(
        'the SPEX lens',
        async () => {
          const text = (await p().locator('.codelens-decoration').allTextContents()).join(' ');
          return /SPEX · /u.test(text) ? text : undefined;
        },
        15_000,
      );
      if (!/\[1\]\+\[3\] together/u.test(lens)) throw new Error(`the lens does not name the planted synergy: ${lens}`);
      await p().screenshot({ path: path.join(ARTIFACTS, 'editor-light.png') });
    });
    await step('a hover on a span shows its value and partners, and links to the span in the panel', async () => {
      await p().keyboard.press('Escape');
      const line = editor.locator('.view-line', { hasText: 'Engineer Ana Okafor' }).first();
      await line.click({ position: { x: 160, y: 8 } });
      await p().keyboard.press('Control+k');
      await p().keyboard.press('Control+i');
      const hover = p().locator('.monaco-hover-content', { hasText: 'SPEX' }).first();
      await hover.waitFor({ timeout: 15_000 });
      const text = (await hover.textContent()) ?? '';
      if (!/redundancy/u.test(text)) throw new Error(`hover lacks the planted redundancy: ${text}`);
      if (!/total effect \(Shapley value\)/u.test(text)) throw new Error(`hover lacks the span's total effect: ${text}`);
      // Its link opens the panel with that span selected.
      await hover.locator('a', { hasText: 'Show [2] in the SPEX panel' }).click();
      await waitFor(
        'span [2] selected in the panel',
        async () =>
          (await webview(p())
            .locator('#text .feature.selected')
            .evaluateAll((spans) => spans.map((span) => (span as HTMLElement).dataset.index).join())) === '1'
            ? true
            : undefined,
        15_000,
      );
      await p().keyboard.press('Escape');
    });
    await step('the spans of the strongest interactions carry their partners’ numbers', async () => {
      // Decorations' "after" text lives in CSS content (or injected text, in newer workbenches).
      const marks = await waitFor(
        'partner marks',
        async () => {
          const found = await p().evaluate(() => {
            const texts: string[] = [];
            for (const sheet of Array.from(document.styleSheets)) {
              let rules: CSSRuleList;
              try {
                rules = sheet.cssRules;
              } catch {
                continue;
              }
              for (const rule of Array.from(rules)) {
                const content = (rule as CSSStyleRule).style?.getPropertyValue('content') ?? '';
                if (/[⟷≈]\[\d\]/u.test(content)) texts.push(content);
              }
            }
            for (const element of Array.from(document.querySelectorAll('.view-line span'))) {
              const text = element.textContent ?? '';
              if (/^[⟷≈]\[\d\]/u.test(text)) texts.push(text);
            }
            return texts;
          });
          return found.length >= 2 ? found : undefined;
        },
        15_000,
      );
      // The planted synergy joins documents [1] and [3].
      if (!marks.some((mark) => mark.includes('⟷[3]')) || !marks.some((mark) => mark.includes('⟷[1]')))
        throw new Error(`no synergy mark between [1] and [3]: ${marks.join(', ')}`);
    });
    await step('"Export Explanation…" writes a JSON file, under the index the panel shows', async () => {
      // The panel switches to SII first: the editor and the export follow it (one source of truth).
      const panel = webview(p());
      await panel.locator('#index-select').click();
      await panel
        .locator('#index-select li.option')
        .filter({ hasText: /^\s*SII\s*$/u })
        .click();
      const target = path.join(WORKSPACE, 'spex-explanation.json');
      rmSync(target, { force: true });
      // The focus back in the workbench: a webview that keeps it can close the quick pick the command opens.
      await p().locator('.tab', { hasText: 'rag-context.md' }).first().click();
      await runCommand(p(), 'SPEX: Export Explanation…');
      await pickExact(p(), 'JSON');
      const input = p().locator('.quick-input-widget .quick-input-box input');
      await input.waitFor({ timeout: 15_000 });
      // The save dialog fills in its suggested path a moment after it opens; typing before that, the two run together.
      await waitFor('the dialog’s suggested path', async () => ((await input.inputValue()).endsWith('.json') ? true : undefined), 15_000);
      await input.fill(target);
      await p().keyboard.press('Enter');
      // The file exists before its last byte is written: wait until it holds the whole JSON document.
      const exported = await waitFor(
        'the exported file',
        () => {
          if (!existsSync(target)) return undefined;
          try {
            return JSON.parse(readFileSync(target, 'utf8')) as { version: number; features: unknown[]; index: string };
          } catch {
            return undefined;
          }
        },
        30_000,
      );
      if (exported.version !== 1 || exported.features.length !== 6) throw new Error('the exported JSON is not the explanation');
      if (exported.index !== 'sii') throw new Error(`the export is under ${exported.index}, not the panel's SII`);
    });
    await step('"Drill into this span" splits one document into its words and reuses the run\'s calls', async () => {
      const panel = webview(p());
      await panel.locator('vscode-tab-header[data-tab="list"]').click();
      await panel.locator('#text .feature[data-index="2"]').click();
      await panel.locator('#hover-card button.drill').click();
      // Five documents whole and the third one's words: more spans than the six documents.
      // The finished run, not a partial round: no "still running" banner.
      await waitFor(
        'the drilled explanation in the panel',
        async () =>
          (await panel.locator('#text .feature').count()) > 6 && (await panel.locator('#banner.running').count()) === 0 ? true : undefined,
        90_000,
      );
      await panel.locator('#run-details > summary').click();
      const facts = (await panel.locator('#facts').textContent()) ?? '';
      if (!/64 of 64 coarser masks reused/u.test(facts)) throw new Error(`the details do not say what was reused: ${facts}`);
      await panel.locator('#run-details > summary').click();
    });
    await step('"Re-run…" in the panel explains the same text again, word by word', async () => {
      await webview(p()).locator('#rerun').click();
      await p().locator('.quick-input-widget', { hasText: 'Re-run' }).waitFor({ timeout: 15_000 });
      await pickExact(p(), 'Granularity');
      await pickExact(p(), 'word');
      await p()
        .locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'word spans' })
        .first()
        .waitFor({ timeout: 15_000 });
      await p().keyboard.press('Enter');
      // One document's words before; now every word of the context, some ninety spans.
      await waitFor(
        'the word-level explanation in the panel',
        async () => ((await webview(p()).locator('#text .feature').count()) > 60 ? true : undefined),
        90_000,
      );
    });
    await step('"Compare Interactions with…" another editor\'s text opens the comparison beside the editor', async () => {
      // The word-level re-run of the step before may still be scoring: its result would cover the comparison panel.
      await waitFor(
        'the re-run to finish',
        async () => (/SPEX \d+\/≤/u.test((await p().locator('.statusbar').textContent()) ?? '') ? undefined : true),
        120_000,
      );
      await editorOf('rag-context-b.md');
      editor = await editorOf('rag-context.md');
      // No selection (an earlier step selected a span): the whole file is version A.
      await editor.locator('.view-line').last().click();
      await runCommand(p(), 'SPEX: Compare Interactions with…');
      // The row's label starts with an icon: filter to it and take it with Enter.
      await p().locator('.quick-input-widget .quick-input-box input').fill("Another editor's text");
      await p().keyboard.press('Enter');
      await pickExact(p(), 'rag-context-b.md');
      // The comparison panel: the answers first, the two versions side by side, the dropped document marked.
      const comparison = p().frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
      await comparison.locator('#answers', { hasText: 'Both versions give the same answer' }).waitFor({ timeout: 90_000 });
      const removed = await comparison.locator('#text-a .feature[data-status="removed"]').allTextContents();
      if (removed.length !== 1 || !removed[0]?.startsWith('[5]'))
        throw new Error(`the dropped fifth document is not marked removed: ${removed.join(' | ')}`);
      if ((await comparison.locator('#text-b .feature').count()) !== 5) throw new Error('version B does not show its five documents');
      await p().screenshot({ path: path.join(ARTIFACTS, 'comparison.png') });
      // "Open as Markdown" gives the same comparison as a document.
      await comparison.locator('#open-markdown').click();
      const report = p().locator('.editor-instance .view-lines', { hasText: 'SPEX comparison' }).first();
      await report.waitFor({ timeout: 30_000 });
      // The editor draws spaces as no-break spaces.
      const text = ((await report.textContent()) ?? '').replace(/\s+/gu, ' ');
      // Whether the answers differ comes first, then each version's verdict (the tables are further down the document).
      if (!/Both versions give the same answer/u.test(text) || !/- B: exact/u.test(text))
        throw new Error(`the comparison does not open as it should: ${text.slice(0, 400)}`);
      // The document is unsaved and focused: closed again, then the comparison panel too, the layout is as the next steps expect.
      await p().locator('.tab', { hasText: 'Untitled' }).first().click();
      await runCommand(p(), 'View: Revert and Close Editor');
      await p().locator('.tab', { hasText: 'Untitled' }).first().waitFor({ state: 'detached', timeout: 15_000 });
      // A middle click closes the panel's tab (a focused webview would keep the palette's key to itself).
      const comparisonTab = p().locator('.tab', { hasText: 'SPEX: Comparison' }).first();
      await comparisonTab.click({ button: 'middle' });
      await comparisonTab.waitFor({ state: 'detached', timeout: 15_000 });
    });
    await step('"Explain Template over Data Set…" explains a template over a JSON Lines file and opens the aggregate', async () => {
      await editorOf('template.md');
      await runCommand(p(), 'SPEX: Explain Template over Data Set…');
      // code-server's file dialog is a quick input that takes a path.
      const input = p().locator('.quick-input-widget .quick-input-box input');
      await input.waitFor({ timeout: 15_000 });
      // The dialog lists the workspace folder; a click on the file takes it (typing a path races the dialog's own fill).
      await p().locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'inputs.jsonl' }).first().click();
      // The batch panel: the template's spans across the three inputs, one strip cell per input.
      const batch = p().frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
      const summary = batch.locator('#summary', { hasText: '3 inputs explained' });
      await summary.waitFor({ timeout: 90_000 });
      const cells = await batch.locator('#batch-spans tbody tr').first().locator('.strip-cell').count();
      if (cells !== 3) throw new Error(`the first span's strip has ${cells} cells, not one per input`);
      await p().screenshot({ path: path.join(ARTIFACTS, 'batch.png') });
      // A cell opens that input's explanation in the explanation panel.
      await batch.locator('#batch-spans tbody tr').first().locator('.strip-cell').nth(1).click();
      await waitFor(
        "the second input's explanation in the explanation panel",
        async () => {
          const frames = await p().locator('iframe.webview.ready').count();
          for (let index = 0; index < frames; index += 1) {
            const text = await p()
              .frameLocator('iframe.webview.ready')
              .nth(index)
              .frameLocator('iframe#active-frame')
              .locator('#text')
              .textContent({ timeout: 1000 })
              .catch(() => null);
            if (text?.includes('When did it open?')) return true;
          }
          return undefined;
        },
        15_000,
      );
      const batchTab = p().locator('.tab', { hasText: 'SPEX: Template over Inputs' }).first();
      await batchTab.click({ button: 'middle' });
      await batchTab.waitFor({ state: 'detached', timeout: 15_000 });
    });
    await step('a chat message list is explained as messages: the turns reach the model with their roles', async () => {
      const model = fake as FakeModelServer;
      const before = model.requests.length;
      await editorOf('chat.json');
      // The list opens in the group beside the panel: its own editor, not the first one on the page.
      const chat = p().locator('.editor-instance .monaco-editor', { hasText: 'Alpha rules apply' }).first();
      await selectAll(p(), chat);
      // From the palette this time (the menu at the window's right edge is drawn over the line it opened from).
      await runCommand(p(), 'SPEX: Explain Interactions');
      await p()
        .locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'model scores' })
        .first()
        .waitFor({ timeout: 15_000 });
      await p().keyboard.press('Enter');
      // The panel may come to the front over the list (it opens in whichever group is free): it says when the run ended.
      const summary = await waitFor(
        'the panel showing the chat explanation',
        async () => {
          const text =
            (await webview(p())
              .locator('#summary')
              .textContent()
              .catch(() => '')) ?? '';
          return /in 2 messages/u.test(text) ? text : undefined;
        },
        60_000,
      );
      const sent = model.requests.slice(before).filter((request) => request.path === '/v1/chat/completions');
      const roles = sent.map((request) =>
        (request.body as { messages: { role: string }[] }).messages.map((message) => message.role).join(','),
      );
      if (sent.length === 0 || !roles.every((list) => list.startsWith('system,user')))
        throw new Error(
          `the list did not reach the model as messages (${sent.length} chat requests: ${roles.slice(0, 3).join(' | ')}); panel: ${summary}`,
        );
      if (model.requests.slice(before).some((request) => request.path === '/v1/completions'))
        throw new Error('a message list went to the completions API');
      await p().screenshot({ path: path.join(ARTIFACTS, 'chat-editor.png') });
    });
    await step(
      'agents get SPEX: its language-model tools are registered and answer, its MCP server definition starts and lists its tools',
      async () => {
        const report = path.join(WORKSPACE, 'agent-probe.json');
        rmSync(report, { force: true });
        await runCommand(p(), 'SPEX Probe: Check Agent Integration');
        const found = await waitFor('the probe’s report', () => completeJson<AgentProbeReport>(report), 90_000);
        const problems: string[] = [];
        if (found.tools.sort().join() !== 'spex_estimateCost,spex_explainInteractions') problems.push(`tools: ${found.tools.join(', ')}`);
        // The estimate ran through vscode.lm.invokeTool, the editor's server and the fake model: the example's 6 paragraphs.
        if (!/^6 spans; /u.test(found.estimate)) problems.push(`estimate: ${found.estimate || found.estimateError}`);
        if (Number(/^(\d+) spans; /u.exec(found.estimateWords)?.[1] ?? 0) <= 6) problems.push(`estimate by word: ${found.estimateWords}`);
        const server = found.mcp[0];
        if (!server || server.label !== 'SPEX') problems.push(`MCP definitions: ${JSON.stringify(found.mcp)} ${found.mcpError}`);
        else {
          // The person's settings as every call's defaults, and spex.mcpMaxBudget as the ceiling.
          const after = (flag: string): string | undefined => server.args[server.args.indexOf(flag) + 1];
          if (after('--granularity') !== 'paragraph' || after('--max-budget') !== '4000')
            problems.push(`MCP args: ${server.args.join(' ')}`);
          for (const tool of ['explain_interactions', 'estimate_cost', 'what_if', 'refine', 'compare_prompts'])
            if (!server.tools.includes(tool)) problems.push(`MCP tools: ${server.tools.join(', ')}`);
        }
        if (problems.length > 0) throw new Error(problems.join('; '));
      },
    );
    await step(
      'an agent calls spex_explainInteractions: VS Code asks with the cost, the panel shows the run, the agent reads the summary',
      async () => {
        const report = path.join(WORKSPACE, 'agent-explain.json');
        rmSync(report, { force: true });
        await runCommand(p(), 'SPEX Probe: Explain with the Tool');
        // Outside a chat VS Code asks in a dialog; its question is the tool's confirmation, the cost preview.
        const dialog = p().locator('.monaco-dialog-box');
        const asked = await dialog
          .waitFor({ timeout: 10_000 })
          .then(() => true)
          .catch(() => false);
        let question = '';
        if (asked) {
          question = (await dialog.textContent()) ?? '';
          await dialog
            .locator('.monaco-button', { hasText: /^(Yes|Continue|Allow)$/u })
            .first()
            .click();
        }
        const found = await waitFor('the tool’s result', () => completeJson<{ text: string; error: string }>(report), 90_000);
        if (!asked || !/SPEX will explain 6 spans/u.test(question)) throw new Error(`the confirmation: ${asked ? question : 'none shown'}`);
        if (!/^\*\*(exact|fits well)\*\*/u.test(found.text) || !/SPEX panel/u.test(found.text))
          throw new Error(`the tool's result: ${found.text || found.error}`);
        const summary =
          (await webview(p())
            .locator('#summary')
            .textContent()
            .catch(() => '')) ?? '';
        if (!/6 features/u.test(summary)) throw new Error(`the panel: ${summary}`);
      },
    );
    await step('"Add to Other Agents…" writes the server into Cursor\'s project file, keeping the server already there', async () => {
      const file = path.join(WORKSPACE, '.cursor', 'mcp.json');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify({ mcpServers: { other: { command: 'other-server', args: ['--flag'] } } }, null, 2)}\n`);
      await runCommand(p(), 'SPEX: Add to Other Agents…');
      await pickExact(p(), 'Cursor');
      await pickExact(p(), `Write to ${file}`);
      // The modal names the file and says the other entries stay; nothing is written before "Write".
      const dialog = p().locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 15_000 });
      const question = (await dialog.textContent()) ?? '';
      if (!question.includes(file) || !/every other entry is kept/u.test(question)) throw new Error(`the question: ${question}`);
      await dialog.locator('.monaco-button', { hasText: /^Write$/u }).click();
      const written = await waitFor(
        'the spex entry in the file',
        () => {
          const config = completeJson<{ mcpServers: Record<string, { command: string; args: string[] }> }>(file);
          return config?.mcpServers['spex'] ? config : undefined;
        },
        15_000,
      );
      const spex = written.mcpServers['spex'];
      if (written.mcpServers['other']?.command !== 'other-server')
        throw new Error(`the other server was not kept: ${JSON.stringify(written)}`);
      if (!spex?.args.some((arg) => arg.endsWith(path.join('dist', 'cli.js'))) || spex.args[1] !== 'mcp')
        throw new Error(`the spex entry: ${JSON.stringify(spex)}`);
    });
    await step('"Cancel" stops a long run and keeps what it learned', async () => {
      editor = await editorOf('long.md');
      const before = (fake as FakeModelServer).requestCount('/v1/completions');
      await runCommand(p(), 'SPEX: Explain Document');
      // "Don't ask again": this run and every later one start at once, with the settings.
      await pickExact(p(), "Explain, and don't ask again");
      await waitFor(
        'the long run to be under way',
        () => ((fake as FakeModelServer).requestCount('/v1/completions') > before + 12 ? true : undefined),
        60_000,
      );
      await runCommand(p(), 'SPEX: Cancel Explanation');
      await p().locator('.notification-toast', { hasText: 'cancelled' }).first().waitFor({ timeout: 30_000 });
      callsAtCancel = (fake as FakeModelServer).requestCount('/v1/completions');
    });
    await step('dark theme: the panel and the editor follow it', async () => {
      await switchTheme(p(), 'Dark Modern');
      await webview(p()).locator('body.vscode-dark').waitFor({ timeout: 15_000 });
      await p().screenshot({ path: path.join(ARTIFACTS, 'workbench-dark.png') });
    });
    await step('no model calls after the cancel', () => {
      // A whole theme switch later, at most the calls already in flight at the cancel may have arrived.
      const late = (fake as FakeModelServer).requestCount('/v1/completions') - callsAtCancel;
      return late > 4 ? Promise.reject(new Error(`${late} calls reached the model after the cancel`)) : Promise.resolve();
    });
  } finally {
    await browser?.close().catch(() => undefined);
    await codeServer?.stop().catch(() => undefined);
    await fake?.close();
    process.stdout.write(
      `${failures === 0 ? 'E2E passed' : 'E2E failed'} in ${Math.round((Date.now() - started) / 1000)} s; artifacts in ${ARTIFACTS}\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
