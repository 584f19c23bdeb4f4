/**
 * Messages between the extension host and the comparison panel (two versions of a prompt side by
 * side). Like the explanation panel's (webview.ts), each side checks what it receives.
 */
import type { Comparison } from './comparison';
import { isShowExplanationMessage } from './webview';

/** host → comparison panel: show a comparison, each version named as the person chose it. */
export interface ShowComparisonMessage {
  readonly type: 'showComparison';
  readonly comparison: Comparison;
  readonly labelA: string;
  readonly labelB: string;
}

export const COMPARISON_EXPORT_FORMATS = ['json', 'markdown', 'html'] as const;
export type ComparisonExportFormat = (typeof COMPARISON_EXPORT_FORMATS)[number];

/** comparison panel → host: the page is listening. */
export interface ComparisonReadyMessage {
  readonly type: 'ready';
}

/** comparison panel → host: save the comparison, both explanations in it, in this format. */
export interface ExportComparisonMessage {
  readonly type: 'exportComparison';
  readonly format: ComparisonExportFormat;
}

/** comparison panel → host: open the comparison as a Markdown document beside the editor. */
export interface OpenComparisonMarkdownMessage {
  readonly type: 'openComparisonMarkdown';
}

export type ComparisonViewToHostMessage = ComparisonReadyMessage | ExportComparisonMessage | OpenComparisonMarkdownMessage;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isIndexIn =
  (count: number) =>
  (index: unknown): boolean =>
    index === undefined || (Number.isInteger(index) && (index as number) >= 0 && (index as number) < count);

const isValue = (value: unknown): boolean => value === null || (typeof value === 'number' && Number.isFinite(value));

/** Checks what the panel relies on: two explanations the explanation panel would accept, and span and term indices within them. */
export function isShowComparisonMessage(value: unknown): value is ShowComparisonMessage {
  if (!isRecord(value) || value.type !== 'showComparison' || typeof value.labelA !== 'string' || typeof value.labelB !== 'string')
    return false;
  const comparison = value.comparison;
  if (!isRecord(comparison) || !isRecord(comparison.answers) || typeof comparison.answers.differ !== 'boolean') return false;
  const explanationOk = (explanation: unknown): boolean =>
    isShowExplanationMessage({ type: 'showExplanation', partial: false, explanation });
  if (!explanationOk(comparison.a) || !explanationOk(comparison.b)) return false;
  const countA = (comparison.a as { features: unknown[] }).features.length;
  const countB = (comparison.b as { features: unknown[] }).features.length;
  const inA = isIndexIn(countA);
  const inB = isIndexIn(countB);
  const spanOk = (span: unknown): boolean =>
    isRecord(span) &&
    ['unchanged', 'edited', 'removed', 'added'].includes(span.status as string) &&
    inA(span.a) &&
    inB(span.b) &&
    isValue(span.valueA) &&
    isValue(span.valueB) &&
    isValue(span.change);
  const termOk = (term: unknown): boolean =>
    isRecord(term) &&
    (term.featuresA === undefined || (Array.isArray(term.featuresA) && term.featuresA.every(inA))) &&
    (term.featuresB === undefined || (Array.isArray(term.featuresB) && term.featuresB.every(inB))) &&
    isValue(term.valueA) &&
    isValue(term.valueB) &&
    isValue(term.change);
  return (
    typeof comparison.tooDifferent === 'boolean' &&
    typeof comparison.alignedShare === 'number' &&
    Array.isArray(comparison.spans) &&
    comparison.spans.every(spanOk) &&
    Array.isArray(comparison.interactions) &&
    comparison.interactions.every(termOk)
  );
}

export function isComparisonViewToHostMessage(value: unknown): value is ComparisonViewToHostMessage {
  if (!isRecord(value)) return false;
  if (value.type === 'ready' || value.type === 'openComparisonMarkdown') return true;
  return value.type === 'exportComparison' && (COMPARISON_EXPORT_FORMATS as readonly unknown[]).includes(value.format);
}
