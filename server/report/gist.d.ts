import type { Explanation } from '../../protocol/explanation';
/**
 * The explanation in one plain sentence, for the top of the panel, the editor's lens and the report:
 * "The answer depends mostly on [2] and on [1]+[3] together; [5] pulls against it." It names the spans
 * with the largest total effects (Shapley values, from the expansion; the index's own first-order
 * values without one), the strongest synergy and redundancy, and the span that lowers the value most,
 * each only where it carries at least a quarter of the largest effect of its kind. A fit without
 * findings says so instead.
 */
export declare function explanationGist(explanation: Explanation): string;
