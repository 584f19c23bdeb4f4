import type { Explanation } from './explanation';
import { spanTag } from './spanNumbers';

/** "sentence level: [2] split into 5 spans; 58 of 64 coarser masks reused from the cache, 212 model calls added". */
export function describeRefinement(explanation: Explanation): string {
  const refinement = explanation.refinement;
  if (!refinement) return '';
  const pieces = explanation.features.filter((feature) => feature.parent !== undefined && refinement.split.includes(feature.parent)).length;
  const split = refinement.split.map((index) => spanTag(index)).join(', ');
  const unsplittable =
    refinement.unsplittable.length > 0
      ? `; ${refinement.unsplittable.map((index) => spanTag(index)).join(', ')} kept whole (one ${refinement.to} each)`
      : '';
  return (
    `${refinement.to} level: ${split} of the ${refinement.from} explanation split into ${pieces} spans${unsplittable}; ` +
    `${refinement.reused} of ${refinement.lifted} coarser masks reused from the cache, ${explanation.calls.model} model calls added`
  );
}
