import type { Explanation, Interaction } from '../../protocol/explanation';
import type { IndexName } from '../recovery/indexNames';
import { type Spectrum } from '../recovery/spectrum';
/** What an explanation reports under an index: its strongest terms and each feature's first-order value. */
export interface IndexedTerms {
  readonly interactions: Interaction[];
  readonly featureValues: number[];
}
/**
 * The terms of an index computed from a Fourier expansion, as an explanation reports them: the `top`
 * strongest (0: every one, with ∅), flagged where within the noise floor, and each feature's
 * first-order value (for the Fourier index, whose singletons are −½ × the effect of keeping a feature,
 * the Banzhaf value). A fit without findings (see hasFindings) reports no terms and values of 0;
 * values at the level of rounding are 0.
 */
export declare function indexedTerms(
  fourier: Spectrum,
  featureCount: number,
  options: {
    readonly index: IndexName;
    readonly order: number;
    readonly top: number;
    readonly findings: boolean;
    readonly noiseFloor: number | null;
  },
): IndexedTerms;
/**
 * The explanation as it reads under another index and order, recomputed from its expansion with no
 * model call: what the editor's tints and hovers and the exports show once the panel switches index,
 * so that the three agree. As many terms as the run reported (all, where it reported ∅). An
 * explanation without an expansion (only its constant) can only be read under its own index.
 */
export declare function explanationUnderIndex(explanation: Explanation, index: IndexName, order: number): Explanation;
