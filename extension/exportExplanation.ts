import * as vscode from 'vscode';
import type { Explanation } from '../protocol/explanation';
import { formatCsv } from '../server/report/csv';
import { formatHtml } from '../server/report/html';
import { formatMarkdown } from '../server/report/markdown';

/** The export formats, each with the same report the CLI writes. */
export const EXPORT_FORMATS = {
  JSON: { extension: 'json', render: (explanation: Explanation) => `${JSON.stringify(explanation, null, 2)}\n` },
  Markdown: { extension: 'md', render: formatMarkdown },
  HTML: { extension: 'html', render: formatHtml },
  CSV: { extension: 'csv', render: formatCsv },
} as const;

export type ExportFormat = keyof typeof EXPORT_FORMATS;

/** Asks for a format and a file, then writes the explanation there; answers the file written, if any. */
export async function exportExplanation(
  explanation: Explanation,
  defaultFolder: vscode.Uri | undefined,
  format?: ExportFormat,
): Promise<vscode.Uri | undefined> {
  const chosen: ExportFormat | undefined =
    format ??
    ((await vscode.window.showQuickPick(Object.keys(EXPORT_FORMATS), { placeHolder: 'Export the explanation as…' })) as
      ExportFormat | undefined);
  if (!chosen) return undefined;
  const { extension, render } = EXPORT_FORMATS[chosen];
  const target = await vscode.window.showSaveDialog({
    ...(defaultFolder ? { defaultUri: vscode.Uri.joinPath(defaultFolder, `spex-explanation.${extension}`) } : {}),
    filters: { [chosen]: [extension] },
    saveLabel: 'Export',
  });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(render(explanation)));
  return target;
}
