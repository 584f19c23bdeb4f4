/**
 * The one place that imports node-llama-cpp, lazily: the package is an optional dependency, so the
 * extension, the CLI and every other backend must start and work when it is absent. Nothing here
 * runs until a user picks the llama backend.
 */
import type * as NodeLlamaCpp from 'node-llama-cpp';
import type { Llama, LlamaGpuType, LlamaLogLevel } from 'node-llama-cpp';
import type { GpuChoice } from '../../../protocol/device';
import { LLAMA_PACKAGE_VERSION } from './binaryPackages';
import { chooseRuntime, systemEnvironment, type BinaryEnvironment, type LlamaRuntime } from './gpuRuntime';
import { firstLine, LlamaBackendError } from './llamaErrors';

export { LLAMA_PACKAGE_VERSION } from './binaryPackages';
export type { LlamaRuntime } from './gpuRuntime';
export { firstLine, LlamaBackendError } from './llamaErrors';

export type LlamaModule = typeof NodeLlamaCpp;
export type LlamaModuleImporter = () => Promise<LlamaModule>;

/** What to do when the package is missing, in one paragraph. */
export const LLAMA_INSTALL_HELP =
  `The llama backend runs GGUF models inside SPEX through the npm package node-llama-cpp ${LLAMA_PACKAGE_VERSION}, ` +
  'which is not installed next to this copy of SPEX. In VS Code, install the platform build of the extension ' +
  '(spex-explain-darwin-arm64.vsix, spex-explain-linux-x64.vsix or spex-explain-win32-x64.vsix, which ship it with its prebuilt binaries); ' +
  `for the command line, run "npm install node-llama-cpp@${LLAMA_PACKAGE_VERSION}" in the folder that holds SPEX (its package.json), or use another ` +
  'backend (--backend ollama serves the same models through the Ollama server). SPEX never downloads the package or a model by itself.';

// esbuild leaves this import() in place (the package is external), so Node resolves it at run time, next to dist/.
const defaultImporter: LlamaModuleImporter = () => import('node-llama-cpp');

let importer: LlamaModuleImporter = defaultImporter;
let environment: BinaryEnvironment | undefined;
let loading: Promise<LlamaModule> | undefined;
/** One started binary per GPU API (false: the CPU-only build), shared by every choice that lands on it. */
const binaries = new Map<LlamaGpuType, Promise<Llama>>();
/** What each GPU choice resolved to. */
const runtimes = new Map<GpuChoice, Promise<LlamaRuntime>>();
/** The last errors llama.cpp logged: they explain a failed model load better than the exception does. */
const recentErrors: string[] = [];

/**
 * Replaces how the package is imported (tests simulate a missing package, or a machine with or
 * without a GPU, with it) and, optionally, what is known of this machine's binary packages; no
 * argument restores the real ones. Forgets loaded runtimes, so the next use imports again.
 */
export function setLlamaImporter(next?: LlamaModuleImporter, binaryEnvironment?: BinaryEnvironment): void {
  importer = next ?? defaultImporter;
  environment = binaryEnvironment;
  loading = undefined;
  binaries.clear();
  runtimes.clear();
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
 * The runtime for a GPU choice (see gpuRuntime.ts): the llama.cpp binary it starts and how models are
 * placed on it. Each choice is resolved once per process, and each binary started once: `auto` that
 * lands on Vulkan and an explicit `vulkan` share one runtime, while `off` never reuses a GPU one.
 * A failed choice is forgotten, so it is tried again next time.
 */
export function selectLlamaRuntime(choice: GpuChoice): Promise<LlamaRuntime> {
  let runtime = runtimes.get(choice);
  if (!runtime) {
    runtime = loadLlamaModule().then((module) =>
      chooseRuntime(choice, environment ?? systemEnvironment(), {
        supportedGpus: () => module.getLlamaGpuTypes('supported'),
        load: (gpu) => startBinary(module, gpu),
      }),
    );
    runtimes.set(choice, runtime);
    const started = runtime;
    started.catch(() => {
      if (runtimes.get(choice) === started) runtimes.delete(choice);
    });
  }
  return runtime;
}

/** The llama.cpp runtime for a GPU choice (the CPU by default), for callers that load models themselves. */
export async function llamaRuntime(choice: GpuChoice = 'off'): Promise<Llama> {
  return (await selectLlamaRuntime(choice)).llama;
}

/**
 * Starts node-llama-cpp's prebuilt binary for one GPU API, never building or downloading anything:
 * `build: 'never'` uses a binary package that is installed or fails. Its log goes to a small
 * in-memory buffer (never stdout, which carries JSON-RPC in the server).
 */
function startBinary(module: LlamaModule, gpu: LlamaGpuType): Promise<Llama> {
  let started = binaries.get(gpu);
  if (!started) {
    started = module.getLlama({
      gpu,
      build: 'never',
      skipDownload: true,
      progressLogs: false,
      logLevel: module.LlamaLogLevel.error,
      logger: (level, message) => remember(module.LlamaLogLevel, level, message),
      // Without a process-wide thread limit each context uses exactly the threads it asks for.
      maxThreads: 0,
    });
    binaries.set(gpu, started);
    const attempt = started;
    attempt.catch(() => {
      if (binaries.get(gpu) === attempt) binaries.delete(gpu);
    });
  }
  return started;
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
