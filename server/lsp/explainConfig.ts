import { GPU_CHOICES, type GpuChoice } from '../../protocol/device';
import type { ExplainOptions } from '../../protocol/server';
import type { Granularity } from '../../protocol/features';
import { isGranularity } from '../../protocol/features';
import { parseMasking, type Masking } from '../ablation/mask';
import type { PromptFormat } from '../ablation/promptDocument';
import { isIndexName, type IndexName } from '../recovery/indexNames';
import type { AlgorithmChoice, ValueRange } from '../recovery/types';
import { parseValueRange, VALUE_RANGE_SHAPE } from '../../protocol/valueRange';
import type { ValueFunctionChoice } from '../value/valueFunction';
import { endpointUrlProblem } from './endpointUrl';
import { describeShape } from './jsonShape';

/** An explanation's options after settings fill the gaps and every value is checked. */
export interface ExplainConfig {
  readonly backend: 'ollama' | 'openai' | 'exec' | 'llama';
  readonly endpoints: string[];
  readonly model: string | undefined;
  readonly api: 'completions' | 'chat';
  readonly raw: boolean;
  /** How the text is read (see server/ablation/promptDocument.ts). */
  readonly promptFormat: PromptFormat;
  readonly exec: string | undefined;
  readonly granularity: Granularity;
  readonly pin: string[];
  readonly target: string | undefined;
  readonly value: ValueFunctionChoice;
  readonly maxAnswerTokens: number;
  readonly masking: Masking;
  readonly algorithm: AlgorithmChoice;
  readonly budget: number;
  readonly maxOrder: number;
  /** Anytime sampling: the R² on fresh masks at which sampling stops before the budget is spent. */
  readonly targetR2: number;
  /** Anytime sampling: the smallest gain in R² on fresh masks from one round to the next worth another round. */
  readonly plateau: number;
  /** The interval the value always lies in, where the user declared one: it is then fit on a link scale. */
  readonly valueRange: ValueRange | undefined;
  readonly order: number;
  readonly index: IndexName;
  readonly top: number;
  readonly seed: number;
  readonly concurrency: number;
  /** llama backend: llama.cpp threads per worker; 0 chooses from the CPU cores. */
  readonly threads: number;
  /** llama backend: the GPU to run on (auto: node-llama-cpp's detection, else the CPU with the reason). */
  readonly gpu: GpuChoice;
  /** llama backend: seconds an unused model stays loaded (the spex.llamaIdleTimeout setting). */
  readonly llamaIdleTimeoutS: number;
  readonly timeoutMs: number;
  readonly retries: number;
}

/**
 * Anytime sampling's defaults: sampling stops before the budget once fresh masks are predicted with
 * R² ≥ 0.999, or once a round gains less than 0.002 on a fit that is already good (R² ≥ 0.9).
 */
export const DEFAULT_TARGET_R2 = 0.999;
export const DEFAULT_PLATEAU = 0.002;

/** Seconds an unused llama model stays loaded unless spex.llamaIdleTimeout says otherwise. */
export const DEFAULT_LLAMA_IDLE_TIMEOUT_S = 300;

/** An option or setting that cannot be used, in words for the person who set it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Check = (value: unknown, name: string) => unknown;

const oneOf =
  (...allowed: string[]): Check =>
  (value, name) => {
    if (typeof value !== 'string' || !allowed.includes(value))
      throw new ConfigError(`${name} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}.`);
    return value;
  };
const integer =
  (min: number, max: number): Check =>
  (value, name) => {
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}.`);
    }
    return value;
  };
const between =
  (min: number, max: number, openBelow: boolean): Check =>
  (value, name) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value > max || (openBelow ? value <= min : value < min)) {
      throw new ConfigError(
        `${name} must be a number ${openBelow ? 'above' : 'from'} ${min} ${openBelow ? 'and at most' : 'to'} ${max}; got ${JSON.stringify(value)}.`,
      );
    }
    return value;
  };
const text: Check = (value, name) => {
  if (typeof value !== 'string') throw new ConfigError(`${name} must be text; got ${JSON.stringify(value)}.`);
  return value;
};
const flag: Check = (value, name) => {
  if (typeof value !== 'boolean') throw new ConfigError(`${name} must be true or false; got ${JSON.stringify(value)}.`);
  return value;
};
const patterns: Check = (value, name) => {
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string'))
    throw new ConfigError(`${name} must be a list of regular expressions.`);
  return value;
};
const endpoints: Check = (value, name) => {
  const list = typeof value === 'string' ? (value.length > 0 ? [value] : []) : value;
  if (!Array.isArray(list) || !list.every((entry) => typeof entry === 'string')) {
    throw new ConfigError(
      `${name} must be an http(s) URL or a list of them; got ${Array.isArray(value) ? 'a list with something other than text in it' : describeShape(value)}.`,
    );
  }
  for (const url of list) {
    const problem = endpointUrlProblem(url);
    if (problem !== undefined)
      throw new ConfigError(`${name} ${problem}. API keys never go in the endpoint: set them with "SPEX: Set API Key".`);
  }
  return list;
};

/** Every option, its check, and the setting it falls back to (settings keep a few older names). */
const OPTIONS: Record<keyof ExplainOptions, { check: Check; setting?: string }> = {
  backend: { check: oneOf('ollama', 'openai', 'exec', 'llama') },
  endpoint: { check: endpoints },
  model: { check: text },
  api: { check: oneOf('completions', 'chat') },
  raw: { check: flag },
  promptFormat: { check: oneOf('auto', 'text', 'messages') },
  exec: { check: text, setting: 'execCommand' },
  granularity: {
    check: (value, name) => {
      if (!isGranularity(value))
        throw new ConfigError(
          `${name} must be token, word, sentence, line, paragraph, message or separator:<regex>; got ${JSON.stringify(value)}.`,
        );
      return value;
    },
  },
  pin: { check: patterns },
  target: { check: text },
  value: { check: oneOf('auto', 'logprob', 'label', 'similarity') },
  maxAnswerTokens: { check: integer(1, 4096) },
  mask: { check: text, setting: 'masking' },
  algorithm: { check: oneOf('auto', 'exact', 'proxyspex', 'spex') },
  budget: { check: integer(1, 10_000_000) },
  maxOrder: { check: integer(1, 8) },
  targetR2: { check: between(0, 1, true) },
  plateau: { check: between(0, 1, false) },
  valueRange: {
    check: (value, name) => {
      if (value === '') return undefined;
      const range = typeof value === 'string' ? parseValueRange(value) : undefined;
      if (!range) throw new ConfigError(`${name} must be ${VALUE_RANGE_SHAPE}, or empty; got ${JSON.stringify(value)}.`);
      return range;
    },
  },
  order: { check: integer(1, 8) },
  index: {
    check: (value, name) => {
      if (!isIndexName(value))
        throw new ConfigError(
          `${name} must be fourier, mobius, shapley, banzhaf, sii, bii, fsii, fbii or stii; got ${JSON.stringify(value)}.`,
        );
      return value;
    },
  },
  top: { check: integer(0, 1_000_000) },
  seed: { check: integer(0, 2 ** 32 - 1) },
  concurrency: { check: integer(1, 1024) },
  threads: { check: integer(0, 1024) },
  gpu: { check: oneOf(...GPU_CHOICES) },
  timeout: { check: integer(1, 86_400_000) },
  retries: { check: integer(0, 100) },
};

/** spex.llamaIdleTimeout is a setting of the server process, never an option of one explanation. */
function idleTimeout(setting: unknown): number {
  if (setting === undefined || setting === null || setting === '') return DEFAULT_LLAMA_IDLE_TIMEOUT_S;
  return integer(1, 86_400)(setting, 'spex.llamaIdleTimeout') as number;
}

/**
 * Merges a request's options over the user's settings over the defaults, checking every value.
 * An option the server does not know is an error (a typo would otherwise be silently ignored); an
 * unknown setting is ignored (settings also hold the host's own keys).
 */
export function resolveExplainConfig(options: unknown, settings: Readonly<Record<string, unknown>>): ExplainConfig {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new ConfigError('"options" must be an object.');
  }
  const given = (options ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(given).filter((key) => !(key in OPTIONS));
  if (unknown.length > 0) throw new ConfigError(`Unknown option${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`);
  const pick = <T>(key: keyof ExplainOptions, fallback: T): T => {
    const spec = OPTIONS[key];
    if (given[key] !== undefined) return spec.check(given[key], `options.${key}`) as T;
    const settingName = spec.setting ?? key;
    const setting = settings[settingName];
    if (setting !== undefined && setting !== null && setting !== '') return spec.check(setting, `spex.${settingName}`) as T;
    return fallback;
  };
  const backend = pick<ExplainConfig['backend']>('backend', 'ollama');
  const exec = pick<string | undefined>('exec', undefined);
  if (backend === 'exec' && !exec) throw new ConfigError('The exec backend needs a scorer command (options.exec).');
  const value = pick<ValueFunctionChoice>('value', 'auto');
  const target = pick<string | undefined>('target', undefined);
  if (value === 'label' && !target) throw new ConfigError('The label value function needs the label to score (options.target).');
  let masking: Masking;
  try {
    masking = parseMasking(pick('mask', 'remove'));
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const model = pick<string | undefined>('model', undefined);
  return {
    backend,
    endpoints: pick<string[]>('endpoint', []),
    model: model === '' ? undefined : model,
    api: pick('api', 'completions'),
    raw: pick('raw', false),
    promptFormat: pick<PromptFormat>('promptFormat', 'auto'),
    exec,
    granularity: pick('granularity', 'sentence'),
    pin: pick('pin', []),
    target,
    value,
    maxAnswerTokens: pick('maxAnswerTokens', 32),
    masking,
    algorithm: pick('algorithm', 'auto'),
    budget: pick('budget', 1000),
    maxOrder: pick('maxOrder', 5),
    targetR2: pick('targetR2', DEFAULT_TARGET_R2),
    plateau: pick('plateau', DEFAULT_PLATEAU),
    valueRange: pick<ValueRange | undefined>('valueRange', undefined),
    order: pick('order', 2),
    index: pick('index', 'fsii'),
    top: pick('top', 10),
    seed: pick('seed', 0),
    concurrency: pick('concurrency', 4),
    threads: pick('threads', 0),
    gpu: pick<GpuChoice>('gpu', 'auto'),
    llamaIdleTimeoutS: idleTimeout(settings['llamaIdleTimeout']),
    timeoutMs: pick('timeout', 60_000),
    retries: pick('retries', 6),
  };
}
