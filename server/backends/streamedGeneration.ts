import type { Generation, TokenLogprob } from './modelEndpoint';

/** One streamed piece of a generation, as an endpoint maps its own chunk shape onto it. */
export interface StreamedPart {
  readonly text: string;
  readonly tokens: readonly TokenLogprob[];
  /** Set on the part that ends the generation (Ollama's `done_reason`, OpenAI's `finish_reason`). */
  readonly finishReason?: string | null;
}

/** What the walk is told when a streamed generation stopped at a token it did not expect. */
export const DIVERGED = 'diverged';

/**
 * Reads a streamed generation until it ends or until its first token that differs from `expected`,
 * whichever comes first. At a divergence the generation is cut after that token (its alternatives are
 * what the caller reads there) with finish reason `diverged`, and the caller aborts the request, so a
 * server that stops on a closed connection (Ollama, vLLM, llama.cpp's server) generates nothing more.
 * A stream without log-probabilities cannot be compared and is read to its end.
 */
export async function readUntilDivergence(parts: AsyncIterable<StreamedPart>, expected: readonly string[]): Promise<Generation> {
  let text = '';
  const tokens: TokenLogprob[] = [];
  let finishReason = '';
  for await (const part of parts) {
    const before = tokens.length;
    tokens.push(...part.tokens);
    text += part.text;
    const divergence = firstDifference(tokens, expected, before);
    if (divergence >= 0) {
      tokens.length = divergence + 1;
      return { text: tokens.map((entry) => entry.token).join(''), tokens, finishReason: DIVERGED };
    }
    if (part.finishReason) {
      finishReason = part.finishReason;
      break;
    }
  }
  return { text, tokens: tokens.length > 0 ? tokens : null, finishReason };
}

function firstDifference(tokens: readonly TokenLogprob[], expected: readonly string[], from: number): number {
  for (let i = from; i < tokens.length; i += 1) if (tokens[i]?.token !== expected[i]) return i;
  return -1;
}

/**
 * Runs a streamed generation (`run` opens and reads it with the signal it is given, which the
 * caller's signal also aborts) and closes the request when the generation stopped at a divergence or
 * failed: the server then generates nothing more. One that ended on its own is left alone, and its
 * connection goes back to the pool.
 */
export async function streamWithOwnSignal(
  signal: AbortSignal | undefined,
  run: (own: AbortSignal) => Promise<Generation>,
): Promise<Generation> {
  const own = new AbortController();
  const forward = (): void => own.abort(signal?.reason);
  if (signal?.aborted) forward();
  else signal?.addEventListener('abort', forward, { once: true });
  let ended = false;
  try {
    const generation = await run(own.signal);
    ended = generation.finishReason !== DIVERGED;
    return generation;
  } finally {
    signal?.removeEventListener('abort', forward);
    if (!ended) own.abort(new DOMException('The rest of the generation is not needed.', 'AbortError'));
  }
}
