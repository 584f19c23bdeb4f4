/**
 * The extension's entry point: wires commands, the server client and the panel. Logic lives in the
 * modules it imports; every registration goes into context.subscriptions so deactivation undoes it.
 */
import * as vscode from 'vscode';
import { COMMAND_IDS } from './commandIds';
import { explainRange, RunTracker, type ExplainedRange } from './explainCommand';
import { ExplanationPanel } from './panel/explanationPanel';
import { ServerClient } from './serverClient';
import { SpanDecorations } from './spanDecorations';

let server: ServerClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('SPEX', { log: true });
  server = new ServerClient(context.extensionUri, output);
  const decorations = new SpanDecorations();
  const runs = new RunTracker();
  let lastExplained: ExplainedRange | undefined;
  const panel = new ExplanationPanel(context.extensionUri, (index) => {
    const span = lastExplained?.spans[index];
    if (!lastExplained || !span) return;
    const document = lastExplained.editor.document;
    const range = new vscode.Range(document.positionAt(span.startOffset), document.positionAt(span.endOffset));
    void vscode.window.showTextDocument(document, { viewColumn: lastExplained.editor.viewColumn, selection: range });
  });
  const dependencies = { server, panel, decorations, output, runs, remember: (explained: ExplainedRange) => (lastExplained = explained) };

  context.subscriptions.push(
    output,
    server,
    decorations,
    panel,
    vscode.commands.registerTextEditorCommand(COMMAND_IDS.explainSelection, (editor) => {
      const selection = editor.selection;
      if (selection.isEmpty) {
        void vscode.window.showWarningMessage('SPEX: select the text to explain first, or run "SPEX: Explain Document".');
        return;
      }
      void explainRange(editor, selection, dependencies);
    }),
    vscode.commands.registerTextEditorCommand(COMMAND_IDS.explainDocument, (editor) => {
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage(
          'SPEX: in an untrusted workspace SPEX explains only text you select; select it and run "Explain Interactions".',
        );
        return;
      }
      const document = editor.document;
      void explainRange(editor, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), dependencies);
    }),
    vscode.commands.registerCommand(COMMAND_IDS.cancel, () => {
      const cancelled = runs.cancelAll();
      if (cancelled === 0) void vscode.window.showInformationMessage('SPEX: nothing is running.');
    }),
  );
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
