/**
 * Messages between the extension host and the panel's webview, as discriminated unions. Each side
 * checks every message it receives with the guards below: the webview is a separate, untrusted
 * context, and a message from the host may be stale after a reload.
 */
import type { Feature, PinnedSpan } from './features';

/** host → webview: show how text splits into features (before, or instead of, an explanation). */
export interface ShowSegmentationMessage {
  readonly type: 'showSegmentation';
  readonly text: string;
  readonly features: readonly Feature[];
  readonly pinned: readonly PinnedSpan[];
}

export type HostToWebviewMessage = ShowSegmentationMessage;

/** webview → host: the page has loaded and its listener is in place; the host may now post state. */
export interface ReadyMessage {
  readonly type: 'ready';
}

/** webview → host: the person clicked a feature; the host reveals it in the editor. */
export interface RevealFeatureMessage {
  readonly type: 'revealFeature';
  readonly index: number;
}

export type WebviewToHostMessage = ReadyMessage | RevealFeatureMessage;

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

export function isHostToWebviewMessage(value: unknown): value is HostToWebviewMessage {
  return isShowSegmentationMessage(value);
}

export function isReadyMessage(value: unknown): value is ReadyMessage {
  return isRecord(value) && value.type === 'ready';
}

/** Checks the shape only; the host also checks `index` against the features it sent. */
export function isRevealFeatureMessage(value: unknown): value is RevealFeatureMessage {
  return isRecord(value) && value.type === 'revealFeature' && Number.isInteger(value.index) && (value.index as number) >= 0;
}

export function isWebviewToHostMessage(value: unknown): value is WebviewToHostMessage {
  return isReadyMessage(value) || isRevealFeatureMessage(value);
}
