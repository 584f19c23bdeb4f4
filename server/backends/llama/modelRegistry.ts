/**
 * The models this process has loaded, keyed by file and runtime: each is loaded once per llama.cpp
 * binary and placement (the CPU, or a GPU) and shared by every explanation (and every what-if check)
 * that names it with that GPU choice, with one worker pool. A change of GPU choice between
 * explanations never reuses a model loaded on the other device. A model is held only while something
 * scores with it; once idle for the idle timeout it is unloaded, and the next use loads it again. The
 * server unloads everything when it stops.
 */
import type { Llama, LlamaModel } from 'node-llama-cpp';
import { deviceKindName, type GpuChoice } from '../../../protocol/device';
import {
  firstLine,
  LlamaBackendError,
  loadLlamaModule,
  selectLlamaRuntime,
  takeLlamaErrors,
  type LlamaModule,
  type LlamaRuntime,
} from './loader';
import { checkGgufFile, type ModelFile } from './modelFile';
import { placementOf, type ModelPlacement } from './modelPlacement';
import { WorkerPool } from './workerPool';

export interface LoadedModel {
  readonly module: LlamaModule;
  readonly llama: Llama;
  readonly runtime: LlamaRuntime;
  readonly model: LlamaModel;
  /** The device it runs on and the layers offloaded. */
  readonly placement: ModelPlacement;
  readonly pool: WorkerPool;
  /** Milliseconds llama.cpp took to load the file (when it was loaded, not at each use). */
  readonly loadMs: number;
}

/** A use of a loaded model; release it when done so that the idle timer can start. */
export interface ModelLease {
  readonly loaded: LoadedModel;
  release(): void;
}

interface Entry {
  readonly file: ModelFile;
  readonly loading: Promise<LoadedModel>;
  users: number;
  timer: NodeJS.Timeout | undefined;
}

/** Five minutes, as Ollama keeps a model loaded by default. */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;

const entries = new Map<string, Entry>();
let idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS;

/** How long an unused model stays loaded (the spex.llamaIdleTimeout setting); applies from the next release. */
export function setModelIdleTimeout(milliseconds: number): void {
  idleTimeoutMs = Math.max(0, milliseconds);
}

function keyOf(file: ModelFile, runtime: LlamaRuntime): string {
  return `${runtime.key}\u0000${file.path}\u0000${file.digest}`;
}

/**
 * Loads `file` on the runtime of the GPU choice (or joins its load in progress, or takes the loaded
 * model) and holds it until released.
 */
export async function acquireModel(file: ModelFile, gpu: GpuChoice = 'off'): Promise<ModelLease> {
  const runtime = await selectLlamaRuntime(gpu);
  const key = keyOf(file, runtime);
  let entry = entries.get(key);
  if (!entry) {
    const loading = load(file, runtime);
    entry = { file, loading, users: 0, timer: undefined };
    entries.set(key, entry);
    // A failed load is forgotten at once, so a fixed file can be tried again.
    loading.catch(() => {
      if (entries.get(key)?.loading === loading) entries.delete(key);
    });
  }
  const held = entry;
  held.users += 1;
  clearTimeout(held.timer);
  held.timer = undefined;
  let loaded: LoadedModel;
  try {
    loaded = await held.loading;
  } catch (error) {
    held.users -= 1;
    throw error;
  }
  let released = false;
  return {
    loaded,
    release: () => {
      if (released) return;
      released = true;
      held.users -= 1;
      if (held.users > 0 || entries.get(key) !== held) return;
      const unload = (): void => {
        if (held.users === 0 && entries.get(key) === held) void unloadEntry(key, held);
      };
      if (idleTimeoutMs === 0) unload();
      // The timer never keeps the process alive: a CLI run exits when its work is done.
      else held.timer = setTimeout(unload, idleTimeoutMs).unref();
    },
  };
}

/** Runs `task` with the model loaded on the runtime of the GPU choice, releasing it afterwards. */
export async function withModel<T>(file: ModelFile, gpu: GpuChoice, task: (loaded: LoadedModel) => Promise<T>): Promise<T> {
  const lease = await acquireModel(file, gpu);
  try {
    return await task(lease.loaded);
  } finally {
    lease.release();
  }
}

/** The files of the models loaded now (or loading). */
export function loadedModelFiles(): string[] {
  return [...entries.values()].map((entry) => entry.file.path);
}

/** Unloads every model at once (server shutdown, the end of a test or benchmark). */
export async function releaseAllModels(): Promise<void> {
  await Promise.all([...entries].map(([key, entry]) => unloadEntry(key, entry)));
}

async function unloadEntry(key: string, entry: Entry): Promise<void> {
  if (entries.get(key) === entry) entries.delete(key);
  clearTimeout(entry.timer);
  const loaded = await entry.loading.catch(() => undefined);
  if (!loaded) return;
  await loaded.pool.dispose();
  await loaded.model.dispose();
}

async function load(file: ModelFile, runtime: LlamaRuntime): Promise<LoadedModel> {
  const module = await loadLlamaModule();
  await checkGgufFile(module, file);
  const { llama } = runtime;
  const vram = runtime.device === 'cpu' ? { total: 0, free: 0 } : await llama.getVramState();
  const started = performance.now();
  takeLlamaErrors();
  let model: LlamaModel;
  try {
    // On a GPU, 'auto' offloads as many layers as its free memory holds; a model too big is split with the CPU.
    model = await llama.loadModel({ modelPath: file.path, gpuLayers: runtime.gpuLayers });
  } catch (error) {
    const logged = takeLlamaErrors();
    const reason = logged.length > 0 ? logged.join('; ') : firstLine(error);
    if (error instanceof module.InsufficientMemoryError) {
      throw new LlamaBackendError(
        `llama.cpp could not load ${file.path}: not enough memory (${reason}). Close other programs using the ` +
          `${runtime.device === 'cpu' ? 'RAM' : `${deviceKindName(runtime.device)} GPU`} or choose a smaller model${runtime.device === 'cpu' ? '' : ', or --gpu off'}.`,
      );
    }
    throw new LlamaBackendError(
      `llama.cpp could not load ${file.path}: ${reason}. ` +
        'The file may be truncated or corrupted, or its architecture may be newer than the llama.cpp in node-llama-cpp; download it again or try another model.',
    );
  }
  const placement = await placementOf(runtime, model, vram);
  return { module, llama, runtime, model, placement, pool: new WorkerPool(model), loadMs: performance.now() - started };
}
