import { fitBaggedTrees } from './baggedTrees';
import { distillToValueScale } from './valueScaleDistillation';
import { fromLinkScale, toLinkScale, validateValueRange } from '../linkScale';
import { surrogateOf } from '../surrogate';
import { fitNearFullCorrection, nearEmptyCorrection, type LocalCorrection } from '../localCorrection';
import { chooseLink } from './linkChoice';
import { fitDenseRefit } from './denseRefit';
import { fitFirstOrder } from './firstOrderFit';
import { EXACT_MAX_FEATURES, recoverExactWith } from '../exact';
import { CompiledFourier, rSquared } from '../expansion';
import { DEFAULT_BOOSTING, type BoostingOptions } from './gradientBoosting';
import { EMPTY_KEY, type InteractionKey } from '../interactionKey';
import { anchorMasks, anchorValues, passThroughEmpty, passThroughFull } from '../anchors';
import { DEFAULT_MOSTLY_KEPT_SHARE, distinctMostlyKeptMasks, distinctUniformMasks, maskKey, validateMasks } from '../masks';
import { seededRandom, splitRows, type RandomSource } from '../random';
import { meanSquaredError, variance } from '../statistics';
import { DEFAULT_SPARSE_FIT, fitSparseFourier, type SparseFitOptions } from './sparseFourierFit';
import { pruneSpectrum, weightedSum, type Spectrum } from '../spectrum';
import {
  checkValues,
  RecoveryError,
  type AbortSignalLike,
  type SurrogateMix,
  type MaskEvaluator,
  type Recovery,
  type RecoveryProgress,
  type LinkName,
  type RoundReport,
  type ValueRange,
} from '../types';

export interface ProxySpexOptions {
  readonly featureCount: number;
  /** The most distinct masks to score. */
  readonly budget: number;
  /** Recovery degree t: tree depth and the highest order searched. */
  readonly maxOrder?: number;
  readonly random: RandomSource;
  /** Share of the masks held out of each fit to measure it (default 0.2). */
  readonly validationFraction?: number;
  /** Sampling rounds: the budget is spent in up to this many doubling rounds (default 4; 1 = all at once). */
  readonly maxRounds?: number;
  /** Stop sampling once the expansion predicts fresh masks with at least this R² (default 0.999). */
  readonly targetR2?: number;
  /** Stop sampling once a round improves the R² on fresh masks by less than this (default 0.002; 0 never stops on a plateau). */
  readonly plateau?: number;
  /**
   * Share of each round's new masks that keep most spans (each kept with a probability of 0.85–0.95),
   * the rest uniform (default 0.15). Uniform masks keep half the spans, so a surrogate fitted on them
   * alone extrapolates to the what-ifs users try; a share near the full prompt lifted R² on masks that
   * keep ≥ 80 % of the spans from 0.33–0.92 to 0.91–0.97 at 250 masks for at most 0.02 of uniform R².
   */
  readonly mostlyKeptShare?: number;
  /** Use the boosted-tree proxy to propose terms (default true); without it only the hierarchical search runs. */
  readonly useTrees?: boolean;
  readonly boosting?: Partial<BoostingOptions>;
  readonly sparseFit?: Partial<SparseFitOptions>;
  /**
   * Where the value is known to lie in a range (a sentiment score, a cosine, a probability): the
   * surrogate is fit on the value's link scale and distilled back (see linkScale.ts). On VADER
   * sentiment over 38 sentences this lifted R² on fresh masks from 0.79 to 0.93 at 1,000 masks.
   */
  readonly valueRange?: ValueRange;
  /**
   * Masks scored before this run that join its first round: a drill-down's masks of the coarse run,
   * lifted to the finer spans (each piece of a split span as its parent), which the call cache answers
   * without a model call. Up to half the budget they replace fresh draws (a model call saved each);
   * beyond it they come on top, so that half the budget always goes to masks that split the pieces.
   */
  readonly priorMasks?: readonly Uint8Array[];
  readonly signal?: AbortSignalLike;
  readonly onProgress?: (progress: RecoveryProgress) => void;
  /** Explains auto's choice in the diagnostics. */
  readonly reason?: string;
}

/** Fewer masks than this cannot split into a fit and a check. */
export const PROXYSPEX_MIN_BUDGET = 16;
const FIRST_ROUND_MIN = 64;
/** Below this R² on fresh masks a stalled round does not stop sampling. */
const PLATEAU_FLOOR = 0.9;
const TREE_CANDIDATES = 1000;
/**
 * The empty prompt's correction is made where it adds at most this share to the surrogate's held-out
 * mean squared error over uniform masks: on a 12-sentence story, whose surrogate misses the empty
 * prompt by 6 nats, an unconditional one cost 0.1 of R² at 250 masks.
 */
const EMPTY_CORRECTION_SHARE = 0.05;
/**
 * Where the expansion still misses the empty prompt, the near-empty correction outside it (see
 * localCorrection.ts) fades fast enough to add at most this share to the mean squared error of the
 * masks fit on; errors at the level of rounding are left alone.
 */
const NEAR_EMPTY_CORRECTION_SHARE = 0.01;
const EMPTY_ROUNDING = 1e-9;
/** Bags the tree proxy of a round before the last grows (the last grows DEFAULT_BAGGING.bags). */
const LIGHT_BAGS = 2;
/** A hierarchical fit this good on the validation masks leaves nothing for the tree proxy to find. */
const TREES_UNNEEDED_R2 = 0.995;
/**
 * A surrogate that holds tree spectra keeps its strongest terms up to this share of their energy, and
 * at most so many terms: the rest are thousands of crumbs that change no prediction visibly but slow
 * every what-if and index computation.
 */
const SURROGATE_ENERGY = 0.99995;
const MAX_SURROGATE_TERMS = 6000;
/**
 * A single model (the sparse fit, the dense model or the trees) replaces the even blend of the dense
 * model and the trees only when its error on the held-out masks is below this share of the blend's.
 * A hundred held-out masks decide the choice, and on them a model that is worse on fresh masks often
 * wins by a little; the blend is the safer model for a function that is not sparse, and a sparse
 * function's fit wins by far more than this.
 */
const CLEARLY_BETTER = 0.8;
const SPARSE_ONLY: SurrogateMix = { sparse: 1, dense: 0, trees: 0 };
/**
 * A richer model this good on the held-out masks is not mixed with the additive one: a sparse
 * function's fit is then nearly exact, and a mix weighted on a hundred masks would only add noise.
 */
const STACKING_UNNEEDED_R2 = 0.99;

interface ResolvedOptions {
  readonly featureCount: number;
  readonly budget: number;
  readonly maxOrder: number;
  readonly validationFraction: number;
  readonly maxRounds: number;
  readonly targetR2: number;
  readonly plateau: number;
  readonly useTrees: boolean;
  readonly mostlyKeptShare: number;
  readonly boosting: BoostingOptions;
  readonly sparseFit: SparseFitOptions;
  readonly valueRange: ValueRange | undefined;
}

function resolve(options: ProxySpexOptions): ResolvedOptions {
  const { featureCount, budget } = options;
  if (!Number.isInteger(featureCount) || featureCount < 1 || featureCount > 4096) {
    throw new RecoveryError(`ProxySPEX needs between 1 and 4,096 features; got ${featureCount}.`);
  }
  if (!Number.isInteger(budget) || budget < PROXYSPEX_MIN_BUDGET) {
    throw new RecoveryError(`ProxySPEX needs a budget of at least ${PROXYSPEX_MIN_BUDGET} masks; got ${budget}.`);
  }
  const maxOrder = options.maxOrder ?? 5;
  if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > 8)
    throw new RecoveryError(`maxOrder must be a whole number from 1 to 8; got ${maxOrder}.`);
  const validationFraction = options.validationFraction ?? 0.2;
  if (!(validationFraction > 0 && validationFraction < 0.5))
    throw new RecoveryError(`validationFraction must be in (0, 0.5); got ${validationFraction}.`);
  const maxRounds = options.maxRounds ?? 4;
  if (!Number.isInteger(maxRounds) || maxRounds < 1 || maxRounds > 12)
    throw new RecoveryError(`maxRounds must be a whole number from 1 to 12; got ${maxRounds}.`);
  const targetR2 = options.targetR2 ?? 0.999;
  const plateau = options.plateau ?? 0.002;
  if (!(targetR2 > 0 && targetR2 <= 1)) throw new RecoveryError(`targetR2 must be in (0, 1]; got ${targetR2}.`);
  if (!(plateau >= 0)) throw new RecoveryError(`plateau must be ≥ 0; got ${plateau}.`);
  if (options.valueRange) validateValueRange(options.valueRange);
  const mostlyKeptShare = options.mostlyKeptShare ?? DEFAULT_MOSTLY_KEPT_SHARE;
  if (!(mostlyKeptShare >= 0 && mostlyKeptShare <= 0.5))
    throw new RecoveryError(`mostlyKeptShare must be in [0, 0.5]; got ${mostlyKeptShare}.`);
  return {
    featureCount,
    // Only 2^n distinct masks exist.
    budget: featureCount < 31 ? Math.min(budget, 2 ** featureCount) : budget,
    maxOrder,
    validationFraction,
    maxRounds,
    targetR2,
    plateau,
    useTrees: options.useTrees ?? true,
    mostlyKeptShare,
    boosting: { ...DEFAULT_BOOSTING, maxDepth: maxOrder, ...options.boosting },
    sparseFit: { ...DEFAULT_SPARSE_FIT, maxOrder, ...options.sparseFit },
    valueRange: options.valueRange,
  };
}

/** The cumulative mask counts of the sampling rounds: doubling up to the budget. */
export function proxySpexRounds(budget: number, maxRounds: number): number[] {
  if (maxRounds <= 1 || budget <= FIRST_ROUND_MIN) return [budget];
  let size = Math.max(FIRST_ROUND_MIN, Math.ceil(budget / 2 ** (maxRounds - 1)));
  const sizes: number[] = [];
  while (size < budget) {
    sizes.push(size);
    size *= 2;
  }
  sizes.push(budget);
  return sizes;
}

/**
 * ProxySPEX, improved: random masks (mostly uniform, a share near the full prompt), a boosted-tree
 * proxy whose exact Fourier spectrum proposes interactions, and a sparse refit that chooses the support by significance and a
 * hierarchical search instead of a fixed energy cut. The budget is spent in doubling rounds; before
 * each round's masks join the fit they test the previous expansion, an honest held-out R², and
 * sampling stops when that R² reaches the target or stops improving.
 */
export async function recoverProxySpex(evaluate: MaskEvaluator, options: ProxySpexOptions): Promise<Recovery> {
  const resolved = resolve(options);
  const { featureCount } = resolved;
  if (featureCount <= EXACT_MAX_FEATURES && resolved.budget >= 2 ** featureCount) {
    // Every mask fits in the budget: nothing to learn, the exact transform is cheaper and exact.
    return recoverExactWith(evaluate, featureCount, {
      ...(options.signal ? { signal: options.signal } : {}),
      reason: `all 2^${featureCount} masks fit in the budget of ${options.budget}, so the expansion was computed exactly`,
    });
  }
  const started = Date.now();
  let evaluateMs = 0;
  let batches = 0;
  const masks: Uint8Array[] = [];
  const values: number[] = [];
  const seen = new Set<string>();
  const rounds: RoundReport[] = [];
  const schedule = proxySpexRounds(resolved.budget, resolved.maxRounds);
  let current: ReturnType<typeof fitOnce> | undefined;
  let stoppedBecause = `scored all ${resolved.budget} masks the budget allows`;
  let streams: FitStreams | undefined;
  let currentIsFinal = false;
  const priors = options.priorMasks ?? [];
  validateMasks(priors, featureCount);
  /**
   * Priors beyond half the budget come on top of it: the other half is always drawn fresh, because
   * priors lifted from a coarser run move a split span's pieces together and cannot tell them apart.
   */
  let priorsOnTop = 0;

  for (const size of schedule) {
    options.signal?.throwIfAborted();
    const fresh: Uint8Array[] = [];
    if (masks.length === 0) {
      // The anchors are always scored: the full prompt (whose answer is explained) and the empty one.
      const { full, empty } = anchorMasks(featureCount);
      for (const anchor of [full, empty]) {
        fresh.push(anchor);
        seen.add(maskKey(anchor));
      }
      // Every prior joins, even past the first round's size: they cost no call, and each adds a sample.
      let taken = 0;
      for (const prior of priors) {
        const key = maskKey(prior);
        if (seen.has(key)) continue;
        seen.add(key);
        fresh.push(prior);
        taken += 1;
      }
      priorsOnTop = Math.max(0, taken - Math.floor(resolved.budget / 2));
    }
    const wanted = Math.max(0, size + priorsOnTop - masks.length - fresh.length);
    const mostlyKept = Math.round(wanted * resolved.mostlyKeptShare);
    // Uniform masks first, so that a round's first masks are what the cost preview draws with the same seed.
    const drawn = distinctUniformMasks(featureCount, wanted - mostlyKept, options.random, seen);
    for (const mask of drawn) seen.add(maskKey(mask));
    drawn.push(...distinctMostlyKeptMasks(featureCount, mostlyKept, options.random, seen));
    fresh.push(...drawn);
    if (fresh.length === 0) {
      // An earlier run's masks already fill this round: on to the next.
      if (masks.length >= size && size !== schedule.at(-1)) continue;
      if (masks.length < size) stoppedBecause = 'every distinct mask has been scored';
      break;
    }
    const evaluateStarted = Date.now();
    const freshValues = await evaluate(fresh, options.signal);
    evaluateMs += Date.now() - evaluateStarted;
    batches += 1;
    checkValues(freshValues, fresh);
    const freshR2 =
      current && fresh.length >= 8
        ? rSquared(
            freshValues,
            surrogateOf({ fourier: current.spectrum, ...(current.link ? { linkScale: current.link } : {}) }).evaluateMany(fresh),
          )
        : null;
    masks.push(...fresh);
    values.push(...freshValues);
    // Whether sampling stops is decided by the fresh masks alone, before this round's fit: a round
    // that is not the last gets a lighter fit (its surrogate only measures the next round and shows a
    // partial result), and the dense model's search, the costliest step, runs once, at the end.
    const previousFresh = rounds.at(-1)?.freshR2 ?? null;
    const stopReason = stopSampling(freshR2, previousFresh, fresh.length, resolved);
    const last = stopReason !== undefined || size === schedule.at(-1);
    // Fits draw from their own stream, split off once the first masks are drawn (so that the cost
    // preview's masks stay the run's first): a change to how a fit uses randomness then leaves the
    // masks of later rounds as they were, and comparisons between fitting methods see the same data.
    streams ??= fitStreams(Math.floor(options.random() * 2 ** 32));
    const fit = fitOnce(masks, Float64Array.from(values), resolved, streams, last);
    current = fit;
    currentIsFinal = last;
    rounds.push({ masks: masks.length, freshR2, validationR2: fit.validationR2, supportSize: fit.spectrum.size });
    options.onProgress?.({
      masksQueried: masks.length,
      plannedMasks: resolved.budget,
      partial: makeRecovery(fit, rounds, masks.length, batches, started, evaluateMs, 'in progress', options.reason),
    });
    if (stopReason !== undefined) {
      stoppedBecause = stopReason;
      break;
    }
  }
  // Sampling can end before the last scheduled round (every distinct mask scored): the last fit was
  // a light one, and the surrogate reported is a full fit on every mask.
  if (current && !currentIsFinal && streams) current = fitOnce(masks, Float64Array.from(values), resolved, streams, true);
  if (!current) throw new RecoveryError('ProxySPEX scored no masks.');
  return makeRecovery(current, rounds, masks.length, batches, started, evaluateMs, stoppedBecause, options.reason);
}

/**
 * The random streams of the fits: the fits' own, and the distillation's, kept apart so that whether a
 * round distils (a link was chosen) does not change the draws of the fits after it.
 */
interface FitStreams {
  readonly fit: RandomSource;
  readonly distill: RandomSource;
}

function fitStreams(seed: number): FitStreams {
  return { fit: seededRandom(seed), distill: seededRandom(seed ^ 0x5eed_d157) };
}

/** Why sampling stops after a round whose fresh masks the previous surrogate predicted with R² `freshR2`, if it does. */
function stopSampling(
  freshR2: number | null,
  previousFresh: number | null,
  freshCount: number,
  options: ResolvedOptions,
): string | undefined {
  if (freshR2 === null) return undefined;
  if (freshR2 >= options.targetR2)
    return `the expansion predicted ${freshCount} fresh masks with R² ${freshR2.toFixed(4)} ≥ ${options.targetR2}`;
  // A plateau only ends sampling once the fit is good: a poor fit that stalls usually lacks data.
  if (options.plateau > 0 && freshR2 >= PLATEAU_FLOOR && previousFresh !== null && freshR2 - previousFresh < options.plateau)
    return `R² on fresh masks stopped improving (${previousFresh.toFixed(4)} → ${freshR2.toFixed(4)})`;
  return undefined;
}

/**
 * Fits a sparse Fourier expansion to masks and values the caller already has (from any design, e.g.
 * a log of earlier model calls), with ProxySPEX's proxy and sparse refit and no further queries.
 */
export function fitFromSamples(
  masks: readonly Uint8Array[],
  values: Float64Array,
  options: {
    readonly featureCount: number;
    readonly maxOrder?: number;
    readonly random: RandomSource;
    readonly validationFraction?: number;
    /** A bounded value is fit on its link scale, as in a run (see ProxySpexOptions.valueRange). */
    readonly valueRange?: ValueRange;
  },
): Recovery {
  const resolved = resolve({ ...options, budget: Math.max(PROXYSPEX_MIN_BUDGET, masks.length) });
  if (masks.length < 2) throw new RecoveryError(`Fitting needs at least 2 masks; got ${masks.length}.`);
  try {
    validateMasks(masks, options.featureCount);
  } catch (error) {
    throw new RecoveryError((error as Error).message);
  }
  checkValues(values, masks);
  const started = Date.now();
  const fit = fitOnce(masks, values, resolved, { fit: options.random, distill: options.random }, true);
  return makeRecovery(fit, [], masks.length, 0, started, 0, 'fit the given samples', 'fit to given samples');
}

function makeRecovery(
  fit: SurrogateFit,
  rounds: readonly RoundReport[],
  masksQueried: number,
  batches: number,
  started: number,
  evaluateMs: number,
  stoppedBecause: string,
  reason: string | undefined,
): Recovery {
  return {
    fourier: fit.spectrum,
    ...(fit.link ? { linkScale: { range: fit.link.range, link: fit.link.link, fourier: fit.link.fourier } } : {}),
    ...(fit.localCorrection ? { localCorrection: fit.localCorrection } : {}),
    diagnostics: {
      algorithm: 'proxyspex',
      reason: reason ?? 'chosen by the caller',
      masksQueried,
      batches,
      heldOutR2: fit.validationR2,
      heldOutMasks: fit.heldOut,
      supportSize: fit.spectrum.size,
      surrogate: fit.model,
      ...(fit.link ? { link: { range: fit.link.range, link: fit.link.link, fidelity: fit.link.fidelity } } : {}),
      computeMs: Date.now() - started - evaluateMs,
      evaluateMs,
      stoppedBecause,
      rounds: [...rounds],
    },
  };
}

/** A round's surrogate and how well it held out. */
interface SurrogateFit {
  readonly spectrum: Spectrum;
  readonly validationR2: number | null;
  readonly heldOut: number;
  readonly model: SurrogateMix;
  readonly validation: HeldOutPrediction;
  /**
   * Where the fit was made on the link scale of a bounded value: the range, that scale's expansion
   * (the surrogate that predicts) and the fidelity of `spectrum`, distilled from it onto the value's scale.
   */
  readonly link?: { readonly range: ValueRange; readonly link: LinkName; readonly fourier: Spectrum; readonly fidelity: number };
  /** The last fit's corrections near the anchors, on the scale it was fit on (see localCorrection.ts). */
  readonly localCorrection?: LocalCorrection;
}

/** The chosen model's training-rows fit's predictions of the held-out rows. */
interface HeldOutPrediction {
  readonly rows: Int32Array;
  readonly prediction: Float64Array;
}

/**
 * One fit on all masks so far, passed exactly through the full and the empty prompt's values where
 * they were scored.
 * A light fit (a round before the last) leaves out the dense model.
 */
function fitOnce(
  masks: readonly Uint8Array[],
  values: Float64Array,
  options: ResolvedOptions,
  streams: FitStreams,
  final: boolean,
): SurrogateFit {
  const { full, empty } = anchorValues(masks, values, options.featureCount);
  // The empty prompt's correction may add at most this share to the held-out error (see passThroughEmpty).
  const anchored = (spectrum: Spectrum, heldOutError: number, toScale: (value: number) => number = (value) => value): Spectrum =>
    passThroughEmpty(
      passThroughFull(spectrum, options.featureCount, full === undefined ? undefined : toScale(full)),
      options.featureCount,
      empty === undefined ? undefined : toScale(empty),
      options.maxOrder,
      EMPTY_CORRECTION_SHARE * heldOutError,
    );
  const linked = options.valueRange ? fitOnLinkScale(masks, values, options, options.valueRange, streams, final) : undefined;
  if (linked) {
    const { range, link } = linked.link;
    const toLink = (value: number): number => toLinkScale(value, range, link);
    const linkValues = values.map(toLink);
    const linkError = heldOutError(linked.validation, linkValues);
    const linkFourier = anchored(linked.link.fourier, linkError, toLink);
    return {
      ...linked,
      spectrum: anchored(
        linked.spectrum,
        heldOutError(linked.validation, values, (value) => fromLinkScale(value, range, link)),
      ),
      link: { ...linked.link, fourier: linkFourier },
      ...(final ? localCorrectionOf(masks, linkValues, linkFourier, linkError, options.featureCount, streams.fit) : {}),
    };
  }
  const chosen = fitSurrogate(masks, values, options, streams.fit, final);
  const error = heldOutError(chosen.validation, values);
  const spectrum = anchored(chosen.spectrum, error);
  return {
    ...chosen,
    spectrum,
    ...(final ? localCorrectionOf(masks, values, spectrum, error, options.featureCount, streams.fit) : {}),
  };
}

/**
 * The corrections the last fit makes near its anchors (see localCorrection.ts), from its residuals on
 * the scale it was fit on: near the full prompt where cross-validation finds one worth it, and near
 * the empty prompt where the expansion still misses that prompt's scored value.
 */
function localCorrectionOf(
  masks: readonly Uint8Array[],
  values: Float64Array,
  spectrum: Spectrum,
  heldOutError: number,
  featureCount: number,
  random: RandomSource,
): { localCorrection?: LocalCorrection } {
  const predictions = new CompiledFourier(spectrum).evaluateMany(masks);
  const residuals = Float64Array.from(values, (value, row) => value - (predictions[row] as number));
  const nearFull = fitNearFullCorrection(masks, residuals, featureCount, random);
  const emptyRow = masks.findIndex((mask) => mask.every((bit) => bit === 0));
  // The near-full correction is 0 at the empty prompt, so the residual there is what is left to meet.
  const offset = emptyRow < 0 ? 0 : (residuals[emptyRow] as number);
  const nearEmpty =
    Math.abs(offset) > EMPTY_ROUNDING * Math.max(1, Math.abs(values[emptyRow] ?? 0))
      ? nearEmptyCorrection(masks, featureCount, offset, NEAR_EMPTY_CORRECTION_SHARE * heldOutError)
      : undefined;
  if (!nearFull && !nearEmpty) return {};
  return { localCorrection: { ...(nearFull ? { nearFull } : {}), ...(nearEmpty ? { nearEmpty } : {}) } };
}

/**
 * The mean squared error of a fit's held-out predictions (mapped by `toScale` where they are on
 * another scale than `values`); 0 without held-out masks (nothing may then be changed at a cost).
 */
function heldOutError(
  validation: HeldOutPrediction,
  values: ArrayLike<number>,
  toScale: (value: number) => number = (value) => value,
): number {
  const { rows, prediction } = validation;
  if (rows.length === 0) return 0;
  let sum = 0;
  rows.forEach((row, i) => {
    sum += ((values[row] as number) - toScale(prediction[i] as number)) ** 2;
  });
  return sum / rows.length;
}

/**
 * A bounded value fit on the link scale on which it is most nearly additive (see linkChoice.ts and
 * linkScale.ts): that fit predicts, and its held-out R² is measured on the value's own scale; the
 * expansion that indices read is distilled from it onto the value's scale (see
 * valueScaleDistillation.ts). Undefined where no link is clearly better than none, or the
 * distillation cannot be made: the value is then fit on its own scale.
 */
function fitOnLinkScale(
  masks: readonly Uint8Array[],
  values: Float64Array,
  options: ResolvedOptions,
  range: ValueRange,
  streams: FitStreams,
  final: boolean,
): (SurrogateFit & { readonly link: NonNullable<SurrogateFit['link']> }) | undefined {
  const link = chooseLink(masks, values, options.featureCount, range, streams.fit);
  if (!link) return undefined;
  const linked = fitSurrogate(
    masks,
    Float64Array.from(values, (value) => toLinkScale(value, range, link)),
    options,
    streams.fit,
    final,
  );
  const distilled = distillToValueScale(
    linked.spectrum,
    masks,
    options.featureCount,
    { range, link },
    options.maxOrder,
    streams.distill,
    final,
  );
  if (!distilled) return undefined;
  const { rows, prediction } = linked.validation;
  const validationR2 =
    rows.length >= 2
      ? rSquared(
          Float64Array.from(rows, (row) => values[row] as number),
          Float64Array.from(prediction, (value) => fromLinkScale(value, range, link)),
        )
      : null;
  return {
    ...linked,
    spectrum: distilled.spectrum,
    validationR2,
    link: { range, link, fourier: linked.spectrum, fidelity: distilled.fidelity },
  };
}

/** Split, proxy, candidates, sparse refit, dense and blended models. */
function fitSurrogate(
  masks: readonly Uint8Array[],
  values: Float64Array,
  options: ResolvedOptions,
  random: RandomSource,
  final: boolean,
): SurrogateFit {
  const heldOut = masks.length >= 10 ? Math.max(2, Math.floor(masks.length * options.validationFraction)) : 0;
  const { trainRows, validationRows } = splitRows(masks.length, heldOut, random);
  // The hierarchical search alone is tried first; the tree proxy, the costlier step, runs only when
  // that leaves signal on the validation masks (terms without a footprint the search can follow).
  let sparse = fitSparseFourier({ masks, values, trainRows, validationRows, candidates: [] }, options.sparseFit);
  if (!options.useTrees || (sparse.validationR2 ?? 0) >= TREES_UNNEEDED_R2)
    return finish(sparse, heldOut, SPARSE_ONLY, { rows: validationRows, prediction: sparse.validationPrediction });
  // A round before the last grows half the bags: its surrogate only has to be good enough to judge the next round by.
  const bagging = { boosting: options.boosting, ...(final ? {} : { bags: LIGHT_BAGS }) };
  const proxy = fitBaggedTrees(masks, values, trainRows, options.featureCount, random, bagging);
  const candidates = strongestTerms(proxy.spectrum, TREE_CANDIDATES);
  // A round before the last skips the sparse refit on the proxy's terms: the trees stand in for it.
  const withTrees = final ? fitSparseFourier({ masks, values, trainRows, validationRows, candidates }, options.sparseFit) : undefined;
  if (withTrees && (withTrees.validationR2 ?? Number.NEGATIVE_INFINITY) >= (sparse.validationR2 ?? Number.NEGATIVE_INFINITY))
    sparse = withTrees;
  if (validationRows.length < 8)
    return finish(sparse, heldOut, SPARSE_ONLY, { rows: validationRows, prediction: sparse.validationPrediction });
  // What the sparse fit leaves unexplained may be many small terms rather than a few missed ones:
  // a ridge over every feature, the support and the proxy's strongest terms (the dense model), and
  // the averaged trees themselves. Their even blend is kept unless one of the three predicts the
  // held-out masks clearly better. Every model is judged by its training-rows fit's predictions.
  const validationTarget = Float64Array.from(validationRows, (row) => values[row] as number);
  const proxyPrediction = new CompiledFourier(proxy.spectrum).evaluateMany(Array.from(validationRows, (row) => masks[row] as Uint8Array));
  const sparseError = meanSquaredError(validationTarget, sparse.validationPrediction);
  const treesError = meanSquaredError(validationTarget, proxyPrediction);
  const dense = !final
    ? undefined
    : fitDenseRefit({
        masks,
        values,
        featureCount: options.featureCount,
        trainRows,
        validationRows,
        support: [...sparse.spectrum.keys()],
        supportValues: [...sparse.spectrum.values()],
        candidates,
        maxOrder: options.maxOrder,
        // When the trees are far behind the sparse fit, the function looks sparse, and a dense model
        // that starts far behind too need not be tuned: the further behind the trees, the less slack.
        ...(treesError > 4 * sparseError
          ? { giveUpAbove: 1.25 * sparseError }
          : treesError > 2 * sparseError
            ? { giveUpAbove: 2 * sparseError }
            : {}),
      });
  const denseError = dense ? meanSquaredError(validationTarget, dense.validationPrediction) : Number.POSITIVE_INFINITY;
  // Without a dense model the blend is the trees alone.
  const blendPrediction = dense
    ? Float64Array.from(proxyPrediction, (value, i) => (value + (dense.validationPrediction[i] as number)) / 2)
    : proxyPrediction;
  const errors = { sparse: sparseError, dense: denseError, trees: treesError, blend: meanSquaredError(validationTarget, blendPrediction) };
  const single = (['sparse', 'dense', 'trees'] as const).reduce((best, kind) => (errors[kind] < errors[best] ? kind : best));
  const richerKind = errors[single] < CLEARLY_BETTER * errors.blend ? single : 'blend';
  // Where the trees are kept, the last round grows them again on every row (the held-out ones too, as
  // the sparse and dense spectra are refit): +0.005 to +0.025 of R² on the exact-truth prompts, most at
  // 250 masks. A round before the last keeps the proxy itself, grown on the training rows.
  const keepsTrees = richerKind === 'blend' || richerKind === 'trees';
  const trees =
    final && keepsTrees
      ? fitBaggedTrees(masks, values, Int32Array.from([...validationRows, ...trainRows]), options.featureCount, random, bagging).spectrum
      : proxy.spectrum;
  const richer = richerModel(richerKind, errors[richerKind], { sparse, dense, trees, proxyPrediction, blendPrediction });
  const varianceHeldOut = variance(validationTarget);
  const firstOrder = fitFirstOrder(masks, values, options.featureCount, trainRows, validationRows);
  if (!firstOrder || 1 - richer.error / varianceHeldOut >= STACKING_UNNEEDED_R2)
    return finish({ spectrum: richer.spectrum, validationR2: 1 - richer.error / varianceHeldOut }, heldOut, richer.mix, {
      rows: validationRows,
      prediction: richer.prediction,
    });
  // The additive model has a parameter per span and nothing to tune. Where a value function is nearly
  // additive over many spans, it predicts fresh masks as well as the richer model or better, and
  // neither wins on a hundred held-out masks reliably; their mix, weighted by least squares on those
  // masks, is never worse there than either and beat both on the long-prompt benchmark.
  const weight = stackingWeight(validationTarget, firstOrder.validationPrediction, richer.prediction);
  const stacked = Float64Array.from(
    richer.prediction,
    (value, i) => weight * (firstOrder.validationPrediction[i] as number) + (1 - weight) * value,
  );
  const validationR2 = 1 - meanSquaredError(validationTarget, stacked) / varianceHeldOut;
  if (weight === 0)
    return finish({ spectrum: richer.spectrum, validationR2 }, heldOut, richer.mix, { rows: validationRows, prediction: stacked });
  const spectrum = weightedSum([
    [firstOrder.spectrum, weight],
    [richer.spectrum, 1 - weight],
  ]);
  const mix: SurrogateMix = {
    sparse: (1 - weight) * richer.mix.sparse,
    dense: (1 - weight) * richer.mix.dense,
    trees: (1 - weight) * richer.mix.trees,
    additive: weight + (1 - weight) * (richer.mix.additive ?? 0),
  };
  return finish({ spectrum, validationR2 }, heldOut, mix, { rows: validationRows, prediction: stacked });
}

/** A surrogate the additive model may be mixed into: its spectrum, held-out predictions and error. */
interface CandidateModel {
  readonly spectrum: Spectrum;
  readonly prediction: Float64Array;
  readonly error: number;
  readonly mix: SurrogateMix;
}

function richerModel(
  kind: 'sparse' | 'dense' | 'trees' | 'blend',
  error: number,
  fits: {
    readonly sparse: { readonly spectrum: Spectrum; readonly validationPrediction: Float64Array };
    readonly dense: { readonly spectrum: Spectrum; readonly validationPrediction: Float64Array } | undefined;
    readonly trees: Spectrum;
    readonly proxyPrediction: Float64Array;
    readonly blendPrediction: Float64Array;
  },
): CandidateModel {
  const { sparse, dense, trees } = fits;
  if (kind === 'sparse') return { spectrum: sparse.spectrum, prediction: sparse.validationPrediction, error, mix: SPARSE_ONLY };
  if (kind === 'dense' && dense)
    return { spectrum: dense.spectrum, prediction: dense.validationPrediction, error, mix: { sparse: 0, dense: 1, trees: 0 } };
  // Without a dense model the blend is the trees alone.
  if (kind === 'trees' || !dense)
    return { spectrum: pruneSurrogate(trees), prediction: fits.proxyPrediction, error, mix: { sparse: 0, dense: 0, trees: 1 } };
  const blend = weightedSum([
    [dense.spectrum, 0.5],
    [trees, 0.5],
  ]);
  return { spectrum: pruneSurrogate(blend), prediction: fits.blendPrediction, error, mix: { sparse: 0, dense: 0.5, trees: 0.5 } };
}

/** The weight w in [0, 1] of `a` in w·a + (1 − w)·b that fits `target` best in least squares. */
function stackingWeight(target: Float64Array, a: Float64Array, b: Float64Array): number {
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < target.length; i += 1) {
    const difference = (a[i] as number) - (b[i] as number);
    numerator += ((target[i] as number) - (b[i] as number)) * difference;
    denominator += difference * difference;
  }
  if (!(denominator > 0)) return 0;
  return Math.min(1, Math.max(0, numerator / denominator));
}

/** Tree spectra hold thousands of crumbs; the surrogate keeps what changes its predictions. */
function pruneSurrogate(spectrum: Spectrum): Spectrum {
  return pruneSpectrum(spectrum, SURROGATE_ENERGY, MAX_SURROGATE_TERMS);
}

function finish(
  fit: { readonly spectrum: Spectrum; readonly validationR2: number | null },
  heldOut: number,
  model: SurrogateMix,
  validation: HeldOutPrediction,
): SurrogateFit {
  const spectrum = fit.spectrum.has(EMPTY_KEY) ? fit.spectrum : new Map([[EMPTY_KEY, 0], ...fit.spectrum]);
  return { spectrum, validationR2: fit.validationR2, heldOut, model, validation };
}

/** The non-constant terms of a spectrum, largest magnitude first (ties by key, so runs repeat). */
function strongestTerms(spectrum: Spectrum, count: number): InteractionKey[] {
  const magnitudes = Float64Array.from(
    [...spectrum].filter(([key]) => key !== EMPTY_KEY),
    ([, value]) => Math.abs(value),
  ).sort();
  // Tree spectra hold tens of thousands of terms: only those at or above the count-th largest
  // magnitude are sorted.
  const cut = magnitudes.length > count ? (magnitudes[magnitudes.length - count] as number) : 0;
  return [...spectrum]
    .filter(([key, value]) => key !== EMPTY_KEY && Math.abs(value) >= cut)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || (a[0] < b[0] ? -1 : 1))
    .slice(0, count)
    .map(([key]) => key);
}
