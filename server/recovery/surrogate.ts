import { CompiledFourier } from './expansion';
import { fromLinkScale } from './linkScale';
import { localCorrectionAt, type LocalCorrection } from './localCorrection';
import { spectrumFromTerms, type Spectrum } from './spectrum';
import type { LinkName, ValueRange } from './types';

/**
 * What predicts a value from a mask (a what-if): a recovery's expansion, plus the corrections it
 * makes near the full and the empty prompt (localCorrection.ts), read through the link scale where a
 * bounded value was fit on one (linkScale.ts).
 */
export interface Surrogate {
  evaluate(mask: Uint8Array): number;
  evaluateMany(masks: readonly Uint8Array[]): Float64Array;
}

/** An expansion with its local corrections added. */
class CorrectedExpansion implements Surrogate {
  private readonly expansion: CompiledFourier;

  constructor(
    spectrum: Spectrum,
    private readonly correction: LocalCorrection,
  ) {
    this.expansion = new CompiledFourier(spectrum);
  }

  evaluate(mask: Uint8Array): number {
    return this.expansion.evaluate(mask) + localCorrectionAt(this.correction, mask);
  }

  evaluateMany(masks: readonly Uint8Array[]): Float64Array {
    return this.expansion.evaluateMany(masks).map((value, row) => value + localCorrectionAt(this.correction, masks[row] as Uint8Array));
  }
}

/** An expansion, with its local corrections where it has any. */
export function expansionSurrogate(spectrum: Spectrum, correction?: LocalCorrection): Surrogate {
  return correction && (correction.nearFull || correction.nearEmpty)
    ? new CorrectedExpansion(spectrum, correction)
    : new CompiledFourier(spectrum);
}

/** A surrogate fit on the link scale of a bounded value, predicting on the value's own scale. */
export class LinkedSurrogate implements Surrogate {
  constructor(
    private readonly linked: Surrogate,
    private readonly range: ValueRange,
    private readonly link: LinkName,
  ) {}

  evaluate(mask: Uint8Array): number {
    return fromLinkScale(this.linked.evaluate(mask), this.range, this.link);
  }

  evaluateMany(masks: readonly Uint8Array[]): Float64Array {
    return this.linked.evaluateMany(masks).map((value) => fromLinkScale(value, this.range, this.link));
  }
}

/**
 * The surrogate of a recovery: its link-scale expansion where it has one (its `fourier` is then the
 * value-scale expansion distilled from it, for indices), else its expansion; with its local
 * corrections, which are on the scale the fit was made on.
 */
export function surrogateOf(recovery: {
  readonly fourier: Spectrum;
  readonly linkScale?: { readonly range: ValueRange; readonly link: LinkName; readonly fourier: Spectrum };
  readonly localCorrection?: LocalCorrection;
}): Surrogate {
  const scale = recovery.linkScale;
  return scale
    ? new LinkedSurrogate(expansionSurrogate(scale.fourier, recovery.localCorrection), scale.range, scale.link)
    : expansionSurrogate(recovery.fourier, recovery.localCorrection);
}

/** Terms as an explanation carries them (sorted feature indices and a value). */
type Terms = readonly { readonly features: readonly number[]; readonly value: number }[];

/** Local corrections as an explanation carries them (plain arrays; protocol/explanation.ts). */
export interface LocalCorrectionRecord {
  readonly nearFull?: { readonly power: number; readonly step: number; readonly removal: readonly number[]; readonly errorRatio: number };
  readonly nearEmpty?: { readonly power: number; readonly offset: number };
}

export function localCorrectionRecord(correction: LocalCorrection): LocalCorrectionRecord {
  const { nearFull, nearEmpty } = correction;
  return {
    ...(nearFull
      ? { nearFull: { power: nearFull.power, step: nearFull.step, removal: Array.from(nearFull.removal), errorRatio: nearFull.errorRatio } }
      : {}),
    ...(nearEmpty ? { nearEmpty: { power: nearEmpty.power, offset: nearEmpty.offset } } : {}),
  };
}

export function localCorrectionFromRecord(record: LocalCorrectionRecord): LocalCorrection {
  return {
    ...(record.nearFull
      ? {
          nearFull: {
            power: record.nearFull.power,
            step: record.nearFull.step,
            removal: Float64Array.from(record.nearFull.removal),
            ridge: Number.NaN,
            errorRatio: record.nearFull.errorRatio,
          },
        }
      : {}),
    ...(record.nearEmpty ? { nearEmpty: record.nearEmpty } : {}),
  };
}

/**
 * The surrogate an explanation predicts what-ifs with: its link-scale expansion where it has one, else
 * its expansion, with its local corrections; undefined where it holds no term at all. The panel and
 * the server's verification both use it, so that they predict alike.
 */
export function explanationSurrogate(explanation: {
  readonly fourier: Terms;
  readonly linkScale?: { readonly min: number; readonly max: number; readonly link: LinkName; readonly fourier: Terms };
  readonly localCorrection?: LocalCorrectionRecord;
}): Surrogate | undefined {
  const scale = explanation.linkScale;
  const correction = explanation.localCorrection ? localCorrectionFromRecord(explanation.localCorrection) : undefined;
  if (scale)
    return new LinkedSurrogate(
      expansionSurrogate(spectrumFromTerms(scale.fourier), correction),
      { min: scale.min, max: scale.max },
      scale.link,
    );
  return explanation.fourier.length > 0 ? expansionSurrogate(spectrumFromTerms(explanation.fourier), correction) : undefined;
}
