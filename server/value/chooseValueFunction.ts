import type { ModelEndpoint } from '../backends/modelEndpoint';
import { tokenizeAnswer, type ValueFunction, type ValueFunctionChoice } from './valueFunction';
import { answerSimilarity, echoLogprob, labelLogprob, tokenwiseLogprob } from './valueFunctions';

export interface ValueSetup {
  readonly endpoint: ModelEndpoint;
  readonly choice: ValueFunctionChoice;
  /** The full, unmasked prompt. */
  readonly prompt: string;
  /** The answer (or, for `label`, the label) to explain; generated from the full prompt when absent. */
  readonly target?: string;
  readonly maxAnswerTokens: number;
  readonly signal?: AbortSignal;
}

/** The value function could not be set up as asked (a capability is missing, an option is wrong). */
export class ValueSetupError extends Error {
  override readonly name = 'ValueSetupError';
}

/** Ollama returns log-probabilities for generated tokens since this version. */
const OLLAMA_LOGPROBS_SINCE = [0, 12, 11] as const;
const TOP_LOGPROBS = 20;

/**
 * Probes the endpoint once and builds the value function: for `auto`, exact echoed log-probabilities
 * where the endpoint offers them, else token-by-token log-probabilities from generated tokens, else
 * embedding similarity of regenerated answers; the reason says which and why.
 */
export async function chooseValueFunction(setup: ValueSetup): Promise<ValueFunction> {
  const { endpoint, choice, prompt, signal } = setup;
  const withSignal = signal ? { signal } : {};
  if (choice === 'label') {
    if (!setup.target) throw new ValueSetupError('--value label needs the label to score, e.g. --target "Yes".');
    const probe = await endpoint.generate(prompt, { maxTokens: 1, topLogprobs: TOP_LOGPROBS, ...withSignal });
    if (!probe.tokens)
      throw new ValueSetupError(
        `${describe(endpoint)} returns no log-probabilities, so a label's probability cannot be read. ${await logprobHint(endpoint, signal)}`,
      );
    return labelLogprob(
      endpoint,
      setup.target,
      TOP_LOGPROBS,
      `chosen by the user: the log-probability of "${setup.target}" as the first answer token (from the top ${TOP_LOGPROBS} alternatives)`,
    );
  }
  const generated = await endpoint.generate(prompt, { maxTokens: setup.maxAnswerTokens, topLogprobs: TOP_LOGPROBS, ...withSignal });
  const answerText = setup.target ?? generated.text;
  if (answerText.length === 0)
    throw new ValueSetupError(
      `${describe(endpoint)} generated an empty answer to the full prompt; give the answer to explain with --target.`,
    );
  if (choice === 'similarity')
    return answerSimilarity(
      endpoint,
      answerText,
      setup.maxAnswerTokens,
      'chosen by the user: cosine similarity of the regenerated answer to the original, embedded by the same endpoint',
    );

  const echoed = endpoint.continuationLogprobs
    ? await endpoint.continuationLogprobs(prompt, answerText, signal).catch(() => undefined)
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
    return tokenwiseLogprob(
      endpoint,
      answer,
      TOP_LOGPROBS,
      `${choice === 'auto' ? 'the endpoint returns log-probabilities of generated tokens only' : 'chosen by the user'}: the answer's log-probability token by token (${answer.tokens.length} calls per mask; a token outside the top ${TOP_LOGPROBS} counts at the smallest listed log-probability)`,
    );
  }
  if (choice === 'logprob')
    throw new ValueSetupError(`${describe(endpoint)} returns no log-probabilities. ${await logprobHint(endpoint, signal)}`);
  return answerSimilarity(
    endpoint,
    answerText,
    setup.maxAnswerTokens,
    `the endpoint returns no log-probabilities (${await logprobHint(endpoint, signal)}), so the value is the embedding similarity of each regenerated answer to the original`,
  );
}

function describe(endpoint: ModelEndpoint): string {
  return `${endpoint.kind === 'ollama' ? 'Ollama' : 'The endpoint'} at ${endpoint.url} (model ${endpoint.model})`;
}

async function logprobHint(endpoint: ModelEndpoint, signal?: AbortSignal): Promise<string> {
  if (endpoint.kind !== 'ollama') return 'Use a server that returns logprobs (vLLM, llama.cpp server) or --value similarity.';
  const version = await endpoint.version(signal).catch(() => undefined);
  if (version && olderThan(version, OLLAMA_LOGPROBS_SINCE))
    return `Ollama ${version} predates log-probabilities; upgrade to 0.12.11 or later`;
  return 'Upgrade Ollama to 0.12.11 or later, or use --value similarity';
}

function olderThan(version: string, reference: readonly number[]): boolean {
  const parts = version.split(/[.-]/u).map((part) => Number.parseInt(part, 10));
  for (let i = 0; i < reference.length; i += 1) {
    const value = Number.isFinite(parts[i]) ? (parts[i] as number) : 0;
    if (value !== reference[i]) return value < (reference[i] as number);
  }
  return false;
}
