import { CompiledFourier } from './expansion';
import { spectrumFromTerms, type Spectrum } from './spectrum';
import { RecoveryError, type LinkName, type ValueRange } from './types';

/**
 * Values on the link scale stop this far inside the range's ends: a value at an end (a compound
 * sentiment of exactly 1) would map to infinity, and one a hair from it to a point so far out that
 * it alone would steer the fit. 0.999 of the half-range maps to ±3.8.
 */
const LINK_LIMIT = 0.999;

export function validateValueRange(range: ValueRange): void {
  if (!(Number.isFinite(range.min) && Number.isFinite(range.max) && range.min < range.max))
    throw new RecoveryError(`valueRange needs finite min < max; got [${range.min}, ${range.max}].`);
}

/** The range mapped onto [−1, 1]. */
function unitOf(value: number, range: ValueRange): number {
  return (2 * value - (range.max + range.min)) / (range.max - range.min);
}

export function toLinkScale(value: number, range: ValueRange, link: LinkName): number {
  const unit = Math.max(-LINK_LIMIT, Math.min(LINK_LIMIT, unitOf(value, range)));
  return link === 'atanh' ? Math.atanh(unit) : unit / Math.sqrt(1 - unit * unit);
}

export function fromLinkScale(linked: number, range: ValueRange, link: LinkName): number {
  const unit = link === 'atanh' ? Math.tanh(linked) : linked / Math.sqrt(1 + linked * linked);
  return ((range.max - range.min) * unit + (range.max + range.min)) / 2;
}

/** What predicts a value from a mask: a Fourier expansion, or one on a link scale. */
export interface Surrogate {
  evaluate(mask: Uint8Array): number;
  evaluateMany(masks: readonly Uint8Array[]): Float64Array;
}

/** An expansion fit on the link scale of a bounded value, predicting on the value's own scale. */
export class LinkedSurrogate implements Surrogate {
  private readonly linked: CompiledFourier;

  constructor(
    linkSpectrum: Spectrum,
    private readonly range: ValueRange,
    private readonly link: LinkName,
  ) {
    this.linked = new CompiledFourier(linkSpectrum);
  }

  evaluate(mask: Uint8Array): number {
    return fromLinkScale(this.linked.evaluate(mask), this.range, this.link);
  }

  evaluateMany(masks: readonly Uint8Array[]): Float64Array {
    return this.linked.evaluateMany(masks).map((value) => fromLinkScale(value, this.range, this.link));
  }
}

/**
 * The surrogate of a recovery: its link-scale expansion where it has one (its `fourier` is then the
 * value-scale expansion distilled from it, for indices), else its expansion.
 */
export function surrogateOf(recovery: {
  readonly fourier: Spectrum;
  readonly linkScale?: { readonly range: ValueRange; readonly link: LinkName; readonly fourier: Spectrum };
}): Surrogate {
  const scale = recovery.linkScale;
  return scale ? new LinkedSurrogate(scale.fourier, scale.range, scale.link) : new CompiledFourier(recovery.fourier);
}

/** Terms as an explanation carries them (sorted feature indices and a value). */
type Terms = readonly { readonly features: readonly number[]; readonly value: number }[];

/**
 * The surrogate an explanation predicts what-ifs with: its link-scale expansion where it has one, else
 * its expansion; undefined where it holds no term at all. The panel and the server's verification
 * both use it, so that they predict alike.
 */
export function explanationSurrogate(explanation: {
  readonly fourier: Terms;
  readonly linkScale?: { readonly min: number; readonly max: number; readonly link: LinkName; readonly fourier: Terms };
}): Surrogate | undefined {
  const scale = explanation.linkScale;
  if (scale) return new LinkedSurrogate(spectrumFromTerms(scale.fourier), { min: scale.min, max: scale.max }, scale.link);
  return explanation.fourier.length > 0 ? new CompiledFourier(spectrumFromTerms(explanation.fourier)) : undefined;
}
