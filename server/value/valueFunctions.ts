import {
  EmptyContextError,
  endedAtOnce,
  missingLogprobsError,
  type Generation,
  type ModelEndpoint,
  type TokenLogprob,
} from '../backends/modelEndpoint';
import { AT_END_OF_TEXT_BOUND, WITHOUT_CONTEXT_BOUND } from './greedyWalk';
import { readLogprob, type AnswerTokens, type MaskValue, type ValueFunction } from './valueFunction';

/**
 * Exact log-probability of the answer under a masked prompt, in one call per mask, from an endpoint
 * that echoes prompt log-probabilities (vLLM's /v1/completions with echo and logprobs).
 */
export function echoLogprob(endpoint: ModelEndpoint, answer: AnswerTokens, reason: string): ValueFunction {
  const continuationLogprobs = endpoint.continuationLogprobs?.bind(endpoint);
  if (!continuationLogprobs) throw new RangeError(`${endpoint.url} cannot echo prompt log-probabilities.`);
  return {
    name: 'logprob',
    reason,
    target: answer.text,
    callsPerMask: 1,
    parameters: { method: 'echo' },
    async score(prompt, signal) {
      // Required: an answer without them is retried by the scheduler, then stops the run; never undefined.
      const echoed = await continuationLogprobs(prompt, answer.text, signal, true);
      if (!echoed) throw missingLogprobsError(endpoint.url);
      let total = 0;
      let bounded = false;
      for (let i = 0; i < echoed.logprobs.length; i += 1) {
        const value = echoed.logprobs[i];
        if (typeof value === 'number') {
          total += value;
          continue;
        }
        // A token with nothing before it (the answer's first token after an empty prompt) has no
        // echoed log-probability; generating one token from the same prompt gives it.
        const read = await nextTokenLogprob(endpoint, prompt, echoed.tokens.slice(0, i).join(''), echoed.tokens[i] ?? '', 20, signal);
        total += read.value;
        bounded ||= read.bounded;
      }
      return bounded ? { value: total, bounded } : total;
    },
  };
}

/**
 * The answer's log-probability token by token: for token i, the masked prompt with the answer's
 * first i tokens forced as a prefix generates one token, and token i's log-probability is read from
 * the returned top alternatives. One call per answer token and mask (they run in parallel); exact
 * while the answer token is among the returned alternatives, otherwise an upper bound (the greedy
 * walk reads the same values in fewer calls; this is for endpoints that continue a forced prefix
 * for one token only).
 */
export function tokenwiseLogprob(endpoint: ModelEndpoint, answer: AnswerTokens, topLogprobs: number, reason: string): ValueFunction {
  const prefixes = answer.tokens.map((_, i) => answer.tokens.slice(0, i).join(''));
  return {
    name: 'logprob',
    reason,
    target: answer.text,
    callsPerMask: answer.tokens.length,
    parameters: { method: 'tokenwise', tokens: answer.tokens.join('\u0000'), top: topLogprobs, bounds: 2 },
    async score(prompt, signal) {
      const values = await Promise.all(
        answer.tokens.map(async (token, i) => nextTokenLogprob(endpoint, prompt, prefixes[i] ?? '', token, topLogprobs, signal)),
      );
      return { value: values.reduce((sum, entry) => sum + entry.value, 0), bounded: values.some((entry) => entry.bounded) };
    },
  };
}

/**
 * `token`'s log-probability as the next token after `prompt` and a forced `prefix`: exact when the
 * endpoint lists it, else an upper bound; bounded too where the model ends its answer there or the
 * endpoint cannot be asked without context (see greedyWalk.ts).
 */
export async function nextTokenLogprob(
  endpoint: ModelEndpoint,
  prompt: string,
  prefix: string,
  token: string,
  topLogprobs: number,
  signal?: AbortSignal,
): Promise<MaskValue> {
  const position = await nextPosition(endpoint, prompt, prefix, topLogprobs, signal);
  return 'top' in position ? readLogprob(position, token) : position;
}

/**
 * The distribution of the next token after `prompt` and a forced `prefix` (the chosen token and the
 * top alternatives), or the bound every token gets where the endpoint lists none there: the model
 * ended its answer, or it cannot be asked without context.
 */
async function nextPosition(
  endpoint: ModelEndpoint,
  prompt: string,
  prefix: string,
  topLogprobs: number,
  signal?: AbortSignal,
): Promise<TokenLogprob | MaskValue> {
  let generation: Generation;
  try {
    generation = await endpoint.generate(prompt, {
      maxTokens: 1,
      topLogprobs,
      ...(prefix ? { prefix } : {}),
      requireLogprobs: true,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (error instanceof EmptyContextError) return { value: WITHOUT_CONTEXT_BOUND, bounded: true };
    throw error;
  }
  const position = generation.tokens?.[0];
  if (position) return position;
  if (endedAtOnce(generation)) return { value: AT_END_OF_TEXT_BOUND, bounded: true };
  throw missingLogprobsError(endpoint.url);
}

/** Log-probability of a given label (e.g. "Yes") as the first generated token. */
export function labelLogprob(endpoint: ModelEndpoint, label: string, topLogprobs: number, reason: string): ValueFunction {
  const matches = (token: string): boolean => token.trim() === label.trim();
  return {
    name: 'label',
    reason,
    target: label,
    callsPerMask: 1,
    parameters: { top: topLogprobs },
    async score(prompt, signal) {
      const position = await nextPosition(endpoint, prompt, '', topLogprobs, signal);
      if (!('top' in position)) return position;
      const candidates = [{ token: position.token, logprob: position.logprob }, ...position.top];
      const found = candidates.filter((candidate) => matches(candidate.token));
      if (found.length > 0) {
        // A label may appear as several tokens (" Yes", "Yes"): their probabilities add up.
        return Math.log(found.reduce((sum, candidate) => sum + Math.exp(candidate.logprob), 0));
      }
      return readLogprob(position, label);
    },
  };
}

/**
 * Cosine similarity between the answer regenerated under the masked prompt and the original answer,
 * embedded by the endpoint: for endpoints that return no log-probabilities at all. Two calls per mask.
 */
export function answerSimilarity(endpoint: ModelEndpoint, answer: string, maxTokens: number, reason: string): ValueFunction {
  let reference: Promise<number[]> | undefined;
  return {
    name: 'similarity',
    reason,
    target: answer,
    callsPerMask: 2,
    parameters: { maxTokens },
    async score(prompt, signal) {
      if (!reference) {
        const embedding = endpoint.embed([answer], signal).then((vectors) => vectors[0] ?? []);
        // A failed (or cancelled) embedding is asked for again by the next mask, not remembered.
        embedding.catch(() => {
          if (reference === embedding) reference = undefined;
        });
        reference = embedding;
      }
      const generation = await endpoint.generate(prompt, { maxTokens, ...(signal ? { signal } : {}) });
      const [vector] = await endpoint.embed([generation.text], signal);
      return cosine(await reference, vector ?? []);
    },
  };
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    dot += (a[i] as number) * (b[i] as number);
    normA += (a[i] as number) ** 2;
    normB += (b[i] as number) ** 2;
  }
  return normA > 0 && normB > 0 ? dot / Math.sqrt(normA * normB) : 0;
}
