import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Token } from 'node-llama-cpp';
import { describeTokens } from '../../protocol/explanation';
import {
  batchEnds,
  blockStarts,
  DEFAULT_BLOCK_RULE,
  FIXED_BLOCK_RULE,
  isSentenceJunction,
  isWordJunction,
  reusableStart,
  type BlockRule,
  type BreakTest,
} from '../../server/backends/llama/blockPartition';
import { commonPrefixLength } from '../../server/backends/llama/prefixQueue';
import { seededRandom } from '../../server/recovery/random';

/** A vocabulary of ten tokens where 0, 1 and 2 start words. */
const startsWord: BreakTest = (tokens, index) => (tokens[index] as Token) <= 2;

function randomTokens(random: () => number, length: number): Token[] {
  return Array.from({ length }, () => Math.floor(random() * 10) as Token);
}

/** A batch as the KV cache sees it: the positions it covered and the tokens in them. */
interface Batch {
  readonly start: number;
  readonly tokens: string;
}

/** The batches a sequence is decoded in from scratch up to `end` (the backend evaluates all tokens but the last). */
function batchesFromScratch(tokens: readonly Token[], end: number, rule: BlockRule): Batch[] {
  const starts = blockStarts(tokens, startsWord, rule).filter((start) => start < end);
  return starts.map((start, k) => ({ start, tokens: tokens.slice(start, starts[k + 1] ?? end).join(',') }));
}

/**
 * A worker as workerPool.ts runs one, reduced to what decides values: which batches its cache holds.
 * Scoring a sequence keeps the cached batches before the reuse point and decodes the rest in blocks.
 */
class SimulatedWorker {
  cached: Token[] = [];
  cachedEnds: number[] = [];
  batches: Batch[] = [];

  constructor(private readonly rule: BlockRule) {}

  score(tokens: readonly Token[], promptLength: number): { batches: Batch[]; evaluated: number } {
    const starts = blockStarts(tokens, startsWord, this.rule);
    const start = reusableStart(starts, Math.min(commonPrefixLength(this.cached, tokens), promptLength - 1), this.cachedEnds);
    const kept = this.batches.filter((batch) => batch.start < start);
    const last = tokens.length - 1;
    const fresh = batchesFromScratch(tokens, last, this.rule).filter((batch) => batch.start >= start);
    this.batches = [...kept, ...fresh];
    this.cached = tokens.slice(0, last);
    this.cachedEnds = batchEnds(starts, last);
    return { batches: this.batches, evaluated: last - start };
  }
}

describe('content-defined evaluation blocks', () => {
  it('start at word starts once a block holds the smallest size, and always after the largest', () => {
    const rule: BlockRule = { breaks: 'word', minTokens: 2, maxTokens: 4 };
    // Word starts (0, 1, 2) at positions 0, 1, 3, 4 and 9: 1 and 4 come too soon after a block start, and
    // the block from 3 reaches the largest size at 7.
    assert.deepEqual(blockStarts([0, 1, 5, 2, 0, 6, 7, 8, 9, 1, 5] as Token[], startsWord, rule), [0, 3, 7, 9]);
    assert.deepEqual(
      blockStarts(
        Array.from({ length: 40 }, () => 7 as Token),
        startsWord,
        FIXED_BLOCK_RULE,
      ),
      [0, 16, 32],
    );
    assert.deepEqual(blockStarts([], startsWord, DEFAULT_BLOCK_RULE), [0]);
  });

  it('split every prefix as a function of its own tokens: sequences sharing L tokens share every block start before L', () => {
    const random = seededRandom(3);
    for (let trial = 0; trial < 500; trial += 1) {
      const shared = randomTokens(random, Math.floor(random() * 60));
      const a = [...shared, ...randomTokens(random, 1 + Math.floor(random() * 30))];
      const b = [...shared, ...randomTokens(random, 1 + Math.floor(random() * 30))];
      const L = commonPrefixLength(a, b);
      const before = (tokens: Token[]): number[] => blockStarts(tokens, startsWord, DEFAULT_BLOCK_RULE).filter((start) => start < L);
      assert.deepEqual(before(a), before(b), `trial ${trial}`);
    }
  });

  it('reuse a cache only where every kept batch is the one the sequence would decode from scratch, in any order', () => {
    const random = seededRandom(11);
    for (const rule of [DEFAULT_BLOCK_RULE, FIXED_BLOCK_RULE, { breaks: 'word', minTokens: 1, maxTokens: 3 } as const]) {
      // Prompts that share prefixes of every length, each followed by the same answer.
      const stem = randomTokens(random, 70);
      const answer = randomTokens(random, 6);
      const prompts = Array.from({ length: 60 }, () => [
        ...stem.slice(0, Math.floor(random() * 70)),
        ...randomTokens(random, 1 + Math.floor(random() * 20)),
      ]);
      const worker = new SimulatedWorker(rule);
      let evaluated = 0;
      let reusedAtDivergence = 0;
      for (let pass = 0; pass < 3; pass += 1) {
        const order = prompts.map((_, i) => i).sort(() => random() - 0.5);
        for (const i of order) {
          const prompt = prompts[i] as Token[];
          const tokens = [...prompt, ...answer];
          const previous = worker.cached;
          const result = worker.score(tokens, prompt.length);
          assert.deepEqual(result.batches, batchesFromScratch(tokens, tokens.length - 1, rule), `prompt ${i}`);
          evaluated += result.evaluated;
          const divergence = Math.min(commonPrefixLength(previous, tokens), prompt.length - 1);
          if (tokens.length - 1 - result.evaluated === divergence) reusedAtDivergence += 1;
        }
      }
      assert.ok(evaluated > 0);
      // The rule is not vacuous: some reuse reaches the very token where two prompts diverge.
      assert.ok(reusedAtDivergence > 0, `${rule.breaks}: no reuse reached the divergence`);
    }
  });

  it('stop reuse at a divergence that starts a block only where the cached sequence ended a batch there too', () => {
    const rule: BlockRule = { breaks: 'word', minTokens: 2, maxTokens: 16 };
    // Both diverge at position 4; only the second starts a word there.
    const cached = [0, 5, 5, 5, 6, 6, 6] as Token[];
    const next = [0, 5, 5, 5, 1, 6, 6] as Token[];
    const cachedStarts = blockStarts(cached, startsWord, rule);
    const starts = blockStarts(next, startsWord, rule);
    assert.deepEqual(cachedStarts, [0]);
    assert.deepEqual(starts, [0, 4]);
    assert.equal(reusableStart(starts, 4, batchEnds(cachedStarts, cached.length)), 0);
    // A cached sequence that ended right there ended a batch there.
    assert.equal(reusableStart(starts, 4, batchEnds([0], 4)), 4);
  });

  it('read word and sentence junctions from token texts in context', () => {
    assert.ok(isWordJunction('Lily', ' was'));
    assert.ok(isWordJunction('.\n\n', '['));
    assert.ok(!isWordJunction('g', 'ir'));
    assert.ok(isSentenceJunction('.', ' She'));
    assert.ok(isSentenceJunction('?"', ' Tom'));
    assert.ok(isSentenceJunction(' kite."', ' Lily'));
    assert.ok(isSentenceJunction('. ', 'The'));
    assert.ok(isSentenceJunction('day', '\n'));
    assert.ok(isSentenceJunction('day', ' \r\n'));
    assert.ok(isSentenceJunction('\n', '['));
    assert.ok(isSentenceJunction('.\n\n', '['));
    assert.ok(isSentenceJunction('了。', '他'));
    assert.ok(!isSentenceJunction('Lily', ' was'));
    assert.ok(!isSentenceJunction('3', '.'));
    assert.ok(!isSentenceJunction('.', '5'));
    assert.ok(!isSentenceJunction('', ''));
  });
});

describe('token counts in words', () => {
  it('gives tokens per prompt evaluated, whole and ideal, and the ratio to the ideal', () => {
    assert.equal(
      describeTokens({ prompts: 500, evaluated: 43_000, whole: 63_000, ideal: 42_000 }),
      "86.0 tokens evaluated per prompt over 500 prompts (68% of 126.0 for each prompt whole; 1.02× the ideal reuse's 84.0)",
    );
    assert.equal(describeTokens({ prompts: 0, evaluated: 0, whole: 0, ideal: 0 }), 'no prompts evaluated');
  });
});
