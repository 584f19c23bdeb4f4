import * as vscode from 'vscode';
import { BatchTemplateRequest } from '../protocol/server';
import type { RunDependencies } from './explainRun';
import { runLongRequest } from './serverRequest';

/**
 * "Explain Template over Data Set…": the active editor holds a template with {{placeholders}}; the
 * person picks a JSON Lines file of inputs; every input is explained with the settings (the template's
 * own spans as features) and the aggregate opens in the batch panel beside the editor.
 */
export async function explainTemplate(editor: vscode.TextEditor, dependencies: RunDependencies): Promise<void> {
  const template = editor.document.getText();
  if (!/\{\{\s*[A-Za-z_][\w.-]*\s*\}\}/u.test(template)) {
    void vscode.window.showWarningMessage('SPEX: this file has no {{placeholder}}; open a prompt template, e.g. "Answer: {{question}}".');
    return;
  }
  const picked = await vscode.window.showOpenDialog({
    title: 'The inputs: one JSON object per line, a key per placeholder',
    canSelectMany: false,
    filters: { 'JSON Lines': ['jsonl', 'ndjson', 'json'] },
    ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
  });
  const file = picked?.[0];
  if (!file) return;
  const inputs = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
  const inputsName = vscode.workspace.asRelativePath(file);
  const result = await runLongRequest(
    dependencies,
    `SPEX: the template over ${inputsName}`,
    (client, workDoneToken, token) => client.sendRequest(BatchTemplateRequest, { template, inputs, workDoneToken }, token),
    (batch) => {
      dependencies.batches.show({
        type: 'showBatch',
        batch,
        template: vscode.workspace.asRelativePath(editor.document.uri),
        inputs: inputsName,
      });
      return Promise.resolve();
    },
  );
  if (result) {
    dependencies.output.info(`Explained the template over ${result.inputs.length} inputs (${result.skipped.length} lines skipped).`);
    for (const entry of result.skipped) dependencies.output.warn(`Inputs line ${entry.line} skipped: ${entry.reason}`);
  }
}
