import { isGranularity, type Granularity } from '../protocol/features';

/** The tools' names, as package.json's contributes.languageModelTools declares them. */
export const TOOL_NAMES = { explain: 'spex_explainInteractions', estimate: 'spex_estimateCost' } as const;

/** What the language-model tools take (package.json's languageModelTools inputSchema says the same to the model). */
export interface ToolInput {
  readonly text?: string;
  readonly file?: string;
  /** 1-based, inclusive, with file. */
  readonly startLine?: number;
  readonly endLine?: number;
  readonly granularity?: Granularity;
  readonly budget?: number;
  /** A model of the configured endpoint (default: the setting, or the endpoint's first). */
  readonly model?: string;
  readonly top?: number;
}

/**
 * Checks a tool call's input as the MCP server's schema does, so that an agent gets the same
 * mistake told the same way: the prompt as text or as a file (one of the two), lines within reason,
 * a known granularity, a positive budget.
 */
export function parseToolInput(input: unknown): ToolInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('The input must be an object.');
  const record = input as Record<string, unknown>;
  const text = optional(record, 'text', (value): value is string => typeof value === 'string', 'a string');
  const file = optional(record, 'file', (value): value is string => typeof value === 'string' && value.length > 0, 'a path');
  if ((text === undefined) === (file === undefined)) throw new Error('Give the prompt as text or as file, one of the two.');
  const positive = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 1;
  const startLine = optional(record, 'startLine', positive, 'a line number from 1');
  const endLine = optional(record, 'endLine', positive, 'a line number from 1');
  if ((startLine !== undefined || endLine !== undefined) && file === undefined) throw new Error('startLine and endLine go with file.');
  if (startLine !== undefined && endLine !== undefined && endLine < startLine)
    throw new Error(`endLine (${endLine}) is before startLine (${startLine}).`);
  const granularity = optional(record, 'granularity', (value): value is Granularity => isGranularity(value), 'a granularity');
  const budget = optional(record, 'budget', positive, 'a whole number of masks from 1');
  const model = optional(record, 'model', (value): value is string => typeof value === 'string' && value.trim().length > 0, 'a model name');
  const top = optional(record, 'top', (value): value is number => positive(value) && value <= 50, 'a number from 1 to 50');
  return {
    ...(text === undefined ? {} : { text }),
    ...(file === undefined ? {} : { file }),
    ...(startLine === undefined ? {} : { startLine }),
    ...(endLine === undefined ? {} : { endLine }),
    ...(granularity === undefined ? {} : { granularity }),
    ...(budget === undefined ? {} : { budget }),
    ...(model === undefined ? {} : { model }),
    ...(top === undefined ? {} : { top }),
  };
}

function optional<T>(record: Record<string, unknown>, key: string, accepts: (value: unknown) => value is T, what: string): T | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (!accepts(value)) throw new Error(`${key} must be ${what}; got ${JSON.stringify(value).slice(0, 60)}.`);
  return value;
}

/** The confirmation before prompt text leaves the machine for endpoints the person has not agreed to yet. */
export function remoteConfirmation(origins: readonly string[], budget: number): string {
  return (
    `SPEX will send this prompt, many times over (up to ${budget} masked versions), to ${origins.join(' and ')}, ` +
    'an endpoint off this machine you have not sent prompts to before. Continue only if that is all right; you are asked once per endpoint.'
  );
}
