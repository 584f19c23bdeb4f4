import * as vscode from 'vscode';
import { SegmentTextRequest } from '../protocol/server';
import { documentSpans } from './featureRanges';
import type { ExplanationPanel } from './panel/explanationPanel';
import type { ServerClient } from './serverClient';
import { readSettings } from './settings';
import type { SpanDecorations } from './spanDecorations';

/** What the last run explained, so the panel can point back into the editor. */
export interface ExplainedRange {
  readonly editor: vscode.TextEditor;
  readonly spans: ReturnType<typeof documentSpans>;
}

export interface ExplainDependencies {
  readonly server: ServerClient;
  readonly panel: ExplanationPanel;
  readonly decorations: SpanDecorations;
  readonly output: vscode.LogOutputChannel;
  readonly runs: RunTracker;
  readonly remember: (explained: ExplainedRange) => void;
}

/** The cancellable runs in flight, so spex.cancel can stop them all. */
export class RunTracker {
  private readonly sources = new Set<vscode.CancellationTokenSource>();

  begin(): vscode.CancellationTokenSource {
    const source = new vscode.CancellationTokenSource();
    this.sources.add(source);
    return source;
  }

  end(source: vscode.CancellationTokenSource): void {
    this.sources.delete(source);
    source.dispose();
  }

  cancelAll(): number {
    const count = this.sources.size;
    for (const source of this.sources) source.cancel();
    return count;
  }
}

/**
 * Splits the selection (or the whole document) into the features an explanation ablates, marks
 * them in the editor and shows them in the panel. The server does the splitting, so the editor,
 * the panel and the CLI always agree on the spans.
 */
export async function explainRange(editor: vscode.TextEditor, range: vscode.Range, dependencies: ExplainDependencies): Promise<void> {
  const text = editor.document.getText(range);
  if (text.trim().length === 0) {
    void vscode.window.showWarningMessage('SPEX: select the text to explain first (the selection is empty).');
    return;
  }
  const { settings, problems } = readSettings((key) => vscode.workspace.getConfiguration('spex').get(key));
  for (const problem of problems) dependencies.output.warn(`Setting problem: ${problem.message}`);
  const source = dependencies.runs.begin();
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'SPEX: splitting the text into features', cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => source.cancel());
        const client = await dependencies.server.get();
        const segmentation = await client.sendRequest(
          SegmentTextRequest,
          { text, granularity: settings.granularity, pin: settings.pin },
          source.token,
        );
        progress.report({ increment: 100 });
        const spans = documentSpans(editor.document.offsetAt(range.start), segmentation.features);
        dependencies.decorations.show(editor, spans);
        dependencies.remember({ editor, spans });
        dependencies.panel.show({ type: 'showSegmentation', text, features: segmentation.features, pinned: segmentation.pinned });
        dependencies.output.info(
          `Split ${text.length} characters into ${segmentation.features.length} features at ${settings.granularity} granularity.`,
        );
      },
    );
  } catch (error) {
    if (source.token.isCancellationRequested) {
      void vscode.window.showInformationMessage('SPEX: cancelled.');
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    dependencies.output.error(`${message}`);
    void vscode.window.showErrorMessage(`SPEX: ${message}`);
  } finally {
    dependencies.runs.end(source);
  }
}
