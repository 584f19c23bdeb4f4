/**
 * Which llama.cpp binary runs the model, for a GPU choice (`--gpu`, `spex.gpu`):
 * - `auto`: node-llama-cpp's own detection (getLlamaGpuTypes('supported'): the GPU APIs whose drivers
 *   this machine has, best first); the first one whose prebuilt binary is installed and loads wins,
 *   else the CPU, with one line saying why;
 * - `metal`, `cuda`, `vulkan`: that binary or a clear error naming what is missing;
 * - `off`: the CPU.
 * Nothing is ever built or downloaded: node-llama-cpp is called with `build: 'never'`.
 *
 * node-llama-cpp ships no CPU-only build for Apple Silicon: there the CPU is the Metal binary with no
 * layers offloaded.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Llama, LlamaGpuType } from 'node-llama-cpp';
import { deviceKindName, type DeviceKind, type GpuChoice } from '../../../protocol/device';
import { binaryPackageFor, LLAMA_PACKAGE_VERSION, type BinaryPackage } from './binaryPackages';
import { firstLine, LlamaBackendError } from './llamaErrors';

/** A started llama.cpp binary and how models are placed on it. */
export interface LlamaRuntime {
  readonly llama: Llama;
  /** Where offloaded layers run: 'cpu' when the model stays in RAM. */
  readonly device: DeviceKind;
  /** How models load: 'auto' offloads as many layers as fit the GPU's free memory; 0 keeps them in RAM. */
  readonly gpuLayers: 'auto' | 0;
  /** The identity of this binary and placement: models are loaded once per key. */
  readonly key: string;
  /** Why the model is not on a GPU, or why a better GPU was passed over (auto only), e.g. "no GPU found: …". */
  readonly note: string | undefined;
}

/** What the choice needs to know about this machine and the installed packages (tests replace it). */
export interface BinaryEnvironment {
  readonly platform: string;
  readonly arch: string;
  /** The folder of an installed binary package at SPEX's node-llama-cpp version, or undefined. */
  locate(packageName: string): string | undefined;
  /** Why an installed binary cannot be loaded here (found in a child process), or undefined when it loads. */
  diagnose(binary: BinaryPackage, folder: string): Promise<string | undefined>;
}

/** node-llama-cpp's detection, and a start of one of its binaries (never building, never downloading). */
export interface RuntimeLoader {
  supportedGpus(): Promise<LlamaGpuType[]>;
  load(gpu: LlamaGpuType): Promise<Llama>;
}

const DRIVER_HINTS: Record<Exclude<DeviceKind, 'cpu'>, string> = {
  metal: 'Metal needs macOS on Apple Silicon',
  cuda: 'CUDA needs an NVIDIA GPU with its driver and the CUDA runtime (libcudart, libcublas) on the library path',
  vulkan: "Vulkan needs the GPU's Vulkan driver and the Vulkan loader (libvulkan)",
};

/** The runtime for `choice`, or a LlamaBackendError that says what is missing. */
export async function chooseRuntime(choice: GpuChoice, environment: BinaryEnvironment, loader: RuntimeLoader): Promise<LlamaRuntime> {
  if (choice === 'off') return cpuRuntime(environment, loader, undefined);
  if (choice !== 'auto') return explicitGpu(choice, environment, loader);
  const passedOver: string[] = [];
  const detected = (await loader.supportedGpus()).filter((gpu): gpu is Exclude<LlamaGpuType, false> => gpu !== false);
  for (const gpu of detected) {
    const name = deviceKindName(gpu);
    const binary = binaryPackageFor(environment.platform, environment.arch, gpu);
    const folder = binary && environment.locate(binary.name);
    if (!binary) {
      passedOver.push(`${name} found, but node-llama-cpp has no prebuilt ${name} binary for ${platformName(environment)}`);
    } else if (!folder) {
      passedOver.push(`${name} found, but its binary package ${binary.name} is not installed`);
    } else {
      try {
        const llama = await loader.load(gpu);
        return { llama, device: gpu, gpuLayers: 'auto', key: gpu, note: passedOver.length > 0 ? passedOver.join('; ') : undefined };
      } catch (error) {
        passedOver.push(`the ${name} binary failed to load: ${await failureReason(error, binary, folder, environment)}`);
      }
    }
  }
  return cpuRuntime(environment, loader, detected.length > 0 ? passedOver.join('; ') : noGpuReason(environment));
}

async function explicitGpu(
  gpu: Exclude<GpuChoice, 'auto' | 'off'>,
  environment: BinaryEnvironment,
  loader: RuntimeLoader,
): Promise<LlamaRuntime> {
  const name = deviceKindName(gpu);
  const asked = `The GPU choice "${gpu}" (--gpu, spex.gpu)`;
  const binary = binaryPackageFor(environment.platform, environment.arch, gpu);
  if (!binary) {
    throw new LlamaBackendError(
      `${asked} cannot be used here: node-llama-cpp ${LLAMA_PACKAGE_VERSION} has no prebuilt ${name} binary for ${platformName(environment)}` +
        `${environment.platform === 'darwin' && environment.arch === 'arm64' ? ' (Apple Silicon runs Metal: --gpu metal or auto)' : ''}. ` +
        'Choose auto (the best GPU found, else the CPU) or off (the CPU).',
    );
  }
  const folder = environment.locate(binary.name);
  if (!folder) {
    throw new LlamaBackendError(
      `${asked} needs node-llama-cpp's prebuilt ${name} binary, the npm package ${binary.name}@${LLAMA_PACKAGE_VERSION}, ` +
        `which is not installed next to SPEX. Install it with "npm install ${binary.name}@${LLAMA_PACKAGE_VERSION}" in the folder that holds SPEX ` +
        '(the platform .vsix ships the CPU build and, on Linux and Windows, Vulkan; see the README), or choose auto or off.',
    );
  }
  let llama: Llama;
  try {
    llama = await loader.load(gpu);
  } catch (error) {
    throw new LlamaBackendError(
      `${asked} cannot be used: node-llama-cpp's prebuilt ${name} binary (${binary.name}) is installed but failed to load: ` +
        `${await failureReason(error, binary, folder, environment)}. ${DRIVER_HINTS[gpu]}; or choose auto (the CPU when no GPU works) or off.`,
    );
  }
  return { llama, device: gpu, gpuLayers: 'auto', key: gpu, note: undefined };
}

/** The CPU: the CPU-only binary, or on Apple Silicon the Metal binary with no layers offloaded. */
async function cpuRuntime(environment: BinaryEnvironment, loader: RuntimeLoader, note: string | undefined): Promise<LlamaRuntime> {
  const appleSilicon = environment.platform === 'darwin' && environment.arch === 'arm64';
  const gpu: LlamaGpuType = appleSilicon ? 'metal' : false;
  try {
    const llama = await loader.load(gpu);
    return { llama, device: 'cpu', gpuLayers: 0, key: appleSilicon ? 'metal-cpu' : 'cpu', note };
  } catch (error) {
    const binary = binaryPackageFor(environment.platform, environment.arch, gpu);
    throw new LlamaBackendError(
      `node-llama-cpp is installed but its prebuilt llama.cpp binary for this platform (${platformName(environment)}` +
        `${binary ? `, ${binary.name}` : ''}) could not be loaded: ${firstLine(error)}. ` +
        `Reinstall it with "npm install node-llama-cpp@${LLAMA_PACKAGE_VERSION}" on this machine; SPEX never compiles it by itself.`,
    );
  }
}

/**
 * Why an installed binary did not load. node-llama-cpp tests a binary in a child process and reports
 * only that it was "not compatible" (NoBinaryFoundError); loading it in a child of our own names the
 * missing library, or tells that it loads but found no usable device.
 */
async function failureReason(error: unknown, binary: BinaryPackage, folder: string, environment: BinaryEnvironment): Promise<string> {
  const name = deviceKindName(binary.gpu === false ? 'cpu' : binary.gpu);
  // NoBinaryFoundError carries its class name as its message; any other error says what went wrong.
  const message = firstLine(error);
  if (message !== 'NoBinaryFoundError') return message;
  const diagnosis = await environment.diagnose(binary, folder);
  return diagnosis ?? `it loads, but node-llama-cpp's load test found no usable ${name} device`;
}

function noGpuReason(environment: BinaryEnvironment): string {
  if (environment.platform === 'darwin') return 'no GPU: node-llama-cpp has no GPU build for Intel Macs';
  return 'no GPU found: node-llama-cpp detected neither an NVIDIA driver with the CUDA runtime nor a Vulkan driver';
}

function platformName(environment: BinaryEnvironment): string {
  return `${environment.platform}-${environment.arch}`;
}

/** This machine, with packages resolved the way node-llama-cpp resolves them (from the node_modules beside SPEX). */
export function systemEnvironment(): BinaryEnvironment {
  const resolve = createRequire(__filename).resolve;
  return {
    platform: process.platform,
    arch: process.arch,
    locate(packageName) {
      let entry: string;
      try {
        entry = resolve(packageName);
      } catch {
        return undefined;
      }
      // The entry is dist/index.js; the package's folder is the nearest one whose package.json names it.
      for (let folder = path.dirname(entry); folder !== path.dirname(folder); folder = path.dirname(folder)) {
        const manifest = readManifest(path.join(folder, 'package.json'));
        if (manifest?.name === packageName) return manifest.version === LLAMA_PACKAGE_VERSION ? folder : undefined;
      }
      return undefined;
    },
    diagnose: (binary, folder) => loadInChild(path.join(folder, 'bins', binary.folder, 'llama-addon.node')),
  };
}

function readManifest(file: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}

/** How long loading a binary in a child may take before it counts as failed. */
const DIAGNOSE_TIMEOUT_MS = 60_000;

/**
 * Loads a native addon in a child Node process (this process's own executable and environment, so
 * Electron's run-as-node setting carries over) and returns the first line of its error, or undefined
 * when it loads. A binary that fails may crash its process: never this one.
 */
function loadInChild(addon: string): Promise<string | undefined> {
  const script =
    "try { require(process.argv[1]); process.stdout.write('loaded'); } " +
    "catch (error) { process.stdout.write(String((error && error.message) || error).split('\\n')[0]); }";
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script, addon], { timeout: DIAGNOSE_TIMEOUT_MS, windowsHide: true }, (error, stdout) => {
      const output = stdout.trim();
      if (output === 'loaded') resolve(undefined);
      else if (output.length > 0) resolve(output);
      else resolve(`loading it ended its process (${error ? firstLine(error) : 'no output'})`);
    });
  });
}
