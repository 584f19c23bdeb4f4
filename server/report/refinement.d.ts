import type { Explanation } from '../../protocol/explanation';
/** "sentence level: [2] split into 5 spans; 58 of 64 coarser masks reused from the cache, 212 model calls added". */
export declare function describeRefinement(explanation: Explanation): string;
