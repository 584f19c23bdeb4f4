import { EXPORT_FORMAT_NAMES, type ExportFormatName } from '../../protocol/webview';
import { INDEX_NAMES, type IndexName } from '../../server/recovery/indexNames';
import { INDEX_DESCRIPTIONS, INDEX_LABELS } from '../model/analysis';
import { h } from '../dom';
import { ARC_COUNTS } from './marginArcs';

export interface ToolbarInput {
  readonly explanation: boolean;
  /** False when the explanation carries no expansion: only its reported index can be shown. */
  readonly canSwitch: boolean;
  readonly index: IndexName;
  readonly order: number;
  readonly orders: readonly number[];
  /** Shapley and Banzhaf values have no higher orders. */
  readonly orderApplies: boolean;
  /** How many interactions the margin beside the text draws. */
  readonly arcs: number;
}

export interface ToolbarEvents {
  setIndex(index: IndexName): void;
  setOrder(order: number): void;
  setArcs(count: number): void;
  /** Absent where the host cannot save files (the MCP App view): no export buttons then. */
  readonly exportAs?: (format: ExportFormatName) => void;
  readonly copyMarkdown?: () => void;
  /** Absent where the host cannot ask for a run's choices (the MCP App view). */
  readonly rerun?: () => void;
}

const FORMAT_LABELS: Readonly<Record<ExportFormatName, string>> = { json: 'JSON', markdown: 'Markdown', html: 'HTML', csv: 'CSV' };

/**
 * The index selector (recomputed here from the stored expansion, no model calls), the order k, the
 * exports and "copy as Markdown".
 */
export class Toolbar {
  private readonly indexSelect: HTMLElementTagNameMap['vscode-single-select'];
  private readonly orderSelect: HTMLElementTagNameMap['vscode-single-select'];
  private readonly arcsSelect: HTMLElementTagNameMap['vscode-single-select'];
  private readonly exports: HTMLElementTagNameMap['vscode-button'][];
  private readonly note: HTMLElement;
  private readonly rerun: HTMLElementTagNameMap['vscode-button'];
  private orders: readonly number[] = [];

  constructor(root: HTMLElement, events: ToolbarEvents) {
    this.indexSelect = document.createElement('vscode-single-select');
    this.indexSelect.id = 'index-select';
    this.indexSelect.label = 'Interaction index';
    for (const name of INDEX_NAMES) {
      const option = document.createElement('vscode-option');
      option.value = name;
      option.description = INDEX_DESCRIPTIONS[name];
      option.textContent = INDEX_LABELS[name];
      this.indexSelect.append(option);
    }
    this.indexSelect.addEventListener('change', () => {
      const value = this.indexSelect.value;
      const name = INDEX_NAMES.find((candidate) => candidate === value);
      if (name) events.setIndex(name);
    });
    this.orderSelect = document.createElement('vscode-single-select');
    this.orderSelect.id = 'order-select';
    this.orderSelect.label = 'Index order k: the largest interaction shown';
    this.orderSelect.addEventListener('change', () => {
      const order = Number(this.orderSelect.value);
      if (this.orders.includes(order)) events.setOrder(order);
    });
    this.arcsSelect = document.createElement('vscode-single-select');
    this.arcsSelect.id = 'arcs-select';
    this.arcsSelect.label = 'How many of the strongest interactions are drawn as arcs beside the text';
    for (const count of ARC_COUNTS) {
      const option = document.createElement('vscode-option');
      option.value = String(count);
      option.textContent = count === 0 ? 'none' : String(count);
      this.arcsSelect.append(option);
    }
    this.arcsSelect.addEventListener('change', () => {
      const count = Number(this.arcsSelect.value);
      if ((ARC_COUNTS as readonly number[]).includes(count)) events.setArcs(count);
    });
    const { exportAs, copyMarkdown, rerun } = events;
    this.exports = (exportAs ? EXPORT_FORMAT_NAMES : []).map((format) => {
      const button = document.createElement('vscode-button');
      button.id = `export-${format}`;
      button.secondary = true;
      button.textContent = FORMAT_LABELS[format];
      button.title = `Save the explanation as ${FORMAT_LABELS[format]}`;
      button.addEventListener('click', () => {
        if (!button.disabled) exportAs?.(format);
      });
      return button;
    });
    const copy = document.createElement('vscode-button');
    copy.id = 'copy-markdown';
    // Secondary and short like the export buttons beside it: the panel's one primary action is Verify.
    copy.secondary = true;
    copy.textContent = 'Copy Markdown';
    copy.title = 'Copy the explanation to the clipboard as Markdown';
    copy.addEventListener('click', () => {
      if (copy.disabled) return;
      copyMarkdown?.();
      this.note.textContent = 'Copied as Markdown.';
    });
    if (copyMarkdown) this.exports.push(copy);
    this.rerun = document.createElement('vscode-button');
    this.rerun.id = 'rerun';
    this.rerun.secondary = true;
    this.rerun.textContent = 'Re-run…';
    this.rerun.title = 'Explain the same text again, choosing the granularity, budget and model first';
    this.rerun.addEventListener('click', () => {
      if (!this.rerun.disabled) rerun?.();
    });
    this.note = h('span', { className: 'toolbar-note', attributes: { 'aria-live': 'polite' } });
    root.replaceChildren(
      h(
        'div',
        { className: 'toolbar-group' },
        h('label', { text: 'Index', attributes: { for: 'index-select' } }),
        this.indexSelect,
        h('label', { text: 'Order k', attributes: { for: 'order-select' } }),
        this.orderSelect,
        h('label', { text: 'Arcs', attributes: { for: 'arcs-select' } }),
        this.arcsSelect,
      ),
      // One wrapping row for the exports and Re-run…, so that at a narrow width they share lines rather than each taking its own.
      h(
        'div',
        { className: 'toolbar-group' },
        ...(this.exports.length > 0
          ? [
              h(
                'div',
                { className: 'exports', attributes: { role: 'group', 'aria-label': 'Export' } },
                h('span', { text: 'Export' }),
                ...this.exports,
              ),
            ]
          : []),
        ...(rerun ? [this.rerun] : []),
      ),
      this.note,
    );
  }

  render(input: ToolbarInput): void {
    this.indexSelect.value = input.index;
    this.indexSelect.disabled = !input.explanation || !input.canSwitch;
    this.indexSelect.title = !input.explanation
      ? 'No explanation yet'
      : input.canSwitch
        ? INDEX_DESCRIPTIONS[input.index]
        : 'This explanation carries no Fourier expansion, so only the index it was run with can be shown.';
    if (this.orders.join() !== input.orders.join()) {
      this.orders = input.orders;
      this.orderSelect.replaceChildren(
        ...input.orders.map((order) => {
          const option = document.createElement('vscode-option');
          option.value = String(order);
          option.textContent = String(order);
          return option;
        }),
      );
    }
    this.orderSelect.value = String(input.order);
    this.orderSelect.disabled = !input.explanation || !input.canSwitch || !input.orderApplies;
    this.orderSelect.title = input.orderApplies ? 'The largest interaction order shown' : 'Shapley and Banzhaf values are first-order only';
    this.arcsSelect.value = String(input.arcs);
    this.arcsSelect.disabled = !input.explanation;
    this.arcsSelect.title = 'The strongest interactions drawn as arcs in the margin beside the text';
    for (const button of this.exports) button.disabled = !input.explanation;
    this.rerun.disabled = !input.explanation;
    this.note.textContent = '';
  }
}
