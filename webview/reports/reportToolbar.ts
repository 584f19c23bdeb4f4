import { EXPORTS_OF, type ReportExportFormat, type ReportViewMessage } from '../../protocol/reportView';
import { h } from '../dom';
import type { ReportHost } from '../reportHost';

const FORMAT_LABELS: Readonly<Record<ReportExportFormat, string>> = { json: 'JSON', markdown: 'Markdown', html: 'HTML', csv: 'CSV' };

/** A report's toolbar: an export button per format it has (each writes every explanation behind it), and Open as Markdown. */
export function renderReportToolbar(root: HTMLElement, report: ReportViewMessage['type'], noun: string, host: ReportHost): void {
  const buttons = EXPORTS_OF[report].map((format) => {
    const button = document.createElement('vscode-button');
    button.id = `export-${format}`;
    button.secondary = true;
    button.textContent = FORMAT_LABELS[format];
    button.title = `Save the ${noun} as ${FORMAT_LABELS[format]}`;
    button.addEventListener('click', () => host.post({ type: 'exportReport', format }));
    return button;
  });
  const markdown = document.createElement('vscode-button');
  markdown.id = 'open-markdown';
  markdown.secondary = true;
  markdown.textContent = 'Open as Markdown';
  markdown.title = `Open the ${noun} as a Markdown document beside the editor`;
  markdown.addEventListener('click', () => host.post({ type: 'openReportMarkdown' }));
  root.replaceChildren(h('span', { className: 'toolbar-label', text: 'Export' }), ...buttons, markdown);
}
