/**
 * Where the llama backend splits a token sequence into the batches it decodes (see workerPool.ts).
 * llama.cpp may round differently for different batch shapes, so a value is reproducible only if each
 * position is always decoded in the same batch. The rule here makes the split of any prefix a function
 * of that prefix's tokens alone: whether a block ends before token i depends on tokens 0…i and on
 * nothing else. Two sequences that share their first L tokens therefore share every batch that ends
 * before L, and a worker holding one may reuse the other's cache up to the last block start at or
 * before L, whatever order they come in.
 *
 * Blocks end where sentences and lines start: SPEX removes whole spans, so neighbouring masked prompts
 * diverge where a span starts, which at the default sentence granularity (and at line and paragraph
 * granularity) is such a junction. A block is at least `minTokens` long and at most `maxTokens` (the
 * context's batch size): every batch reads all of a model's weights, so many short batches cost a
 * large model on a CPU more than the tokens they save.
 */
import type { LlamaModel, Token } from 'node-llama-cpp';
import { isWhitespaceAt, LINE_BREAK_SOURCE } from '../../ablation/whitespace';

/** Which junctions between tokens may end a block. */
export type BlockBreaks = 'none' | 'word' | 'sentence';

export interface BlockRule {
  readonly breaks: BlockBreaks;
  /** A block may end at a break only once it holds this many tokens. */
  readonly minTokens: number;
  /** A block always ends after this many tokens. */
  readonly maxTokens: number;
}

/**
 * Whether a block may end just before `tokens[index]`, judged from that token and the ones before it
 * (the junction, not the blocks' lengths); never from the tokens after it.
 */
export type BreakTest = (tokens: readonly Token[], index: number) => boolean;

/**
 * The rule the backend uses, chosen with `bench/cost/llamaTokens.ts` (its table of candidate rules).
 * On the two cost workloads it evaluates 1.02 and 1.05 times the ideal tokens per prompt, against 1.09
 * and 1.10 with fixed 16-token blocks, in about as many batches (6.9 and 4.3 per prompt against 6.3
 * and 4.5). Blocks at every word start (4–16 tokens) came to 1.03 but took 2.6 to 2.8 times the
 * batches; on the tiny model every rule scored about as many prompts per second, within the noise.
 */
export const DEFAULT_BLOCK_RULE: BlockRule = { breaks: 'sentence', minTokens: 4, maxTokens: 32 };

/** The rule before blocks followed the text: every 16 tokens, at multiples of 16. */
export const FIXED_BLOCK_RULE: BlockRule = { breaks: 'none', minTokens: 16, maxTokens: 16 };

/** A block rule as a stable key for the call cache, e.g. "sentence 4-32". */
export function blockRuleKey(rule: BlockRule): string {
  return `${rule.breaks} ${rule.minTokens}-${rule.maxTokens}`;
}

/** A block rule in a few words, e.g. "at word starts, 4–16 tokens". */
export function describeBlockRule(rule: BlockRule): string {
  if (rule.breaks === 'none') return `fixed, every ${rule.maxTokens} tokens`;
  return `at ${rule.breaks} starts, ${rule.minTokens}–${rule.maxTokens} tokens`;
}

/**
 * The positions where blocks start in `tokens`, ascending, 0 first. The last block runs to the end
 * of the sequence; its end is not a block boundary (a longer sequence may continue the block).
 */
export function blockStarts(tokens: readonly Token[], breakBefore: BreakTest, rule: BlockRule): number[] {
  const starts = [0];
  let start = 0;
  for (let i = 1; i < tokens.length; i += 1) {
    const length = i - start;
    if (length >= rule.maxTokens || (length >= rule.minTokens && breakBefore(tokens, i))) {
      starts.push(i);
      start = i;
    }
  }
  return starts;
}

/**
 * Where evaluation of a sequence with block starts `starts` may begin after a cache whose batches end
 * at `cachedEnds`: the last block start at or before `limit` (the shared prefix, and never past the
 * tokens whose outputs are needed) that is also the end of a cached batch. Below the shared prefix,
 * both sequences have the same block starts; only a start exactly at the divergence needs the check.
 */
export function reusableStart(starts: readonly number[], limit: number, cachedEnds: readonly number[]): number {
  for (let k = starts.length - 1; k > 0; k -= 1) {
    const start = starts[k] as number;
    if (start <= limit && cachedEnds.includes(start)) return start;
  }
  return 0;
}

/**
 * The batch ends a worker's cache holds after evaluating `tokens` in blocks starting at `starts`:
 * every block start after the first, and the end of the sequence.
 */
export function batchEnds(starts: readonly number[], length: number): number[] {
  return [...starts.slice(1).filter((start) => start < length), length];
}

/** Tokens before a junction whose text is read: a sentence may end in a full stop, a quote and a bracket, each a token. */
const TEXT_BEFORE_TOKENS = 3;

/**
 * The junction test for a model's vocabulary, from the texts of the token after the junction and of
 * the few before it (a lone token's text may lose the space a tokenizer folds into it, so each is read
 * after an anchor token). Texts are read once per token and kept.
 */
export function breakTestFor(model: LlamaModel, breaks: BlockBreaks): BreakTest {
  if (breaks === 'none') return () => false;
  const anchor = model.tokenize('a', false, 'trimLeadingSpace').slice(0, 1);
  const texts = new Map<Token, string>();
  const textOf = (token: Token): string => {
    let text = texts.get(token);
    if (text === undefined) {
      text = model.detokenize([token], false, anchor);
      texts.set(token, text);
    }
    return text;
  };
  const isJunction = breaks === 'word' ? isWordJunction : isSentenceJunction;
  return (tokens, index) => {
    let before = '';
    for (let i = Math.max(0, index - TEXT_BEFORE_TOKENS); i < index; i += 1) before += textOf(tokens[i] as Token);
    return isJunction(before, textOf(tokens[index] as Token));
  };
}

/** Whitespace meets the junction between the text before it and the next token's: a word (or a line) starts. */
export function isWordJunction(previous: string, next: string): boolean {
  return isWhitespaceAt(previous, previous.length - 1) || isWhitespaceAt(next, 0);
}

/** Sentence punctuation, closing quotes and brackets, then whitespace, at the end of the text before a junction. */
const SENTENCE_END = /[.!?:;…]["'”’»)\]]*\p{White_Space}*$/u;
/** Full-width sentence punctuation, which needs no space after it. */
const FULL_WIDTH_SENTENCE_END = /[。！？]["'”’」』）]*$/u;
const ENDS_LINE = new RegExp(`(?:${LINE_BREAK_SOURCE})\\p{White_Space}*$`, 'u');
const STARTS_LINE = new RegExp(`^\\p{White_Space}*?(?:${LINE_BREAK_SOURCE})`, 'u');

/** A line break at the junction, or the end of a sentence followed by whitespace (or full-width punctuation). */
export function isSentenceJunction(previous: string, next: string): boolean {
  if (ENDS_LINE.test(previous) || STARTS_LINE.test(next) || FULL_WIDTH_SENTENCE_END.test(previous)) return true;
  return isWordJunction(previous, next) && SENTENCE_END.test(previous);
}
