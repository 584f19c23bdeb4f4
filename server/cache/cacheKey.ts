import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

/** A generation parameter's value: what can be compared exactly and encoded the same way every time. */
export type CallParameterValue = string | number | boolean | null;

/**
 * Everything that decides what one model call answers. Two calls with equal parts are the same call,
 * so one stored answer serves both; any difference, however small, must make a different key.
 *
 * Callers must never put secrets here (API keys, authorization headers, URLs carrying credentials):
 * a key that depends on a secret would change whenever the secret rotates, and the parts are only
 * as hidden as the cache's own key secret.
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
  /** The masked prompt exactly as the model sees it. Only its keyed hash is ever stored. */
  readonly text: string;
  /** The target continuation whose probability is measured, where the value function has one. */
  readonly target?: string;
}

/**
 * Bumped whenever the encoding below changes, so keys made by another encoding never collide with
 * these and stored answers are simply not found rather than misread. v1 was an unsalted SHA-256; v2
 * is an HMAC under the cache's secret.
 */
const KEY_ENCODING = 'spex-call-key/v2';

/** Bytes of a key secret: the HMAC-SHA-256 block is larger, but 256 bits is as strong as the hash. */
export const KEY_SECRET_BYTES = 32;

/**
 * The random secret that call keys are made under, one per cache directory. Keys were once a plain
 * hash of the prompt, so anyone holding the cache file could confirm a guessed prompt by hashing it;
 * under a secret kept apart from the file (readable only by its owner) the keys reveal nothing.
 *
 * The bytes never leave this object: it prints as `[CallKeySecret]` and has no accessor for them.
 */
export class CallKeySecret {
  readonly #bytes: Buffer;
  /** A public name for this secret, written into the cache file so a file keyed under another secret is recognised. */
  readonly fingerprint: string;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
    this.fingerprint = createHmac('sha256', bytes).update('spex-call-key-secret-fingerprint').digest('hex').slice(0, 16);
  }

  /** A new secret from the operating system's cryptographic random source. */
  static generate(): CallKeySecret {
    return new CallKeySecret(randomBytes(KEY_SECRET_BYTES));
  }

  /** A secret read back from storage; refuses one shorter than `KEY_SECRET_BYTES`, which would weaken every key. */
  static fromBytes(bytes: Uint8Array): CallKeySecret {
    if (bytes.length !== KEY_SECRET_BYTES) {
      throw new RangeError(`A call key secret must be ${KEY_SECRET_BYTES} bytes; got ${bytes.length}.`);
    }
    return new CallKeySecret(Buffer.from(bytes));
  }

  /** The secret as stored on disk (see `keySecretFile.ts`); the only way its bytes leave this object. */
  toHex(): string {
    return this.#bytes.toString('hex');
  }

  /** The lowercase hex HMAC-SHA-256 of `message` under this secret. */
  mac(message: string): string {
    return createHmac('sha256', this.#bytes).update(message).digest('hex');
  }

  toJSON(): string {
    return '[CallKeySecret]';
  }

  [inspect.custom](): string {
    return '[CallKeySecret]';
  }
}

/**
 * The cache key of one model call: the lowercase hex HMAC-SHA-256, under the cache's `secret`, of a
 * canonical JSON encoding of its parts (object keys sorted, absent optional parts left out), so equal
 * parts always give the same key whatever order their object keys were built in. Only this MAC
 * reaches the disk, never the prompt itself, and without the secret it cannot be recomputed from a
 * guessed prompt. Callers that hold a `CallCache` use its `keyOf`, which passes the cache's secret.
 */
export function callKey(parts: CallKeyParts, secret: CallKeySecret): string {
  if (!(secret instanceof CallKeySecret)) throw new TypeError("callKey: the second argument must be the cache's CallKeySecret.");
  return secret.mac(`${KEY_ENCODING}\n${canonicalJson(keyMaterial(parts, requireString(parts.text, 'text')))}`);
}

/**
 * `callKey` for many calls that differ only in their text (the masked prompts of one explanation):
 * everything else is checked and encoded once, and each key costs one HMAC of the text spliced into
 * that encoding. The keys are exactly `callKey`'s.
 */
export function callKeyer(parts: Omit<CallKeyParts, 'text'>, secret: CallKeySecret): (text: string) => string {
  if (!(secret instanceof CallKeySecret)) throw new TypeError("callKeyer: the second argument must be the cache's CallKeySecret.");
  const encoded = `${KEY_ENCODING}\n${canonicalJson(keyMaterial(parts, ''))}`;
  // Object keys are sorted and every string is escaped, so the top-level text is the last `"text":""`
  // (a parameter named text comes earlier, inside "parameters"; only "valueFunction" follows it).
  const at = encoded.lastIndexOf(EMPTY_TEXT);
  const before = encoded.slice(0, at + EMPTY_TEXT.length - 2);
  const after = encoded.slice(at + EMPTY_TEXT.length);
  return (text) => secret.mac(before + JSON.stringify(requireString(text, 'text')) + after);
}

const EMPTY_TEXT = '"text":""';

/** What a key is the MAC of: every part, checked, under its own name, optional parts only where given. */
function keyMaterial(parts: Omit<CallKeyParts, 'text'>, text: string): Record<string, unknown> {
  const material: Record<string, unknown> = {
    backend: requireString(parts.backend, 'backend'),
    model: requireString(parts.model, 'model'),
    parameters: canonicalParameters(parts.parameters),
    text,
    valueFunction: requireString(parts.valueFunction, 'valueFunction'),
  };
  if (parts.endpointKind !== undefined) material['endpointKind'] = requireString(parts.endpointKind, 'endpointKind');
  if (parts.modelDigest !== undefined) material['modelDigest'] = requireString(parts.modelDigest, 'modelDigest');
  if (parts.target !== undefined) material['target'] = requireString(parts.target, 'target');
  return material;
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
