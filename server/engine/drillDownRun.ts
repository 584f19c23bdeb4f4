import type { Explanation } from '../../protocol/explanation';
import type { Granularity } from '../../protocol/features';
import { documentOf, explainText, type ExplainRequest } from './explain';
import { drillRequest, strongestSpans } from './drillDown';

/** One step of a drill-down: split the `top` strongest spans into `granularity` units. */
export interface DrillStep {
  readonly granularity: Granularity;
  readonly top: number;
}

/** An explanation and the masks its run scored, which the next, finer step lifts and reuses. */
export interface ScoredExplanation {
  readonly explanation: Explanation;
  readonly masks: readonly Uint8Array[];
}

/** Explains and keeps the masks the run scored. */
export async function explainKeepingMasks(request: ExplainRequest): Promise<ScoredExplanation> {
  let masks: readonly Uint8Array[] = [];
  const explanation = await explainText({
    ...request,
    onScoredMasks: (scored) => {
      masks = scored;
      request.onScoredMasks?.(scored);
    },
  });
  return { explanation, masks };
}

/**
 * One drill-down step from an explanation: its `split` spans cut into `granularity` units, the rest
 * kept whole, explained again with every mask of the coarser run lifted in (the cache answers them).
 * A step whose spans cannot be split at that unit says so rather than run the same explanation again.
 */
export async function refineExplanation(
  request: ExplainRequest,
  coarse: ScoredExplanation,
  split: readonly number[],
  granularity: Granularity,
): Promise<ScoredExplanation> {
  return explainKeepingMasks({ ...request, ...drillRequest(coarse, split, granularity, documentOf(request)) });
}

/**
 * Explains at the request's granularity, then at each step splits the strongest spans of the last
 * explanation into the step's unit and explains again (paragraph → sentence → word), every step
 * reusing the masks of the one before. Returns every level's explanation, coarsest first.
 */
export async function drillDown(
  request: ExplainRequest,
  steps: readonly DrillStep[],
  onLevel?: (explanation: Explanation) => void,
): Promise<Explanation[]> {
  let current = await explainKeepingMasks(request);
  onLevel?.(current.explanation);
  const levels = [current.explanation];
  for (const step of steps) {
    current = await refineExplanation(request, current, strongestSpans(current.explanation, step.top), step.granularity);
    onLevel?.(current.explanation);
    levels.push(current.explanation);
  }
  return levels;
}
