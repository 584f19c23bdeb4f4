import type { LocalCorrection } from './localCorrection';
import type { Spectrum } from './spectrum';

/** The recovery algorithms; `auto` picks one of them from n and the budget. */
export const ALGORITHM_NAMES = ['exact', 'proxyspex', 'spex'] as const;
export type AlgorithmName = (typeof ALGORITHM_NAMES)[number];
export type AlgorithmChoice = AlgorithmName | 'auto';

/**
 * The part of AbortSignal the core needs; the numeric core sees no DOM or Node types, and both
 * runtimes' AbortSignal satisfy this.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  throwIfAborted(): void;
}

/**
 * The value function as the recovery sees it: a batch of masks (1 = feature kept) in, one finite
 * number per mask out. The caller batches, caches, deduplicates and schedules the model calls.
 */
export type MaskEvaluator = (masks: readonly Uint8Array[], signal?: AbortSignalLike) => Promise<Float64Array>;

/** One step of an anytime run: how many masks had been scored, and how well the model then predicted fresh ones. */
export interface RoundReport {
  readonly masks: number;
  /** R² of the previous round's expansion on this round's new masks, before fitting on them; null in round 1. */
  readonly freshR2: number | null;
  /** R² on the validation split of this round's own fit. */
  readonly validationR2: number | null;
  readonly supportSize: number;
}

/**
 * The links a bounded value can be fit through, each from (−1, 1) (its range mapped onto it) to the
 * whole line (see linkScale.ts). A score that saturates is nearly additive on the right one, where its
 * raw values carry interactions of every order among the spans that push it towards an end: `atanh`
 * for a logistic saturation (for a probability, half its logit), `algebraic` (u/√(1 − u²)) for VADER's
 * compound sentiment, x/√(x² + 15) of a sum of word valences.
 */
export const LINK_NAMES = ['atanh', 'algebraic'] as const;
export type LinkName = (typeof LINK_NAMES)[number];

/** The interval a value is known to lie in (VADER's compound sentiment: [−1, 1]). */
export interface ValueRange {
  readonly min: number;
  readonly max: number;
}

/**
 * What a ProxySPEX surrogate is made of: the weights (summing to 1) of the sparse expansion chosen
 * term by term, the dense ridge fit of many small terms, and the averaged boosted trees read out
 * exactly, chosen on the held-out masks.
 */
export interface SurrogateMix {
  readonly sparse: number;
  readonly dense: number;
  readonly trees: number;
  /** The additive (first-order least squares) model's weight, where it is mixed in. */
  readonly additive?: number;
}

export interface RecoveryDiagnostics {
  readonly algorithm: AlgorithmName;
  /** Why this algorithm (auto's reasoning, or "chosen by the caller"). */
  readonly reason: string;
  /** Distinct masks asked of the value function. */
  readonly masksQueried: number;
  /** Calls to the evaluator (each a batch). */
  readonly batches: number;
  /** R² on masks not used to fit the final expansion; null when every mask was used (exact is exact). */
  readonly heldOutR2: number | null;
  readonly heldOutMasks: number;
  readonly supportSize: number;
  /** The kind of surrogate ProxySPEX kept (exact and SPEX recoveries are sparse by construction). */
  readonly surrogate?: SurrogateMix;
  /**
   * Where a bounded value was fit on its link scale: the range, and the R² of the value-scale
   * expansion (the one indices are read from) against the link-scale surrogate it was distilled from.
   */
  readonly link?: { readonly range: ValueRange; readonly link: LinkName; readonly fidelity: number };
  /** Time spent in the recovery itself, and waiting for the evaluator. */
  readonly computeMs: number;
  readonly evaluateMs: number;
  readonly stoppedBecause: string;
  readonly rounds: readonly RoundReport[];
}

export interface Recovery {
  /**
   * The recovered expansion in the Fourier basis (always holds ∅). Where `linkScale` is present it is
   * distilled from that surrogate: the expansion indices are read from, on the value's own scale.
   */
  readonly fourier: Spectrum;
  /**
   * Where a bounded value was fit on its link scale: the expansion on that scale, which with the
   * range is the surrogate that predicts values (see linkScale.ts: surrogateOf).
   */
  readonly linkScale?: { readonly range: ValueRange; readonly link: LinkName; readonly fourier: Spectrum };
  /**
   * What the surrogate adds near the full and the empty prompt, outside the expansion and on the
   * scale it was fit on (see localCorrection.ts): what-ifs use it, indices do not.
   */
  readonly localCorrection?: LocalCorrection;
  readonly diagnostics: RecoveryDiagnostics;
}

/** Reported between rounds, so a caller can show progress and stream partial results. */
export interface RecoveryProgress {
  readonly masksQueried: number;
  readonly plannedMasks: number;
  readonly partial?: Recovery;
}

/** A problem with the options or the values, worded for the person who has to fix it. */
export class RecoveryError extends Error {
  override readonly name = 'RecoveryError';
}

/** Checks an evaluator's answer: one finite number per mask. */
export function checkValues(values: Float64Array, masks: readonly Uint8Array[]): void {
  if (values.length !== masks.length) {
    throw new RecoveryError(`The value function returned ${values.length} values for ${masks.length} masks.`);
  }
  for (let i = 0; i < values.length; i += 1) {
    if (!Number.isFinite(values[i])) {
      throw new RecoveryError(
        `The value function returned ${values[i]} for mask ${i} (${formatMask(masks[i] as Uint8Array)}); every value must be a finite number.`,
      );
    }
  }
}

function formatMask(mask: Uint8Array): string {
  const text = Array.from(mask.subarray(0, 64)).join('');
  return mask.length > 64 ? `${text}…` : text;
}
