import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/paths';

const MODEL_FILE = path.join('shared', 'models', 'stories260K.gguf');

/**
 * The real model the llama tests and benchmarks run: Karpathy's 260K-parameter TinyStories model,
 * read from ../shared/models/ next to the repository and never copied into it. A clone placed
 * deeper (a CI workspace) finds it in the nearest ancestor that has shared/models/; SPEX_TEST_MODEL
 * names it explicitly.
 */
export const TINY_MODEL_PATH = process.env['SPEX_TEST_MODEL'] ?? findModel();

function findModel(): string {
  for (let directory = path.dirname(REPO_ROOT); ; directory = path.dirname(directory)) {
    const candidate = path.join(directory, MODEL_FILE);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(directory) === directory) break;
  }
  return path.resolve(REPO_ROOT, '..', MODEL_FILE);
}
export const TINY_MODEL_SHA256 = '270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d';

let verified: string | undefined;

/** Why the model cannot be used, or undefined when it is there with the expected content. */
function problem(): string | undefined {
  if (verified === TINY_MODEL_PATH) return undefined;
  if (!existsSync(TINY_MODEL_PATH))
    return `The test model is missing: ${TINY_MODEL_PATH} (the llama tests read it from ../shared/models/).`;
  const digest = createHash('sha256').update(readFileSync(TINY_MODEL_PATH)).digest('hex');
  if (digest !== TINY_MODEL_SHA256)
    return `The test model ${TINY_MODEL_PATH} has sha256 ${digest}, not ${TINY_MODEL_SHA256}: it is not stories260K.gguf.`;
  verified = TINY_MODEL_PATH;
  return undefined;
}

/**
 * For `describe(name, { skip: tinyModelSkip() }, …)`: false when the model is there with the expected
 * content. Where it is missing, the test file fails in CI (CI is set) with a message naming the path,
 * and elsewhere its tests are skipped with that message.
 */
export function tinyModelSkip(): false | string {
  const reason = problem();
  if (reason === undefined) return false;
  if (process.env['CI']) throw new Error(reason);
  return reason;
}

/** A TinyStories-style story of ten sentences: names and objects recur, so the model copies them from context. */
export const STORY = [
  'Once upon a time, there was a little girl named Lily.',
  'Lily had a red ball.',
  'One day, Lily went to the park with her mom.',
  'At the park, she saw a boy named Tom.',
  'Tom had a big kite.',
  'Lily wanted to play with the kite.',
  'Tom said, "You can play with my kite."',
  'Lily was very happy.',
  'They played all day.',
  'Then Lily said to Tom,',
].join(' ');
