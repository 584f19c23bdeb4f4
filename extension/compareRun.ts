import { execFile } from 'node:child_process';
import path from 'node:path';
import * as vscode from 'vscode';
import { CompareTextsRequest, ListModelsRequest } from '../protocol/server';
import { runLongRequest } from './serverRequest';
import type { RunDependencies } from './explainRun';

/** Where the second version comes from. */
type Source = 'head' | 'clipboard' | 'editor' | 'model';

interface SourceItem extends vscode.QuickPickItem {
  readonly source: Source;
}

/** The version to compare with: its text (or the same text under another model) and how to name it. */
interface VersionB {
  readonly a: string;
  readonly b: string;
  readonly modelB?: string;
  readonly label: string;
}

/** The file's text at the last commit, through git (undefined, said why, where there is none). */
function textAtHead(file: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['show', `HEAD:./${path.basename(file)}`],
      { cwd: path.dirname(file), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          void vscode.window.showWarningMessage(
            `SPEX: no version of this file at git HEAD (${(stderr || error.message).trim().split('\n')[0]}).`,
          );
          resolve(undefined);
        } else resolve(stdout);
      },
    );
  });
}

/** Asks where B comes from and reads it; undefined when the person cancels or there is nothing to read. */
async function chooseVersionB(editor: vscode.TextEditor, dependencies: RunDependencies): Promise<VersionB | undefined> {
  const document = editor.document;
  const selected = editor.selection.isEmpty ? undefined : document.getText(editor.selection);
  const a = selected ?? document.getText();
  const items: SourceItem[] = [
    ...(document.uri.scheme === 'file'
      ? [{ label: '$(git-commit) The file at git HEAD', description: 'the whole file against its last commit', source: 'head' as const }]
      : []),
    {
      label: '$(clippy) The clipboard',
      description: `${selected ? 'the selection' : 'this file'} against the text on the clipboard`,
      source: 'clipboard',
    },
    { label: "$(files) Another editor's text", description: 'its selection, or all of it', source: 'editor' },
    { label: '$(hubot) The same text with another model…', description: 'one version, two models', source: 'model' },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'SPEX: Compare Interactions with…',
    placeHolder: 'What to compare this text with',
  });
  if (!picked) return undefined;
  switch (picked.source) {
    case 'head': {
      const head = await textAtHead(document.uri.fsPath);
      return head === undefined ? undefined : { a: document.getText(), b: head, label: 'git HEAD' };
    }
    case 'clipboard': {
      const b = await vscode.env.clipboard.readText();
      if (b.trim() === '') {
        void vscode.window.showWarningMessage('SPEX: the clipboard holds no text to compare with.');
        return undefined;
      }
      return { a, b, label: 'the clipboard' };
    }
    case 'editor': {
      const others = vscode.workspace.textDocuments.filter(
        (other) => other !== document && (other.uri.scheme === 'file' || other.uri.scheme === 'untitled'),
      );
      if (others.length === 0) {
        void vscode.window.showWarningMessage('SPEX: open the other version in an editor first.');
        return undefined;
      }
      const chosen = await vscode.window.showQuickPick(
        others.map((other) => ({ label: vscode.workspace.asRelativePath(other.uri), other })),
        { title: 'Compare with which editor?' },
      );
      if (!chosen) return undefined;
      const visible = vscode.window.visibleTextEditors.find((candidate) => candidate.document === chosen.other);
      const b = visible && !visible.selection.isEmpty ? chosen.other.getText(visible.selection) : chosen.other.getText();
      return { a, b, label: chosen.label };
    }
    case 'model': {
      const client = await dependencies.server.get();
      const listed = await client.sendRequest(ListModelsRequest, {});
      const chosen = await vscode.window.showQuickPick(
        listed.models.map((model) => ({ label: model.name })),
        { title: `Explain B with which model? (${listed.endpoint})` },
      );
      return chosen ? { a, b: a, modelB: chosen.label, label: chosen.label } : undefined;
    }
  }
}

/**
 * "Compare Interactions with…": this text (the selection, or the file) against a second version,
 * both explained with the same settings, the comparison shown side by side in the comparison panel
 * (which exports it, or opens it as Markdown).
 */
export async function compareInteractions(editor: vscode.TextEditor, dependencies: RunDependencies): Promise<void> {
  const versions = await chooseVersionB(editor, dependencies);
  if (!versions) return;
  const labelA = `${vscode.workspace.asRelativePath(editor.document.uri)}${editor.selection.isEmpty ? '' : ' (selection)'}`;
  const result = await runLongRequest(
    dependencies,
    `SPEX: comparing with ${versions.label}`,
    (client, workDoneToken, token) =>
      client.sendRequest(
        CompareTextsRequest,
        { a: versions.a, b: versions.b, ...(versions.modelB ? { modelB: versions.modelB } : {}), workDoneToken },
        token,
      ),
    (compared) => {
      dependencies.comparisons.show({
        type: 'showComparison',
        comparison: compared.comparison,
        labelA,
        labelB: versions.modelB ? `${labelA} with ${versions.modelB}` : versions.label,
      });
      return Promise.resolve();
    },
  );
  if (result) dependencies.output.info(`Compared with ${versions.label}: ${result.comparison.spans.length} spans lined up.`);
}
