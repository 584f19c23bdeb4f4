import { EmptyContextError, EndpointError, type Generation, type ModelEndpoint } from '../backends/modelEndpoint';
import { readLogprob, type AnswerTokens, type MaskValue, type ValueFunction } from './valueFunction';

/**
 * An answer token at a position where the model chose to end its answer: the endpoint lists no
 * log-probabilities there (Ollama lists none for the end of text), and all that is known is that
 * the end was at least as likely as the token, so the token's probability is at most one half.
 */
export const AT_END_OF_TEXT_BOUND = Math.log(0.5);

/**
 * An answer token with no context before it (the first token of an empty raw prompt), which an
 * endpoint that cannot take an empty prompt cannot be asked about: a log-probability is at most 0.
 */
export const WITHOUT_CONTEXT_BOUND = 0;

/** What one mask's walk found, for the cost counters. */
export interface WalkResult extends MaskValue {
  /** Generate calls the walk made. */
  readonly calls: number;
}

/**
 * The answer's log-probability under a masked prompt by a greedy walk. One call generates greedily
 * under the prompt with log-probabilities and the top alternatives; while the generated tokens equal
 * the answer's, their log-probabilities are the answer's. At the first token that differs, the
 * answer token's log-probability is read from that position's alternatives (exact when listed, an
 * upper bound otherwise), and the next call forces the answer up to and including that token and
 * generates on. Calls per mask are one plus the divergences, against one per answer token for the
 * token-by-token method, with the same value: each token's log-probability is read under the same
 * masked prompt and the same forced answer prefix either way.
 *
 * The calls of one mask run one after another on one server (`session`), so its prompt cache keeps
 * the masked prompt between them; masks run in parallel.
 */
export async function walkAnswer(
  endpoint: ModelEndpoint,
  answer: AnswerTokens,
  prompt: string,
  topLogprobs: number,
  signal?: AbortSignal,
): Promise<WalkResult> {
  const session = endpoint.session?.() ?? endpoint;
  const tokens = answer.tokens;
  let position = 0;
  let total = 0;
  let bounded = false;
  let calls = 0;
  const add = (value: number, isBound: boolean): void => {
    total += value;
    bounded ||= isBound;
    position += 1;
  };
  while (position < tokens.length) {
    const prefix = tokens.slice(0, position).join('');
    let generation: Generation;
    try {
      generation = await session.generate(prompt, {
        maxTokens: tokens.length - position,
        topLogprobs,
        prefix,
        requireLogprobs: true,
        // An endpoint that streams stops at the divergence: the tokens after it would be thrown away.
        expected: tokens.slice(position),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (!(error instanceof EmptyContextError)) throw error;
      // Nothing can be asked without context (the endpoint refused before sending): bound this token and walk on.
      add(WITHOUT_CONTEXT_BOUND, true);
      continue;
    }
    calls += 1;
    // Required log-probabilities are there, or the model ended its answer at once (handled below).
    const generated = generation.tokens ?? [];
    let diverged = false;
    for (const entry of generated) {
      const wanted = tokens[position] as string;
      const read = entry.token === wanted ? { value: entry.logprob, bounded: false } : readLogprob(entry, wanted);
      add(read.value, read.bounded);
      diverged = entry.token !== wanted;
      if (diverged || position >= tokens.length) break;
    }
    if (diverged || position >= tokens.length) continue;
    if (generation.finishReason !== 'length') {
      // Every generated token was the answer's and the model ended its answer here, before the next one.
      add(AT_END_OF_TEXT_BOUND, true);
    } else if (generated.length === 0) {
      throw new EndpointError(`${endpoint.url} generated nothing and reported its length limit; the answer cannot be walked.`, false);
    }
    // A generation cut at a length limit of the server's own walks on from where it stopped.
  }
  return { value: total, bounded, calls };
}

/** The greedy walk as a value function; `onWalk` receives each mask's walk (for the cost counters). */
export function greedyWalkLogprob(
  endpoint: ModelEndpoint,
  answer: AnswerTokens,
  topLogprobs: number,
  reason: string,
  onWalk?: (walk: WalkResult) => void,
): ValueFunction {
  return {
    name: 'logprob',
    reason,
    target: answer.text,
    callsPerMask: 1,
    callsVary: true,
    parameters: { method: 'walk', tokens: answer.tokens.join('\u0000'), top: topLogprobs },
    async score(prompt, signal) {
      const walk = await walkAnswer(endpoint, answer, prompt, topLogprobs, signal);
      onWalk?.(walk);
      return { value: walk.value, bounded: walk.bounded };
    },
  };
}
