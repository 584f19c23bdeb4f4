/**
 * The llama backend's error class and the one-line form of any error, in a module of their own so
 * that every file of the backend (the loader and the GPU choice among them) can use them.
 */
import { BackendError } from '../scorer';

/** A failure of the llama backend (missing package, bad model file, a prompt too long), told in words a user can act on. */
export class LlamaBackendError extends BackendError {}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
