/**
 * Messages between the extension host and the panel's webview, as discriminated unions. Each side
 * checks every message it receives with the guards below: the webview is a separate, untrusted
 * context, and a message from the host may be stale after a reload.
 */
import { isIndexName, type Explanation, type IndexName } from './explanation';
import type { Feature, PinnedSpan } from './features';
import type { VerifiedAnswer } from './server';
import { isTermFilter, type TermFilter } from './termFilter';

/** host → webview: show how text splits into features (before, or instead of, an explanation). */
export interface ShowSegmentationMessage {
  readonly type: 'showSegmentation';
  readonly text: string;
  readonly features: readonly Feature[];
  readonly pinned: readonly PinnedSpan[];
}

/** host → webview: show an explanation (partial while a run streams rounds, final after). */
export interface ShowExplanationMessage {
  readonly type: 'showExplanation';
  readonly explanation: Explanation;
  readonly partial: boolean;
  /** True when the run was cancelled and this is what it had learned. */
  readonly cancelled?: boolean;
  /** Whether what-if masks can be verified with the model (false for a restored or partial explanation). */
  readonly verifiable?: boolean;
}

/** host → webview: the real model's value for a what-if mask the webview asked to verify. */
export interface VerifyResultMessage {
  readonly type: 'verifyResult';
  readonly requestId: number;
  readonly mask: readonly number[];
  readonly value: number;
  readonly predicted: number;
  readonly cached: boolean;
  /** What the model answers with these spans removed, where the backend generates text. */
  readonly answer?: VerifiedAnswer;
}

/** host → webview: verifying a what-if mask failed; the message says why. */
export interface VerifyFailedMessage {
  readonly type: 'verifyFailed';
  readonly requestId: number;
  readonly message: string;
}

/** host → webview: select these spans, as a click in the panel would (the editor's hover links here). */
export interface SelectSpansMessage {
  readonly type: 'selectSpans';
  readonly features: readonly number[];
}

export type HostToWebviewMessage =
  ShowSegmentationMessage | ShowExplanationMessage | VerifyResultMessage | VerifyFailedMessage | SelectSpansMessage;

/** webview → host: the page has loaded and its listener is in place; the host may now post state. */
export interface ReadyMessage {
  readonly type: 'ready';
}

/** webview → host: the person clicked a feature; the host reveals it in the editor. */
export interface RevealFeatureMessage {
  readonly type: 'revealFeature';
  readonly index: number;
}

/** webview → host: score this what-if mask (1 = feature kept) with the real model. */
export interface VerifyMaskMessage {
  readonly type: 'verifyMask';
  readonly requestId: number;
  readonly mask: readonly number[];
}

export const EXPORT_FORMAT_NAMES = ['json', 'markdown', 'html', 'csv'] as const;
export type ExportFormatName = (typeof EXPORT_FORMAT_NAMES)[number];

/** webview → host: save the explanation shown in this format. */
export interface ExportMessage {
  readonly type: 'export';
  readonly format: ExportFormatName;
}

/** webview → host: copy the explanation as Markdown to the clipboard. */
export interface CopyMarkdownMessage {
  readonly type: 'copyMarkdown';
}

/**
 * webview → host: the panel shows this index and order (after a switch, and with every explanation
 * it renders), so that the editor's tints and hovers and the exports read the explanation as the
 * panel does.
 */
export interface ViewIndexMessage {
  readonly type: 'viewIndex';
  readonly index: IndexName;
  readonly order: number;
  /** The filters the panel lists the terms through (absent from a panel saved before they were shared: none). */
  readonly filter?: TermFilter;
}

/** webview → host: drill into this span: split it into a finer unit and explain again, reusing the run's calls. */
export interface DrillDownMessage {
  readonly type: 'drillDown';
  readonly index: number;
}

/** webview → host: explain the same text again, asking for the granularity, budget and model first. */
export interface RerunMessage {
  readonly type: 'rerun';
}

export type WebviewToHostMessage =
  | ReadyMessage
  | RevealFeatureMessage
  | VerifyMaskMessage
  | ExportMessage
  | CopyMarkdownMessage
  | ViewIndexMessage
  | RerunMessage
  | DrillDownMessage;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSpan(value: unknown): value is PinnedSpan {
  return (
    isRecord(value) &&
    typeof value.text === 'string' &&
    Number.isInteger(value.start) &&
    Number.isInteger(value.end) &&
    (value.start as number) >= 0 &&
    (value.end as number) >= (value.start as number)
  );
}

function isFeature(value: unknown, position: number): value is Feature {
  return isSpan(value) && (value as unknown as Record<string, unknown>).index === position;
}

export function isShowSegmentationMessage(value: unknown): value is ShowSegmentationMessage {
  return (
    isRecord(value) &&
    value.type === 'showSegmentation' &&
    typeof value.text === 'string' &&
    Array.isArray(value.features) &&
    value.features.every((feature, position) => isFeature(feature, position) && feature.end <= (value.text as string).length) &&
    Array.isArray(value.pinned) &&
    value.pinned.every(isSpan)
  );
}

/**
 * Checks what the panel relies on: features that index and fit the text, finite first-order values
 * per feature, and interactions whose feature indices are in range with finite values.
 */
export function isShowExplanationMessage(value: unknown): value is ShowExplanationMessage {
  if (!isRecord(value) || value.type !== 'showExplanation' || typeof value.partial !== 'boolean' || !isRecord(value.explanation))
    return false;
  const explanation = value.explanation;
  const text = explanation.text;
  const features = explanation.features;
  if (typeof text !== 'string' || !Array.isArray(features)) return false;
  if (!features.every((feature, position) => isFeature(feature, position) && feature.end <= text.length)) return false;
  const count = features.length;
  const finite = (entry: unknown): boolean => typeof entry === 'number' && Number.isFinite(entry);
  const featureValues = explanation.featureValues;
  if (!Array.isArray(featureValues) || featureValues.length !== count || !featureValues.every(finite)) return false;
  const isTerm = (term: unknown): boolean =>
    isRecord(term) &&
    finite(term.value) &&
    Array.isArray(term.features) &&
    term.features.every((index) => Number.isInteger(index) && (index as number) >= 0 && (index as number) < count);
  return (
    Array.isArray(explanation.interactions) &&
    explanation.interactions.every(isTerm) &&
    Array.isArray(explanation.pinned) &&
    explanation.pinned.every(isSpan)
  );
}

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isBitList = (value: unknown): value is number[] => Array.isArray(value) && value.every((bit) => bit === 0 || bit === 1);

export function isVerifyResultMessage(value: unknown): value is VerifyResultMessage {
  return (
    isRecord(value) &&
    value.type === 'verifyResult' &&
    Number.isInteger(value.requestId) &&
    isBitList(value.mask) &&
    isFiniteNumber(value.value) &&
    isFiniteNumber(value.predicted) &&
    typeof value.cached === 'boolean' &&
    (value.answer === undefined || isVerifiedAnswer(value.answer))
  );
}

export function isVerifiedAnswer(value: unknown): value is VerifiedAnswer {
  return (
    isRecord(value) &&
    typeof value.text === 'string' &&
    typeof value.cut === 'boolean' &&
    typeof value.original === 'string' &&
    typeof value.originalCut === 'boolean' &&
    typeof value.changed === 'boolean'
  );
}

export function isVerifyFailedMessage(value: unknown): value is VerifyFailedMessage {
  return isRecord(value) && value.type === 'verifyFailed' && Number.isInteger(value.requestId) && typeof value.message === 'string';
}

/** Checks the shape only; the webview also checks the indices against the spans it shows. */
export function isSelectSpansMessage(value: unknown): value is SelectSpansMessage {
  return (
    isRecord(value) &&
    value.type === 'selectSpans' &&
    Array.isArray(value.features) &&
    value.features.length <= 64 &&
    value.features.every((feature) => Number.isInteger(feature) && (feature as number) >= 0)
  );
}

export function isHostToWebviewMessage(value: unknown): value is HostToWebviewMessage {
  return (
    isShowSegmentationMessage(value) ||
    isShowExplanationMessage(value) ||
    isVerifyResultMessage(value) ||
    isVerifyFailedMessage(value) ||
    isSelectSpansMessage(value)
  );
}

export function isReadyMessage(value: unknown): value is ReadyMessage {
  return isRecord(value) && value.type === 'ready';
}

/** Checks the shape only; the host also checks `index` against the features it sent. */
export function isRevealFeatureMessage(value: unknown): value is RevealFeatureMessage {
  return isRecord(value) && value.type === 'revealFeature' && Number.isInteger(value.index) && (value.index as number) >= 0;
}

/** Checks the shape only; the host also checks the mask's length against the explanation's features. */
export function isVerifyMaskMessage(value: unknown): value is VerifyMaskMessage {
  return (
    isRecord(value) &&
    value.type === 'verifyMask' &&
    Number.isInteger(value.requestId) &&
    isBitList(value.mask) &&
    value.mask.length <= 4096
  );
}

export function isExportMessage(value: unknown): value is ExportMessage {
  return isRecord(value) && value.type === 'export' && (EXPORT_FORMAT_NAMES as readonly unknown[]).includes(value.format);
}

export function isCopyMarkdownMessage(value: unknown): value is CopyMarkdownMessage {
  return isRecord(value) && value.type === 'copyMarkdown';
}

/** Checks the shape; orders run from 1 to 8, as the setting's. */
export function isViewIndexMessage(value: unknown): value is ViewIndexMessage {
  return (
    isRecord(value) &&
    value.type === 'viewIndex' &&
    isIndexName(value.index) &&
    Number.isInteger(value.order) &&
    (value.order as number) >= 1 &&
    (value.order as number) <= 8 &&
    (value.filter === undefined || isTermFilter(value.filter))
  );
}

/** Checks the shape only; the host also checks the index against the features it sent. */
export function isDrillDownMessage(value: unknown): value is DrillDownMessage {
  return isRecord(value) && value.type === 'drillDown' && Number.isInteger(value.index) && (value.index as number) >= 0;
}

export function isRerunMessage(value: unknown): value is RerunMessage {
  return isRecord(value) && value.type === 'rerun';
}

export function isWebviewToHostMessage(value: unknown): value is WebviewToHostMessage {
  return (
    isRerunMessage(value) ||
    isDrillDownMessage(value) ||
    isViewIndexMessage(value) ||
    isReadyMessage(value) ||
    isRevealFeatureMessage(value) ||
    isVerifyMaskMessage(value) ||
    isExportMessage(value) ||
    isCopyMarkdownMessage(value)
  );
}
