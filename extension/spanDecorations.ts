import * as vscode from 'vscode';
import type { DocumentSpan } from './featureRanges';

/**
 * Marks features in the editor. Neighbouring features alternate between two theme colours so their
 * boundaries are visible; the marks clear as soon as the text under them changes, because their
 * offsets would then point at the wrong words.
 */
export class SpanDecorations implements vscode.Disposable {
  private readonly even = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('editor.findMatchHighlightBackground'),
    borderRadius: '2px',
  });
  private readonly odd = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('editor.selectionHighlightBackground'),
    borderRadius: '2px',
  });
  private decorated: vscode.TextEditor | undefined;
  private readonly listener: vscode.Disposable;

  constructor() {
    this.listener = vscode.workspace.onDidChangeTextDocument((event) => {
      if (this.decorated && event.document === this.decorated.document && event.contentChanges.length > 0) this.clear();
    });
  }

  show(editor: vscode.TextEditor, spans: readonly DocumentSpan[]): void {
    this.clear();
    const toRange = (span: DocumentSpan): vscode.Range =>
      new vscode.Range(editor.document.positionAt(span.startOffset), editor.document.positionAt(span.endOffset));
    editor.setDecorations(this.even, spans.filter((span) => span.index % 2 === 0).map(toRange));
    editor.setDecorations(this.odd, spans.filter((span) => span.index % 2 === 1).map(toRange));
    this.decorated = editor;
  }

  clear(): void {
    this.decorated?.setDecorations(this.even, []);
    this.decorated?.setDecorations(this.odd, []);
    this.decorated = undefined;
  }

  dispose(): void {
    this.clear();
    this.even.dispose();
    this.odd.dispose();
    this.listener.dispose();
  }
}
