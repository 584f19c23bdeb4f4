import type { IndexName } from '../protocol/explanation';
import { isIndexName } from '../protocol/explanation';
import type { Granularity } from '../protocol/features';
import { isGranularity } from '../protocol/features';

export const BACKENDS = ['ollama', 'openai', 'exec', 'llama'] as const;
export type Backend = (typeof BACKENDS)[number];

/** The `spex.*` settings, checked. package.json's contributes.configuration documents each one. */
export interface Settings {
  readonly backend: Backend;
  readonly endpoint: string;
  readonly model: string;
  readonly granularity: Granularity;
  readonly pin: readonly string[];
  readonly budget: number;
  readonly maxOrder: number;
  readonly order: number;
  readonly index: IndexName;
}

export const DEFAULT_SETTINGS: Settings = {
  backend: 'ollama',
  endpoint: 'http://127.0.0.1:11434',
  model: '',
  granularity: 'sentence',
  pin: [],
  budget: 1000,
  maxOrder: 5,
  order: 2,
  index: 'fsii',
};

/** A setting value that is not allowed; the message names the setting and what it accepts. */
export interface SettingProblem {
  readonly setting: string;
  readonly message: string;
}

/**
 * Reads the settings through `get` (the seam: vscode's WorkspaceConfiguration in the extension, a plain
 * object in tests). A bad value falls back to its default and is reported, so one typo in
 * settings.json never stops the extension.
 */
export function readSettings(get: (key: string) => unknown): { settings: Settings; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  function pick<T>(key: keyof Settings, accept: (value: unknown) => value is T, expected: string): T {
    const value = get(key);
    if (value === undefined || value === null) return DEFAULT_SETTINGS[key] as T;
    if (accept(value)) return value;
    problems.push({ setting: `spex.${key}`, message: `spex.${key} must be ${expected}; using ${JSON.stringify(DEFAULT_SETTINGS[key])}.` });
    return DEFAULT_SETTINGS[key] as T;
  }
  const settings: Settings = {
    backend: pick(
      'backend',
      (value): value is Backend => (BACKENDS as readonly unknown[]).includes(value),
      `one of ${BACKENDS.join(', ')}`,
    ),
    endpoint: pick('endpoint', isHttpUrl, 'an http:// or https:// URL'),
    model: pick('model', (value): value is string => typeof value === 'string', 'a model name'),
    granularity: pick('granularity', isGranularity, 'token, word, sentence, line, paragraph or separator:<regex>'),
    pin: pick('pin', isPatternList, 'a list of valid regular expressions'),
    budget: pick('budget', integerBetween(1, 1_000_000), 'a whole number from 1 to 1,000,000'),
    maxOrder: pick('maxOrder', integerBetween(1, 8), 'a whole number from 1 to 8'),
    order: pick('order', integerBetween(1, 8), 'a whole number from 1 to 8'),
    index: pick('index', isIndexName, 'fourier, mobius, shapley, banzhaf, sii, bii, fsii, fbii or stii'),
  };
  return { settings, problems };
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

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

function integerBetween(min: number, max: number): (value: unknown) => value is number {
  return (value: unknown): value is number => Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
}
