/**
 * The workers that evaluate token sequences for one loaded model. Each worker owns a llama.cpp
 * context with a single sequence: node-llama-cpp 3.21.1 returned values mixed between requests when
 * several sequences of one context were scored at once, so parallelism comes from separate contexts.
 *
 * Prefix reuse: a worker remembers the tokens its KV cache holds. For the next sequence it keeps the
 * common prefix (the template's header, pinned text and every span before the first removed one),
 * erases the rest and evaluates only the new tail. Queued sequences are taken in prefix order
 * (PrefixQueue), so masks that share long prefixes run back to back on the same worker.
 *
 * Reuse never changes a value, on any CPU and any quantisation: llama.cpp's kernels may round
 * differently for different batch shapes, so every position is always evaluated in the same batch,
 * whatever came before. A sequence is decoded in blocks whose boundaries depend only on the tokens up
 * to them (blockPartition.ts: blocks end where sentences and lines start, 4 to 32 tokens long), and
 * only whole blocks are kept: position p is evaluated in the block the sequence's own tokens put it in
 * (or in the sequence's own last, partial block), after the same blocks before it. Which worker scores
 * a prompt, and after which other prompt, therefore changes nothing (the tests check it bit for bit);
 * the price is the tokens between the last block start and the point where two prompts diverge,
 * which is often nothing, since masked prompts diverge where a span, often a sentence, starts.
 *
 * Every scored sequence is also counted against the ideal: its tokens after the longest prefix it
 * shares with the sequence the same worker evaluated before it (see EvaluationStats).
 */
import type {
  ControlledEvaluateInputItem,
  ControlledEvaluateIndexOutput,
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
  Token,
} from 'node-llama-cpp';
import { batchEnds, blockStarts, breakTestFor, DEFAULT_BLOCK_RULE, reusableStart, type BlockRule, type BreakTest } from './blockPartition';
import { firstLine, LlamaBackendError } from './loader';
import { commonPrefixLength, PrefixQueue } from './prefixQueue';

/** How many workers evaluate at once and the llama.cpp threads each one uses. */
export interface PoolSettings {
  readonly workers: number;
  readonly threads: number;
  /** Keep the shared prefix in the KV cache (default); off evaluates every sequence from its start (benchmarks compare the two). */
  readonly prefixReuse?: boolean;
  /** Where blocks end (default DEFAULT_BLOCK_RULE; benchmarks compare others). */
  readonly blockRule?: BlockRule;
}

/**
 * Tokens the scored sequences cost. A sequence of prompt and answer evaluates every token but the
 * answer's last; `noReuseTokens` counts those, `evaluatedTokens` what was evaluated after reuse, and
 * `idealTokens` what a cache reusing every shared token would evaluate: the tokens after the longest
 * prefix the sequence shares with the one the same worker evaluated before it, and at least from the
 * prompt's last token on (whose outputs are needed). The ideal takes the order the workers took the
 * sequences in; with one worker that is the order of evaluation, and a worker's first sequence, or
 * the first after its context was replaced by a larger one, shares nothing in the ideal either.
 * `batches` counts the blocks decoded: a large model on a CPU reads all its weights once per batch.
 */
export interface EvaluationStats {
  calls: number;
  evaluatedTokens: number;
  noReuseTokens: number;
  idealTokens: number;
  batches: number;
}

export function emptyStats(): EvaluationStats {
  return { calls: 0, evaluatedTokens: 0, noReuseTokens: 0, idealTokens: 0, batches: 0 };
}

interface Worker {
  readonly context: LlamaContext;
  readonly sequence: LlamaContextSequence;
  readonly threads: number;
  readonly blockRule: BlockRule;
  /** The tokens the KV cache holds, in order. */
  cached: Token[];
  /** Positions where batches that follow the block rule end in the cache: where reuse may stop. */
  cachedEnds: number[];
}

interface Job {
  /** The whole sequence: prompt and answer to score, or the prompt to continue. */
  readonly tokens: Token[];
  readonly promptLength: number;
  /** Answer tokens to score, or the most tokens to generate. */
  readonly kind: { readonly score: true } | { readonly score: false; readonly maxTokens: number };
  readonly stats: EvaluationStats | undefined;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (value: Float64Array | Token[]) => void;
  readonly reject: (error: unknown) => void;
}

/** Contexts are allocated in steps: at least this many tokens, then doubling, up to the model's training context. */
const MIN_CONTEXT = 256;

/**
 * The smallest probability a float32 softmax can return is about 1.4e-45: a token whose probability
 * underflows to 0 there gets this log-probability (its true one is lower still).
 */
export const LOGPROB_FLOOR = Math.log(1.401298464324817e-45);

export class WorkerPool {
  private settings: PoolSettings = { workers: 1, threads: 1 };
  /** What each slot evaluated last, for the ideal: kept when its worker's context is replaced. */
  private readonly lastEvaluated: (readonly Token[])[] = [];
  private readonly breakTests = new Map<BlockRule['breaks'], BreakTest>();
  private readonly queue = new PrefixQueue<Job>();
  private readonly workers: (Worker | undefined)[] = [];
  private readonly running: boolean[] = [];
  private kickScheduled = false;
  private disposed = false;

  constructor(private readonly model: LlamaModel) {}

  /** The most tokens a sequence may hold: the model's training context. */
  get contextLimit(): number {
    return this.model.trainContextSize;
  }

  /** Settings for the work queued from now on; a worker with other threads is replaced when it next runs. */
  configure(settings: PoolSettings): void {
    this.settings = {
      workers: Math.max(1, Math.floor(settings.workers)),
      threads: Math.max(1, Math.floor(settings.threads)),
      prefixReuse: settings.prefixReuse ?? true,
      blockRule: settings.blockRule ?? DEFAULT_BLOCK_RULE,
    };
  }

  /**
   * The log-probability of each answer token given the prompt and the answer tokens before it: the
   * log-softmax of one pass over prompt + answer. node-llama-cpp returns float32 softmax
   * probabilities (not logits); each is renormalised in float64 and its log taken, which agrees with
   * a float64 log-softmax of the logits to about 1e-7 per token.
   */
  answerLogprobs(prompt: readonly Token[], answer: readonly Token[], stats?: EvaluationStats, signal?: AbortSignal): Promise<Float64Array> {
    if (answer.length === 0) return Promise.resolve(new Float64Array(0));
    return this.enqueue<Float64Array>([...prompt, ...answer], prompt.length, { score: true }, stats, signal);
  }

  /** Greedy (temperature 0) continuation of the prompt, up to `maxTokens` or an end-of-generation token. */
  generate(prompt: readonly Token[], maxTokens: number, signal?: AbortSignal): Promise<Token[]> {
    return this.enqueue<Token[]>([...prompt], prompt.length, { score: false, maxTokens }, undefined, signal);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (let job = this.queue.take([], 0, 1); job; job = this.queue.take([], 0, 1))
      job.reject(new LlamaBackendError('The model was unloaded while this prompt waited to be scored.'));
    const workers = this.workers.splice(0, this.workers.length);
    await Promise.all(workers.flatMap((worker) => (worker ? [worker.context.dispose()] : [])));
  }

  private enqueue<T extends Float64Array | Token[]>(
    tokens: Token[],
    promptLength: number,
    kind: Job['kind'],
    stats: EvaluationStats | undefined,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    if (this.disposed) return Promise.reject(new LlamaBackendError('The model has been unloaded.'));
    if (promptLength === 0) return Promise.reject(new LlamaBackendError('The prompt has no tokens to predict the answer from.'));
    const needed = kind.score ? tokens.length : tokens.length + kind.maxTokens;
    if (needed > this.contextLimit) {
      return Promise.reject(
        new LlamaBackendError(
          `The prompt and answer need ${needed} tokens, more than the model's ${this.contextLimit}-token context holds. Shorten the text or the answer.`,
        ),
      );
    }
    signal?.throwIfAborted();
    return new Promise<T>((resolve, reject) => {
      const job: Job = { tokens, promptLength, kind, stats, signal, resolve: resolve as Job['resolve'], reject };
      this.queue.push(job);
      this.kick();
    });
  }

  /**
   * Starts idle worker slots on the next turn of the event loop: the engine queues a whole round of
   * masks within a few microtasks, and waiting for all of them lets the prefix order see the round.
   */
  private kick(): void {
    if (this.kickScheduled) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      for (let slot = 0; slot < this.settings.workers && this.queue.size > 0; slot += 1) {
        if (!this.running[slot]) void this.drain(slot);
      }
    });
  }

  private async drain(slot: number): Promise<void> {
    this.running[slot] = true;
    try {
      while (!this.disposed && slot < this.settings.workers) {
        const job = this.queue.take(this.workers[slot]?.cached ?? [], slot, this.settings.workers);
        if (!job) break;
        if (job.signal?.aborted) {
          job.reject(job.signal.reason);
          continue;
        }
        try {
          const worker = await this.workerFor(slot, job.kind.score ? job.tokens.length : job.tokens.length + job.kind.maxTokens);
          job.resolve(
            job.kind.score ? await this.score(worker, job, slot) : await this.generateFrom(worker, job, job.kind.maxTokens, slot),
          );
        } catch (error) {
          // A failed evaluation leaves the KV cache in an unknown state: start that worker afresh.
          await this.retire(slot);
          job.reject(
            error instanceof LlamaBackendError
              ? error
              : new LlamaBackendError(`llama.cpp failed to evaluate a prompt: ${firstLine(error)}`),
          );
        }
      }
    } finally {
      this.running[slot] = false;
    }
    // Slots beyond a lowered worker count give their context back.
    if (slot >= this.settings.workers) await this.retire(slot);
  }

  private get blockRule(): BlockRule {
    return this.settings.blockRule ?? DEFAULT_BLOCK_RULE;
  }

  /** The slot's worker, (re)created when it is missing, too small for `needed` tokens, on other threads or other blocks. */
  private async workerFor(slot: number, needed: number): Promise<Worker> {
    const current = this.workers[slot];
    const rule = this.blockRule;
    if (current && current.context.contextSize >= needed && current.threads === this.settings.threads && current.blockRule === rule)
      return current;
    await this.retire(slot);
    let size = MIN_CONTEXT;
    while (size < needed) size *= 2;
    const context = await this.model
      .createContext({
        contextSize: Math.min(size, this.contextLimit),
        sequences: 1,
        threads: this.settings.threads,
        batchSize: rule.maxTokens,
      })
      .catch((error: unknown) => {
        throw new LlamaBackendError(`llama.cpp could not allocate a ${size}-token context: ${firstLine(error)}`);
      });
    const worker: Worker = {
      context,
      sequence: context.getSequence(),
      threads: this.settings.threads,
      blockRule: rule,
      cached: [],
      cachedEnds: [],
    };
    this.workers[slot] = worker;
    return worker;
  }

  private async retire(slot: number): Promise<void> {
    const worker = this.workers[slot];
    this.workers[slot] = undefined;
    await worker?.context.dispose().catch(() => undefined);
  }

  /** Where `tokens` starts a block under the worker's rule. */
  private blockStartsOf(worker: Worker, tokens: readonly Token[]): number[] {
    let test = this.breakTests.get(worker.blockRule.breaks);
    if (!test) {
      test = breakTestFor(this.model, worker.blockRule.breaks);
      this.breakTests.set(worker.blockRule.breaks, test);
    }
    return blockStarts(tokens, test, worker.blockRule);
  }

  /**
   * Keeps the whole blocks of the cached prefix the job shares (up to its prompt's last token, whose
   * outputs are needed again) and erases the rest; returns where evaluation starts.
   */
  private async rewind(worker: Worker, job: Job, starts: readonly number[]): Promise<number> {
    const shared = this.settings.prefixReuse === false ? 0 : commonPrefixLength(worker.cached, job.tokens);
    const start = reusableStart(starts, Math.min(shared, job.promptLength - 1), worker.cachedEnds);
    const end = worker.sequence.nextTokenIndex;
    worker.cached = worker.cached.slice(0, start);
    worker.cachedEnds = worker.cachedEnds.filter((position) => position <= start);
    if (end > start) await worker.sequence.eraseContextTokenRanges([{ start, end }]);
    return start;
  }

  /**
   * Decodes `items` (the sequence's tokens from `start` on) one block per batch, as `starts` splits
   * them. node-llama-cpp splits one call's input at multiples of the batch size (the rule's largest
   * block), so a run of full-size blocks and the block after it go in one call; any other block is a
   * call of its own.
   */
  private async evaluateBlocks(
    worker: Worker,
    items: readonly ControlledEvaluateInputItem[],
    start: number,
    starts: readonly number[],
  ): Promise<{ outputs: (ControlledEvaluateIndexOutput | undefined)[]; batches: number }> {
    const outputs: (ControlledEvaluateIndexOutput | undefined)[] = [];
    const end = start + items.length;
    const first = starts.indexOf(start);
    let k = first;
    while (outputs.length < items.length) {
      const from = starts[k] as number;
      let to = Math.min(starts[k + 1] ?? end, end);
      while (to < end && to - (starts[k] as number) === worker.blockRule.maxTokens) {
        k += 1;
        to = Math.min(starts[k + 1] ?? end, end);
      }
      const batch = await worker.sequence.controlledEvaluate(items.slice(from - start, to - start));
      for (let i = 0; i < to - from; i += 1) outputs.push(batch[i]);
      k += 1;
    }
    return { outputs, batches: k - first };
  }

  private async score(worker: Worker, job: Job, slot: number): Promise<Float64Array> {
    const starts = this.blockStartsOf(worker, job.tokens);
    const start = await this.rewind(worker, job, starts);
    const last = job.tokens.length - 1;
    const input: ControlledEvaluateInputItem[] = job.tokens
      .slice(start, last)
      .map((token, offset) => (start + offset >= job.promptLength - 1 ? [token, { generateNext: { probabilities: true } }] : token));
    const { outputs, batches } = await this.evaluateBlocks(worker, input, start, starts);
    worker.cached = job.tokens.slice(0, last);
    worker.cachedEnds = batchEnds(starts, last);
    const previous = this.lastEvaluated[slot] ?? [];
    this.lastEvaluated[slot] = worker.cached;
    if (job.stats) {
      job.stats.calls += 1;
      job.stats.evaluatedTokens += input.length;
      job.stats.noReuseTokens += last;
      job.stats.idealTokens += last - Math.min(commonPrefixLength(previous, job.tokens), job.promptLength - 1);
      job.stats.batches += batches;
    }
    const values = new Float64Array(last - job.promptLength + 1);
    for (let position = job.promptLength - 1; position < last; position += 1) {
      const probabilities = outputs[position - start]?.next.probabilities;
      if (!probabilities) throw new LlamaBackendError('llama.cpp returned no probabilities for an answer position.');
      values[position - job.promptLength + 1] = logprobOf(probabilities, job.tokens[position + 1] as Token);
    }
    return values;
  }

  private async generateFrom(worker: Worker, job: Job, maxTokens: number, slot: number): Promise<Token[]> {
    if (maxTokens <= 0) return [];
    const starts = this.blockStartsOf(worker, job.tokens);
    const start = await this.rewind(worker, job, starts);
    const greedy = { generateNext: { token: true, options: { temperature: 0 } } };
    const prompt = job.tokens
      .slice(start)
      .map((token, i, rest): ControlledEvaluateInputItem => (i === rest.length - 1 ? [token, greedy] : token));
    let { outputs } = await this.evaluateBlocks(worker, prompt, start, starts);
    // Generated tokens are evaluated one at a time, outside the block structure: only the prompt's
    // blocks may be reused.
    worker.cached = [...job.tokens];
    worker.cachedEnds = batchEnds(starts, job.tokens.length);
    const evaluated = [...job.tokens];
    const generated: Token[] = [];
    for (;;) {
      const token = outputs[outputs.length - 1]?.next.token;
      if (token === undefined || token === null || this.model.isEogToken(token)) break;
      generated.push(token);
      if (generated.length >= maxTokens) break;
      outputs = await worker.sequence.controlledEvaluate([[token, greedy]]);
      evaluated.push(token);
    }
    this.lastEvaluated[slot] = evaluated;
    return generated;
  }
}

/** log p(token) from a softmax map, renormalised in float64. */
export function logprobOf(probabilities: ReadonlyMap<Token, number>, token: Token): number {
  let total = 0;
  for (const probability of probabilities.values()) total += probability;
  const probability = probabilities.get(token) ?? 0;
  if (probability <= 0 || total <= 0) return LOGPROB_FLOOR;
  return Math.log(probability) - Math.log(total);
}
