import { isVerifiedAnswer, type ShowExplanationMessage, type ShowSegmentationMessage } from '../protocol/webview';
import type { VerifiedAnswer } from '../protocol/server';
import { DEFAULT_MIN_SHARE, MIN_SHARE_CHOICES } from '../protocol/termFilter';
import { isIndexName, type IndexName } from '../server/recovery/indexNames';
import type { ExplanationModel } from './model/explanationModel';
import { SORT_KEYS, type SortKey } from './model/termFilter';
import { ARC_COUNTS, DEFAULT_ARC_COUNT } from './view/marginArcs';

export const TABS = ['list', 'matrix', 'whatif'] as const;
export type Tab = (typeof TABS)[number];

/** The matrix's "top N" choices. */
export const MATRIX_SIZES = [10, 25, 50, 100, 200] as const;

/** One "Verify with model" request and, once it comes, its answer. */
export interface Verification {
  readonly requestId: number;
  /** Removed spans of the verified mask, sorted. */
  readonly removed: readonly number[];
  /** The surrogate's value for the mask when it was sent. */
  readonly predicted: number;
  readonly status: 'pending' | 'done' | 'failed';
  readonly value?: number;
  readonly cached?: boolean;
  /** The model's generated answer to the masked prompt, where the backend generates text. */
  readonly answer?: VerifiedAnswer;
  readonly message?: string;
}

/** Every choice the person made in the panel; it survives hiding and reloads. */
export interface UiState {
  readonly index: IndexName;
  readonly order: number;
  readonly hiddenOrders: readonly number[];
  readonly synergy: boolean;
  readonly redundancy: boolean;
  /** Terms below this share of the largest are hidden (one of MIN_SHARE_CHOICES). */
  readonly minShare: number;
  readonly sort: SortKey;
  readonly descending: boolean;
  /** The selected interaction's sorted features, or null. */
  readonly selected: readonly number[] | null;
  /** Spans removed in the what-if, sorted. */
  readonly removed: readonly number[];
  readonly tab: Tab;
  /** Whether the header's run details are open (closed: the one-line summary only). */
  readonly detailsOpen: boolean;
  /** The text pane's height in CSS pixels where the person resized it in the stacked layout; null: the default. */
  readonly textHeight: number | null;
  /** How many of the strongest interactions the margin beside the text draws (one of ARC_COUNTS). */
  readonly arcs: number;
  readonly matrixTop: number;
  readonly bestK: number;
  readonly verifications: readonly Verification[];
  readonly nextRequestId: number;
}

export type View = ShowSegmentationMessage | ShowExplanationMessage;

/** The smallest text pane a resize is kept at (below it the pane would hide the text it exists for). */
export const MIN_TEXT_HEIGHT = 80;

/** The choices about the panel's layout, which carry over from one explanation to the next. */
export function layoutOf(ui: UiState): Pick<UiState, 'tab' | 'detailsOpen' | 'textHeight' | 'arcs'> {
  return { tab: ui.tab, detailsOpen: ui.detailsOpen, textHeight: ui.textHeight, arcs: ui.arcs };
}

/** What setState keeps: the last view the host posted and the person's choices on it. */
export interface PersistedState {
  readonly version: 1;
  readonly view: View;
  readonly ui: UiState;
}

/** The choices a fresh explanation starts with: its own index and order, nothing selected or removed. */
export function defaultUi(model: ExplanationModel | undefined): UiState {
  return {
    index: model?.explanation.index ?? 'fsii',
    order: model?.explanation.order ?? 2,
    hiddenOrders: [],
    synergy: true,
    redundancy: true,
    minShare: DEFAULT_MIN_SHARE,
    sort: 'strength',
    descending: true,
    selected: null,
    removed: [],
    tab: 'list',
    detailsOpen: false,
    textHeight: null,
    arcs: DEFAULT_ARC_COUNT,
    matrixTop: 25,
    bestK: Math.max(1, Math.min(3, model?.featureCount ?? 3)),
    verifications: [],
    nextRequestId: 1,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sorted, distinct feature indices below n from an untrusted list (anything else dropped). */
function featureList(value: unknown, n: number): number[] {
  if (!Array.isArray(value)) return [];
  const valid = value.filter((entry): entry is number => Number.isInteger(entry) && (entry as number) >= 0 && (entry as number) < n);
  return [...new Set(valid)].sort((a, b) => a - b);
}

function verification(value: unknown, n: number, reloaded: boolean): Verification | undefined {
  if (!isRecord(value) || !Number.isInteger(value.requestId) || typeof value.predicted !== 'number') return undefined;
  // A request still pending when the page went away will never be answered to this page.
  const lost = reloaded && value.status === 'pending';
  const status = value.status === 'done' || value.status === 'failed' || (value.status === 'pending' && !lost) ? value.status : 'failed';
  return {
    requestId: value.requestId as number,
    removed: featureList(value.removed, n),
    predicted: value.predicted,
    status,
    ...(typeof value.value === 'number' ? { value: value.value } : {}),
    ...(typeof value.cached === 'boolean' ? { cached: value.cached } : {}),
    ...(isVerifiedAnswer(value.answer) ? { answer: value.answer } : {}),
    message: lost ? 'No answer: the panel was reloaded while waiting.' : typeof value.message === 'string' ? value.message : '',
  };
}

/**
 * Checks saved or carried-over choices against the explanation shown: anything invalid falls back
 * to the default, indices beyond the features are dropped, and orders the selector lacks are clamped.
 * `reloaded` says the choices come from a saved state, whose pending verifications are lost.
 */
export function reconcileUi(saved: unknown, model: ExplanationModel | undefined, reloaded: boolean): UiState {
  const fallback = defaultUi(model);
  if (!isRecord(saved)) return fallback;
  const n = model?.featureCount ?? 0;
  const orders = model?.orders ?? [fallback.order];
  const canSwitch = model?.canRecompute ?? false;
  const index = canSwitch && isIndexName(saved.index) ? saved.index : fallback.index;
  const order = canSwitch && orders.includes(saved.order as number) ? (saved.order as number) : fallback.order;
  const selected = featureList(saved.selected, n);
  const verifications = Array.isArray(saved.verifications)
    ? saved.verifications.map((entry) => verification(entry, n, reloaded)).filter((entry): entry is Verification => entry !== undefined)
    : [];
  const bestK = Number.isInteger(saved.bestK) ? Math.max(1, Math.min(n || 1, saved.bestK as number)) : fallback.bestK;
  return {
    index,
    order,
    hiddenOrders: Array.isArray(saved.hiddenOrders) ? saved.hiddenOrders.filter((entry): entry is number => Number.isInteger(entry)) : [],
    synergy: typeof saved.synergy === 'boolean' ? saved.synergy : true,
    redundancy: typeof saved.redundancy === 'boolean' ? saved.redundancy : true,
    minShare: (MIN_SHARE_CHOICES as readonly unknown[]).includes(saved.minShare) ? (saved.minShare as number) : fallback.minShare,
    sort: (SORT_KEYS as readonly unknown[]).includes(saved.sort) ? (saved.sort as SortKey) : fallback.sort,
    descending: typeof saved.descending === 'boolean' ? saved.descending : true,
    selected: selected.length > 0 && Array.isArray(saved.selected) && selected.length === saved.selected.length ? selected : null,
    removed: featureList(saved.removed, n),
    tab: (TABS as readonly unknown[]).includes(saved.tab) ? (saved.tab as Tab) : fallback.tab,
    detailsOpen: typeof saved.detailsOpen === 'boolean' ? saved.detailsOpen : fallback.detailsOpen,
    textHeight:
      typeof saved.textHeight === 'number' && Number.isFinite(saved.textHeight) && saved.textHeight >= MIN_TEXT_HEIGHT
        ? Math.round(saved.textHeight)
        : fallback.textHeight,
    arcs: (ARC_COUNTS as readonly unknown[]).includes(saved.arcs) ? (saved.arcs as number) : fallback.arcs,
    matrixTop: (MATRIX_SIZES as readonly unknown[]).includes(saved.matrixTop) ? (saved.matrixTop as number) : fallback.matrixTop,
    bestK,
    verifications,
    nextRequestId: Math.max(
      Number.isInteger(saved.nextRequestId) ? (saved.nextRequestId as number) : 1,
      ...verifications.map((entry) => entry.requestId + 1),
    ),
  };
}
