import type { Surrogate } from '../../server/recovery/surrogate';
import type { ExplanationModel } from './explanationModel';

/**
 * When a what-if prompt's value is "past halfway": it crosses the midpoint between f(all kept) and
 * f(all removed), towards the all-removed side. This is about the value only; whether the model's
 * answer itself changes, only the model can say (Verify), so the panel never calls it a flip. The measured full and empty values are used where
 * the run has them; a streamed round has not measured them yet, so the surrogate's stand in.
 */
export interface FlipRule {
  readonly full: number;
  readonly empty: number;
  readonly threshold: number;
  /** +1 when keeping everything gives the higher value (the usual case), −1 otherwise. */
  readonly direction: 1 | -1;
}

/** The mask of a what-if (1 = kept, as the protocol and the recovery core count). */
export function maskOf(featureCount: number, removed: Iterable<number>): Uint8Array {
  const mask = new Uint8Array(featureCount).fill(1);
  for (const feature of removed) if (feature >= 0 && feature < featureCount) mask[feature] = 0;
  return mask;
}

export function predict(surrogate: Surrogate, featureCount: number, removed: Iterable<number>): number {
  return surrogate.evaluate(maskOf(featureCount, removed));
}

export function flipRule(model: ExplanationModel, surrogate: Surrogate): FlipRule {
  const n = model.featureCount;
  const full = model.fullValue ?? surrogate.evaluate(new Uint8Array(n).fill(1));
  const empty = model.emptyValue ?? surrogate.evaluate(new Uint8Array(n));
  return { full, empty, threshold: (full + empty) / 2, direction: full >= empty ? 1 : -1 };
}

/** True when `value` lies past the midpoint, on the all-removed side. */
export function flips(rule: FlipRule, value: number): boolean {
  return rule.direction * (value - rule.threshold) < 0;
}

/** How far `value` lies from f(all removed) (0) to f(all kept) (1); can leave [0, 1]. */
export function shareOfFull(rule: FlipRule, value: number): number {
  const span = rule.full - rule.empty;
  return span === 0 ? 1 : (value - rule.empty) / span;
}

/** The explanation of the flip rule, for tooltips. */
export function flipRuleText(rule: FlipRule): string {
  return (
    `Past halfway: the value falls beyond the midpoint ${rule.threshold.toFixed(4)} between ` +
    `f(all kept) = ${rule.full.toFixed(4)} and f(all removed) = ${rule.empty.toFixed(4)}. ` +
    "Whether the model's answer itself changes, only the model can say: Verify with model."
  );
}
