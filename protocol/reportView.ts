/**
 * Messages between the extension host and the report panels: a comparison of two versions of a
 * prompt side by side, and a template across its inputs. Like the explanation panel's (webview.ts),
 * each side checks what it receives.
 */
import type { BatchResult } from './batch';
import type { Comparison } from './comparison';
import { isShowExplanationMessage } from './webview';

/** host → comparison panel: show a comparison, each version named as the person chose it. */
export interface ShowComparisonMessage {
  readonly type: 'showComparison';
  readonly comparison: Comparison;
  readonly labelA: string;
  readonly labelB: string;
}

/** host → batch panel: show a template explained over its inputs. */
export interface ShowBatchMessage {
  readonly type: 'showBatch';
  readonly batch: BatchResult;
  /** The template's and the inputs file's names, as the person knows them. */
  readonly template: string;
  readonly inputs: string;
}

export type ReportViewMessage = ShowComparisonMessage | ShowBatchMessage;

export const REPORT_EXPORT_FORMATS = ['json', 'markdown', 'html', 'csv'] as const;
export type ReportExportFormat = (typeof REPORT_EXPORT_FORMATS)[number];

/** The formats each report exports in (a comparison has no one table to write as CSV). */
export const EXPORTS_OF: Readonly<Record<ReportViewMessage['type'], readonly ReportExportFormat[]>> = {
  showComparison: ['json', 'markdown', 'html'],
  showBatch: ['json', 'markdown', 'html', 'csv'],
};

/** report panel → host: the page is listening. */
export interface ReportReadyMessage {
  readonly type: 'ready';
}

/** report panel → host: save the report shown in this format (every format carries each explanation behind it). */
export interface ExportReportMessage {
  readonly type: 'exportReport';
  readonly format: ReportExportFormat;
}

/** report panel → host: open the report as a Markdown document beside the editor. */
export interface OpenReportMarkdownMessage {
  readonly type: 'openReportMarkdown';
}

/** batch panel → host: show this input's explanation in the explanation panel. */
export interface ShowInputMessage {
  readonly type: 'showInput';
  /** Position among the inputs explained. */
  readonly input: number;
}

export type ReportViewToHostMessage = ReportReadyMessage | ExportReportMessage | OpenReportMarkdownMessage | ShowInputMessage;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isIndexIn =
  (count: number) =>
  (index: unknown): boolean =>
    index === undefined || (Number.isInteger(index) && (index as number) >= 0 && (index as number) < count);

const isValue = (value: unknown): boolean => value === null || (typeof value === 'number' && Number.isFinite(value));

const isExplanation = (explanation: unknown): boolean => isShowExplanationMessage({ type: 'showExplanation', partial: false, explanation });

const featureCount = (explanation: unknown): number => (explanation as { features: unknown[] }).features.length;

/** Checks what the panel relies on: two explanations the explanation panel would accept, and span and term indices within them. */
export function isShowComparisonMessage(value: unknown): value is ShowComparisonMessage {
  if (!isRecord(value) || value.type !== 'showComparison' || typeof value.labelA !== 'string' || typeof value.labelB !== 'string')
    return false;
  const comparison = value.comparison;
  if (!isRecord(comparison) || !isRecord(comparison.answers) || typeof comparison.answers.differ !== 'boolean') return false;
  if (!isExplanation(comparison.a) || !isExplanation(comparison.b)) return false;
  const inA = isIndexIn(featureCount(comparison.a));
  const inB = isIndexIn(featureCount(comparison.b));
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

/** Checks a batch: explanations the explanation panel would accept, all over the template's spans, and aggregate indices within them. */
export function isShowBatchMessage(value: unknown): value is ShowBatchMessage {
  if (!isRecord(value) || value.type !== 'showBatch' || typeof value.template !== 'string' || typeof value.inputs !== 'string')
    return false;
  const batch = value.batch;
  if (!isRecord(batch) || !Number.isInteger(batch.spans) || !Array.isArray(batch.inputs) || !isRecord(batch.aggregate)) return false;
  const spans = batch.spans as number;
  const inputsOk = batch.inputs.every(
    (entry) =>
      isRecord(entry) && Number.isInteger(entry.line) && isExplanation(entry.explanation) && featureCount(entry.explanation) === spans,
  );
  const inSpans = isIndexIn(spans);
  const inInputs = isIndexIn(batch.inputs.length);
  const aggregate = batch.aggregate;
  return (
    inputsOk &&
    Array.isArray(batch.skipped) &&
    Array.isArray(aggregate.spans) &&
    aggregate.spans.every(
      (span) =>
        isRecord(span) &&
        inSpans(span.index) &&
        typeof span.text === 'string' &&
        [span.mean, span.spread, span.min, span.max].every(isValue) &&
        Number.isInteger(span.inTopInteractions),
    ) &&
    Array.isArray(aggregate.interactions) &&
    aggregate.interactions.every(
      (term) => isRecord(term) && Array.isArray(term.features) && term.features.every(inSpans) && isValue(term.mean),
    ) &&
    Array.isArray(aggregate.outliers) &&
    aggregate.outliers.every((outlier) => isRecord(outlier) && inInputs(outlier.input) && inSpans(outlier.span)) &&
    Array.isArray(aggregate.withoutFindings) &&
    aggregate.withoutFindings.every(inInputs)
  );
}

export function isReportViewMessage(value: unknown): value is ReportViewMessage {
  return isShowComparisonMessage(value) || isShowBatchMessage(value);
}

export function isReportViewToHostMessage(value: unknown): value is ReportViewToHostMessage {
  if (!isRecord(value)) return false;
  if (value.type === 'ready' || value.type === 'openReportMarkdown') return true;
  if (value.type === 'showInput') return Number.isInteger(value.input) && (value.input as number) >= 0;
  return value.type === 'exportReport' && (REPORT_EXPORT_FORMATS as readonly unknown[]).includes(value.format);
}
