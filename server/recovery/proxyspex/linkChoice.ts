import { fitFirstOrder } from './firstOrderFit';
import { fromLinkScale, toLinkScale } from '../linkScale';
import { splitRows, type RandomSource } from '../random';
import { meanSquaredError } from '../statistics';
import { LINK_NAMES, type LinkName, type ValueRange } from '../types';

/** A link must predict the held-out masks this much better than none to be used. */
const CLEARLY_BETTER = 0.9;
/**
 * With fewer masks than twice the spans (300 words, 500 masks) the additive models that compare the
 * scales are ridge fits, with this penalty per training row.
 */
const SPARSE_ROWS_RIDGE = 0.05;

/**
 * The link on whose scale a bounded value is most nearly additive, or none: an additive model (least
 * squares on the single spans) is fit on each scale to the same four fifths of the masks, and each is
 * judged on the value's own scale on the rest. A value that does not saturate (it stays away from its
 * range's ends) is best fit as it is, and a link that is not clearly better is not used.
 */
export function chooseLink(
  masks: readonly Uint8Array[],
  values: Float64Array,
  featureCount: number,
  range: ValueRange,
  random: RandomSource,
): LinkName | undefined {
  const heldOut = Math.floor(masks.length / 5);
  if (heldOut < 8) return undefined;
  const { trainRows, validationRows } = splitRows(masks.length, heldOut, random);
  const target = Float64Array.from(validationRows, (row) => values[row] as number);
  const errorOn = (link: LinkName | undefined): number => {
    const scaled = link ? Float64Array.from(values, (value) => toLinkScale(value, range, link)) : values;
    const fit = fitFirstOrder(masks, scaled, featureCount, trainRows, validationRows, SPARSE_ROWS_RIDGE);
    if (!fit) return Number.NaN;
    const predicted = link ? fit.validationPrediction.map((value) => fromLinkScale(value, range, link)) : fit.validationPrediction;
    return meanSquaredError(target, predicted);
  };
  const plain = errorOn(undefined);
  if (!Number.isFinite(plain)) return undefined;
  let best: { link: LinkName; error: number } | undefined;
  for (const link of LINK_NAMES) {
    const error = errorOn(link);
    if (Number.isFinite(error) && (!best || error < best.error)) best = { link, error };
  }
  return best && best.error < CLEARLY_BETTER * plain ? best.link : undefined;
}
