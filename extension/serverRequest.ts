import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import {
  WorkDoneProgress,
  type CancellationToken,
  type LanguageClient,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from 'vscode-languageclient/node';
import type { RunDependencies } from './explainRun';
import { showFailure } from './showFailure';

/** A Markdown document, unsaved, beside the editor. */
export async function openMarkdownBeside(content: string): Promise<void> {
  const report = await vscode.workspace.openTextDocument({ language: 'markdown', content });
  await vscode.window.showTextDocument(report, { viewColumn: vscode.ViewColumn.Beside, preview: false });
}

/**
 * Runs one long server request (a comparison, a batch) under a cancellable progress notification fed
 * by the server's work-done progress, and hands its result to `show` (a report panel). A cancel says
 * so; a failure is one sentence with buttons, the whole message in the output channel.
 */
export async function runLongRequest<T>(
  dependencies: RunDependencies,
  title: string,
  request: (client: LanguageClient, workDoneToken: string, token: CancellationToken) => Promise<T>,
  show: (result: T) => Promise<void>,
): Promise<T | undefined> {
  const source = dependencies.runs.begin();
  try {
    const client = await dependencies.server.get();
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => source.cancel());
        const workDoneToken = randomUUID();
        const listener = client.onProgress(
          WorkDoneProgress.type,
          workDoneToken,
          (value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => {
            if (value.kind !== 'end') progress.report({ message: value.message ?? '' });
          },
        );
        try {
          return await request(client, workDoneToken, source.token);
        } finally {
          listener.dispose();
        }
      },
    );
    await show(result);
    return result;
  } catch (error) {
    if (source.token.isCancellationRequested) void vscode.window.showInformationMessage(`${title.replace(/…$/u, '')}: cancelled.`);
    else showFailure(error instanceof Error ? error.message : String(error), dependencies.output);
    return undefined;
  } finally {
    dependencies.runs.end(source);
  }
}
