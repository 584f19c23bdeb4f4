import { h } from '../dom';

/** A report table's header row, each name a column header. */
export function header(names: readonly string[]): HTMLElement {
  return h('thead', {}, h('tr', {}, ...names.map((name) => h('th', { text: name, attributes: { scope: 'col' } }))));
}

/** A table cell holding text (as text, never markup), with an optional class and hover title. */
export function cell(text: string, className?: string, title?: string): HTMLTableCellElement {
  return h('td', { text, ...(className ? { className } : {}), ...(title ? { title } : {}) });
}
