import { EndpointError, isRetryableStatus, type Generation, type ModelEndpoint } from '../backends/modelEndpoint';
import { tokenizeAnswer, ValueSetupError, type AnswerTokens, type ValueFunction, type ValueFunctionChoice } from './valueFunction';
import { greedyWalkLogprob, type WalkResult } from './greedyWalk';
import { answerSimilarity, echoLogprob, labelLogprob, tokenwiseLogprob } from './valueFunctions';

export { ValueSetupError } from './valueFunction';

export interface ValueSetup {
  readonly endpoint: ModelEndpoint;
  readonly choice: ValueFunctionChoice;
  /** The full, unmasked prompt. */
  readonly prompt: string;
  /** The answer (or, for `label`, the label) to explain; generated from the full prompt when absent. */
  readonly target?: string;
  readonly maxAnswerTokens: number;
  readonly signal?: AbortSignal;
  /** Receives every greedy walk (the cost counters), where the value function walks. */
  readonly onWalk?: (walk: WalkResult) => void;
  /**
   * How log-probabilities of generated tokens are read: the greedy walk (default, where the endpoint
   * continues a forced prefix) or token by token (the cost benchmark compares the two).
   */
  readonly logprobMethod?: 'walk' | 'tokenwise';
}

/** Ollama returns log-probabilities for generated tokens since this version. */
const OLLAMA_LOGPROBS_SINCE = [0, 12, 11] as const;
const OLLAMA_LOGPROBS_SINCE_TEXT = OLLAMA_LOGPROBS_SINCE.join('.');
const TOP_LOGPROBS = 20;

/**
 * Probes the endpoint once and builds the value function: for `auto`, exact echoed log-probabilities
 * where the endpoint offers them, else token-by-token log-probabilities from generated tokens, else
 * embedding similarity of regenerated answers; the reason says which and why. Every probe goes
 * through the endpoint's scheduler, and only a capability the endpoint lacks changes the choice: a
 * failing call stops the set-up, and an Ollama recent enough to return log-probabilities that
 * answers without them is asked again (a retryable fault), then the set-up stops with what it saw.
 */
export async function chooseValueFunction(setup: ValueSetup): Promise<ValueFunction> {
  let cut = false;
  const chosen = await chooseFor(setup, (generated) => {
    cut = setup.target === undefined && generated.finishReason === 'length';
  });
  return cut ? { ...chosen, targetCut: true } : chosen;
}

/** The choice itself; `answered` hears of the generation that became the explained answer. */
async function chooseFor(setup: ValueSetup, answered: (generated: Generation) => void): Promise<ValueFunction> {
  const { endpoint, choice, prompt, signal } = setup;
  const withSignal = signal ? { signal } : {};
  if (choice === 'label') {
    if (!setup.target) throw new ValueSetupError('--value label needs the label to score, e.g. --target "Yes".');
    const probe = await generateWithLogprobs(setup, 1);
    if (!probe.generation.tokens)
      throw new ValueSetupError(
        `${describe(endpoint)} returns no log-probabilities, so a label's probability cannot be read: ${probe.hint}.`,
      );
    return labelLogprob(
      endpoint,
      setup.target,
      TOP_LOGPROBS,
      `chosen by the user: the log-probability of "${setup.target}" as the first answer token (from the top ${TOP_LOGPROBS} alternatives)`,
    );
  }
  if (choice === 'similarity') {
    const generated = await endpoint.generate(prompt, { maxTokens: setup.maxAnswerTokens, ...withSignal });
    return answerSimilarity(
      endpoint,
      answerOf(setup, generated, answered),
      setup.maxAnswerTokens,
      'chosen by the user: cosine similarity of the regenerated answer to the original, embedded by the same endpoint',
    );
  }
  const { generation: generated, hint } = await generateWithLogprobs(setup, setup.maxAnswerTokens);
  const answerText = answerOf(setup, generated, answered);
  const echoed = endpoint.continuationLogprobs
    ? await endpoint.continuationLogprobs(prompt, answerText, signal).catch(refusedOnly)
    : undefined;
  if (echoed) {
    return echoLogprob(
      endpoint,
      { text: answerText, tokens: [answerText] },
      `${choice === 'auto' ? 'the endpoint echoes prompt log-probabilities' : 'chosen by the user'}: the exact log-probability of the answer, one call per mask`,
    );
  }
  if (generated.tokens) {
    const answer = setup.target
      ? await tokenizeAnswer(endpoint, prompt, setup.target, setup.maxAnswerTokens, signal)
      : { text: answerText, tokens: generated.tokens.map((token) => token.token) };
    const how = choice === 'auto' ? 'the endpoint returns log-probabilities of generated tokens only' : 'chosen by the user';
    const bound = `a token outside the top ${TOP_LOGPROBS} counts at an upper bound, and the fit treats that mask's value as censored`;
    const prefix = await probeForcedPrefix(endpoint, prompt, answer, signal);
    if (prefix === 'continued' && setup.logprobMethod !== 'tokenwise') {
      return greedyWalkLogprob(
        endpoint,
        answer,
        TOP_LOGPROBS,
        `${how}: the answer's log-probability by a greedy walk (one call per mask, plus one where the model's answer leaves the explained one; ${bound})`,
        setup.onWalk,
      );
    }
    if (prefix === 'continued' || prefix === 'continued-one-token') {
      const why =
        prefix === 'continued' ? 'as asked' : 'because the endpoint continues a forced answer for one token but not for longer generations';
      return tokenwiseLogprob(
        endpoint,
        answer,
        TOP_LOGPROBS,
        `${how}: the answer's log-probability token by token, ${why} (${answer.tokens.length} calls per mask; ${bound})`,
      );
    }
    if (choice === 'logprob') {
      throw new ValueSetupError(
        `${describe(endpoint)} does not continue a forced answer prefix (${prefix.observed}), so the answer's log-probability can be read for its first token only. Use --raw for a completion model, an endpoint that echoes prompt log-probabilities (vLLM), or --value similarity.`,
      );
    }
    return answerSimilarity(
      endpoint,
      answerText,
      setup.maxAnswerTokens,
      `the endpoint does not continue a forced answer prefix (${prefix.observed}), so the value is the embedding similarity of each regenerated answer to the original`,
    );
  }
  if (choice === 'logprob')
    throw new ValueSetupError(`${describe(endpoint)} returns no log-probabilities: ${hint}. Or choose --value similarity.`);
  return answerSimilarity(
    endpoint,
    answerText,
    setup.maxAnswerTokens,
    `the endpoint returns no log-probabilities (${hint}), so the value is the embedding similarity of each regenerated answer to the original`,
  );
}

/**
 * Whether the endpoint continues a forced answer prefix, checked once on the full prompt before any
 * mask is scored: forced to start with the answer's first token, it must go on with the answer's
 * next tokens (at temperature 0 it answered exactly these from the full prompt). A server that
 * ignores the prefix starts the answer again; one that refuses it (a chat API that cannot continue
 * an assistant message) answers with an error. Longer generations are tried first (the greedy
 * walk's calls), then a single token (the token-by-token method's).
 */
async function probeForcedPrefix(
  endpoint: ModelEndpoint,
  prompt: string,
  answer: AnswerTokens,
  signal: AbortSignal | undefined,
): Promise<'continued' | 'continued-one-token' | { readonly observed: string }> {
  // A one-token answer never forces a prefix.
  if (answer.tokens.length < 2) return 'continued';
  const first = answer.tokens[0] as string;
  const rest = answer.text.slice(first.length);
  const attempt = async (maxTokens: number): Promise<{ readonly continued: boolean; readonly observed: string }> => {
    try {
      const generation = await endpoint.generate(prompt, {
        maxTokens,
        topLogprobs: TOP_LOGPROBS,
        prefix: first,
        ...(signal ? { signal } : {}),
      });
      const text = generation.text;
      const continued = text.length > 0 && (rest.startsWith(text) || text.startsWith(rest));
      return { continued, observed: `forced to start with ${JSON.stringify(first)}, it answered ${JSON.stringify(text.slice(0, 40))}` };
    } catch (error) {
      if (!(error instanceof EndpointError) || error.retryable || error.unreachable) throw error;
      return { continued: false, observed: `a forced prefix was refused: ${error.message}` };
    }
  };
  const longer = await attempt(Math.min(4, answer.tokens.length - 1));
  if (longer.continued) return 'continued';
  const single = await attempt(1);
  if (single.continued) return 'continued-one-token';
  return { observed: longer.observed };
}

/** The answer to explain: the user's target, else the one generated from the full prompt. */
function answerOf(setup: ValueSetup, generated: Generation, answered: (generated: Generation) => void): string {
  answered(generated);
  const answer = setup.target ?? generated.text;
  if (answer.length === 0)
    throw new ValueSetupError(
      `${describe(setup.endpoint)} generated an empty answer to the full prompt; give the answer to explain with --target.`,
    );
  return answer;
}

/**
 * Generates from the full prompt asking for log-probabilities. An answer without them is a missing
 * capability only where the endpoint's version says so (or cannot say): the generation comes back
 * without tokens, with a hint that states what was observed. An Ollama that returns them since its
 * version is asked again with them required, through the scheduler's retries; if it never does,
 * the set-up stops rather than choose another value function.
 */
async function generateWithLogprobs(setup: ValueSetup, maxTokens: number): Promise<{ generation: Generation; hint: string }> {
  const { endpoint, prompt, signal } = setup;
  const options = { maxTokens, topLogprobs: TOP_LOGPROBS, ...(signal ? { signal } : {}) };
  const generation = await endpoint.generate(prompt, options);
  // An empty answer lists no tokens to carry log-probabilities; without a target it is refused as empty.
  if (generation.tokens || (generation.text === '' && setup.target === undefined)) return { generation, hint: '' };
  if (endpoint.kind !== 'ollama') {
    return { generation, hint: 'it answered without them when asked; vLLM and llama.cpp server return them' };
  }
  const version = await ollamaVersion(endpoint, signal);
  if (version === undefined) {
    return {
      generation,
      hint: `it answered without them and reports no version; Ollama returns them since ${OLLAMA_LOGPROBS_SINCE_TEXT}`,
    };
  }
  if (olderThan(version, OLLAMA_LOGPROBS_SINCE))
    return { generation, hint: `Ollama ${version} predates log-probabilities; upgrade to ${OLLAMA_LOGPROBS_SINCE_TEXT} or later` };
  try {
    return { generation: await endpoint.generate(prompt, { ...options, requireLogprobs: true }), hint: '' };
  } catch (error) {
    if (!(error instanceof EndpointError) || error.unreachable) throw error;
    throw new ValueSetupError(
      `Ollama at ${endpoint.url} reports version ${version}, which returns log-probabilities, yet answered the full prompt without them; asked again: ${error.message}`,
    );
  }
}

/** The Ollama version, or undefined from a server that has no version endpoint; other failures stop the set-up. */
async function ollamaVersion(endpoint: ModelEndpoint, signal?: AbortSignal): Promise<string | undefined> {
  try {
    return await endpoint.version(signal);
  } catch (error) {
    if (error instanceof EndpointError && error.status === 404) return undefined;
    throw error;
  }
}

/** An endpoint that refuses to echo (a client error no retry could fix) cannot; any other failure stops the set-up. */
function refusedOnly(error: unknown): undefined {
  const status = error instanceof EndpointError ? error.status : undefined;
  if (status !== undefined && status >= 400 && status < 500 && !isRetryableStatus(status)) return undefined;
  throw error;
}

function describe(endpoint: ModelEndpoint): string {
  return `${endpoint.kind === 'ollama' ? 'Ollama' : 'The endpoint'} at ${endpoint.url} (model ${endpoint.model})`;
}

function olderThan(version: string, reference: readonly number[]): boolean {
  const parts = version.split(/[.-]/u).map((part) => Number.parseInt(part, 10));
  for (let i = 0; i < reference.length; i += 1) {
    const value = Number.isFinite(parts[i]) ? (parts[i] as number) : 0;
    if (value !== reference[i]) return value < (reference[i] as number);
  }
  return false;
}
