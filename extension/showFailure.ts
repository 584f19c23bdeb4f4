import * as vscode from 'vscode';
import { errorToast } from './errorToast';

/** A failed run: the whole message in the output channel, one sentence and its buttons in a notification. */
export function showFailure(message: string, output: vscode.LogOutputChannel): void {
  output.error(message);
  const toast = errorToast(message);
  void vscode.window.showErrorMessage(toast.text, ...toast.actions).then((choice) => {
    if (choice === 'Show Details') output.show(true);
    else if (choice && toast.setting) void vscode.commands.executeCommand('workbench.action.openSettings', toast.setting);
  });
}
