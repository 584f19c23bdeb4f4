/**
 * The one place that imports node-llama-cpp, lazily: the package is an optional dependency, so the
 * extension, the CLI and every other backend must start and work when it is absent. Nothing here
 * runs until a user picks the llama backend.
 */
import type * as NodeLlamaCpp from 'node-llama-cpp';
import type { Llama, LlamaLogLevel } from 'node-llama-cpp';
import { BackendError } from '../scorer';

export type LlamaModule = typeof NodeLlamaCpp;
export type LlamaModuleImporter = () => Promise<LlamaModule>;

/** The version SPEX is built and tested against (package.json pins it). */
export const LLAMA_PACKAGE_VERSION = '3.21.1';

/** A failure of the llama backend (missing package, bad model file, a prompt too long), told in words a user can act on. */
export class LlamaBackendError extends BackendError {}

/** What to do when the package is missing, in one paragraph. */
export const LLAMA_INSTALL_HELP =
  `The llama backend runs GGUF models inside SPEX through the npm package node-llama-cpp ${LLAMA_PACKAGE_VERSION}, ` +
  'which is not installed next to this copy of SPEX. In VS Code, install the platform build of the extension ' +
  '(spex-explain-linux-x64.vsix, which ships it with its prebuilt binary); for the command line, run ' +
  `"npm install node-llama-cpp@${LLAMA_PACKAGE_VERSION}" in the folder that holds SPEX (its package.json), or use another ` +
  'backend (--backend ollama serves the same models through the Ollama server). SPEX never downloads the package or a model by itself.';

// esbuild leaves this import() in place (the package is external), so Node resolves it at run time, next to dist/.
const defaultImporter: LlamaModuleImporter = () => import('node-llama-cpp');

let importer: LlamaModuleImporter = defaultImporter;
let loading: Promise<LlamaModule> | undefined;
let runtime: Promise<Llama> | undefined;
/** The last errors llama.cpp logged: they explain a failed model load better than the exception does. */
const recentErrors: string[] = [];

/**
 * Replaces how the package is imported (tests simulate a missing package with it); no argument
 * restores the real import. Forgets a loaded runtime, so the next use imports again.
 */
export function setLlamaImporter(next?: LlamaModuleImporter): void {
  importer = next ?? defaultImporter;
  loading = undefined;
  runtime = undefined;
}

/** Imports node-llama-cpp once, or explains how to install it. */
export function loadLlamaModule(): Promise<LlamaModule> {
  loading ??= importer().catch((error: unknown) => {
    loading = undefined;
    throw new LlamaBackendError(`${LLAMA_INSTALL_HELP} (Loading it failed: ${firstLine(error)})`);
  });
  return loading;
}

/**
 * The one llama.cpp runtime of this process, CPU only, never building or downloading anything:
 * `build: 'never'` uses the prebuilt binary that came with the package or fails with a clear error.
 * Its log goes to a small in-memory buffer (never stdout, which carries JSON-RPC in the server).
 */
export function llamaRuntime(): Promise<Llama> {
  runtime ??= loadLlamaModule()
    .then((module) =>
      module.getLlama({
        gpu: false,
        build: 'never',
        skipDownload: true,
        progressLogs: false,
        logLevel: module.LlamaLogLevel.error,
        logger: (level, message) => remember(module.LlamaLogLevel, level, message),
        // Without a process-wide thread limit each context uses exactly the threads it asks for.
        maxThreads: 0,
      }),
    )
    .catch((error: unknown) => {
      runtime = undefined;
      if (error instanceof LlamaBackendError) throw error;
      throw new LlamaBackendError(
        `node-llama-cpp is installed but its prebuilt llama.cpp binary for this platform (${process.platform}-${process.arch}) could not be loaded: ${firstLine(error)}. ` +
          `Reinstall it with "npm install node-llama-cpp@${LLAMA_PACKAGE_VERSION}" on this machine; SPEX never compiles it by itself.`,
      );
    });
  return runtime;
}

/** Takes (and clears) what llama.cpp logged at error level since the last call. */
export function takeLlamaErrors(): string[] {
  return recentErrors.splice(0, recentErrors.length);
}

function remember(levels: typeof LlamaLogLevel, level: LlamaLogLevel, message: string): void {
  if (level !== levels.error && level !== levels.fatal) return;
  const line = message.trim();
  if (line.length === 0) return;
  recentErrors.push(line);
  if (recentErrors.length > 20) recentErrors.shift();
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
