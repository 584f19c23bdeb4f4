/**
 * Every message between the extension host and the SPEX server, defined once. Both sides import
 * these objects, so a method name or a parameter shape can never drift between them.
 * Method names carry the `spex/` prefix; requests are named VerbNounRequest.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { GpuChoice } from './device';
import type { BatchResult } from './batch';
import type { Comparison } from './comparison';
import type { Explanation, IndexName } from './explanation';
import type { Feature, Granularity, PinnedSpan } from './features';

/** Bumped whenever a message changes shape; the host refuses a server that speaks another version. */
export const PROTOCOL_VERSION = 1;

export interface ServerVersion {
  readonly name: string;
  readonly version: string;
  readonly protocolVersion: number;
}

/** extension → server: which server is this, and which protocol does it speak. */
export const GetVersionRequest = new RequestType0<ServerVersion, void>('spex/version');

export interface SegmentTextParams {
  readonly text: string;
  readonly granularity: Granularity;
  /** Regular expressions (JavaScript syntax, flags `gu` implied) whose matches are never ablated. */
  readonly pin?: readonly string[];
}

export interface SegmentTextResult {
  readonly features: readonly Feature[];
  readonly pinned: readonly PinnedSpan[];
}

/** extension → server: split text into the features an explanation would ablate. */
export const SegmentTextRequest = new RequestType<SegmentTextParams, SegmentTextResult, void>('spex/segment');

/**
 * Options of one explanation; each mirrors a CLI flag in camelCase, and anything omitted comes from
 * the user's `spex.*` settings. The API key is never an option: it reaches the server through
 * ApiKeyChangedNotification.
 */
export interface ExplainOptions {
  readonly backend?: 'ollama' | 'openai' | 'exec' | 'llama';
  /** One endpoint, or several for a pool. */
  readonly endpoint?: string | readonly string[];
  readonly model?: string;
  readonly api?: 'completions' | 'chat';
  readonly raw?: boolean;
  /** How the text is read: `auto` recognises chat message lists (JSON, YAML, .prompt), `text` never does, `messages` insists. */
  readonly promptFormat?: 'auto' | 'text' | 'messages';
  readonly exec?: string;
  readonly granularity?: Granularity;
  readonly pin?: readonly string[];
  readonly target?: string;
  readonly value?: 'auto' | 'logprob' | 'label' | 'similarity';
  readonly maxAnswerTokens?: number;
  readonly mask?: string;
  readonly algorithm?: 'auto' | 'exact' | 'proxyspex' | 'spex';
  readonly budget?: number;
  readonly maxOrder?: number;
  /** Anytime sampling stops once the surrogate predicts fresh masks with at least this R² (0–1]. */
  readonly targetR2?: number;
  /** Anytime sampling stops once a round improves the R² on fresh masks by less than this. */
  readonly plateau?: number;
  /** The interval the value always lies in, MIN:MAX (see protocol/valueRange.ts); empty for none. */
  readonly valueRange?: string;
  readonly order?: number;
  readonly index?: IndexName;
  readonly top?: number;
  readonly seed?: number;
  readonly concurrency?: number;
  /** llama backend: llama.cpp threads per worker (0 = chosen from the CPU cores). */
  readonly threads?: number;
  /** llama backend: the GPU to run the model on (auto = node-llama-cpp's detection, off = the CPU). */
  readonly gpu?: GpuChoice;
  /** Per-call timeout in milliseconds. */
  readonly timeout?: number;
  readonly retries?: number;
}

/** A position in a document, as LSP counts it (UTF-16 code units). */
export interface DocumentPosition {
  readonly line: number;
  readonly character: number;
}

export interface ExplainTextParams {
  readonly text: string;
  /** Where the text came from, echoed back so the host can place decorations; the server never reads it. */
  readonly documentUri?: string;
  readonly range?: { readonly start: DocumentPosition; readonly end: DocumentPosition };
  readonly options?: ExplainOptions;
  /** LSP work-done progress: the server reports calls done and planned, cache hits and ETA under this token. */
  readonly workDoneToken?: string | number;
  /**
   * A drill-down: split these spans of a kept explanation of the same text into `granularity` units,
   * keep the others whole, and explain again with every mask of that run reused (see Refinement).
   */
  readonly refine?: RefineParams;
}

export interface RefineParams {
  readonly explanationId: string;
  /** Span indices of that explanation. */
  readonly split: readonly number[];
  readonly granularity: Granularity;
}

export interface ExplainTextResult {
  /** The explanation's id, for spex/verify and partial results. */
  readonly id: string;
  readonly explanation: Explanation;
  /** True when the request was cancelled and `explanation` is what had been learned by then. */
  readonly cancelled: boolean;
  readonly documentUri?: string;
  readonly range?: ExplainTextParams['range'];
}

/** extension → server: explain text (progress through $/progress, partial results through ExplanationChangedNotification). */
export const ExplainTextRequest = new RequestType<ExplainTextParams, ExplainTextResult, void>('spex/explain');

export interface ExplanationChangedParams {
  readonly id: string;
  /** The workDoneToken of the request this explanation answers, so the host can tell its runs apart. */
  readonly workDoneToken?: string | number;
  /** A partial explanation (after a sampling round), or null when the run has just been given its id. */
  readonly explanation: Explanation | null;
  readonly documentUri?: string;
}

/** server → extension: an explanation in progress has a new partial result. */
export const ExplanationChangedNotification = new NotificationType<ExplanationChangedParams>('spex/explanationChanged');

export interface CostEstimate {
  readonly features: number;
  readonly algorithm: string;
  readonly reason: string;
  readonly plannedMasks: number;
  readonly plannedCalls: number;
  readonly valueFunction: { readonly name: string; readonly reason: string };
  readonly estimatedMs: number;
  /**
   * What scoring a few masks measured before the estimate (the run's first masks, kept in the cache):
   * requests and prompt tokens per mask where the backend counts them, and how many values are bounds.
   */
  readonly sample?: {
    readonly masks: number;
    readonly cached: number;
    readonly requestsPerMask: number | null;
    readonly tokensPerMask: number | null;
    readonly bounded: number;
  };
  /** True when the endpoint is not on this machine, so prompt text would leave it. */
  readonly remote: boolean;
}

/** extension → server: the cost preview of an explanation (a few of the run's first masks scored and cached). */
export const EstimateCostRequest = new RequestType<Pick<ExplainTextParams, 'text' | 'options'>, CostEstimate, void>('spex/estimate');

export interface CompareTextsParams {
  /** The two versions: A, the text the person started from, and B. */
  readonly a: string;
  readonly b: string;
  readonly options?: ExplainOptions;
  /** Explain B with another model (the same text under two models, or two texts under two). */
  readonly modelB?: string;
  readonly workDoneToken?: string | number;
}

export interface CompareTextsResult {
  readonly comparison: Comparison;
  /** The ids of the two kept explanations (for spex/verify and drill-downs). */
  readonly idA: string;
  readonly idB: string;
  readonly cancelled: boolean;
}

/** extension → server: explain two versions with the same settings and compare them span by span. */
export const CompareTextsRequest = new RequestType<CompareTextsParams, CompareTextsResult, void>('spex/compare');

export interface BatchTemplateParams {
  /** A prompt template with {{placeholders}}, and a JSON Lines file of inputs (the files' text). */
  readonly template: string;
  readonly inputs: string;
  readonly options?: ExplainOptions;
  /** What a broken inputs line does: skip it (default) or stop. */
  readonly onBroken?: 'skip' | 'stop';
  readonly workDoneToken?: string | number;
}

/** extension → server: explain a template over every input and aggregate (see server/batch/). */
export const BatchTemplateRequest = new RequestType<BatchTemplateParams, BatchResult, void>('spex/batch');

export interface VerifyMaskParams {
  readonly explanationId: string;
  /** 1 = feature kept, one entry per feature of that explanation. */
  readonly mask: readonly number[];
}

export interface VerifyMaskResult {
  /** The real model's value for the masked prompt, and the explanation's surrogate prediction for comparison. */
  readonly value: number;
  readonly predicted: number;
  readonly cached: boolean;
  /**
   * What the model answers the masked prompt, generated as the explained answer was, where the
   * backend generates text (not an exec scorer): the answer itself and whether it differs from the
   * model's answer to the full prompt.
   */
  readonly answer?: VerifiedAnswer;
}

export interface VerifiedAnswer {
  readonly text: string;
  /** Generation stopped at the token limit, mid-way. */
  readonly cut: boolean;
  /** The model's answer to the full prompt, generated the same way (the explained one unless a target was given). */
  readonly original: string;
  readonly originalCut: boolean;
  /** The two differ (compared with runs of white space as one space, ends trimmed). */
  readonly changed: boolean;
}

/** extension → server: score a what-if mask with the real model (cached like every call). */
export const VerifyMaskRequest = new RequestType<VerifyMaskParams, VerifyMaskResult, void>('spex/verify');

export interface ListModelsResult {
  readonly endpoint: string;
  readonly models: readonly { readonly name: string; readonly digest?: string }[];
}

/** extension → server: the models available at the configured endpoint(s). */
export const ListModelsRequest = new RequestType<{ readonly options?: ExplainOptions }, ListModelsResult, void>('spex/models');

/** extension → server: forget every stored model call; answers how many were removed. */
export const ClearCacheRequest = new RequestType0<{ readonly removed: number }, void>('spex/clearCache');

/** extension → server: the API key from SecretStorage changed (null when cleared). Never logged, never stored. */
export const ApiKeyChangedNotification = new NotificationType<{ readonly apiKey: string | null }>('spex/apiKeyChanged');

/** What the extension passes at initialize (LSP initializationOptions). */
export interface ServerInitializationOptions {
  /** Where the call cache lives (the extension's global storage). */
  readonly cacheDirectory?: string;
  readonly cacheMaxBytes?: number;
}
