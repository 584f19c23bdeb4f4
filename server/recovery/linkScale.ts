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
