/**
 * node-llama-cpp's prebuilt llama.cpp binaries: one optional npm package per platform, CPU
 * architecture and GPU API (the optionalDependencies of node-llama-cpp 3.21.1). node-llama-cpp
 * picks the package for the GPU it is asked for; this table lets SPEX name the package a choice
 * needs when it is missing, and lets the packaging script ship exactly one platform's packages.
 * No imports: the packaging script and the tests read it too.
 */

/** The node-llama-cpp version SPEX is built and tested against (package.json pins it); its binary packages share it. */
export const LLAMA_PACKAGE_VERSION = '3.21.1';

/** A GPU API of a prebuilt binary, or false for the CPU-only build (node-llama-cpp's LlamaGpuType). */
export type BinaryGpu = 'metal' | 'cuda' | 'vulkan' | false;

export interface BinaryPackage {
  /** The npm package name, e.g. @node-llama-cpp/linux-x64-vulkan. */
  readonly name: string;
  /** Node's process.platform and process.arch of the machines it runs on. */
  readonly platform: 'darwin' | 'linux' | 'win32';
  readonly arch: 'arm64' | 'x64' | 'arm' | 'riscv64';
  readonly gpu: BinaryGpu;
  /** The folder under bins/ that holds llama-addon.node and its libraries. */
  readonly folder: string;
  /** A second package with more of the same binary (CUDA's fallback kernels), used when installed. */
  readonly extension?: string;
}

export const BINARY_PACKAGES: readonly BinaryPackage[] = [
  { name: '@node-llama-cpp/mac-arm64-metal', platform: 'darwin', arch: 'arm64', gpu: 'metal', folder: 'mac-arm64-metal' },
  { name: '@node-llama-cpp/mac-x64', platform: 'darwin', arch: 'x64', gpu: false, folder: 'mac-x64' },
  { name: '@node-llama-cpp/linux-x64', platform: 'linux', arch: 'x64', gpu: false, folder: 'linux-x64' },
  { name: '@node-llama-cpp/linux-x64-vulkan', platform: 'linux', arch: 'x64', gpu: 'vulkan', folder: 'linux-x64-vulkan' },
  {
    name: '@node-llama-cpp/linux-x64-cuda',
    platform: 'linux',
    arch: 'x64',
    gpu: 'cuda',
    folder: 'linux-x64-cuda',
    extension: '@node-llama-cpp/linux-x64-cuda-ext',
  },
  { name: '@node-llama-cpp/linux-arm64', platform: 'linux', arch: 'arm64', gpu: false, folder: 'linux-arm64' },
  { name: '@node-llama-cpp/linux-armv7l', platform: 'linux', arch: 'arm', gpu: false, folder: 'linux-armv7l' },
  { name: '@node-llama-cpp/linux-riscv64', platform: 'linux', arch: 'riscv64', gpu: false, folder: 'linux-riscv64' },
  { name: '@node-llama-cpp/win-x64', platform: 'win32', arch: 'x64', gpu: false, folder: 'win-x64' },
  { name: '@node-llama-cpp/win-x64-vulkan', platform: 'win32', arch: 'x64', gpu: 'vulkan', folder: 'win-x64-vulkan' },
  {
    name: '@node-llama-cpp/win-x64-cuda',
    platform: 'win32',
    arch: 'x64',
    gpu: 'cuda',
    folder: 'win-x64-cuda',
    extension: '@node-llama-cpp/win-x64-cuda-ext',
  },
  { name: '@node-llama-cpp/win-arm64', platform: 'win32', arch: 'arm64', gpu: false, folder: 'win-arm64' },
];

/** The prebuilt binary package for a platform, architecture and GPU API, where node-llama-cpp has one. */
export function binaryPackageFor(platform: string, arch: string, gpu: BinaryGpu): BinaryPackage | undefined {
  return BINARY_PACKAGES.find((entry) => entry.platform === platform && entry.arch === arch && entry.gpu === gpu);
}

/** Every package name, companions included: a file under one of these belongs to exactly one platform. */
export function allBinaryPackageNames(): string[] {
  return BINARY_PACKAGES.flatMap((entry) => (entry.extension ? [entry.name, entry.extension] : [entry.name]));
}
