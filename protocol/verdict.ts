import type { Explanation } from './explanation';

/**
 * How far an explanation can be trusted, in one word: `exact` (every mask scored, deterministic
 * values), `good` (the surrogate predicts masks it never saw), `rough` (read the top spans only) or
 * `poor` (the model's behaviour is not captured: nothing it says is a finding).
 */
export type FitLevel = 'exact' | 'good' | 'rough' | 'poor';

export interface FitVerdict {
  readonly level: FitLevel;
  /** The verdict in words, e.g. "fits well" or "does not fit: the model's behaviour is not captured". */
  readonly label: string;
  /** The verdict in the two or three words a status bar or a summary line has room for. */
  readonly short: string;
  /** What it rests on, e.g. "held-out R² 0.912 on 200 masks". */
  readonly evidence: string;
  /** What to do about a rough or poor fit; null when there is nothing to do. */
  readonly advice: string | null;
  /**
   * The R² the verdict rests on: the held-out R², capped by the share of the values' variance that
   * the noise floor leaves explainable; null when neither was measured.
   */
  readonly r2: number | null;
}

/** At or above this R² an explanation fits well; below ROUGH_R2 it does not fit at all. */
export const GOOD_R2 = 0.8;
export const ROUGH_R2 = 0.5;

/** What the verdict is computed from: the explanation's own record of how well it fits. */
export type VerdictInput = Pick<Explanation, 'faithfulness' | 'noiseFloor' | 'fourier' | 'algorithm'>;

/**
 * The plain verdict on an explanation, from its held-out R² and its noise floor. An exact recovery
 * reproduces every value it scored, noise included, so its R² is what the noise leaves: 1 − σ²/Var,
 * with σ the spread of repeated scores of the full prompt and Var the variance of the values over
 * uniformly random masks (Σ_{S≠∅} F(S)², read off the expansion). A held-out R² is capped the same
 * way, since no fit can be more faithful than the values it was fit on are repeatable.
 */
export function verdictOf(explanation: VerdictInput): FitVerdict {
  const variance = explanation.fourier.reduce((sum, term) => sum + (term.features.length > 0 ? term.value * term.value : 0), 0);
  const noise = typeof explanation.noiseFloor === 'number' && explanation.noiseFloor > 0 ? explanation.noiseFloor : 0;
  const heldOutR2 = finiteOrNull(explanation.faithfulness.r2);
  const exact = explanation.algorithm.name === 'exact' && heldOutR2 === null;
  if (!(variance > 0) && (exact || heldOutR2 === null)) {
    // A surrogate without a non-constant term: the value does not depend on the spans (or the
    // explanation carries no expansion to tell, in which case only its held-out R² can speak).
    if (noise > 0)
      return verdict('poor', `no span changes the value beyond the noise (repeated scores vary by ${noise.toPrecision(2)})`, 0);
    return verdict(exact ? 'exact' : 'good', 'no span changes the value', 1);
  }
  // With no expansion to measure the variance by, the noise floor cannot be weighed against it.
  const noiseCeiling = noise > 0 && variance > 0 ? 1 - (noise * noise) / variance : 1;
  const noiseEvidence = noise > 0 ? `; repeated scores vary by ${noise.toPrecision(2)} (${percent(1 - noiseCeiling)} of the variance)` : '';
  if (exact) {
    if (noise === 0) return verdict('exact', 'every mask scored, deterministic values', 1);
    return verdict(levelOf(noiseCeiling), `every mask scored${noiseEvidence}`, noiseCeiling);
  }
  if (heldOutR2 === null) {
    // Nothing held out (a SPEX design too small to spare masks): the fit is unchecked, never "good".
    return verdict(noiseCeiling < ROUGH_R2 ? 'poor' : 'rough', `not checked on held-out masks${noiseEvidence}`, null);
  }
  const r2 = Math.min(heldOutR2, noiseCeiling);
  return verdict(levelOf(r2), `held-out R² ${heldOutR2.toFixed(3)} on ${explanation.faithfulness.heldOut} masks${noiseEvidence}`, r2);
}

/** The verdict as one line: "rough: read the top spans only (held-out R² 0.612 on 200 masks)". */
export function describeVerdict(fit: FitVerdict): string {
  return `${fit.label} (${fit.evidence})${fit.advice ? `. ${fit.advice}` : ''}`;
}

/** Whether an explanation's terms may be listed as findings: not when the fit does not capture the model. */
export function hasFindings(fit: FitVerdict): boolean {
  return fit.level !== 'poor';
}

const LABELS: Readonly<Record<FitLevel, string>> = {
  exact: 'exact',
  good: 'fits well',
  rough: 'rough: read the top spans only',
  poor: "does not fit: the model's behaviour is not captured",
};

const SHORT_LABELS: Readonly<Record<FitLevel, string>> = {
  exact: 'exact',
  good: 'fits well',
  rough: 'rough fit',
  poor: 'does not fit',
};

const ADVICE: Readonly<Record<FitLevel, string | null>> = {
  exact: null,
  good: null,
  rough: 'A larger budget or a coarser granularity would sharpen it.',
  poor: 'No interactions are reported. Try a coarser granularity or a larger budget.',
};

function verdict(level: FitLevel, evidence: string, r2: number | null): FitVerdict {
  return { level, label: LABELS[level], short: SHORT_LABELS[level], evidence, advice: ADVICE[level], r2 };
}

function levelOf(r2: number): FitLevel {
  return r2 >= GOOD_R2 ? 'good' : r2 >= ROUGH_R2 ? 'rough' : 'poor';
}

function finiteOrNull(value: number | null): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function percent(share: number): string {
  return `${Math.round(Math.max(0, Math.min(1, share)) * 100)}%`;
}
