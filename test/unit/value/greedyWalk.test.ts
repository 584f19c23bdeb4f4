import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseValueFunction, ValueSetupError } from '../../../server/value/chooseValueFunction';
import { AT_END_OF_TEXT_BOUND, walkAnswer } from '../../../server/value/greedyWalk';
import { maskValueOf } from '../../../server/value/valueFunction';
import { tokenwiseLogprob } from '../../../server/value/valueFunctions';
import { cachedScorer } from '../../../server/engine/cachedScorer';
import { END, ToyLanguageModel } from '../../helpers/toyLanguageModel';

const WORDS = ['Once', 'the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'home', 'big', 'red', 'ball', 'sun', 'was'];
const VOCABULARY = [...WORDS.map((word) => ` ${word}`), '.', ','];
/** A larger vocabulary, so that answer tokens fall outside the 20 listed alternatives. */
const WIDE_VOCABULARY = [...VOCABULARY, ...Array.from({ length: 6 }, (_, i) => ` w${i}`)];

/** Seeded masked prompts: subsets of a sentence's words. */
function maskedPrompts(count: number, seed: number): string[] {
  let state = seed;
  const random = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const sentence = 'Lily saw a big red ball in the park and the dog ran to get it home'.split(' ');
  return Array.from({ length: count }, () => sentence.filter(() => random() < 0.6).join(' '));
}

/** Calls a walk should make: one, plus one after every diverging position that is not the last. */
function expectedCalls(model: ToyLanguageModel, prompt: string, answer: readonly string[]): number {
  let calls = 1;
  for (let i = 0; i < answer.length - 1; i += 1) {
    const ranked = [...model.distribution(prompt + answer.slice(0, i).join(''))].sort((a, b) => b[1] - a[1]);
    if (ranked[0]?.[0] !== answer[i]) calls += 1;
  }
  return calls;
}

async function greedyAnswer(model: ToyLanguageModel, prompt: string, length: number): Promise<string[]> {
  const generation = await model.generate(prompt, { maxTokens: length, topLogprobs: 20 });
  return (generation.tokens ?? []).map((entry) => entry.token);
}

describe('the greedy walk', () => {
  it('equals the token-by-token value mask by mask, in one call plus one per divergence', async () => {
    const model = new ToyLanguageModel({ vocabulary: WIDE_VOCABULARY });
    const full = 'Lily saw a big red ball in the park and the dog ran to get it home';
    const tokens = await greedyAnswer(model, full, 6);
    assert.equal(tokens.length, 6);
    const answer = { text: tokens.join(''), tokens };
    const tokenwise = tokenwiseLogprob(model, answer, 20, 'test');
    let divergentMasks = 0;
    let boundedMasks = 0;
    for (const prompt of maskedPrompts(40, 7)) {
      const walk = await walkAnswer(model, answer, prompt, 20);
      const byToken = maskValueOf(await tokenwise.score(prompt));
      assert.equal(walk.value, byToken.value, `walk and token by token differ under "${prompt}"`);
      assert.equal(walk.bounded, byToken.bounded);
      assert.equal(walk.calls, expectedCalls(model, prompt, tokens));
      if (walk.calls > 1) divergentMasks += 1;
      if (walk.bounded) {
        boundedMasks += 1;
        assert.ok(walk.value >= model.exactLogprob(prompt, tokens), 'a bound below the exact value');
      } else assert.ok(Math.abs(walk.value - model.exactLogprob(prompt, tokens)) < 1e-9);
    }
    // The seeded prompts exercise every path: divergences, exact reads and bounds.
    assert.ok(divergentMasks >= 20, `${divergentMasks} masks diverged`);
    assert.ok(boundedMasks >= 3 && boundedMasks < 40, `${boundedMasks} masks bounded`);
  });

  it('is exact wherever every token is listed', async () => {
    const model = new ToyLanguageModel({ vocabulary: VOCABULARY });
    const tokens = await greedyAnswer(model, 'the cat sat', 10);
    const answer = { text: tokens.join(''), tokens };
    for (const prompt of maskedPrompts(25, 3)) {
      const walk = await walkAnswer(model, answer, prompt, 20);
      assert.equal(walk.bounded, false);
      assert.ok(Math.abs(walk.value - model.exactLogprob(prompt, tokens)) < 1e-9);
    }
  });

  it('bounds an answer token where the model ends its answer instead, and walks on', async () => {
    const model = new ToyLanguageModel({ vocabulary: VOCABULARY, endsAfter: [' mat'] });
    const answer = { text: ' the mat was red', tokens: [' the', ' mat', ' was', ' red'] };
    const walk = await walkAnswer(model, answer, 'x', 20);
    const exactTail = model.exactLogprob('x', answer.tokens) - (model.distribution('x the mat').get(' was') as number);
    assert.equal(walk.bounded, true);
    assert.ok(Math.abs(walk.value - (exactTail + AT_END_OF_TEXT_BOUND)) < 1e-9);
    assert.ok(walk.value >= model.exactLogprob('x', answer.tokens));
    // The end is the model's top choice there, so the answer token has at most half the probability.
    assert.ok((model.distribution('x the mat').get(END) as number) > Math.log(0.5));
  });

  it('bounds the first token of an empty prompt on an endpoint that refuses one, and reads the rest', async () => {
    const model = new ToyLanguageModel({ vocabulary: VOCABULARY, refusesEmptyContext: true });
    const tokens = await greedyAnswer(model, ' the', 6);
    const answer = { text: tokens.join(''), tokens };
    const walk = await walkAnswer(model, answer, '', 20);
    assert.equal(walk.bounded, true);
    const rest = model.exactLogprob('', tokens) - (model.distribution('').get(tokens[0] as string) as number);
    assert.ok(Math.abs(walk.value - rest) < 1e-9);
    assert.ok(
      model.contexts.every((context) => context !== ''),
      'an empty context was sent',
    );
  });
});

describe('choosing the greedy walk', () => {
  it('walks where the endpoint continues a forced prefix', async () => {
    const model = new ToyLanguageModel({ vocabulary: VOCABULARY });
    const chosen = await chooseValueFunction({ endpoint: model, choice: 'auto', prompt: 'the cat sat on', maxAnswerTokens: 8 });
    assert.match(chosen.reason, /greedy walk/u);
    assert.equal(chosen.callsVary, true);
  });

  it('refuses --value logprob, and auto falls back to similarity, where the server ignores the prefix', async () => {
    const model = new ToyLanguageModel({ vocabulary: VOCABULARY, ignoresPrefix: true });
    await assert.rejects(
      chooseValueFunction({ endpoint: model, choice: 'logprob', prompt: 'the cat sat on', maxAnswerTokens: 8 }),
      (error: unknown) => error instanceof ValueSetupError && /does not continue a forced answer prefix/u.test(error.message),
    );
    const auto = await chooseValueFunction({ endpoint: model, choice: 'auto', prompt: 'the cat sat on', maxAnswerTokens: 8 });
    assert.equal(auto.name, 'similarity');
    assert.match(auto.reason, /does not continue a forced answer prefix/u);
  });
});

describe('a walk cancelled midway', () => {
  it('stores nothing for the mask it was walking', async () => {
    const model = new ToyLanguageModel({ vocabulary: VOCABULARY });
    const tokens = await greedyAnswer(model, 'the cat sat', 8);
    const answer = { text: tokens.join(''), tokens };
    const prompt = maskedPrompts(40, 11).find((candidate) => expectedCalls(model, candidate, tokens) >= 3);
    assert.ok(prompt !== undefined, 'no seeded prompt diverges twice');
    const controller = new AbortController();
    // The second call of the walk is where the cancel lands: the first call's tokens are read by then.
    const generate = model.generate.bind(model);
    let calls = 0;
    model.generate = (text, options) => {
      calls += 1;
      if (calls === 2) controller.abort(new Error('cancelled'));
      options.signal?.throwIfAborted();
      return generate(text, options);
    };
    const source = {
      model: 'toy',
      valueFunction: { name: 'logprob', reason: 'test' },
      target: answer.text,
      callsPerMask: 1,
      setupCalls: 0,
      keyParts: { backend: 'toy', model: 'toy', valueFunction: 'logprob', parameters: {} },
      score: async (text: string, _mask: Uint8Array, signal?: AbortSignal) => {
        const walk = await walkAnswer(model, answer, text, 20, signal);
        return { value: walk.value, bounded: walk.bounded };
      },
      close: () => Promise.resolve(),
    };
    const stored = new Map<string, number>();
    const store = {
      keyOf: (parts: { text: string }) => parts.text,
      get: (key: string) => stored.get(key),
      set: (key: string, value: number) => void stored.set(key, value),
    };
    const score = cachedScorer(source, store);
    await assert.rejects(score(prompt, new Uint8Array(1), controller.signal), /cancelled/u);
    assert.equal(calls, 2);
    assert.equal(stored.size, 0);
  });
});
