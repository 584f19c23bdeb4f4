import * as vscode from 'vscode';
import type { Explanation } from '../../protocol/explanation';
import { isReportViewToHostMessage, type ReportExportFormat, type ReportViewMessage } from '../../protocol/reportView';
import { formatBatchCsv, formatBatchHtml, formatBatchMarkdown } from '../../server/report/batchMarkdown';
import { formatComparisonHtml, formatComparisonMarkdown } from '../../server/report/comparisonMarkdown';
import { openMarkdownBeside } from '../serverRequest';
import { createNonce, webviewHtml } from './webviewHtml';

type Renderers = Partial<Record<ReportExportFormat, (shown: ReportViewMessage) => string>>;

/** Each report's panel and its exports: the same reports `spex compare` and `spex batch` write, each carrying every explanation behind it. */
const KINDS = {
  comparison: {
    title: 'SPEX: Comparison',
    viewType: 'spex.comparison',
    file: 'spex-comparison',
    renderers: {
      json: (shown) => (shown.type === 'showComparison' ? `${JSON.stringify(shown.comparison, null, 2)}\n` : ''),
      markdown: (shown) => (shown.type === 'showComparison' ? formatComparisonMarkdown(shown.comparison) : ''),
      html: (shown) => (shown.type === 'showComparison' ? formatComparisonHtml(shown.comparison) : ''),
    } satisfies Renderers,
  },
  batch: {
    title: 'SPEX: Template over Inputs',
    viewType: 'spex.batch',
    file: 'spex-batch',
    renderers: {
      json: (shown) => (shown.type === 'showBatch' ? `${JSON.stringify(shown.batch, null, 2)}\n` : ''),
      markdown: (shown) => (shown.type === 'showBatch' ? formatBatchMarkdown(shown.batch) : ''),
      html: (shown) => (shown.type === 'showBatch' ? formatBatchHtml(shown.batch) : ''),
      csv: (shown) => (shown.type === 'showBatch' ? formatBatchCsv(shown.batch) : ''),
    } satisfies Renderers,
  },
} as const;

const EXTENSIONS: Readonly<Record<ReportExportFormat, string>> = { json: 'json', markdown: 'md', html: 'html', csv: 'csv' };

/**
 * A report panel (a comparison, or a template over its inputs): one of each at a time, beside the
 * editor, showing the last report. It is the explanation panel's page and script in another view
 * (webviewHtml's `view`), under the same security policy; what it shows arrives by postMessage once
 * the page says it is ready, and again whenever a hidden page is rebuilt.
 */
export class ReportPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private shown: ReportViewMessage | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly kind: keyof typeof KINDS,
    private readonly defaultFolder: () => vscode.Uri | undefined,
    /** Opens one input's explanation (the batch panel's cells and outliers). */
    private readonly showExplanation?: (explanation: Explanation) => void,
  ) {}

  show(report: ReportViewMessage): void {
    this.shown = report;
    if (!this.panel) this.open();
    else this.panel.reveal(vscode.ViewColumn.Beside, true);
    this.flush();
  }

  dispose(): void {
    this.panel?.dispose();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }

  private open(): void {
    const { title, viewType } = KINDS[this.kind];
    const distUri = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel(
      viewType,
      title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [distUri], retainContextWhenHidden: false },
    );
    panel.webview.html = webviewHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'webview.css')).toString(),
      nonce: createNonce(),
      title,
      view: this.kind,
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
    if (!isReportViewToHostMessage(message)) return;
    if (message.type === 'ready') {
      this.ready = true;
      this.flush();
      return;
    }
    const shown = this.shown;
    if (!shown) return;
    const renderers: Renderers = KINDS[this.kind].renderers;
    switch (message.type) {
      case 'showInput': {
        const input = shown.type === 'showBatch' ? shown.batch.inputs[message.input] : undefined;
        if (input) this.showExplanation?.(input.explanation);
        return;
      }
      case 'openReportMarkdown': {
        const markdown = renderers.markdown;
        if (markdown) await openMarkdownBeside(markdown(shown));
        return;
      }
      case 'exportReport': {
        const render = renderers[message.format];
        if (!render) return;
        const extension = EXTENSIONS[message.format];
        const folder = this.defaultFolder();
        const target = await vscode.window.showSaveDialog({
          ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${KINDS[this.kind].file}.${extension}`) } : {}),
          filters: { [message.format.toUpperCase()]: [extension] },
          saveLabel: 'Export',
        });
        if (!target) return;
        await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(render(shown)));
        void vscode.window.showInformationMessage(`SPEX: saved to ${vscode.workspace.asRelativePath(target)}.`);
      }
    }
  }
}
