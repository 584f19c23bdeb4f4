import { GPU_CHOICES, type GpuChoice } from '../protocol/device';
import type { IndexName } from '../protocol/explanation';
import { isIndexName } from '../protocol/explanation';
import { DEFAULT_TINT_BASIS, TINT_BASES, type TintBasis } from './attribution';
import type { Granularity } from '../protocol/features';
import { isGranularity } from '../protocol/features';
import { parseValueRange, VALUE_RANGE_SHAPE } from '../protocol/valueRange';

export const BACKENDS = ['ollama', 'openai', 'exec', 'llama'] as const;
export type Backend = (typeof BACKENDS)[number];
export const VALUE_FUNCTIONS = ['auto', 'logprob', 'label', 'similarity'] as const;
export const ALGORITHMS = ['auto', 'exact', 'proxyspex', 'spex'] as const;

/** Backends that run on this machine, so no prompt text leaves it whatever spex.endpoint says. */
export function isLocalBackend(backend: Backend): boolean {
  return backend === 'exec' || backend === 'llama';
}

/** The `spex.*` settings, checked. package.json's contributes.configuration documents each one. */
export interface Settings {
  readonly backend: Backend;
  /** One endpoint, or several for a pool. */
  readonly endpoint: string | readonly string[];
  readonly model: string;
  readonly api: 'completions' | 'chat';
  /** How the selection is read: auto recognises chat message lists, text never does, messages insists. */
  readonly promptFormat: 'auto' | 'text' | 'messages';
  readonly execCommand: string;
  readonly granularity: Granularity;
  readonly pin: readonly string[];
  readonly value: (typeof VALUE_FUNCTIONS)[number];
  readonly masking: string;
  readonly algorithm: (typeof ALGORITHMS)[number];
  readonly budget: number;
  readonly maxOrder: number;
  readonly targetR2: number;
  readonly plateau: number;
  /** MIN:MAX, or empty: the interval the value always lies in (see protocol/valueRange.ts). */
  readonly valueRange: string;
  readonly order: number;
  readonly index: IndexName;
  /** What the editor tints spans by (see attribution.ts); the host's own, the server ignores it. */
  readonly editorTint: TintBasis;
  readonly top: number;
  readonly concurrency: number;
  /** llama backend: llama.cpp threads per worker (0 = chosen from the CPU cores). */
  readonly threads: number;
  /** llama backend: the GPU to run the model on (auto: detected, else the CPU with the reason). */
  readonly gpu: GpuChoice;
  /** llama backend: seconds an unused model stays loaded in the server. */
  readonly llamaIdleTimeout: number;
  readonly timeout: number;
  /** Megabytes the call cache may use. */
  readonly cacheSizeCap: number;
  /** Above this many planned model calls, SPEX shows the cost and asks before running. */
  readonly confirmThreshold: number;
  /** The most masks one call of the MCP server's tools may ask for (spex mcp --max-budget); above it the call is refused. */
  readonly mcpMaxBudget: number;
  /** Each run starts with a quick pick of granularity, budget and model (the settings as defaults). */
  readonly askBeforeRun: boolean;
  /** Write prompts to the SPEX output channel (off: only sizes and settings are logged). */
  readonly logPrompts: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
  backend: 'ollama',
  endpoint: 'http://127.0.0.1:11434',
  model: '',
  api: 'completions',
  promptFormat: 'auto',
  execCommand: '',
  granularity: 'sentence',
  pin: [],
  value: 'auto',
  masking: 'remove',
  algorithm: 'auto',
  budget: 1000,
  maxOrder: 5,
  targetR2: 0.999,
  plateau: 0.002,
  valueRange: '',
  order: 2,
  index: 'fsii',
  editorTint: DEFAULT_TINT_BASIS,
  top: 50,
  concurrency: 4,
  threads: 0,
  gpu: 'auto',
  llamaIdleTimeout: 300,
  timeout: 60000,
  cacheSizeCap: 256,
  confirmThreshold: 2000,
  mcpMaxBudget: 4000,
  askBeforeRun: true,
  logPrompts: false,
};

/** A setting value that is not allowed; the message names the setting and what it accepts. */
export interface SettingProblem {
  readonly setting: string;
  readonly message: string;
}

type Accept<T> = (value: unknown) => value is T;

const oneOf =
  <T extends string>(allowed: readonly T[]): Accept<T> =>
  (value): value is T =>
    typeof value === 'string' && (allowed as readonly string[]).includes(value);

const integerBetween =
  (min: number, max: number): Accept<number> =>
  (value): value is number =>
    Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

const numberIn =
  (min: number, max: number, openBelow: boolean): Accept<number> =>
  (value): value is number =>
    typeof value === 'number' && Number.isFinite(value) && value <= max && (openBelow ? value > min : value >= min);

const isString: Accept<string> = (value): value is string => typeof value === 'string';
const isBoolean: Accept<boolean> = (value): value is boolean => typeof value === 'boolean';

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

const isEndpoint: Accept<string | string[]> = (value): value is string | string[] =>
  isHttpUrl(value) || (Array.isArray(value) && value.length > 0 && value.every(isHttpUrl));

function isPatternList(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false;
  return value.every((entry) => {
    if (typeof entry !== 'string' || entry.length === 0) return false;
    try {
      new RegExp(entry, 'u');
      return true;
    } catch {
      return false;
    }
  });
}

const isMasking: Accept<string> = (value): value is string =>
  typeof value === 'string' && (value === 'remove' || value === 'placeholder' || /^placeholder:.*\S/su.test(value));

/** Each setting's check and what the message says it accepts. */
const CHECKS: { [K in keyof Settings]: readonly [Accept<Settings[K]>, string] } = {
  backend: [oneOf(BACKENDS), `one of ${BACKENDS.join(', ')}`],
  endpoint: [isEndpoint, 'an http:// or https:// URL without credentials, or a list of them'],
  model: [isString, 'a model name'],
  api: [oneOf(['completions', 'chat'] as const), 'completions or chat'],
  promptFormat: [oneOf(['auto', 'text', 'messages'] as const), 'auto, text or messages'],
  execCommand: [isString, 'a command line'],
  granularity: [isGranularity, 'token, word, sentence, line, paragraph, message or separator:<regex>'],
  pin: [isPatternList, 'a list of valid regular expressions'],
  value: [oneOf(VALUE_FUNCTIONS), `one of ${VALUE_FUNCTIONS.join(', ')}`],
  masking: [isMasking, 'remove, placeholder or placeholder:TEXT (TEXT not blank)'],
  algorithm: [oneOf(ALGORITHMS), `one of ${ALGORITHMS.join(', ')}`],
  budget: [integerBetween(1, 1_000_000), 'a whole number from 1 to 1,000,000'],
  maxOrder: [integerBetween(1, 8), 'a whole number from 1 to 8'],
  targetR2: [numberIn(0, 1, true), 'a number above 0 and at most 1'],
  plateau: [numberIn(0, 1, false), 'a number from 0 to 1'],
  valueRange: [
    (value): value is string => typeof value === 'string' && (value === '' || parseValueRange(value) !== undefined),
    `${VALUE_RANGE_SHAPE}, or empty`,
  ],
  order: [integerBetween(1, 8), 'a whole number from 1 to 8'],
  index: [isIndexName, 'fourier, mobius, shapley, banzhaf, sii, bii, fsii, fbii or stii'],
  editorTint: [oneOf(TINT_BASES), `one of ${TINT_BASES.join(', ')}`],
  top: [integerBetween(0, 100_000), 'a whole number from 0 to 100,000'],
  concurrency: [integerBetween(1, 256), 'a whole number from 1 to 256'],
  threads: [integerBetween(0, 1024), 'a whole number of threads from 0 (automatic) to 1,024'],
  gpu: [oneOf(GPU_CHOICES), `one of ${GPU_CHOICES.join(', ')}`],
  llamaIdleTimeout: [integerBetween(1, 86_400), 'a number of seconds from 1 to 86,400'],
  timeout: [integerBetween(100, 3_600_000), 'a number of milliseconds from 100 to 3,600,000'],
  cacheSizeCap: [integerBetween(1, 100_000), 'a number of megabytes from 1 to 100,000'],
  confirmThreshold: [integerBetween(0, 10_000_000), 'a whole number of calls'],
  mcpMaxBudget: [integerBetween(1, 10_000_000), 'a whole number of masks from 1'],
  askBeforeRun: [isBoolean, 'true or false'],
  logPrompts: [isBoolean, 'true or false'],
};

/**
 * Reads the settings through `get` (the seam: vscode's WorkspaceConfiguration in the extension, a plain
 * object in tests). A bad value falls back to its default and is reported, so one typo in
 * settings.json never stops the extension.
 */
export function readSettings(get: (key: string) => unknown): { settings: Settings; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  const settings = {} as Record<keyof Settings, unknown>;
  for (const key of Object.keys(CHECKS) as (keyof Settings)[]) {
    const [accept, expected] = CHECKS[key];
    const value = get(key);
    if (value === undefined || value === null) {
      settings[key] = DEFAULT_SETTINGS[key];
    } else if ((accept as Accept<unknown>)(value)) {
      settings[key] = value;
    } else {
      problems.push({
        setting: `spex.${key}`,
        message: `spex.${key} must be ${expected}; using ${JSON.stringify(DEFAULT_SETTINGS[key])}.`,
      });
      settings[key] = DEFAULT_SETTINGS[key];
    }
  }
  return { settings: settings as unknown as Settings, problems };
}
