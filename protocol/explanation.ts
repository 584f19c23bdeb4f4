import type { Feature, Granularity, PinnedSpan } from './features';

/** Version of the explanation JSON (CLI output, server result, panel state, exports). */
export const EXPLANATION_SCHEMA_VERSION = 1;

import type { IndexName } from '../server/recovery/indexNames';
import type { ComputeDevice } from './device';
import type { FitVerdict } from './verdict';

// The index names are defined by the numeric core that computes them; the protocol only carries them.
export { INDEX_NAMES, isIndexName, type IndexName } from '../server/recovery/indexNames';

/** A set of features and the index's value for it; `features` are sorted feature indices. */
export interface Interaction {
  readonly features: readonly number[];
  readonly value: number;
  /** Set when |value| does not exceed the measured noise floor: the effect may not be real. */
  readonly belowNoise?: boolean;
}

/** A choice the engine made (value function, algorithm) and the reason it gives for it. */
export interface Choice<Name extends string = string> {
  readonly name: Name;
  readonly reason: string;
}

/** One sampling round of an anytime recovery. */
export interface SamplingRound {
  /** Masks scored once the round was done, all rounds so far included. */
  readonly masks: number;
  /** R² of the previous round's surrogate on this round's new masks; null in the first round. */
  readonly freshR2: number | null;
  /** R² of this round's own fit on its held-out masks; null when none were held out. */
  readonly heldOutR2: number | null;
}

export interface Sampling {
  /** The most scores the explanation was allowed: its masks and the noise probe's repeats. */
  readonly budget: number;
  /**
   * Scores of the full prompt beyond its own, taken to measure the noise floor and paid from the
   * budget; absent when there were none, and from explanations written before they were counted.
   */
  readonly noiseRepeats?: number;
  readonly rounds: readonly SamplingRound[];
  /** Why sampling stopped, in words (e.g. "R² on fresh masks stopped improving (0.9712 → 0.9720)"). */
  readonly stoppedBecause: string;
  /**
   * What the surrogate is made of: the weights of the sparse expansion, the dense ridge model, the
   * averaged boosted trees and the additive model (they sum to 1); absent for exact and SPEX
   * recoveries, which are sparse.
   */
  readonly surrogate?: { readonly sparse: number; readonly dense: number; readonly trees: number; readonly additive?: number };
}

/** The masks a sampling record says were scored: those of its last round (0 before any). */
export function sampledMasks(sampling: Sampling): number {
  return sampling.rounds[sampling.rounds.length - 1]?.masks ?? 0;
}

/** What a sampling record spent of its budget: the masks scored and the noise probe's repeats. */
export function spentOfBudget(sampling: Sampling): number {
  return sampledMasks(sampling) + (sampling.noiseRepeats ?? 0);
}

/** The noise probe's repeats in words, e.g. " and 2 repeats of the full prompt (noise floor)"; empty without any. */
export function describeNoiseRepeats(sampling: Sampling): string {
  const repeats = sampling.noiseRepeats ?? 0;
  return repeats > 0 ? ` and ${repeats} ${repeats === 1 ? 'repeat' : 'repeats'} of the full prompt (noise floor)` : '';
}

/**
 * What a surrogate is made of, in words, e.g. "50% dense ridge model, 50% averaged trees": one
 * wording for the report, the panel and the status bar.
 */
export function describeSurrogate(surrogate: NonNullable<Sampling['surrogate']>): string {
  const parts: readonly (readonly [number, string])[] = [
    [surrogate.sparse, 'sparse expansion'],
    [surrogate.dense, 'dense ridge model'],
    [surrogate.trees, 'averaged trees'],
    [surrogate.additive ?? 0, 'additive model'],
  ];
  return parts
    .filter(([weight]) => weight > 0)
    .map(([weight, name]) => `${Math.round(weight * 100)}% ${name}`)
    .join(', ');
}

/**
 * A link-scale fit in words, e.g. "fit on the algebraic link scale of the range −1…1 (the value
 * saturates there); indices from its expansion on the value's scale, which reproduces it with R² 0.921".
 */
export function describeLinkScale(scale: NonNullable<Explanation['linkScale']>): string {
  const fidelity = Number.isFinite(scale.fidelity) ? `, which reproduces it with R² ${scale.fidelity.toFixed(3)}` : '';
  return `fit on the ${scale.link} link scale of the range ${scale.min}…${scale.max} (the value saturates there; what-ifs are predicted through it); indices from its expansion on the value's own scale${fidelity}`;
}

/** An explanation's corrections near its anchors (see Explanation.localCorrection). */
export interface LocalCorrectionRecord {
  readonly nearFull?: {
    readonly power: number;
    readonly step: number;
    /** By feature index. */
    readonly removal: readonly number[];
    /** Its cross-validated error over that of no correction on the masks it was fit on (< 1). */
    readonly errorRatio: number;
  };
  readonly nearEmpty?: { readonly power: number; readonly offset: number };
}

/**
 * The local corrections in words, e.g. "what-ifs that remove a few spans add a local model of
 * removals (held-out error ×0.62 on the masks scored); the empty prompt is met by a term that fades as
 * (share removed)^16".
 */
export function describeLocalCorrection(correction: LocalCorrectionRecord): string {
  const parts: string[] = [];
  if (correction.nearFull)
    parts.push(
      `what-ifs that remove a few spans add a local model of removals (fades as (share kept)^${correction.nearFull.power}; held-out error ×${correction.nearFull.errorRatio.toFixed(2)} on the masks scored)`,
    );
  if (correction.nearEmpty) parts.push(`the empty prompt is met by a term that fades as (share removed)^${correction.nearEmpty.power}`);
  return `${parts.join('; ')}; indices are read from the expansion alone`;
}

/**
 * Tokens a backend that runs the model in process (the llama backend) evaluated for an explanation's
 * prompts, scored masks and noise probes alike: `evaluated` with prefix reuse, `whole` had every
 * prompt been evaluated from its start, and `ideal` had every token a prompt shares with the one
 * evaluated before it on the same worker been reused (the prompt's last token is always evaluated).
 */
export interface TokenCounts {
  readonly prompts: number;
  readonly evaluated: number;
  readonly whole: number;
  readonly ideal: number;
}

/**
 * Token counts in words, e.g. "85.7 tokens evaluated per prompt over 504 prompts (68% of 126.5 for
 * each prompt whole; 1.02× the ideal reuse's 84.4)": one wording for the report and the command line.
 */
export function describeTokens(tokens: TokenCounts): string {
  if (tokens.prompts === 0) return 'no prompts evaluated';
  const per = (count: number): string => (count / tokens.prompts).toFixed(1);
  const share = tokens.whole > 0 ? Math.round((100 * tokens.evaluated) / tokens.whole) : 100;
  const ratio = tokens.ideal > 0 ? `${(tokens.evaluated / tokens.ideal).toFixed(2)}×` : '–';
  return (
    `${per(tokens.evaluated)} tokens evaluated per prompt over ${tokens.prompts} prompt${tokens.prompts === 1 ? '' : 's'} ` +
    `(${share}% of ${per(tokens.whole)} for each prompt whole; ${ratio} the ideal reuse's ${per(tokens.ideal)})`
  );
}

/** How a chat prompt was written: a JSON message list, a YAML one, or a `.prompt` (Dotprompt) file. */
export type ChatSyntax = 'json' | 'yaml' | 'dotprompt';

/** One message of a chat prompt as the model is sent it. */
export interface ChatTurn {
  readonly role: string;
  readonly content: string;
}

/** Where the explained text is a chat prompt: how it was written, and its messages' roles in order. */
export interface ChatPromptInfo {
  readonly syntax: ChatSyntax;
  readonly roles: readonly string[];
}

/** The one wording of a chat prompt, for the reports and the panel. */
export function describeChatPrompt(chat: ChatPromptInfo): string {
  const written = chat.syntax === 'json' ? 'a JSON message list' : chat.syntax === 'yaml' ? 'a YAML message list' : 'a .prompt file';
  const count = chat.roles.length;
  return `a chat of ${count} message${count === 1 ? '' : 's'} (${chat.roles.join(', ')}) written as ${written}, sent to the model as messages; roles are never removed, a removed message is sent empty`;
}

export interface Explanation {
  readonly version: typeof EXPLANATION_SCHEMA_VERSION;
  /** The explained text; every feature offset points into it. */
  readonly text: string;
  /** Present where the text is a chat prompt: spans lie inside the messages' contents. */
  readonly chat?: ChatPromptInfo;
  readonly granularity: Granularity;
  readonly features: readonly Feature[];
  readonly pinned: readonly PinnedSpan[];
  /** The answer whose value is explained, where the value function has one. */
  readonly target: string | null;
  /** The answer was generated up to the token limit and stops mid-way there: readers show it with an ellipsis. */
  readonly targetCut?: boolean;
  /** The backend and model that produced the values, e.g. "exec: node scorer.mjs". */
  readonly model: string;
  readonly valueFunction: Choice;
  readonly algorithm: Choice;
  readonly index: IndexName;
  /** The index order k: the largest interaction reported. */
  readonly order: number;
  /** The recovery degree t: the largest interaction searched for. */
  readonly maxOrder: number;
  /** f(all features kept) and f(all removed). */
  readonly fullValue: number;
  readonly emptyValue: number;
  /** The index's terms, strongest first. */
  readonly interactions: readonly Interaction[];
  /**
   * Each feature's first-order value under the index, by feature index: its effect when kept
   * (for the Fourier index, which has the opposite sign convention, the Banzhaf value). Editors
   * tint spans by it.
   */
  readonly featureValues: readonly number[];
  /**
   * The recovered expansion in the Fourier basis; every index is computed from it. Where `linkScale`
   * is present it is distilled from that surrogate onto the value's own scale.
   */
  readonly fourier: readonly Interaction[];
  /**
   * Where the value is bounded and was fit on a link scale: the range, the link (the range mapped
   * onto −1…1 as u, then atanh(u) or u/√(1 − u²)), the expansion on that scale (it predicts what-ifs:
   * value = min + (max − min)·(1 + g(s))/2 of its sum s, g = tanh or s/√(1 + s²)) and the R² with
   * which `fourier` reproduces that surrogate.
   */
  readonly linkScale?: {
    readonly min: number;
    readonly max: number;
    readonly link: 'atanh' | 'algebraic';
    readonly fourier: readonly Interaction[];
    readonly fidelity: number;
  };
  /**
   * What the surrogate adds to `fourier` (or to the link-scale expansion, on that scale) near the
   * full and the empty prompt, for what-ifs only; indices ignore it (see
   * server/recovery/localCorrection.ts). Near the full prompt, w·(step + Σ removal[i] over removed
   * spans) where any span is removed, w = (share kept)^power; near the empty one,
   * offset·(share removed)^power. Absent where the fit needed neither.
   */
  readonly localCorrection?: LocalCorrectionRecord;
  readonly faithfulness: {
    /** R² on masks not used for fitting; null when none were held out (exact recovery is exact). */
    readonly r2: number | null;
    readonly heldOut: number;
  };
  /**
   * The plain verdict on how far the explanation can be trusted (see protocol/verdict.ts), derived
   * from the faithfulness and the noise floor. When it is `poor`, `interactions` is empty and every
   * feature value is 0: a fit that does not capture the model has no findings. Absent from
   * explanations written before it existed; readers derive it with verdictOf.
   */
  readonly verdict?: FitVerdict;
  /**
   * How the budget was spent: the sampling rounds, each with the R² with which the previous round's
   * surrogate predicted the new masks before fitting them (an honest check on fresh masks), and why
   * sampling stopped (the budget, a target R², a plateau, or a cancel). Absent from explanations
   * written before it existed.
   */
  readonly sampling?: Sampling;
  /** Spread of repeated scores of the full prompt; null when not measured. */
  readonly noiseFloor: number | null;
  /**
   * `model`: masked prompts scored by the model; `cached`: answered from the cache; `masks`: distinct
   * masks; `setup`: calls made before any mask (model list, digest, the answer's generation, probes),
   * absent from explanations written before it was counted; `bounded`: masks whose value is only an
   * upper bound of the exact one (an answer token outside the alternatives the endpoint listed);
   * `requests`: model requests the scoring made, where the backend counts them (a greedy walk makes
   * one per mask plus one per divergence from the answer); `tokens`: what the model evaluated, where
   * the backend counts it (the llama backend), absent elsewhere.
   */
  readonly calls: {
    readonly model: number;
    readonly cached: number;
    readonly masks: number;
    readonly setup?: number;
    readonly bounded?: number;
    readonly requests?: number;
    readonly tokens?: TokenCounts;
  };
  readonly timing: { readonly totalMs: number; readonly modelMs: number; readonly recoveryMs: number };
  /**
   * Where an in-process backend ran the model (the llama backend: CPU or GPU, layers offloaded,
   * memory used); absent for HTTP endpoints and exec scorers, and from explanations written before it existed.
   */
  readonly device?: ComputeDevice;
  /** True when the run was cancelled and this is what it had so far. */
  readonly partial: boolean;
  /**
   * Present where the interactions were read through the panel's filters (an export of what the panel
   * shows): the filter, and how many of the run's terms it left out. The expansion is always whole.
   */
  readonly view?: ExplanationView;
  /** Present on a drill-down: which spans of the coarser explanation were split, and what its calls saved. */
  readonly refinement?: Refinement;
}

/**
 * A drill-down: the strongest spans of an explanation at `from` granularity split into `to` units, the
 * others kept whole (each span's `parent` names where it came from), explained again. Every mask the
 * coarser run scored joins the run lifted to the finer spans (a split span's pieces kept or removed
 * together), and the call cache answers those without a model call.
 */
export interface Refinement {
  readonly from: Granularity;
  readonly to: Granularity;
  /** The coarser explanation's spans that were split (its indices). */
  readonly split: readonly number[];
  /** Spans asked to be split that are one piece at `to` (kept whole). */
  readonly unsplittable: readonly number[];
  /** The coarser run's masks lifted into this one, and how many of them the cache answered. */
  readonly lifted: number;
  readonly reused: number;
}

export interface ExplanationView {
  readonly hiddenOrders: readonly number[];
  readonly synergy: boolean;
  readonly redundancy: boolean;
  /** Terms smaller than this share of the largest were left out. */
  readonly minShare: number;
  readonly hiddenTerms: number;
}
