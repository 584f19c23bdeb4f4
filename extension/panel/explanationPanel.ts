import * as vscode from 'vscode';
import type { Explanation } from '../../protocol/explanation';
import type { ExportFormatName, HostToWebviewMessage, ShowExplanationMessage, ShowSegmentationMessage } from '../../protocol/webview';
import {
  isCopyMarkdownMessage,
  isRerunMessage,
  isDrillDownMessage,
  isExportMessage,
  isReadyMessage,
  isRevealFeatureMessage,
  isVerifyMaskMessage,
  isViewIndexMessage,
} from '../../protocol/webview';
import type { IndexName } from '../../protocol/explanation';
import type { VerifyMaskResult } from '../../protocol/server';
import { SHOW_ALL_TERMS, type TermFilter } from '../../protocol/termFilter';
import { createNonce, webviewHtml } from './webviewHtml';

export const PANEL_VIEW_TYPE = 'spex.explanation';
const TITLE = 'SPEX: Interactions';

/** What the panel asks of the host; each is called only after the message was checked. */
export interface PanelActions {
  readonly revealFeature: (index: number) => void;
  /** Scores a what-if mask (already checked against the shown explanation) with the real model. */
  readonly verifyMask: (mask: readonly number[]) => Promise<VerifyMaskResult>;
  readonly exportAs: (format: ExportFormatName) => void;
  readonly copyMarkdown: () => void;
  /** The panel now shows `explanation` (the one posted to it) under this index and order (see ViewIndexMessage). */
  readonly viewIndex: (index: IndexName, order: number, filter: TermFilter, explanation: Explanation) => void;
  /** Explains the shown explanation's text again, asking for the granularity, budget and model first. */
  readonly rerun: (explanation: Explanation) => void;
  /** Splits this span of the shown explanation into a finer unit and explains again, reusing its calls. */
  readonly drillDown: (index: number, explanation: Explanation) => void;
}

type View = ShowSegmentationMessage | ShowExplanationMessage;

/**
 * The one SPEX panel. It posts the view only after the webview says `ready` (a message sent earlier
 * would be lost), treats everything the webview sends as untrusted (shapes, indices and mask lengths
 * are checked against what is shown), and is restored after a reload by the serializer.
 */
export class ExplanationPanel implements vscode.Disposable, vscode.WebviewPanelSerializer {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private view: View | undefined;
  private readonly panelDisposables: vscode.Disposable[] = [];
  /** Spans to select once the page is ready (a hover's link can arrive while the panel is still loading). */
  private pendingSelection: readonly number[] | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly actions: PanelActions,
  ) {}

  /** Shows an explanation; a partial one (a streamed round or a cancelled run) is marked as such. */
  showExplanation(explanation: Explanation, partial: boolean, options: { cancelled?: boolean; verifiable?: boolean } = {}): void {
    this.show({
      type: 'showExplanation',
      explanation,
      partial,
      cancelled: options.cancelled ?? false,
      verifiable: options.verifiable ?? !partial,
    });
  }

  /** Whether the panel shows this very explanation (not a partial round, not another run). */
  shows(explanation: Explanation): boolean {
    return this.panel !== undefined && this.view?.type === 'showExplanation' && this.view.explanation === explanation;
  }

  /** Brings the panel forward and selects these spans in it, once its page is ready. */
  selectSpans(features: readonly number[]): void {
    this.pendingSelection = features;
    this.panel?.reveal(undefined, false);
    this.flushSelection();
  }

  show(view: View): void {
    this.view = view;
    if (!this.panel) this.adopt(this.createPanel());
    else this.panel.reveal(undefined, true);
    this.post(view);
  }

  /** Restores the panel VS Code kept across a reload; the webview restores its own last state. */
  deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    this.adopt(panel);
    return Promise.resolve();
  }

  dispose(): void {
    this.panel?.dispose();
    this.release();
  }

  private createPanel(): vscode.WebviewPanel {
    return vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      TITLE,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      this.options(),
    );
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist')], retainContextWhenHidden: false };
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.release();
    this.panel = panel;
    this.ready = false;
    const distUri = vscode.Uri.joinPath(this.extensionUri, 'dist');
    panel.webview.options = this.options();
    panel.webview.html = webviewHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'webview.css')).toString(),
      nonce: createNonce(),
      title: TITLE,
    });
    this.panelDisposables.push(
      panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        this.release();
      }),
    );
  }

  private release(): void {
    for (const disposable of this.panelDisposables.splice(0)) disposable.dispose();
  }

  private flushSelection(): void {
    if (!this.ready || !this.panel || !this.pendingSelection) return;
    this.post({ type: 'selectSpans', features: this.pendingSelection });
    this.pendingSelection = undefined;
  }

  private post(message: HostToWebviewMessage): void {
    if (this.ready && this.panel) void this.panel.webview.postMessage(message);
  }

  private featureCount(): number {
    if (!this.view) return 0;
    return this.view.type === 'showExplanation' ? this.view.explanation.features.length : this.view.features.length;
  }

  private receive(message: unknown): void {
    if (isReadyMessage(message)) {
      this.ready = true;
      if (this.view) this.post(this.view);
      this.flushSelection();
      return;
    }
    if (isRevealFeatureMessage(message)) {
      if (message.index < this.featureCount()) this.actions.revealFeature(message.index);
      return;
    }
    const explanation = this.view?.type === 'showExplanation' ? this.view : undefined;
    if (isVerifyMaskMessage(message)) {
      const { requestId, mask } = message;
      if (!explanation || mask.length !== explanation.explanation.features.length) {
        this.post({ type: 'verifyFailed', requestId, message: 'The mask does not fit the explanation shown.' });
        return;
      }
      this.actions.verifyMask(mask).then(
        (result) => this.post({ type: 'verifyResult', requestId, mask: [...mask], ...result }),
        (error: unknown) => this.post({ type: 'verifyFailed', requestId, message: error instanceof Error ? error.message : String(error) }),
      );
      return;
    }
    if (isExportMessage(message) && explanation) {
      this.actions.exportAs(message.format);
      return;
    }
    if (isViewIndexMessage(message) && explanation) {
      this.actions.viewIndex(message.index, message.order, message.filter ?? SHOW_ALL_TERMS, explanation.explanation);
      return;
    }
    if (isDrillDownMessage(message) && explanation) {
      if (message.index < this.featureCount()) this.actions.drillDown(message.index, explanation.explanation);
      return;
    }
    if (isRerunMessage(message) && explanation) {
      this.actions.rerun(explanation.explanation);
      return;
    }
    if (isCopyMarkdownMessage(message) && explanation) this.actions.copyMarkdown();
  }
}
