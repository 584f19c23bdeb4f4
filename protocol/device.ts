/**
 * Where an in-process backend (the llama backend) ran the model: the device, how much of the model
 * it holds, and the memory used. The explanation carries it; the CLI, the reports, the panel and the
 * output channel all describe it with `describeDevice`, so they say the same thing.
 */

/** The GPU choices of `--gpu` and `spex.gpu`: node-llama-cpp's detection, the CPU, or one GPU API. */
export const GPU_CHOICES = ['auto', 'off', 'metal', 'cuda', 'vulkan'] as const;
export type GpuChoice = (typeof GPU_CHOICES)[number];

/** What llama.cpp computes on: the CPU, or a GPU through one of these APIs. */
export type DeviceKind = 'cpu' | 'metal' | 'cuda' | 'vulkan';

export interface ComputeDevice {
  /** The device the offloaded layers ran on ('cpu' when none were offloaded). */
  readonly kind: DeviceKind;
  /** The GPUs as their drivers name them; empty on the CPU. */
  readonly gpus: readonly string[];
  /** Layers on the GPU, of the model's total (node-llama-cpp counts the output layer as one). */
  readonly gpuLayers: number;
  readonly totalLayers: number;
  /** The most bytes llama.cpp held for its models and contexts while the explanation ran, in GPU memory and in RAM. */
  readonly vramBytes: number;
  readonly ramBytes: number;
  /** Why the model is not wholly on a GPU, where a GPU was asked for or could have been used. */
  readonly note?: string;
}

const KIND_NAMES: Record<DeviceKind, string> = { cpu: 'CPU', metal: 'Metal', cuda: 'CUDA', vulkan: 'Vulkan' };

/** The name of a device kind as people write it (CPU, Metal, CUDA, Vulkan). */
export function deviceKindName(kind: DeviceKind): string {
  return KIND_NAMES[kind];
}

/**
 * One line, e.g. "CUDA (NVIDIA H200), 6 of 6 layers on the GPU, 2.1 MB of GPU memory and 0.4 MB of RAM"
 * or "CPU, 1.4 MB of RAM; no GPU found: …".
 */
export function describeDevice(device: ComputeDevice): string {
  const note = device.note ? `; ${device.note}` : '';
  if (device.kind === 'cpu') return `CPU, ${formatBytes(device.ramBytes)} of RAM${note}`;
  const gpus = device.gpus.length > 0 ? ` (${device.gpus.join(', ')})` : '';
  return (
    `${KIND_NAMES[device.kind]}${gpus}, ${device.gpuLayers} of ${device.totalLayers} layers on the GPU, ` +
    `${formatBytes(device.vramBytes)} of GPU memory and ${formatBytes(device.ramBytes)} of RAM${note}`
  );
}

/** Bytes in decimal units with two or three significant digits (1.2 MB, 35 MB, 4.1 GB). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} bytes`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
