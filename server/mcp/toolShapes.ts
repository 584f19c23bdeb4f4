/**
 * The MCP tools' input and output schemas (zod shapes the SDK turns into JSON Schema, and checks
 * every call and every structured result against).
 */
import { z } from 'zod';

/** What the prompt to explain is: its text, or a file and an optional range of its lines. */
export const PROMPT_SHAPE = {
  text: z.string().optional().describe('The prompt to explain. Give this or file.'),
  file: z.string().optional().describe('A file holding the prompt (instead of text).'),
  startLine: z.number().int().min(1).optional().describe('With file: the first line to explain (1-based).'),
  endLine: z.number().int().min(1).optional().describe('With file: the last line to explain (inclusive).'),
};

/** The run's choices; anything left out comes from the server's configuration (never an API key). */
export const RUN_SHAPE = {
  granularity: z.string().optional().describe('token | word | sentence | line | paragraph | message | separator:REGEX'),
  pin: z.array(z.string()).optional().describe('Regular expressions whose matches are never removed (the question, fixed instructions).'),
  promptFormat: z.enum(['auto', 'text', 'messages']).optional().describe('Whether a chat message list is sent as messages.'),
  backend: z.enum(['ollama', 'openai', 'exec', 'llama']).optional(),
  model: z.string().optional(),
  endpoint: z.string().optional().describe('The model endpoint URL (no credentials).'),
  value: z.enum(['auto', 'logprob', 'label', 'similarity']).optional(),
  target: z.string().optional().describe('The answer (or label) to explain; generated from the full prompt when absent.'),
  budget: z.number().int().min(1).optional().describe('The most masks (model scores) the run may use.'),
  index: z.enum(['fourier', 'mobius', 'shapley', 'banzhaf', 'sii', 'bii', 'fsii', 'fbii', 'stii']).optional(),
  order: z.number().int().min(1).max(8).optional().describe('The largest interaction reported (2 = pairs).'),
};

export const SUMMARY_SHAPE = {
  id: z.string(),
  verdict: z.object({ level: z.string(), label: z.string(), evidence: z.string(), r2: z.number().nullable() }),
  answer: z.string().nullable(),
  gist: z.string(),
  spanCount: z.number().int(),
  spans: z.array(z.object({ index: z.number().int(), tag: z.string(), text: z.string(), effect: z.number() })),
  interactions: z.array(
    z.object({ spans: z.array(z.number().int()), tags: z.string(), texts: z.array(z.string()), value: z.number(), kind: z.string() }),
  ),
  index: z.string(),
  calls: z.object({ model: z.number().int(), cached: z.number().int() }),
  partial: z.boolean(),
};

export const ESTIMATE_SHAPE = {
  spans: z.number().int(),
  plannedMasks: z.number().int(),
  plannedCalls: z.number().int(),
  estimatedSeconds: z.number(),
  valueFunction: z.string(),
  remote: z.boolean(),
};

export const COMPARISON_SHAPE = {
  idA: z.string(),
  idB: z.string(),
  answersDiffer: z.boolean(),
  answerA: z.string().nullable(),
  answerB: z.string().nullable(),
  alignedShare: z.number(),
  tooDifferent: z.boolean(),
  spans: z.array(
    z.object({
      status: z.string(),
      textA: z.string().nullable(),
      textB: z.string().nullable(),
      valueA: z.number().nullable(),
      valueB: z.number().nullable(),
      change: z.number().nullable(),
    }),
  ),
  interactions: z.array(
    z.object({
      kind: z.string(),
      spansA: z.array(z.number().int()).nullable(),
      spansB: z.array(z.number().int()).nullable(),
      valueA: z.number().nullable(),
      valueB: z.number().nullable(),
      change: z.number().nullable(),
    }),
  ),
};

export const WHAT_IF_SHAPE = {
  predicted: z.number().describe("The explanation's surrogate prediction of the value with those spans removed."),
  full: z.number().describe('The value with every span kept.'),
  value: z.number().optional().describe("With verify: the model's real value."),
  answer: z.string().optional().describe("With verify: the model's answer to the prompt without those spans."),
  answerCut: z.boolean().optional().describe('The answer stopped at the token limit.'),
  originalAnswer: z.string().optional().describe('The answer to the full prompt, generated the same way.'),
  originalAnswerCut: z.boolean().optional(),
  answerChanged: z.boolean().optional(),
};

export type ComparisonShape = z.infer<z.ZodObject<typeof COMPARISON_SHAPE>>;
export type WhatIfShape = z.infer<z.ZodObject<typeof WHAT_IF_SHAPE>>;
