/**
 * Where a loaded model sits (the device, the layers offloaded, why not all of them) and how much
 * memory llama.cpp holds for it, as the explanation reports it (protocol/device.ts).
 */
import type { Llama, LlamaModel } from 'node-llama-cpp';
import { formatBytes, type ComputeDevice, type DeviceKind } from '../../../protocol/device';
import type { LlamaRuntime } from './gpuRuntime';

export interface ModelPlacement {
  readonly device: DeviceKind;
  readonly gpus: readonly string[];
  readonly gpuLayers: number;
  readonly totalLayers: number;
  /** Why not every layer is on the GPU, when the runtime is a GPU one. */
  readonly note: string | undefined;
}

/** GPU memory as node-llama-cpp reads it just before a model loads. */
export interface VramAtLoad {
  readonly total: number;
  readonly free: number;
}

/**
 * The placement of a model just loaded on `runtime`. With `gpuLayers: 'auto'` node-llama-cpp puts as
 * many layers on the GPU as its free memory holds (leaving room for a context); when that is not all
 * of them, the note says so, with the free memory it had. (Why the runtime is the CPU belongs to the
 * GPU choice, not to the model: `auto` and `off` may share one model on the CPU.)
 */
export async function placementOf(runtime: LlamaRuntime, model: LlamaModel, vram: VramAtLoad): Promise<ModelPlacement> {
  const totalLayers = model.fileInsights.totalLayers;
  const gpuLayers = model.gpuLayers;
  const gpus = runtime.device === 'cpu' ? [] : await runtime.llama.getGpuDeviceNames().catch(() => []);
  const note =
    runtime.device !== 'cpu' && gpuLayers < totalLayers
      ? `${gpuLayers === 0 ? 'no layer' : `only ${gpuLayers} layers`} fit in the GPU's free memory ` +
        `(${formatBytes(vram.free)} of ${formatBytes(vram.total)} free when the model loaded); the rest run on the CPU`
      : undefined;
  return { device: runtime.device, gpus, gpuLayers, totalLayers, note };
}

/**
 * The most memory llama.cpp held for this runtime's models and contexts, as node-llama-cpp accounts
 * it, sampled now and then while an explanation runs (contexts come and go with the workers).
 */
export class MemoryPeak {
  private vram = 0;
  private ram = 0;
  private lastSample = 0;

  constructor(private readonly llama: Llama) {}

  /** Reads the memory now (awaitable), keeping the most seen. */
  async sample(): Promise<void> {
    this.lastSample = Date.now();
    const usage = await this.llama.getLlamaMemoryUsage();
    this.vram = Math.max(this.vram, usage.gpuVram);
    this.ram = Math.max(this.ram, usage.cpuRam);
  }

  /** Samples in the background at most once per `intervalMs`: cheap enough to call after every prompt scored. */
  sampleNowAndThen(intervalMs = 1000): void {
    if (Date.now() - this.lastSample < intervalMs) return;
    this.sample().catch(() => undefined);
  }

  /** The device report: the placement with the peak memory seen, and why the GPU choice is not (wholly) on a GPU. */
  device(placement: ModelPlacement, choiceNote: string | undefined): ComputeDevice {
    const notes = [choiceNote, placement.note].filter((note): note is string => note !== undefined);
    return {
      kind: placement.device,
      gpus: placement.gpus,
      gpuLayers: placement.gpuLayers,
      totalLayers: placement.totalLayers,
      vramBytes: this.vram,
      ramBytes: this.ram,
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    };
  }
}
