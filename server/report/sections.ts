import { escapeHtml } from './html';
import { escapeMarkdown } from './markdown';

/**
 * A report as sections of lines, lists and tables, written once and rendered as Markdown or as a
 * self-contained HTML page. Text from prompts and models is marked (`{ prompt }`) so that Markdown
 * escapes it; HTML escapes every piece; `{ strong }` is our own emphasis.
 */
export type Piece = string | { readonly prompt: string } | { readonly strong: string };
export type Line = readonly Piece[];

export interface Table {
  readonly headers: readonly string[];
  /** 'l' or 'r' per column. */
  readonly align: string;
  readonly rows: readonly (readonly Line[])[];
}

export interface Section {
  readonly heading?: string;
  readonly lines?: readonly Line[];
  readonly list?: readonly Line[];
  readonly table?: Table;
}

export interface Report {
  readonly title: string;
  readonly sections: readonly Section[];
}

const markdownPiece = (piece: Piece): string =>
  typeof piece === 'string' ? piece : 'prompt' in piece ? escapeMarkdown(piece.prompt) : `**${piece.strong}**`;
const htmlPiece = (piece: Piece): string =>
  typeof piece === 'string'
    ? escapeHtml(piece)
    : 'prompt' in piece
      ? escapeHtml(piece.prompt)
      : `<strong>${escapeHtml(piece.strong)}</strong>`;
const markdownLine = (line: Line): string => line.map(markdownPiece).join('');
const htmlLine = (line: Line): string => line.map(htmlPiece).join('');

export function renderMarkdown(report: Report): string {
  const out: string[] = [`# ${report.title}`];
  for (const section of report.sections) {
    out.push('');
    if (section.heading) out.push(`## ${section.heading}`, '');
    for (const line of section.lines ?? []) out.push(markdownLine(line));
    if (section.lines && (section.list || section.table)) out.push('');
    for (const item of section.list ?? []) out.push(`- ${markdownLine(item)}`);
    const table = section.table;
    if (table) {
      out.push(
        `| ${table.headers.join(' | ')} |`,
        `|${[...table.align].map((side) => (side === 'r' ? '---:' : '---')).join('|')}|`,
        ...table.rows.map((row) => `| ${row.map(markdownLine).join(' | ')} |`),
      );
    }
  }
  return `${out.join('\n')}\n`;
}

/** A self-contained page: no script, no external resource, and a CSP that allows neither. */
export function renderHtml(report: Report): string {
  const body: string[] = [`<h1>${escapeHtml(report.title)}</h1>`];
  for (const section of report.sections) {
    if (section.heading) body.push(`<h2>${escapeHtml(section.heading)}</h2>`);
    for (const line of section.lines ?? []) body.push(`<p>${htmlLine(line)}</p>`);
    if (section.list) body.push(`<ul>${section.list.map((item) => `<li>${htmlLine(item)}</li>`).join('')}</ul>`);
    const table = section.table;
    if (table) {
      const cell = (index: number): string => (table.align[index] === 'r' ? ' class="r"' : '');
      body.push(
        '<table>',
        `<tr>${table.headers.map((header, index) => `<th${cell(index)}>${escapeHtml(header)}</th>`).join('')}</tr>`,
        ...table.rows.map((row) => `<tr>${row.map((line, index) => `<td${cell(index)}>${htmlLine(line)}</td>`).join('')}</tr>`),
        '</table>',
      );
    }
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(report.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f1f1f; background: #fff; }
table { border-collapse: collapse; margin-top: 1rem; }
td, th { border: 1px solid #ddd; padding: 0.3rem 0.6rem; vertical-align: top; text-align: left; }
.r { text-align: right; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}
