import type { ModelEndpoint, TokenLogprob } from '../backends/modelEndpoint';

export const VALUE_FUNCTION_NAMES = ['logprob', 'label', 'similarity'] as const;
export type ValueFunctionName = (typeof VALUE_FUNCTION_NAMES)[number];
export type ValueFunctionChoice = ValueFunctionName | 'auto';

/** The value function could not be set up as asked (a capability is missing, an option is wrong). */
export class ValueSetupError extends Error {
  override readonly name = 'ValueSetupError';
}

/**
 * A masked prompt's value where it may be inexact: `bounded` says it is only an upper bound of the
 * exact value (an answer token's log-probability was not among the alternatives the endpoint
 * listed, or the endpoint could not be asked at that position). The fit treats such values as
 * censored: the exact value lies at or below them.
 */
export interface MaskValue {
  readonly value: number;
  readonly bounded: boolean;
}

/** What scoring one masked prompt gives: a plain number is exact. */
export type Scored = number | MaskValue;

/** A score as a MaskValue (a plain number is exact). */
export function maskValueOf(scored: Scored): MaskValue {
  return typeof scored === 'number' ? { value: scored, bounded: false } : scored;
}

/** What is measured on every masked prompt. */
export interface ValueFunction {
  readonly name: ValueFunctionName;
  /** Why this one (auto's reasoning, or "chosen by the user"), and how exact it is. */
  readonly reason: string;
  /** The answer (or label) whose value is explained. */
  readonly target: string;
  /** The answer was generated up to the token limit, so it stops mid-way (readers show an ellipsis). */
  readonly targetCut?: boolean;
  /**
   * Model calls one masked prompt costs: exact for fixed methods; for the greedy walk the least
   * (one), since each divergence from the answer adds one. The cost preview measures the real mean.
   */
  readonly callsPerMask: number;
  /** True where callsPerMask is a least, not a fixed count (it depends on how the model answers each mask). */
  readonly callsVary?: boolean;
  /** Everything besides the prompt that determines a value: part of every cache key. */
  readonly parameters: Readonly<Record<string, string | number | boolean | null>>;
  score(prompt: string, signal?: AbortSignal): Promise<Scored>;
}

/** Tokens of the answer, as the endpoint splits them, found once under the full prompt. */
export interface AnswerTokens {
  readonly text: string;
  readonly tokens: readonly string[];
}

/**
 * The log-probability of `token` among one position's candidates. When the endpoint's top list
 * does not contain it, its log-probability is at most the smallest listed one, which is used: an
 * upper bound, stated in the value function's reason.
 */
export function logprobOf(position: TokenLogprob, token: string): number {
  return readLogprob(position, token).value;
}

/**
 * `token`'s log-probability at one position, exact when the endpoint listed it. Otherwise the
 * tightest upper bound the listing gives: the token is less likely than every listed one, and no
 * more likely than the probability the listed ones leave over.
 */
export function readLogprob(position: TokenLogprob, token: string): MaskValue {
  if (position.token === token) return { value: position.logprob, bounded: false };
  const listed = position.top.find((candidate) => candidate.token === token);
  if (listed) return { value: listed.logprob, bounded: false };
  let lowest = position.logprob;
  // The chosen token may also appear among the alternatives: count each distinct token once.
  const mass = new Map<string, number>([[position.token, Math.exp(position.logprob)]]);
  for (const candidate of position.top) {
    lowest = Math.min(lowest, candidate.logprob);
    mass.set(candidate.token, Math.exp(candidate.logprob));
  }
  let listedMass = 0;
  for (const probability of mass.values()) listedMass += probability;
  const leftOver = listedMass < 1 ? Math.log(1 - listedMass) : Number.NEGATIVE_INFINITY;
  // Rounding can make the listed mass reach 1; then the smallest listed one is the only bound.
  return { value: Number.isFinite(leftOver) ? Math.min(lowest, leftOver) : lowest, bounded: true };
}

/**
 * Splits a target answer into the endpoint's tokens by letting the model spell it: from the full
 * prompt with the part already matched as a forced prefix, the generated token (or one of its
 * alternatives) that continues the target most is the next token. Used when the user gives
 * --target, since HTTP endpoints expose no tokenizer.
 */
export async function tokenizeAnswer(
  endpoint: ModelEndpoint,
  prompt: string,
  target: string,
  maxTokens: number,
  signal?: AbortSignal,
): Promise<AnswerTokens> {
  const tokens: string[] = [];
  let matched = 0;
  while (matched < target.length) {
    if (tokens.length >= maxTokens) {
      throw new ValueSetupError(`The target answer is longer than ${maxTokens} tokens; shorten it or raise --max-answer-tokens.`);
    }
    const generation = await endpoint.generate(prompt, {
      maxTokens: 1,
      topLogprobs: 20,
      prefix: target.slice(0, matched),
      requireLogprobs: true,
      ...(signal ? { signal } : {}),
    });
    const position = generation.tokens?.[0];
    const rest = target.slice(matched);
    const candidates = position ? [position.token, ...position.top.map((entry) => entry.token)] : [generation.text];
    const best = candidates
      .filter((candidate) => candidate.length > 0 && rest.startsWith(candidate))
      .sort((a, b) => b.length - a.length)[0];
    // Without a matching candidate the remaining text is taken as one token: still exact to score
    // where prompt log-probabilities are echoed, and an approximation elsewhere.
    const token = best ?? rest;
    tokens.push(token);
    matched += token.length;
  }
  return { text: target, tokens };
}
