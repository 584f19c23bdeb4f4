import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LLAMA_PACKAGE_VERSION } from '../../server/backends/llama/binaryPackages';
import { PLATFORM_TARGETS, targetPackages, type PlatformTarget } from '../../scripts/packagePlatform';
import { freshCheckout } from '../helpers/freshCheckout';
import { repoPath } from '../helpers/paths';
import { runCli } from '../helpers/runCli';
import { zipEntries, type ZipEntry } from '../helpers/zipEntries';
import { STORY, TINY_MODEL_PATH, tinyModelSkip } from '../llama/tinyModel';

/** Files a platform loads natively: Node addons and shared libraries (ggml's CPU and GPU backends are .so files on macOS too). */
const NATIVE = /\.(node|so|dylib|dll)$/u;
/** Shared libraries by the operating system that loads them. */
const FOREIGN_LIBRARIES: Record<PlatformTarget, RegExp> = {
  'darwin-arm64': /\.dll$/u,
  'linux-x64': /\.(dll|dylib)$/u,
  'win32-x64': /\.(so|dylib)$/u,
};
const BINARY_PACKAGE = /^extension\/node_modules\/(@node-llama-cpp\/[^/]+)\//u;

/** The files the neutral package allows (.vscodeignore's `!` lines), as vsce names them inside a .vsix. */
function neutralFiles(): string[] {
  const renamed: Record<string, string> = { 'README.md': 'readme.md', 'CHANGELOG.md': 'changelog.md', LICENSE: 'LICENSE.txt' };
  return readFileSync(repoPath('.vscodeignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('!'))
    .map((line) => `extension/${renamed[line.slice(1)] ?? line.slice(1)}`);
}

describe('the platform .vsix files (npm run package:platforms)', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'spex-platform-vsix-'));
  const packages = new Map<PlatformTarget, ZipEntry[]>();
  const sizes = new Map<PlatformTarget, number>();
  const targets = Object.keys(PLATFORM_TARGETS) as PlatformTarget[];

  before(async () => {
    const checkout = freshCheckout(scratch);
    // The binary packages' npm tarballs are kept in this checkout's out/, so that runs after the first fetch nothing.
    const result = spawnSync('npm', ['run', 'package:platforms'], {
      cwd: checkout,
      encoding: 'utf8',
      env: { ...process.env, SPEX_NPM_BINARIES: repoPath('out', 'npm-binaries') },
      shell: process.platform === 'win32',
    });
    assert.equal(result.status, 0, `npm run package:platforms failed on a fresh checkout:\n${result.stdout}\n${result.stderr}`);
    for (const target of targets) {
      const vsix = path.join(checkout, 'out', `spex-explain-${target}.vsix`);
      packages.set(target, await zipEntries(vsix));
      sizes.set(target, statSync(vsix).size);
    }
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  const entriesOf = (target: PlatformTarget): ZipEntry[] => packages.get(target) ?? [];
  const text = (target: PlatformTarget, name: string): string =>
    entriesOf(target)
      .find((entry) => entry.name === name)
      ?.content()
      .toString('utf8') ?? '';

  for (const target of targets) {
    it(`${target}: ships its own llama.cpp binaries and no other platform's`, (t) => {
      const names = entriesOf(target).map((entry) => entry.name);
      const own = targetPackages(target);
      const native = names.filter((name) => NATIVE.test(name));
      t.diagnostic(`spex-explain-${target}.vsix: ${((sizes.get(target) ?? 0) / 1e6).toFixed(1)} MB; ${native.length} native files:`);
      for (const name of native) t.diagnostic(`  ${name.slice('extension/node_modules/'.length)}`);
      // Every native file lies in one of the target's own binary packages, in the folder node-llama-cpp loads it from.
      const homes = own.map((binary) => `extension/node_modules/${binary.name}/bins/${binary.folder}/`);
      assert.deepEqual(
        native.filter((name) => !homes.some((home) => name.startsWith(home))),
        [],
      );
      assert.deepEqual(
        native.filter((name) => FOREIGN_LIBRARIES[target].test(name)),
        [],
      );
      // No file of another binary package, whatever its kind.
      const shipped = new Set(names.flatMap((name) => BINARY_PACKAGE.exec(name)?.[1] ?? []));
      assert.deepEqual([...shipped].sort(), own.map((binary) => binary.name).sort());
      for (const binary of own) {
        for (const file of ['llama-addon.node', '_nlcBuildMetadata.json']) {
          assert.ok(names.includes(`extension/node_modules/${binary.name}/bins/${binary.folder}/${file}`), `${binary.name} ships ${file}`);
        }
        const manifest = JSON.parse(text(target, `extension/node_modules/${binary.name}/package.json`)) as { version?: string };
        assert.equal(manifest.version, LLAMA_PACKAGE_VERSION);
      }
      // Windows import libraries are for linking against the addon, never for running it.
      assert.deepEqual(
        names.filter((name) => /\.(lib|exp)$/u.test(name)),
        [],
      );
    });

    it(`${target}: is the neutral package plus node-llama-cpp, for that target`, () => {
      const names = entriesOf(target).map((entry) => entry.name);
      for (const file of neutralFiles()) assert.ok(names.includes(file), `${target} ships ${file}`);
      assert.match(text(target, 'extension.vsixmanifest'), new RegExp(`TargetPlatform="${target}"`, 'u'));
      assert.ok(names.includes('extension/node_modules/node-llama-cpp/dist/index.js'));
      assert.ok(!names.some((name) => name.endsWith('gitRelease.bundle')), "llama.cpp's source bundle only builds from source");
      const manifest = JSON.parse(text(target, 'extension/package.json')) as {
        main?: string;
        scripts?: unknown;
        dependencies?: unknown;
        optionalDependencies?: Record<string, string>;
      };
      assert.equal(manifest.main, './dist/extension.js');
      assert.equal(manifest.optionalDependencies?.['node-llama-cpp'], LLAMA_PACKAGE_VERSION);
      assert.equal(manifest.scripts, undefined, "the checkout's scripts are not the installed extension's");
      // Everything else node-llama-cpp needs at run time is inside, and nothing is only for development.
      for (const name of names) assert.doesNotMatch(name, /^extension\/node_modules\/(typescript|@vscode\/vsce|esbuild|tsx)\//u);
    });
  }

  it(
    'the linux-x64 package runs the llama backend from its own node_modules: the CPU, with the reason, where no GPU is found',
    { skip: process.platform !== 'linux' || process.arch !== 'x64' ? 'runs only on linux-x64' : tinyModelSkip() },
    async () => {
      const installed = path.join(scratch, 'installed');
      for (const entry of entriesOf('linux-x64')) {
        if (!entry.name.startsWith('extension/')) continue;
        const file = path.join(installed, entry.name.slice('extension/'.length));
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, entry.content());
      }
      const result = await runCli(
        ['explain', '-', '--backend', 'llama', '--model', TINY_MODEL_PATH, '--no-cache', '--budget', '18', '--format', 'json'],
        {
          input: STORY,
          cliPath: path.join(installed, 'dist', 'cli.js'),
          cwd: installed,
        },
      );
      assert.equal(result.code, 0, result.stderr);
      const device = (JSON.parse(result.stdout) as { device?: { kind: string; totalLayers: number } }).device;
      assert.equal(device?.totalLayers, 6);
      assert.match(result.stderr, /spex: llama on (CPU|CUDA|Vulkan)/u);
    },
  );
});
