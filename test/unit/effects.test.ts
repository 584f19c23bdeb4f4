import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectKind, isNegligible } from '../../protocol/effects';
import type { Explanation } from '../../protocol/explanation';
import { explainText } from '../../server/engine/explain';
import { recoverExact, exactMask } from '../../server/recovery/exact';
import { interactionIndex } from '../../server/recovery/indices';
import { INDEX_NAMES, type IndexName } from '../../server/recovery/indexNames';
import { keyOfSorted } from '../../server/recovery/interactionKey';
import { formatCsv } from '../../server/report/csv';
import { formatHtml } from '../../server/report/html';
import { formatMarkdown } from '../../server/report/markdown';
import { plantedSource } from '../helpers/plantedSource';

/**
 * Ground truth in the README's words, as a Möbius expansion (each term the joint effect of keeping
 * exactly that set): span 0 raises the value, span 1 lowers it, spans 2 and 3 matter only together
 * (synergy), and spans 4 and 5 each give the same +2, so either one is enough (redundancy).
 */
function planted(mask: ArrayLike<number>): number {
  const m = (i: number): number => mask[i] as number;
  return 1 + 2 * m(0) - 1 * m(1) + 3 * m(2) * m(3) + 2 * (m(4) + m(5) - m(4) * m(5));
}
const TEXT = 'Zero one. One two. Two three. Three four. Four five. Five six.';
const EXPECTED_SINGLES = new Map([
  [0, 'raises'],
  [1, 'lowers'],
]);
const EXPECTED_PAIRS = new Map([
  ['2,3', 'synergy'],
  ['4,5', 'redundancy'],
]);
/** Indices with terms of order 2 (Shapley and Banzhaf values have only single spans). */
const HAS_PAIRS = (index: IndexName): boolean => index !== 'shapley' && index !== 'banzhaf';

function exactFourier(): ReturnType<typeof recoverExact>['fourier'] {
  const values = Float64Array.from({ length: 64 }, (_, i) => planted(exactMask(6, i)));
  return recoverExact(6, values).fourier;
}

describe('sign conventions: every index labels effects as the README defines them', () => {
  for (const index of INDEX_NAMES) {
    it(`${index}: raises/lowers for single spans${HAS_PAIRS(index) ? ', synergy/redundancy for pairs' : ''}`, () => {
      const terms = interactionIndex(index, exactFourier(), 2);
      for (const [feature, kind] of EXPECTED_SINGLES) {
        const value = terms.get(keyOfSorted([feature]));
        assert.ok(value !== undefined && value !== 0, `${index} has a term for span ${feature}`);
        assert.equal(effectKind(index, 1, value), kind, `${index}: span ${feature} (value ${value})`);
      }
      if (!HAS_PAIRS(index)) return;
      for (const [pair, kind] of EXPECTED_PAIRS) {
        const value = terms.get(keyOfSorted(pair.split(',').map(Number)));
        assert.ok(value !== undefined && value !== 0, `${index} has a term for spans ${pair}`);
        assert.equal(effectKind(index, 2, value), kind, `${index}: spans ${pair} (value ${value})`);
      }
    });
  }

  it('flips the meaning of a Fourier sign with every span in the set', () => {
    assert.equal(effectKind('fourier', 1, 0.5), 'lowers');
    assert.equal(effectKind('fourier', 2, 0.5), 'synergy');
    assert.equal(effectKind('fourier', 3, 0.5), 'redundancy');
    assert.equal(effectKind('mobius', 3, 0.5), 'synergy');
    assert.equal(effectKind('fsii', 0, 0.5), 'baseline');
  });
});

describe('reports use the index sign convention', () => {
  async function explainWith(index: IndexName): Promise<Explanation> {
    return explainText({
      text: TEXT,
      granularity: 'sentence',
      masking: { kind: 'remove' },
      source: plantedSource(planted),
      algorithm: 'auto',
      budget: 1000,
      maxOrder: 3,
      index,
      order: HAS_PAIRS(index) ? 2 : 1,
      top: 0,
      seed: 0,
      concurrency: 4,
    });
  }

  for (const index of INDEX_NAMES) {
    it(`${index}: the Markdown table, the CSV and the HTML tints say what the planted effects are`, async () => {
      const explanation = await explainWith(index);
      const markdown = formatMarkdown(explanation);
      const csvRows = formatCsv(explanation).split('\r\n');
      // The feature list numbers spans as the table's [n] does, from 1.
      const listed = markdown.split('## Features')[1] ?? '';
      assert.match(listed, /^\s*1\. /u);
      assert.doesNotMatch(listed, /^0\. /mu);
      // So does the marked text's superscript after each reported span.
      assert.doesNotMatch(markdown, /<sup>0<\/sup>/u);
      assert.match(markdown, new RegExp(`<sup>${explanation.features.length}</sup>`, 'u'));
      for (const [feature, kind] of EXPECTED_SINGLES) {
        assert.match(
          markdown,
          new RegExp(`\\| 1 \\| [^|]+ \\| ${kind} \\| \\[${feature + 1}\\]`, 'u'),
          `${index}: Markdown row of span ${feature}`,
        );
        assert.ok(
          csvRows.some((row) => row.split(',')[3] === kind && row.split(',')[4] === String(feature + 1)),
          `${index}: CSV row of span ${feature}`,
        );
      }
      if (HAS_PAIRS(index)) {
        for (const [pair, kind] of EXPECTED_PAIRS) {
          assert.ok(
            csvRows.some(
              (row) =>
                row.split(',')[3] === kind &&
                row.split(',')[4] ===
                  pair
                    .split(',')
                    .map((feature) => Number(feature) + 1)
                    .join(' '),
            ),
            `${index}: CSV row of spans ${pair} is ${kind}`,
          );
        }
      }
      // Tints are each span's effect when kept under every index: blue for span 0, orange for span 1.
      assert.ok((explanation.featureValues[0] as number) > 0, `${index}: span 0 is tinted as raising`);
      assert.ok((explanation.featureValues[1] as number) < 0, `${index}: span 1 is tinted as lowering`);
      const html = formatHtml(explanation);
      assert.match(html, /<span class="f" style="background:rgba\(0, 114, 178, [^"]+\)" title="\[1\]/u);
      assert.match(html, /<span class="f" style="background:rgba\(230, 159, 0, [^"]+\)" title="\[2\]/u);
    });
  }
});

describe('terms at the level of rounding are not effects', () => {
  it('treats terms below a millionth of the largest as negligible', () => {
    assert.equal(isNegligible(5e-9, 3), true);
    assert.equal(isNegligible(-3.6e-15, 3), true);
    assert.equal(isNegligible(1e-3, 3), false);
    assert.equal(isNegligible(0, 0), true);
  });

  it('lists no term and tints no span whose effect is arithmetic noise', async () => {
    const explanation = await explainText({
      text: 'Big effect. Tiny effect. No effect.',
      granularity: 'sentence',
      masking: { kind: 'remove' },
      source: plantedSource((mask) => 3 * (mask[0] as number) + 1e-9 * (mask[1] as number)),
      algorithm: 'auto',
      budget: 100,
      maxOrder: 2,
      index: 'fsii',
      order: 2,
      top: 0,
      seed: 0,
      concurrency: 2,
    });
    const listed = explanation.interactions.filter((term) => term.features.length > 0).map((term) => term.features.join(','));
    assert.deepEqual(listed, ['0']);
    assert.deepEqual(explanation.featureValues, [3, 0, 0]);
  });
});
