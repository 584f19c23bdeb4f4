import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Explanation } from '../../../protocol/explanation';
import { explainText, type ExplainRequest } from '../../../server/engine/explain';
import { CompiledFourier } from '../../../server/recovery/expansion';
import { keyOfSorted } from '../../../server/recovery/interactionKey';
import { uniformMask } from '../../../server/recovery/masks';
import { seededRandom } from '../../../server/recovery/random';
import type { MaskValue } from '../../../server/value/valueFunction';
import type { ValueSource } from '../../../server/value/valueSource';
import { additiveWithTwoPairs, TWO_PAIRS_FEATURES } from '../../helpers/plantedFunctions';

const N = TWO_PAIRS_FEATURES;
/** The planted truth: an additive part and two pairs. */
const truth = additiveWithTwoPairs;

/** About a fifth of the masks get an upper bound 0.5–3.5 above the truth (or `slack` above it), marked as such (or not). */
function boundedSource(marked: boolean, slack?: number): ValueSource {
  return {
    model: 'test bounded',
    valueFunction: { name: 'planted', reason: 'a planted function with some values only bounded' },
    target: null,
    callsPerMask: 1,
    setupCalls: 0,
    keyParts: { backend: 'test', model: 'bounded', valueFunction: 'planted', parameters: {} },
    score: (_text: string, mask: Uint8Array): Promise<number | MaskValue> => {
      let hash = 0;
      for (let i = 0; i < N; i += 1) hash = (hash * 31 + (mask[i] as number) * (i + 1)) % 1009;
      const exact = truth(mask);
      if (hash % 5 !== 0) return Promise.resolve(exact);
      const bound = exact + (slack ?? 0.5 + (hash % 7) / 2);
      return Promise.resolve(marked ? { value: bound, bounded: true } : bound);
    },
    close: () => Promise.resolve(),
  };
}

const request: Omit<ExplainRequest, 'source'> = {
  text: Array.from({ length: N }, (_, i) => `w${i}`).join(' '),
  granularity: 'word',
  masking: { kind: 'remove' },
  algorithm: 'proxyspex',
  budget: 600,
  maxOrder: 2,
  index: 'fourier',
  order: 2,
  top: 0,
  seed: 5,
  concurrency: 4,
  noiseRepeats: 0,
};

/** R² of the explanation's expansion against the truth on fresh uniform masks. */
function r2AgainstTruth(explanation: Explanation): number {
  const surrogate = new CompiledFourier(new Map(explanation.fourier.map((term) => [keyOfSorted(term.features), term.value])));
  const random = seededRandom(99);
  const masks = Array.from({ length: 2000 }, () => uniformMask(N, random));
  const exact = masks.map(truth);
  const mean = exact.reduce((sum, value) => sum + value, 0) / exact.length;
  let residual = 0;
  let total = 0;
  masks.forEach((mask, i) => {
    residual += (surrogate.evaluate(mask) - (exact[i] as number)) ** 2;
    total += ((exact[i] as number) - mean) ** 2;
  });
  return 1 - residual / total;
}

describe('bounded values are fitted as censored', () => {
  it('recovers the planted function better than taking the bounds as values', async () => {
    const censored = await explainText({ ...request, source: boundedSource(true) });
    const naive = await explainText({ ...request, source: boundedSource(false) });
    assert.ok((censored.calls.bounded ?? 0) > 60, `${censored.calls.bounded} bounded masks`);
    assert.equal(naive.calls.bounded, 0);
    assert.match(censored.algorithm.reason, /bounded values treated as censored/u);
    const withCensoring = r2AgainstTruth(censored);
    const without = r2AgainstTruth(naive);
    // Censoring removes most of the error that taking the bounds as values leaves.
    assert.ok(1 - withCensoring < 0.25 * (1 - without), `R² ${withCensoring.toFixed(5)} censored, ${without.toFixed(5)} naive`);
    assert.ok(withCensoring >= 0.97, `R² ${withCensoring.toFixed(4)} censored`);
  });

  it('keeps bounds that lie close to the exact values, and the exact transform where every mask was scored', async () => {
    const exactRequest = { ...request, text: 'a b c d e f g h', algorithm: 'exact' as const, budget: 256 };
    const eight = (mask: Uint8Array): number => truth(Uint8Array.from({ length: N }, (_, i) => (i < 8 ? (mask[i] as number) : 1)));
    const tight: ValueSource = {
      ...boundedSource(true, 0.01),
      score: (_text: string, mask: Uint8Array) =>
        Promise.resolve(mask[0] === 0 && mask[5] === 0 ? { value: eight(mask) + 0.01, bounded: true } : eight(mask)),
    };
    const explanation = await explainText({ ...exactRequest, source: tight });
    assert.equal(explanation.calls.bounded, 64);
    assert.equal(explanation.algorithm.name, 'exact');
    assert.match(explanation.algorithm.reason, /64 bounded values treated as censored \(0 lowered/u);
    // The exact transform of the values as scored: every bound kept, so each is reproduced.
    const surrogate = new CompiledFourier(new Map(explanation.fourier.map((term) => [keyOfSorted(term.features), term.value])));
    const mask = Uint8Array.from([0, 1, 1, 0, 1, 0, 1, 1]);
    assert.ok(Math.abs(surrogate.evaluate(mask) - (eight(mask) + 0.01)) < 1e-9);
    // Not called exact: some of its values were only bounds.
    assert.notEqual(explanation.verdict?.level, 'exact');
  });

  it('gives the same explanation whatever order the scores arrive in', async () => {
    // The same values, each answered after a delay that differs from run to run, as the network's would.
    const arriving = (seed: number): ValueSource => {
      const source = boundedSource(true);
      const delay = seededRandom(seed);
      return {
        ...source,
        score: async (text: string, mask: Uint8Array) => {
          const value = await source.score(text, mask);
          await new Promise((resolve) => setTimeout(resolve, Math.floor(delay() * 3)));
          return value;
        },
      };
    };
    const first = await explainText({ ...request, budget: 200, source: arriving(1) });
    const second = await explainText({ ...request, budget: 200, source: arriving(2) });
    assert.ok((first.calls.bounded ?? 0) > 10);
    assert.deepEqual(second.fourier, first.fourier);
  });
});
