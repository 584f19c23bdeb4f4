/**
 * The llama backend's value source: a GGUF model run in this process through node-llama-cpp, with
 * exact values. `logprob` is the sum of the answer tokens' log-softmax in one pass over the prompt
 * (in its chat template) and the answer; `label` is the same for any label text, whatever its rank;
 * `auto` is `logprob`. The answer is generated once from the full prompt at temperature 0, or given.
 */
import { availableParallelism } from 'node:os';
import type { LlamaModel, Token } from 'node-llama-cpp';
import { describeDevice, type ComputeDevice, type GpuChoice } from '../../../protocol/device';
import { describeTokens, type TokenCounts } from '../../../protocol/explanation';
import type { ValueSource } from '../../value/valueSource';
import { ValueSetupError } from '../../value/chooseValueFunction';
import type { ValueFunctionChoice } from '../../value/valueFunction';
import { promptFormatFor, type PromptFormat } from './chatTemplate';
import { blockRuleKey, DEFAULT_BLOCK_RULE, type BlockRule } from './blockPartition';
import { LlamaBackendError, selectLlamaRuntime } from './loader';
import { resolveModelFile, type ModelFile } from './modelFile';
import { MemoryPeak, type ModelPlacement } from './modelPlacement';
import { setModelIdleTimeout, withModel, type LoadedModel } from './modelRegistry';
import { emptyStats, type EvaluationStats, type PoolSettings } from './workerPool';

export interface LlamaSourceOptions {
  /** A GGUF file path or an Ollama model name. */
  readonly model: string | undefined;
  /** Never apply the chat template. */
  readonly raw: boolean;
  /** Every prompt is a chat prompt's turns in the wire form, rendered by the model's chat template. */
  readonly chat?: boolean;
  readonly value: ValueFunctionChoice;
  /** The answer to explain (the label for `label`); generated from the full prompt when absent. */
  readonly target?: string;
  readonly maxAnswerTokens: number;
  /** Prompts evaluated at once (one llama.cpp context each), at most the number of CPU cores. */
  readonly concurrency: number;
  /** llama.cpp threads per worker; 0 chooses (cores ÷ workers, at least 1). */
  readonly threads: number;
  /** The GPU to run on (see gpuRuntime.ts); the CPU when absent (the CLI and the server default to auto). */
  readonly gpu?: GpuChoice;
  /** The full, unmasked prompt. */
  readonly prompt: string;
  /** How long the model stays loaded when unused; unchanged when absent. */
  readonly idleTimeoutMs?: number;
  /** Keep shared prefixes in the KV cache (default true; benchmarks turn it off to compare). */
  readonly prefixReuse?: boolean;
  /** Where evaluation blocks end (default DEFAULT_BLOCK_RULE; benchmarks compare others). */
  readonly blockRule?: BlockRule;
  /** The Ollama model store to resolve names in (default $OLLAMA_MODELS or ~/.ollama/models). */
  readonly ollamaStore?: string;
  readonly signal?: AbortSignal;
}

/** One answer token: its text, id and log-probability under the full prompt. */
export interface AnswerToken {
  readonly id: number;
  readonly text: string;
  readonly logprob: number;
}

export interface LlamaValueSource extends ValueSource {
  readonly file: ModelFile;
  /** The answer's tokens with their values under the full prompt (the per-token values behind the full value). */
  readonly answer: readonly AnswerToken[];
  readonly promptFormat: PromptFormat['kind'];
  readonly settings: PoolSettings;
  /** Milliseconds the model took to load. */
  readonly loadMs: number;
  /** Exact values: always a plain number. */
  score(text: string, mask: Uint8Array, signal?: AbortSignal): Promise<number>;
  /** Per-answer-token log-probabilities under `text` (what `score` sums). */
  tokenLogprobs(text: string, signal?: AbortSignal): Promise<Float64Array>;
  /** Tokens evaluated so far, with and without prefix reuse, and the ideal. */
  stats(): EvaluationStats;
  /** The device, the layers offloaded and the most memory llama.cpp held so far. */
  device(): ComputeDevice;
  tokenCounts(): TokenCounts;
}

/**
 * The engine keeps this many masks queued at the backend, so that the workers can order a whole
 * round by shared prefix (the engine's concurrency alone would show them only a few at a time).
 */
const QUEUE_DEPTH = 4096;

/**
 * Workers and threads: one worker per concurrent prompt, at most one per core; threads split the
 * cores between them, so a small machine runs one thread per worker (llama.cpp's spinning threads
 * collapse when they outnumber the cores).
 */
export function poolSettingsFor(concurrency: number, threads: number, cores: number = availableParallelism()): PoolSettings {
  const workers = Math.max(1, Math.min(Math.floor(concurrency), cores));
  return { workers, threads: threads > 0 ? Math.floor(threads) : Math.max(1, Math.floor(cores / workers)) };
}

export async function createLlamaValueSource(options: LlamaSourceOptions): Promise<LlamaValueSource> {
  if (options.prompt.trim().length === 0) throw new LlamaBackendError('The prompt is empty: there is nothing to explain.');
  if (options.value === 'similarity')
    throw new ValueSetupError('The llama backend measures exact log-probabilities: choose --value logprob, label or auto, not similarity.');
  if (options.value === 'label' && !options.target)
    throw new ValueSetupError('--value label needs the label to score, e.g. --target "Yes".');
  if (options.idleTimeoutMs !== undefined) setModelIdleTimeout(options.idleTimeoutMs);
  const file = await resolveModelFile(options.model, options.ollamaStore);
  const blockRule = options.blockRule ?? DEFAULT_BLOCK_RULE;
  const settings: PoolSettings = {
    ...poolSettingsFor(options.concurrency, options.threads),
    prefixReuse: options.prefixReuse ?? true,
    blockRule,
  };
  const gpu = options.gpu ?? 'off';
  const formats = new WeakMap<LlamaModel, PromptFormat>();
  const formatOf = (loaded: LoadedModel): PromptFormat => {
    let format = formats.get(loaded.model);
    if (!format) {
      format = promptFormatFor(loaded.module, loaded.model, options.raw, options.chat ?? false);
      formats.set(loaded.model, format);
    }
    return format;
  };

  const setup = await withModel(file, gpu, async (loaded) => {
    loaded.pool.configure(settings);
    const format = formatOf(loaded);
    const prompt = format.tokens(options.prompt);
    const limit = loaded.pool.contextLimit;
    const tooLong = (answerTokens: number): LlamaBackendError =>
      new LlamaBackendError(
        `The prompt (${prompt.length} tokens, ${format.description}) and the answer (${answerTokens} tokens) need ` +
          `${prompt.length + answerTokens} tokens, more than the ${limit}-token context of ${file.name}. ` +
          'Shorten the prompt or the answer (--target, --max-answer-tokens).',
      );
    if (prompt.length >= limit)
      throw new LlamaBackendError(
        `The prompt alone has ${prompt.length} tokens (${format.description}), which fills the ${limit}-token context of ` +
          `${file.name} and leaves no room for an answer. Explain a shorter text.`,
      );
    let answer: Token[];
    const answerLimit = Math.min(options.maxAnswerTokens, limit - prompt.length);
    if (options.target !== undefined) {
      answer = loaded.model.tokenize(options.target, false, 'trimLeadingSpace');
      if (answer.length === 0) throw new ValueSetupError('The target is empty: give the answer or label to explain with --target.');
    } else {
      answer = await loaded.pool.generate(prompt, answerLimit, options.signal);
      if (answer.length === 0)
        throw new ValueSetupError(`${file.name} generated an empty answer to the full prompt; give the answer to explain with --target.`);
    }
    if (prompt.length + answer.length > limit) throw tooLong(answer.length);
    const values = await loaded.pool.answerLogprobs(prompt, answer, undefined, options.signal);
    return {
      format,
      answer,
      // The answer's generation (unless given) and the pass that reads its per-token log-probabilities.
      calls: options.target === undefined ? 2 : 1,
      answerText: options.target ?? loaded.model.detokenize(answer),
      // Generation that fills its limit stopped there, not at the model's end of text.
      answerCut: options.target === undefined && answer.length >= answerLimit,
      tokens: answer.map((id, i) => ({ id, text: tokenText(loaded.model, answer, i), logprob: values[i] as number })),
      loadMs: loaded.loadMs,
      placement: loaded.placement,
      memory: new MemoryPeak(loaded.llama),
    };
  });
  // The memory once the set-up has made its context; later samples follow the workers' contexts.
  await setup.memory.sample();
  let placement: ModelPlacement = setup.placement;
  // Why this GPU choice runs where it does (the runtime is resolved once per choice; this takes it again).
  const { note } = await selectLlamaRuntime(gpu);
  const device = (): ComputeDevice => setup.memory.device(placement, note);

  const stats = emptyStats();
  const tokenLogprobs = (text: string, signal?: AbortSignal): Promise<Float64Array> =>
    withModel(file, gpu, async (loaded) => {
      loaded.pool.configure(settings);
      // A model unloaded while idle and loaded again may sit differently (with less free GPU memory).
      placement = loaded.placement;
      const values = await loaded.pool.answerLogprobs(formatOf(loaded).tokens(text), setup.answer, stats, signal);
      setup.memory.sampleNowAndThen();
      return values;
    });
  const tokenCounts = (): TokenCounts => ({
    prompts: stats.calls,
    evaluated: stats.evaluatedTokens,
    whole: stats.noReuseTokens,
    ideal: stats.idealTokens,
  });
  const isLabel = options.value === 'label';
  const name = isLabel ? 'label' : 'logprob';
  const perToken = setup.tokens
    .slice(0, 16)
    .map((token) => `${JSON.stringify(token.text)} ${token.logprob.toFixed(3)}`)
    .join(', ');
  const count = setup.tokens.length;
  const reason = isLabel
    ? `chosen by the user: the exact log-probability of "${setup.answerText}" (${count} token${count === 1 ? '' : 's'}) as the start of the answer, ` +
      `from the model's full softmax, whatever the label's rank`
    : `${options.value === 'auto' ? 'the llama backend computes exact log-probabilities' : 'chosen by the user'}: ` +
      `the exact log-probability of the ${count}-token answer, the sum of its tokens' log-softmax in one pass over ` +
      `${setup.format.description} and the answer; per token under the full prompt: ${perToken}${count > 16 ? ', …' : ''}`;

  return {
    model: `llama ${file.name} (in-process llama.cpp, ${setup.format.kind === 'chat' ? 'chat template' : 'raw prompt'})`,
    valueFunction: { name, reason },
    target: setup.answerText,
    ...(setup.answerCut ? { targetCut: true } : {}),
    callsPerMask: 1,
    setupCalls: setup.calls,
    keyParts: {
      backend: 'llama',
      endpointKind: setup.format.kind,
      model: file.name,
      modelDigest: file.digest,
      valueFunction: name,
      // Batch shapes move the last bits of a value, so values decoded in other blocks are other values.
      parameters: {
        method: 'exact',
        answer: setup.answer.join(','),
        template: setup.format.digest,
        blocks: blockRuleKey(blockRule),
        ...deviceKeyPart(setup.placement),
      },
      target: setup.answerText,
    },
    preferredConcurrency: QUEUE_DEPTH,
    file,
    answer: setup.tokens,
    promptFormat: setup.format.kind,
    settings,
    loadMs: setup.loadMs,
    tokenLogprobs,
    stats: () => ({ ...stats }),
    tokensEvaluated: () => stats.evaluatedTokens,
    tokenCounts,
    device,
    usage: () => `llama on ${describeDevice(device())}; ${describeTokens(tokenCounts())}`,
    generate: (text, signal) =>
      withModel(file, gpu, async (loaded) => {
        loaded.pool.configure(settings);
        const tokens = formatOf(loaded).tokens(text);
        const answerLimit = Math.min(options.maxAnswerTokens, loaded.pool.contextLimit - tokens.length);
        if (answerLimit <= 0) return { text: '', cut: true };
        const generated = await loaded.pool.generate(tokens, answerLimit, signal);
        return { text: loaded.model.detokenize(generated), cut: generated.length >= answerLimit };
      }),
    async score(text, _mask, signal) {
      const values = await tokenLogprobs(text, signal);
      let total = 0;
      for (const value of values) total += value;
      return total;
    },
    // The model is shared and released by the registry's idle timer, not by one explanation.
    close: () => Promise.resolve(),
  };
}

/**
 * Values computed on a GPU (or split between a GPU and the CPU) round differently from the CPU's, so
 * they are cached apart; CPU keys are unchanged, so caches written before GPU support stay valid.
 */
function deviceKeyPart(placement: ModelPlacement): { device?: string } {
  return placement.device === 'cpu' ? {} : { device: `${placement.device} ${placement.gpuLayers}/${placement.totalLayers}` };
}

/** The text token `index` adds to the answer (a lone token's text loses the space a tokenizer folds into it). */
function tokenText(model: LlamaModel, answer: readonly Token[], index: number): string {
  const before = model.detokenize(answer.slice(0, index));
  const through = model.detokenize(answer.slice(0, index + 1));
  return through.startsWith(before) ? through.slice(before.length) : model.detokenize([answer[index] as Token]);
}
