import { createHash } from 'node:crypto';

/** A generation parameter's value: what can be compared exactly and encoded the same way every time. */
export type CallParameterValue = string | number | boolean | null;

/**
 * Everything that decides what one model call answers. Two calls with equal parts are the same call,
 * so one stored answer serves both; any difference, however small, must make a different key.
 *
 * Callers must never put secrets here (API keys, authorization headers, URLs carrying credentials):
 * the parts are hashed, but a key that depends on a secret would change whenever the secret rotates
 * and would let anyone holding the cache test guesses of it.
 */
export interface CallKeyParts {
  /** The backend family, e.g. `ollama`, `openai`, `exec`, `llama`. */
  readonly backend: string;
  /** What kind of endpoint answered (e.g. `chat` or `completions`), where a backend has several. */
  readonly endpointKind?: string;
  readonly model: string;
  /** The model's content digest where the endpoint reports one, so a re-pulled model is a different model. */
  readonly modelDigest?: string;
  /** The value function, e.g. `logprob`, `exec:<command>`. */
  readonly valueFunction: string;
  /** Generation parameters that change the answer (temperature, seed, max tokens…). Key order does not matter. */
  readonly parameters: Readonly<Record<string, CallParameterValue>>;
  /** The masked prompt exactly as the model sees it. Only its hash is ever stored. */
  readonly text: string;
  /** The target continuation whose probability is measured, where the value function has one. */
  readonly target?: string;
}

/**
 * Bumped whenever the encoding below changes, so keys made by another encoding never collide with
 * these and stored answers are simply not found rather than misread.
 */
const KEY_ENCODING = 'spex-call-key/v1';

/**
 * The cache key of one model call: the lowercase hex SHA-256 of a canonical JSON encoding of its
 * parts (object keys sorted, absent optional parts left out), so equal parts always give the same
 * key whatever order their object keys were built in. Only this hash reaches the disk, never the
 * prompt itself.
 */
export function callKey(parts: CallKeyParts): string {
  const material: Record<string, unknown> = {
    backend: requireString(parts.backend, 'backend'),
    model: requireString(parts.model, 'model'),
    parameters: canonicalParameters(parts.parameters),
    text: requireString(parts.text, 'text'),
    valueFunction: requireString(parts.valueFunction, 'valueFunction'),
  };
  if (parts.endpointKind !== undefined) material['endpointKind'] = requireString(parts.endpointKind, 'endpointKind');
  if (parts.modelDigest !== undefined) material['modelDigest'] = requireString(parts.modelDigest, 'modelDigest');
  if (parts.target !== undefined) material['target'] = requireString(parts.target, 'target');
  return createHash('sha256').update(KEY_ENCODING).update('\n').update(canonicalJson(material)).digest('hex');
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`callKey: "${name}" must be a string, got ${describe(value)}.`);
  return value;
}

/** Checks the parameters at run time too, because they often come from user settings. */
function canonicalParameters(parameters: Readonly<Record<string, CallParameterValue>>): Record<string, CallParameterValue> {
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
    throw new TypeError(`callKey: "parameters" must be an object of strings, numbers, booleans or null, got ${describe(parameters)}.`);
  }
  const result: Record<string, CallParameterValue> = {};
  for (const [name, value] of Object.entries(parameters)) {
    const ok =
      value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    // NaN and infinities would all encode as null and collide with a real null, so they are refused.
    if (!ok)
      throw new TypeError(`callKey: parameter "${name}" must be a string, a finite number, a boolean or null, got ${describe(value)}.`);
    result[name] = value;
  }
  return result;
}

/** JSON with every object's keys in code-unit order, so the same value always gives the same bytes. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return 'a string';
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
