import * as vscode from 'vscode';
import type { Explanation } from '../../protocol/explanation';
import type { HostToWebviewMessage } from '../../protocol/webview';
import { isReadyMessage, isRevealFeatureMessage } from '../../protocol/webview';
import { createNonce, webviewHtml } from './webviewHtml';

export const PANEL_VIEW_TYPE = 'spex.explanation';

/**
 * The one SPEX panel. It posts state only after the webview says `ready` (a message sent earlier
 * would be lost), and it treats everything the webview sends as untrusted input.
 */
export class ExplanationPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private latest: HostToWebviewMessage | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly onRevealFeature: (index: number) => void,
  ) {}

  /** Shows an explanation; a partial one (a streamed round) is marked as such. */
  showExplanation(explanation: Explanation, partial: boolean, _id?: string): void {
    this.show({ type: 'showExplanation', explanation, partial });
  }

  show(message: HostToWebviewMessage): void {
    this.latest = message;
    if (!this.panel) this.panel = this.create();
    else this.panel.reveal(undefined, true);
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    this.panel?.dispose();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }

  private create(): vscode.WebviewPanel {
    const distUri = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'SPEX: Interactions',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [distUri], retainContextWhenHidden: false },
    );
    panel.webview.html = webviewHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'webview.css')).toString(),
      nonce: createNonce(),
      title: 'SPEX: Interactions',
    });
    this.ready = false;
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
      }),
    );
    return panel;
  }

  private receive(message: unknown): void {
    if (isReadyMessage(message)) {
      this.ready = true;
      if (this.latest && this.panel) void this.panel.webview.postMessage(this.latest);
      return;
    }
    const featureCount =
      this.latest?.type === 'showExplanation' ? this.latest.explanation.features.length : (this.latest?.features.length ?? 0);
    if (isRevealFeatureMessage(message) && message.index < featureCount) {
      this.onRevealFeature(message.index);
    }
  }
}
