import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import type { LlamaGpuType, LlamaOptions } from 'node-llama-cpp';
import { describeDevice, formatBytes, type ComputeDevice } from '../../protocol/device';
import {
  allBinaryPackageNames,
  BINARY_PACKAGES,
  binaryPackageFor,
  LLAMA_PACKAGE_VERSION,
} from '../../server/backends/llama/binaryPackages';
import type { BinaryEnvironment } from '../../server/backends/llama/gpuRuntime';
import { LlamaBackendError, selectLlamaRuntime, setLlamaImporter, type LlamaModule } from '../../server/backends/llama/loader';
import { resolveModelFile } from '../../server/backends/llama/modelFile';
import { MemoryPeak } from '../../server/backends/llama/modelPlacement';
import { acquireModel, releaseAllModels } from '../../server/backends/llama/modelRegistry';
import { PLATFORM_TARGETS, targetPackages, type PlatformTarget } from '../../scripts/packagePlatform';
import { parseCommandLine, UsageError, type ExplainCommand } from '../../server/cli/args';
import { ConfigError, resolveExplainConfig } from '../../server/lsp/explainConfig';
import { formatHtml } from '../../server/report/html';
import { formatMarkdown } from '../../server/report/markdown';
import { sampleExplanation } from '../fixtures/sampleExplanation';
import { repoPath } from '../helpers/paths';

/**
 * A machine as node-llama-cpp would see it: the GPU APIs its detection reports, the binaries that fail
 * to start, and what a GPU reports once a model is loaded.
 */
interface FakeMachine {
  readonly supported: LlamaGpuType[];
  /** Binaries whose start fails, with the error node-llama-cpp throws. */
  readonly failing?: ReadonlyMap<LlamaGpuType, Error>;
  /** Layers 'auto' fits on the GPU (all of them when absent). */
  readonly fits?: number;
  readonly totalLayers?: number;
}

interface Calls {
  readonly getLlama: LlamaOptions[];
  readonly detect: number[];
  readonly loadModel: { gpu: LlamaGpuType; gpuLayers: unknown }[];
}

/** node-llama-cpp's NoBinaryFoundError: its message is its class name. */
const noBinary = (): Error => new Error('NoBinaryFoundError');

function fakeModule(machine: FakeMachine): { module: LlamaModule; calls: Calls } {
  const calls: Calls = { getLlama: [], detect: [], loadModel: [] };
  const totalLayers = machine.totalLayers ?? 32;
  const llamaFor = (gpu: LlamaGpuType): unknown => ({
    gpu,
    getGpuDeviceNames: () => Promise.resolve(gpu === false ? [] : ['Fake GPU 8 GB']),
    getVramState: () => Promise.resolve({ total: gpu === false ? 0 : 8e9, used: 5e9, free: gpu === false ? 0 : 3e9, unifiedSize: 0 }),
    getLlamaMemoryUsage: () => Promise.resolve({ gpuVram: gpu === false ? 0 : 4.2e9, cpuRam: 6e9 }),
    loadModel: (options: { gpuLayers: unknown }) => {
      calls.loadModel.push({ gpu, gpuLayers: options.gpuLayers });
      const gpuLayers = gpu === false || options.gpuLayers === 0 ? 0 : (machine.fits ?? totalLayers);
      return Promise.resolve({
        gpuLayers,
        fileInsights: { totalLayers },
        trainContextSize: 256,
        dispose: () => Promise.resolve(),
      });
    },
  });
  class InsufficientMemoryError extends Error {}
  const module = {
    LlamaLogLevel: { error: 'error', fatal: 'fatal' },
    InsufficientMemoryError,
    getLlamaGpuTypes: () => {
      calls.detect.push(1);
      return Promise.resolve([...machine.supported]);
    },
    getLlama: (options: LlamaOptions) => {
      calls.getLlama.push(options);
      const gpu = (options.gpu ?? false) as LlamaGpuType;
      const failure = machine.failing?.get(gpu);
      return failure ? Promise.reject(failure) : Promise.resolve(llamaFor(gpu));
    },
    readGgufFileInfo: () => Promise.resolve({ metadata: { general: { architecture: 'llama' } }, infoEndOffset: 24, tensorInfo: [] }),
  };
  return { module: module as unknown as LlamaModule, calls };
}

/** This machine's binary packages: which are installed, and why an installed one cannot load. */
function environment(
  platform: string,
  arch: string,
  installed: readonly string[],
  diagnoses: Readonly<Record<string, string>> = {},
): BinaryEnvironment {
  return {
    platform,
    arch,
    locate: (name) => (installed.includes(name) ? path.join('/fake/node_modules', name) : undefined),
    diagnose: (binary) => Promise.resolve(diagnoses[binary.name]),
  };
}

const LINUX_ALL = ['@node-llama-cpp/linux-x64', '@node-llama-cpp/linux-x64-vulkan', '@node-llama-cpp/linux-x64-cuda'];

function use(machine: FakeMachine, env: BinaryEnvironment): Calls {
  const fake = fakeModule(machine);
  setLlamaImporter(() => Promise.resolve(fake.module), env);
  return fake.calls;
}

const scratch = mkdtempSync(path.join(tmpdir(), 'spex-gpu-unit-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(async () => {
  await releaseAllModels();
  setLlamaImporter();
});

describe('choosing the GPU (--gpu, spex.gpu)', () => {
  it('auto on a machine without a GPU runs on the CPU and says why, never building or downloading', async () => {
    const calls = use({ supported: [false] }, environment('linux', 'x64', LINUX_ALL));
    const runtime = await selectLlamaRuntime('auto');
    assert.equal(runtime.device, 'cpu');
    assert.equal(runtime.gpuLayers, 0);
    assert.match(
      runtime.note ?? '',
      /^no GPU found: node-llama-cpp detected neither an NVIDIA driver with the CUDA runtime nor a Vulkan driver$/u,
    );
    assert.deepEqual(
      calls.getLlama.map((options) => options.gpu),
      [false],
    );
    for (const options of calls.getLlama) {
      assert.equal(options.build, 'never');
      assert.equal(options.skipDownload, true);
      assert.equal(options.progressLogs, false);
    }
  });

  it('auto takes the GPU node-llama-cpp detects when its binary is installed and loads', async () => {
    const calls = use({ supported: ['cuda', 'vulkan', false] }, environment('linux', 'x64', LINUX_ALL));
    const runtime = await selectLlamaRuntime('auto');
    assert.equal(runtime.device, 'cuda');
    assert.equal(runtime.gpuLayers, 'auto');
    assert.equal(runtime.note, undefined);
    assert.deepEqual(
      calls.getLlama.map((options) => options.gpu),
      ['cuda'],
    );
  });

  it('auto passes over a GPU whose binary is not installed or fails to load, and says so', async () => {
    use(
      { supported: ['cuda', 'vulkan', false], failing: new Map([['cuda', noBinary()]]) },
      environment('linux', 'x64', LINUX_ALL, { '@node-llama-cpp/linux-x64-cuda': 'libcuda.so.1: cannot open shared object file' }),
    );
    const runtime = await selectLlamaRuntime('auto');
    assert.equal(runtime.device, 'vulkan');
    assert.equal(runtime.note, 'the CUDA binary failed to load: libcuda.so.1: cannot open shared object file');

    use({ supported: ['cuda', false] }, environment('linux', 'x64', ['@node-llama-cpp/linux-x64']));
    const cpu = await selectLlamaRuntime('auto');
    assert.equal(cpu.device, 'cpu');
    assert.equal(cpu.note, 'CUDA found, but its binary package @node-llama-cpp/linux-x64-cuda is not installed');
  });

  it('auto falls back to the CPU, with the reason, when the GPU binary fails to load', async () => {
    use(
      { supported: ['vulkan', false], failing: new Map([['vulkan', new Error('vk::createInstance: ErrorIncompatibleDriver')]]) },
      environment('linux', 'x64', LINUX_ALL),
    );
    const runtime = await selectLlamaRuntime('auto');
    assert.equal(runtime.device, 'cpu');
    assert.equal(runtime.gpuLayers, 0);
    assert.equal(runtime.note, 'the Vulkan binary failed to load: vk::createInstance: ErrorIncompatibleDriver');

    // A binary that fails node-llama-cpp's own load test but loads in a child: it found no device.
    use(
      { supported: ['vulkan', false], failing: new Map([['vulkan', noBinary()]]) },
      environment('win32', 'x64', ['@node-llama-cpp/win-x64', '@node-llama-cpp/win-x64-vulkan']),
    );
    const windows = await selectLlamaRuntime('auto');
    assert.equal(windows.device, 'cpu');
    assert.match(
      windows.note ?? '',
      /the Vulkan binary failed to load: it loads, but node-llama-cpp's load test found no usable Vulkan device/u,
    );
  });

  it('an explicit GPU that cannot load fails with an error naming what is missing', async () => {
    use(
      { supported: [false], failing: new Map([['vulkan', noBinary()]]) },
      environment('linux', 'x64', LINUX_ALL, { '@node-llama-cpp/linux-x64-vulkan': 'libvulkan.so.1: cannot open shared object file' }),
    );
    await assert.rejects(selectLlamaRuntime('vulkan'), (error: unknown) => {
      assert.ok(error instanceof LlamaBackendError);
      assert.match(
        error.message,
        /^The GPU choice "vulkan" \(--gpu, spex\.gpu\) cannot be used: node-llama-cpp's prebuilt Vulkan binary \(@node-llama-cpp\/linux-x64-vulkan\) is installed but failed to load: libvulkan\.so\.1: cannot open shared object file\. Vulkan needs/u,
      );
      assert.doesNotMatch(error.message, /\n/u);
      return true;
    });

    use({ supported: ['cuda', false] }, environment('linux', 'x64', ['@node-llama-cpp/linux-x64']));
    await assert.rejects(
      selectLlamaRuntime('cuda'),
      /needs node-llama-cpp's prebuilt CUDA binary, the npm package @node-llama-cpp\/linux-x64-cuda@3\.21\.1, which is not installed next to SPEX\. Install it with "npm install @node-llama-cpp\/linux-x64-cuda@3\.21\.1"/u,
    );
    await assert.rejects(
      selectLlamaRuntime('metal'),
      /"metal" .* cannot be used here: node-llama-cpp 3\.21\.1 has no prebuilt Metal binary for linux-x64/u,
    );

    use({ supported: ['metal'] }, environment('darwin', 'arm64', ['@node-llama-cpp/mac-arm64-metal']));
    await assert.rejects(
      selectLlamaRuntime('cuda'),
      /no prebuilt CUDA binary for darwin-arm64 \(Apple Silicon runs Metal: --gpu metal or auto\)/u,
    );
  });

  it('a failed explicit choice is tried again next time (a driver installed meanwhile counts)', async () => {
    const calls = use(
      { supported: ['vulkan', false], failing: new Map([['vulkan', new Error('no device')]]) },
      environment('linux', 'x64', LINUX_ALL),
    );
    await assert.rejects(selectLlamaRuntime('vulkan'), /failed to load: no device/u);
    await assert.rejects(selectLlamaRuntime('vulkan'), /failed to load: no device/u);
    assert.equal(calls.getLlama.length, 2);
  });

  it('off is the CPU, with no detection; on Apple Silicon it is the Metal binary with no layers offloaded', async () => {
    const calls = use({ supported: ['cuda', false] }, environment('linux', 'x64', LINUX_ALL));
    const cpu = await selectLlamaRuntime('off');
    assert.deepEqual([cpu.device, cpu.gpuLayers, cpu.key, cpu.note], ['cpu', 0, 'cpu', undefined]);
    assert.equal(calls.detect.length, 0);

    const mac = use({ supported: ['metal'] }, environment('darwin', 'arm64', ['@node-llama-cpp/mac-arm64-metal']));
    const off = await selectLlamaRuntime('off');
    assert.deepEqual([off.device, off.gpuLayers, off.key], ['cpu', 0, 'metal-cpu']);
    const auto = await selectLlamaRuntime('auto');
    assert.deepEqual([auto.device, auto.gpuLayers, auto.key], ['metal', 'auto', 'metal']);
    // One Metal binary serves both: node-llama-cpp has no CPU-only build for Apple Silicon.
    assert.equal(auto.llama, off.llama);
    assert.deepEqual(
      mac.getLlama.map((options) => options.gpu),
      ['metal'],
    );
  });
});

describe('loaded models and the GPU choice', () => {
  /** A file that passes the GGUF header checks (the fake module answers the rest). */
  async function ggufFile(): Promise<Awaited<ReturnType<typeof resolveModelFile>>> {
    const file = path.join(scratch, 'model.gguf');
    const header = Buffer.alloc(24);
    header.write('GGUF', 0, 'latin1');
    header.writeUInt32LE(3, 4);
    writeFileSync(file, header);
    return resolveModelFile(file, path.join(scratch, 'no-store'));
  }

  it('never reuses a model loaded on another device: auto and vulkan share one, off loads its own', async () => {
    const calls = use({ supported: ['vulkan', false] }, environment('linux', 'x64', LINUX_ALL));
    const file = await ggufFile();
    const onGpu = await acquireModel(file, 'auto');
    const sameGpu = await acquireModel(file, 'vulkan');
    const onCpu = await acquireModel(file, 'off');
    try {
      assert.equal(sameGpu.loaded, onGpu.loaded);
      assert.notEqual(onCpu.loaded, onGpu.loaded);
      assert.deepEqual(calls.loadModel, [
        { gpu: 'vulkan', gpuLayers: 'auto' },
        { gpu: false, gpuLayers: 0 },
      ]);
      assert.equal(onGpu.loaded.placement.device, 'vulkan');
      assert.equal(onCpu.loaded.placement.device, 'cpu');
    } finally {
      for (const lease of [onGpu, sameGpu, onCpu]) lease.release();
    }
  });

  it('auto on the CPU and off share one model, while each choice keeps its own reason', async () => {
    const calls = use({ supported: [false] }, environment('linux', 'x64', LINUX_ALL));
    const file = await ggufFile();
    const auto = await acquireModel(file, 'auto');
    const off = await acquireModel(file, 'off');
    try {
      assert.equal(auto.loaded, off.loaded);
      assert.equal(calls.loadModel.length, 1);
      // The model's placement says nothing of why: that belongs to the choice (auto's note, off's none).
      assert.equal(auto.loaded.placement.note, undefined);
      assert.match((await selectLlamaRuntime('auto')).note ?? '', /^no GPU found/u);
      assert.equal((await selectLlamaRuntime('off')).note, undefined);
    } finally {
      auto.release();
      off.release();
    }
  });

  it('a model too big for the GPU is offloaded in part, and the report says how much', async () => {
    use({ supported: ['vulkan', false], fits: 12, totalLayers: 32 }, environment('linux', 'x64', LINUX_ALL));
    const lease = await acquireModel(await ggufFile(), 'auto');
    try {
      const { placement, llama } = lease.loaded;
      assert.deepEqual([placement.device, placement.gpuLayers, placement.totalLayers], ['vulkan', 12, 32]);
      assert.equal(
        placement.note,
        "only 12 layers fit in the GPU's free memory (3.0 GB of 8.0 GB free when the model loaded); the rest run on the CPU",
      );
      const memory = new MemoryPeak(llama);
      await memory.sample();
      const device = memory.device(placement, undefined);
      assert.equal(
        describeDevice(device),
        "Vulkan (Fake GPU 8 GB), 12 of 32 layers on the GPU, 4.2 GB of GPU memory and 6.0 GB of RAM; only 12 layers fit in the GPU's free memory (3.0 GB of 8.0 GB free when the model loaded); the rest run on the CPU",
      );
    } finally {
      lease.release();
    }
  });
});

describe('the device in reports', () => {
  const device: ComputeDevice = {
    kind: 'cuda',
    gpus: ['NVIDIA H200'],
    gpuLayers: 6,
    totalLayers: 6,
    vramBytes: 2_100_000,
    ramBytes: 420_000,
  };

  it('describes the CPU and each GPU in one line', () => {
    assert.equal(describeDevice(device), 'CUDA (NVIDIA H200), 6 of 6 layers on the GPU, 2.1 MB of GPU memory and 420 kB of RAM');
    assert.equal(
      describeDevice({ kind: 'cpu', gpus: [], gpuLayers: 0, totalLayers: 6, vramBytes: 0, ramBytes: 1_400_000, note: 'no GPU found: x' }),
      'CPU, 1.4 MB of RAM; no GPU found: x',
    );
    assert.deepEqual([0, 999, 1000, 12_345, 4.2e9, 3e13].map(formatBytes), ['0 bytes', '999 bytes', '1.0 kB', '12 kB', '4.2 GB', '30 TB']);
  });

  it('puts the device in the Markdown and HTML reports of a llama explanation, and nowhere else', () => {
    const explanation = sampleExplanation({ device });
    assert.match(
      formatMarkdown(explanation),
      /^- Device: CUDA \\\(NVIDIA H200\\\), 6 of 6 layers on the GPU, 2\.1 MB of GPU memory and 420 kB of RAM$/mu,
    );
    assert.match(formatHtml(explanation), /device: CUDA \(NVIDIA H200\), 6 of 6 layers on the GPU/u);
    assert.doesNotMatch(formatMarkdown(sampleExplanation()), /Device:/u);
  });
});

describe('--gpu and spex.gpu', () => {
  it('parses --gpu for the llama backend (default auto) and refuses it elsewhere or misspelt', () => {
    const parse = (...args: string[]): ExplainCommand => parseCommandLine(['explain', 'in.txt', ...args]) as ExplainCommand;
    assert.equal(parse('--backend', 'llama').gpu, 'auto');
    assert.equal(parse('--backend', 'llama', '--gpu', 'off').gpu, 'off');
    assert.equal(parse('--backend', 'llama', '--gpu', 'vulkan').gpu, 'vulkan');
    assert.throws(() => parse('--backend', 'llama', '--gpu', 'rocm'), /--gpu must be one of auto, off, metal, cuda, vulkan; got "rocm"/u);
    assert.throws(
      () => parse('--gpu', 'cuda'),
      (error: unknown) => error instanceof UsageError && /--gpu goes with --backend llama/u.test(error.message),
    );
  });

  it('takes the GPU from the options over the spex.gpu setting, auto by default', () => {
    assert.equal(resolveExplainConfig({}, {}).gpu, 'auto');
    assert.equal(resolveExplainConfig({}, { gpu: 'off' }).gpu, 'off');
    assert.equal(resolveExplainConfig({ gpu: 'metal' }, { gpu: 'off' }).gpu, 'metal');
    assert.throws(
      () => resolveExplainConfig({}, { gpu: 'fast' }),
      (error: unknown) => error instanceof ConfigError && /spex\.gpu must be one of auto, off, metal, cuda, vulkan/u.test(error.message),
    );
  });

  it('knows a binary package for every GPU it can run, and one package per platform, architecture and GPU', () => {
    for (const [platform, arch] of [
      ['darwin', 'arm64'],
      ['linux', 'x64'],
      ['win32', 'x64'],
    ] as const) {
      assert.ok(binaryPackageFor(platform, arch, platform === 'darwin' ? 'metal' : false), `${platform}-${arch} has a binary`);
    }
    const keys = BINARY_PACKAGES.map((entry) => `${entry.platform}-${entry.arch}-${String(entry.gpu)}`);
    assert.equal(new Set(keys).size, keys.length);
    // The table is node-llama-cpp's list of binary packages, at the pinned version: none missing, none invented.
    const manifest = JSON.parse(readFileSync(repoPath('node_modules', 'node-llama-cpp', 'package.json'), 'utf8')) as {
      version: string;
      optionalDependencies: Record<string, string>;
    };
    assert.equal(manifest.version, LLAMA_PACKAGE_VERSION);
    assert.deepEqual(allBinaryPackageNames().sort(), Object.keys(manifest.optionalDependencies).sort());
  });
});

describe('the platform packages', () => {
  it('each ships the binaries of its own platform: Metal on Apple Silicon, the CPU build and Vulkan on Linux and Windows, never CUDA', () => {
    const shipped = Object.fromEntries(
      (Object.keys(PLATFORM_TARGETS) as PlatformTarget[]).map((target) => [target, targetPackages(target).map((binary) => binary.name)]),
    );
    assert.deepEqual(shipped, {
      'darwin-arm64': ['@node-llama-cpp/mac-arm64-metal'],
      'linux-x64': ['@node-llama-cpp/linux-x64', '@node-llama-cpp/linux-x64-vulkan'],
      'win32-x64': ['@node-llama-cpp/win-x64', '@node-llama-cpp/win-x64-vulkan'],
    });
    for (const target of Object.keys(PLATFORM_TARGETS) as PlatformTarget[]) {
      for (const binary of targetPackages(target)) assert.equal(`${binary.platform}-${binary.arch}`, target);
    }
    const manifest = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      optionalDependencies: Record<string, string>;
    };
    assert.equal(manifest.scripts['package:platforms'], 'tsx scripts/packagePlatform.ts');
    for (const target of Object.keys(PLATFORM_TARGETS))
      assert.equal(manifest.scripts[`package:${target}`], `tsx scripts/packagePlatform.ts ${target}`);
    assert.equal(manifest.optionalDependencies['node-llama-cpp'], LLAMA_PACKAGE_VERSION);
  });
});
