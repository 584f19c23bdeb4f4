import * as vscode from 'vscode';
import type { Comparison } from '../../protocol/comparison';
import { isComparisonViewToHostMessage, type ComparisonExportFormat, type ShowComparisonMessage } from '../../protocol/comparisonView';
import { formatComparisonHtml, formatComparisonMarkdown } from '../../server/report/comparisonMarkdown';
import { openMarkdownBeside } from '../serverRequest';
import { createNonce, webviewHtml } from './webviewHtml';

const TITLE = 'SPEX: Comparison';
const VIEW_TYPE = 'spex.comparison';

/** Each export format with the same report `spex compare` writes; every one carries both explanations. */
const RENDERERS: Readonly<
  Record<ComparisonExportFormat, { readonly extension: string; readonly render: (comparison: Comparison) => string }>
> = {
  json: { extension: 'json', render: (comparison) => `${JSON.stringify(comparison, null, 2)}\n` },
  markdown: { extension: 'md', render: formatComparisonMarkdown },
  html: { extension: 'html', render: formatComparisonHtml },
};

/**
 * The comparison panel: one at a time, beside the editor, showing the last comparison. It is the
 * explanation panel's page and script in its comparison view (webviewHtml's `view`), under the same
 * security policy; what it shows arrives by postMessage once the page says it is ready.
 */
export class ComparisonPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private shown: ShowComparisonMessage | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly defaultFolder: () => vscode.Uri | undefined,
  ) {}

  show(comparison: Comparison, labelA: string, labelB: string): void {
    this.shown = { type: 'showComparison', comparison, labelA, labelB };
    if (!this.panel) this.open();
    else this.panel.reveal(vscode.ViewColumn.Beside, true);
    this.flush();
  }

  dispose(): void {
    this.panel?.dispose();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }

  private open(): void {
    const distUri = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      TITLE,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [distUri], retainContextWhenHidden: false },
    );
    panel.webview.html = webviewHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'webview.css')).toString(),
      nonce: createNonce(),
      title: TITLE,
      view: 'comparison',
    });
    this.panel = panel;
    this.ready = false;
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: unknown) => void this.receive(message)),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
      }),
    );
  }

  private flush(): void {
    if (this.ready && this.panel && this.shown) void this.panel.webview.postMessage(this.shown);
  }

  private async receive(message: unknown): Promise<void> {
    if (!isComparisonViewToHostMessage(message)) return;
    if (message.type === 'ready') {
      // A page reloaded after being hidden says ready again: it gets the comparison again.
      this.ready = true;
      this.flush();
      return;
    }
    const comparison = this.shown?.comparison;
    if (!comparison) return;
    if (message.type === 'openComparisonMarkdown') {
      await openMarkdownBeside(formatComparisonMarkdown(comparison));
      return;
    }
    const { extension, render } = RENDERERS[message.format];
    const folder = this.defaultFolder();
    const target = await vscode.window.showSaveDialog({
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `spex-comparison.${extension}`) } : {}),
      filters: { [message.format.toUpperCase()]: [extension] },
      saveLabel: 'Export',
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(render(comparison)));
    void vscode.window.showInformationMessage(`SPEX: comparison saved to ${vscode.workspace.asRelativePath(target)}.`);
  }
}
