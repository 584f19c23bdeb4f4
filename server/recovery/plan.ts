import { EXACT_MAX_FEATURES } from './exact';
import { PROXYSPEX_MIN_BUDGET, proxySpexRounds } from './proxyspex/proxySpex';
import { spexSampleCount } from './spex/spexDesign';
import { RecoveryError, type AlgorithmChoice, type AlgorithmName } from './types';

export interface PlanInput {
  readonly featureCount: number;
  /** The most distinct masks (model calls) the caller will pay for. */
  readonly budget: number;
  /** Recovery degree t. */
  readonly maxOrder: number;
  readonly algorithm: AlgorithmChoice;
  /** ProxySPEX sampling rounds (default 4). */
  readonly maxRounds?: number;
  /**
   * Calls of the budget taken for something other than masks (the noise probe's repeats of the full
   * prompt): the masks get the rest, and messages still speak of the whole budget. Default 0.
   */
  readonly reserved?: number;
}

/** What a recovery will ask for, known before any model call, so a caller can show the cost. */
export interface RecoveryPlan {
  readonly algorithm: AlgorithmName;
  /** Why this algorithm, in a sentence for the user. */
  readonly reason: string;
  /** The most distinct masks it will query (it may stop sooner). */
  readonly masks: number;
  /** Evaluator calls (batches) at most. */
  readonly batches: number;
  /** The recovery degree it will use (SPEX lowers t when the budget is small). */
  readonly maxOrder: number;
  /** SPEX only: log2 of the bins per group. */
  readonly spexBins?: number;
}

/** SPEX groups (C) used by plans. */
export const SPEX_GROUPS = 3;
/** Bins per group (2^b) from which auto prefers SPEX: enough to separate hundreds of terms without hierarchy. */
export const AUTO_SPEX_MIN_B = 8;
/** Smallest useful SPEX design: 2^3 bins per group. */
export const SPEX_MIN_B = 3;
const SPEX_MAX_B = 16;
/** Random masks held out to measure a SPEX result (they are part of its budget). */
export function spexHoldout(budget: number): number {
  return Math.max(16, Math.min(500, Math.floor(budget * 0.05)));
}

/** The largest b whose SPEX design (plus hold-out) fits the budget at degree t, or undefined. */
export function largestSpexB(featureCount: number, budget: number, t: number): number | undefined {
  const available = budget - spexHoldout(budget);
  let best: number | undefined;
  for (let b = SPEX_MIN_B; b <= SPEX_MAX_B; b += 1) {
    if (spexSampleCount(featureCount, b, t, SPEX_GROUPS) <= available) best = b;
    else break;
  }
  return best;
}

export function planRecovery(input: PlanInput): RecoveryPlan {
  const { featureCount, budget: calls, maxOrder } = input;
  const reserved = input.reserved ?? 0;
  if (!Number.isInteger(reserved) || reserved < 0)
    throw new RecoveryError(`The calls reserved from the budget must be a whole number ≥ 0; got ${reserved}.`);
  // The masks' share of the budget; `calls` is what the user gave and what messages name.
  const budget = calls - reserved;
  const besides = reserved > 0 ? `, ${reserved} of them for repeats of the full prompt that measure the noise floor` : '';
  if (!Number.isInteger(featureCount) || featureCount < 1)
    throw new RecoveryError(`There must be at least one feature to explain; got ${featureCount}.`);
  if (featureCount > 4096)
    throw new RecoveryError(`At most 4,096 features can be explained at once; got ${featureCount}. Choose a coarser granularity.`);
  if (!Number.isInteger(calls) || calls < 1)
    throw new RecoveryError(`The budget must be a positive whole number of model calls; got ${calls}.`);
  if (budget < 1) throw new RecoveryError(`A budget of ${calls} model calls leaves no masks to score${besides}.`);
  if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > 8)
    throw new RecoveryError(`maxOrder must be a whole number from 1 to 8; got ${maxOrder}.`);
  const exactMasks = featureCount <= EXACT_MAX_FEATURES ? 2 ** featureCount : Number.POSITIVE_INFINITY;
  const choice = input.algorithm;
  if (choice === 'exact' || (choice === 'auto' && exactMasks <= budget)) {
    if (exactMasks > budget || featureCount > EXACT_MAX_FEATURES) {
      throw new RecoveryError(
        featureCount > EXACT_MAX_FEATURES
          ? `Exact recovery scores all 2^n masks and handles at most ${EXACT_MAX_FEATURES} features; there are ${featureCount}.`
          : `Exact recovery of ${featureCount} features scores all ${exactMasks} masks, more than the budget of ${calls} allows${besides}.`,
      );
    }
    return {
      algorithm: 'exact',
      reason:
        choice === 'exact'
          ? 'chosen by the caller'
          : `all 2^${featureCount} = ${exactMasks} masks fit in the budget of ${calls}, so the expansion can be computed exactly`,
      masks: exactMasks,
      batches: 1,
      maxOrder: Math.min(maxOrder, featureCount),
    };
  }
  if (choice === 'spex' || choice === 'auto') {
    const spex = planSpex(featureCount, budget, maxOrder, choice === 'spex', calls, besides);
    if (spex && (choice === 'spex' || (spex.spexBins ?? 0) >= AUTO_SPEX_MIN_B)) return spex;
  }
  if (budget < PROXYSPEX_MIN_BUDGET) {
    throw new RecoveryError(
      `A budget of ${calls} model calls is too small; ProxySPEX needs at least ${PROXYSPEX_MIN_BUDGET + reserved}${reserved > 0 ? ` (${PROXYSPEX_MIN_BUDGET} masks and ${reserved} repeats of the full prompt that measure the noise floor)` : ''}.`,
    );
  }
  const masks = featureCount < 31 ? Math.min(budget, 2 ** featureCount) : budget;
  return {
    algorithm: 'proxyspex',
    reason:
      choice === 'proxyspex'
        ? 'chosen by the caller'
        : `2^${featureCount} masks exceed the budget of ${calls}; ProxySPEX learns the interactions from ${masks} random masks (SPEX would need ${spexSampleCount(featureCount, AUTO_SPEX_MIN_B, maxOrder, SPEX_GROUPS)} masks to resolve them without assuming their lower-order footprints)`,
    masks,
    batches: proxySpexRounds(masks, input.maxRounds ?? 4).length,
    maxOrder,
  };
}

/** SPEX's design size for a budget: the largest b at degree t, lowering t down to 2 when even b = 3 does not fit. */
export function spexParameters(featureCount: number, budget: number, maxOrder: number): { b: number; t: number } | undefined {
  for (let t = maxOrder; t >= Math.min(2, maxOrder); t -= 1) {
    const b = largestSpexB(featureCount, budget, t);
    if (b !== undefined) return { b, t };
  }
  return undefined;
}

/** SPEX's plan (see spexParameters), or undefined when the budget is too small and SPEX was not required. */
function planSpex(
  featureCount: number,
  budget: number,
  maxOrder: number,
  required: boolean,
  calls: number,
  besides: string,
): RecoveryPlan | undefined {
  const parameters = spexParameters(featureCount, budget, maxOrder);
  if (parameters) {
    const { b, t } = parameters;
    const designMasks = spexSampleCount(featureCount, b, t, SPEX_GROUPS);
    return {
      algorithm: 'spex',
      reason: required
        ? `chosen by the caller${t < maxOrder ? `; the budget affords degree ${t}, not ${maxOrder}` : ''}`
        : `the budget of ${calls} affords a SPEX design with 2^${b} bins per group, which recovers interactions up to degree ${t} without assuming their lower-order footprints`,
      masks: designMasks + spexHoldout(budget),
      batches: 1,
      maxOrder: t,
      spexBins: b,
    };
  }
  if (!required) return undefined;
  const minimum = spexSampleCount(featureCount, SPEX_MIN_B, Math.min(2, maxOrder), SPEX_GROUPS) + spexHoldout(budget);
  throw new RecoveryError(
    `SPEX needs at least about ${minimum} model calls for ${featureCount} features; the budget is ${calls}${besides}. Raise the budget or use ProxySPEX.`,
  );
}
