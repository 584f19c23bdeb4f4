import { recoverExactWith } from './exact';
import { planRecovery, type RecoveryPlan } from './plan';
import { recoverProxySpex, type ProxySpexOptions } from './proxyspex/proxySpex';
import { seededRandom } from './random';
import { recoverSpex } from './spex/spex';
import type { SpexDecoder } from './spex/spexDecode';
import type { AbortSignalLike, AlgorithmChoice, MaskEvaluator, Recovery, RecoveryProgress } from './types';

export interface RecoverOptions {
  readonly featureCount: number;
  /** The most distinct masks (model calls) to spend. */
  readonly budget: number;
  /** Recovery degree t: the highest interaction order searched (default 5). */
  readonly maxOrder?: number;
  /** Which algorithm; `auto` (default) picks exact, ProxySPEX or SPEX from n and the budget. */
  readonly algorithm?: AlgorithmChoice;
  /** Seed of every random choice (masks, splits, hashing); the same seed reproduces a run (default 0). */
  readonly seed?: number;
  readonly signal?: AbortSignalLike;
  readonly onProgress?: (progress: RecoveryProgress) => void;
  /** ProxySPEX tuning (rounds, target R², plateau, proxy options). */
  readonly proxySpex?: Partial<Omit<ProxySpexOptions, 'featureCount' | 'budget' | 'random' | 'signal' | 'onProgress' | 'maxOrder'>>;
  readonly spexDecoder?: SpexDecoder;
  /** Calls of the budget the caller spends on something other than masks (see PlanInput.reserved). */
  readonly reserved?: number;
}

/** The one entry point of the numeric core: plan, then run the chosen algorithm. */
export async function recover(evaluate: MaskEvaluator, options: RecoverOptions): Promise<Recovery & { readonly plan: RecoveryPlan }> {
  const plan = planRecovery({
    featureCount: options.featureCount,
    budget: options.budget,
    maxOrder: options.maxOrder ?? 5,
    algorithm: options.algorithm ?? 'auto',
    ...(options.proxySpex?.maxRounds === undefined ? {} : { maxRounds: options.proxySpex.maxRounds }),
    ...(options.reserved === undefined ? {} : { reserved: options.reserved }),
  });
  // The algorithms spend the masks' share of the budget.
  const budget = options.budget - (options.reserved ?? 0);
  const random = seededRandom(options.seed ?? 0);
  const common = { ...(options.signal ? { signal: options.signal } : {}), reason: plan.reason };
  let recovery: Recovery;
  switch (plan.algorithm) {
    case 'exact':
      recovery = await recoverExactWith(evaluate, options.featureCount, common);
      break;
    case 'spex':
      recovery = await recoverSpex(evaluate, {
        featureCount: options.featureCount,
        budget,
        maxOrder: plan.maxOrder,
        random,
        ...common,
        ...(options.spexDecoder ? { decoder: options.spexDecoder } : {}),
      });
      break;
    case 'proxyspex':
      recovery = await recoverProxySpex(evaluate, {
        ...options.proxySpex,
        featureCount: options.featureCount,
        budget,
        maxOrder: plan.maxOrder,
        random,
        ...common,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      break;
  }
  return { ...recovery, plan };
}
