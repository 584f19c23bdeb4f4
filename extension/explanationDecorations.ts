import * as vscode from 'vscode';
import type { Explanation } from '../protocol/explanation';
import { featureTints, hoverMarkdown, interactionMarks, lensTitle, panelLink, tintBasisOf, type Tint, type TintBasis } from './attribution';
import { documentSpans, type DocumentSpan } from './featureRanges';
import { COMMAND_IDS } from './commandIds';

/** An explanation shown on a document: where its spans are, while the text under them is unchanged. */
export interface ShownExplanation {
  readonly uri: string;
  readonly explanation: Explanation;
  readonly spans: readonly DocumentSpan[];
}

const COLORS: Record<Tint, string> = {
  raisesStrong: 'spex.raisesBackground',
  raisesWeak: 'spex.raisesBackgroundWeak',
  lowersStrong: 'spex.lowersBackground',
  lowersWeak: 'spex.lowersBackgroundWeak',
};

/**
 * Tints explained spans by their total effect (setting `spex.editorTint`; blue raises, orange lowers,
 * stronger effects more opaque: theme colours contributed in package.json, colour-blind safe), marks
 * the spans of the strongest interactions with their partners' numbers ("⟷[3]"), and answers hovers
 * on them. Marks clear as soon as the text under them changes, because their offsets would then point
 * at the wrong words.
 */
export class ExplanationDecorations implements vscode.Disposable {
  private readonly types: Record<Tint, vscode.TextEditorDecorationType>;
  private readonly boundary = vscode.window.createTextEditorDecorationType({
    borderWidth: '0 0 1px 0',
    borderStyle: 'dotted',
    borderColor: new vscode.ThemeColor('editorLineNumber.foreground'),
  });
  /** The partners' numbers after each span of a strong interaction, in the colour of inline hints. */
  private readonly partners = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorInlayHint.foreground'), margin: '0 0 0 0.2em' },
  });
  private readonly shown = new Map<string, ShownExplanation>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  private basis: TintBasis = tintBasisOf(vscode.workspace.getConfiguration('spex').get('editorTint'));
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.types = Object.fromEntries(
      (Object.keys(COLORS) as Tint[]).map((tint) => [
        tint,
        vscode.window.createTextEditorDecorationType({ backgroundColor: new vscode.ThemeColor(COLORS[tint]), borderRadius: '2px' }),
      ]),
    ) as Record<Tint, vscode.TextEditorDecorationType>;
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length > 0 && this.shown.has(event.document.uri.toString())) this.clear(event.document.uri.toString());
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.refresh()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration('spex.editorTint')) return;
        this.basis = tintBasisOf(vscode.workspace.getConfiguration('spex').get('editorTint'));
        this.refresh();
      }),
      vscode.languages.registerHoverProvider({ pattern: '**' }, { provideHover: (document, position) => this.hover(document, position) }),
      vscode.languages.registerCodeLensProvider(
        { pattern: '**' },
        { onDidChangeCodeLenses: this.lensesChanged.event, provideCodeLenses: (document) => this.lenses(document) },
      ),
      this.lensesChanged,
    );
  }

  /** Shows an explanation of the text starting at `textOffset` in the document. */
  show(document: vscode.TextDocument, textOffset: number, explanation: Explanation): void {
    const uri = document.uri.toString();
    this.shown.set(uri, { uri, explanation, spans: documentSpans(textOffset, explanation.features) });
    this.refresh();
  }

  shownIn(uri: string): ShownExplanation | undefined {
    return this.shown.get(uri);
  }

  clear(uri?: string): void {
    if (uri === undefined) this.shown.clear();
    else this.shown.delete(uri);
    this.refresh();
  }

  dispose(): void {
    this.shown.clear();
    for (const type of Object.values(this.types)) type.dispose();
    this.boundary.dispose();
    this.partners.dispose();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }

  /**
   * One lens above the explained text: the verdict and the explanation in one sentence, which opens
   * the panel. It goes with the marks when the text under them changes.
   */
  private lenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const shown = this.shown.get(document.uri.toString());
    const first = shown?.spans[0];
    if (!shown || !first) return [];
    const line = document.positionAt(first.startOffset).line;
    const title = lensTitle(shown.explanation);
    return [
      new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
        title,
        tooltip: 'Show the interactions in the SPEX panel',
        command: COMMAND_IDS.showLastExplanation,
      }),
    ];
  }

  private refresh(): void {
    this.lensesChanged.fire();
    for (const editor of vscode.window.visibleTextEditors) {
      const shown = this.shown.get(editor.document.uri.toString());
      const tints = shown ? featureTints(shown.explanation, this.basis) : [];
      const marks = shown ? interactionMarks(shown.explanation) : new Map<number, string>();
      const partnerMarks: vscode.DecorationOptions[] = [];
      const byTint: Record<Tint, vscode.Range[]> = { raisesStrong: [], raisesWeak: [], lowersStrong: [], lowersWeak: [] };
      const untinted: vscode.Range[] = [];
      for (const span of shown?.spans ?? []) {
        const range = new vscode.Range(editor.document.positionAt(span.startOffset), editor.document.positionAt(span.endOffset));
        const tint = tints[span.index];
        if (tint) byTint[tint].push(range);
        else untinted.push(range);
        const mark = marks.get(span.index);
        if (mark) partnerMarks.push({ range, renderOptions: { after: { contentText: mark } } });
      }
      for (const tint of Object.keys(byTint) as Tint[]) editor.setDecorations(this.types[tint], byTint[tint]);
      editor.setDecorations(this.boundary, untinted);
      editor.setDecorations(this.partners, partnerMarks);
    }
  }

  private hover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const shown = this.shown.get(document.uri.toString());
    if (!shown) return undefined;
    const offset = document.offsetAt(position);
    const span = shown.spans.find((candidate) => offset >= candidate.startOffset && offset < candidate.endOffset);
    if (!span) return undefined;
    const markdown = new vscode.MarkdownString(hoverMarkdown(shown.explanation, span.index, this.basis));
    markdown.appendMarkdown(`\n\n${panelLink(span.index)}`);
    // Prompt text is escaped in hoverMarkdown; HTML is off and the one command a link may run is the panel's.
    markdown.isTrusted = { enabledCommands: [COMMAND_IDS.showSpanInPanel] };
    markdown.supportHtml = false;
    return new vscode.Hover(markdown, new vscode.Range(document.positionAt(span.startOffset), document.positionAt(span.endOffset)));
  }
}
