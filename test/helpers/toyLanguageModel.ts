import {
  EmptyContextError,
  type GenerateOptions,
  type Generation,
  type ModelEndpoint,
  type TokenLogprob,
} from '../../server/backends/modelEndpoint';

/**
 * A toy language model behind the ModelEndpoint interface, for testing value functions without HTTP:
 * a vocabulary of words, and for every context a seeded distribution over them (plus an end token),
 * so that greedy answers diverge under masked prompts the way a real model's do. Generation is greedy
 * and lists the top alternatives, like Ollama: nothing is listed for the end of the answer.
 */
export interface ToyModelOptions {
  readonly vocabulary: readonly string[];
  /** How many alternatives a response may list at most (Ollama: 20). */
  readonly maxTop?: number;
  /** Raw generate: an empty context is refused the way Ollama refuses it. */
  readonly refusesEmptyContext?: boolean;
  /** Ignore the forced prefix (an old server): generation starts the answer again. */
  readonly ignoresPrefix?: boolean;
  /** Texts after which the model ends its answer with certainty-ish (the end token wins). */
  readonly endsAfter?: readonly string[];
}

export const END = '<end>';

export class ToyLanguageModel implements ModelEndpoint {
  readonly kind = 'ollama' as const;
  readonly url = 'toy://model';
  readonly model = 'toy';
  requestsSent = 0;
  /** Prompt + prefix of every generate request, in order. */
  readonly contexts: string[] = [];

  constructor(private readonly options: ToyModelOptions) {}

  /** The model's next-token log-probabilities after `context`, over the vocabulary and the end token. */
  distribution(context: string): Map<string, number> {
    const tokens = [...this.options.vocabulary, END];
    const scores = tokens.map((token) => {
      let score = hash(`${context}\u0001${token}`) * 6;
      if (token === END) score = this.options.endsAfter?.some((text) => context.endsWith(text)) ? 10 : score - 3;
      return score;
    });
    const largest = Math.max(...scores);
    const normaliser = Math.log(scores.reduce((sum, score) => sum + Math.exp(score - largest), 0)) + largest;
    return new Map(tokens.map((token, i) => [token, (scores[i] as number) - normaliser]));
  }

  /** The exact log-probability of `answer` (a list of tokens) after `prompt`. */
  exactLogprob(prompt: string, answer: readonly string[]): number {
    let total = 0;
    for (let i = 0; i < answer.length; i += 1) {
      total += this.distribution(prompt + answer.slice(0, i).join('')).get(answer[i] as string) as number;
    }
    return total;
  }

  generate(prompt: string, options: GenerateOptions): Promise<Generation> {
    this.requestsSent += 1;
    const prefix = this.options.ignoresPrefix ? '' : (options.prefix ?? '');
    if (this.options.refusesEmptyContext && prompt + prefix === '') return Promise.reject(new EmptyContextError('the toy model'));
    this.contexts.push(prompt + prefix);
    const top = Math.min(options.topLogprobs ?? 0, this.options.maxTop ?? 20);
    const tokens: TokenLogprob[] = [];
    let context = prompt + prefix;
    let finishReason = 'length';
    for (let i = 0; i < options.maxTokens; i += 1) {
      const ranked = [...this.distribution(context)].sort((a, b) => b[1] - a[1]);
      const [token, logprob] = ranked[0] as [string, number];
      if (token === END) {
        finishReason = 'stop';
        break;
      }
      tokens.push({ token, logprob, top: ranked.slice(0, top).map(([alternative, value]) => ({ token: alternative, logprob: value })) });
      context += token;
    }
    return Promise.resolve({ text: tokens.map((entry) => entry.token).join(''), tokens: tokens.length > 0 ? tokens : null, finishReason });
  }

  listModels(): Promise<{ name: string }[]> {
    return Promise.resolve([{ name: this.model }]);
  }

  modelDigest(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  embed(): Promise<number[][]> {
    return Promise.reject(new Error('The toy model has no embeddings.'));
  }

  version(): Promise<string | undefined> {
    return Promise.resolve('0.13.0');
  }
}

/** A number in [0, 1) from a string (FNV-1a). */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    value ^= text.charCodeAt(i);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value / 2 ** 32;
}
