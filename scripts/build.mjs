// Bundles the four runtimes into dist/ with esbuild. tsc only type-checks (npm run typecheck);
// this script never runs the type checker, so a build is fast enough for --watch.
//   node scripts/build.mjs               development build with source maps
//   node scripts/build.mjs --production  minified, no source maps (what the .vsix ships)
//   node scripts/build.mjs --watch       rebuild on change
import * as esbuild from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));

/** Options every bundle shares. */
const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  logLevel: 'info',
  absWorkingDir: root,
  legalComments: 'none',
  define: { __SPEX_VERSION__: JSON.stringify(version) },
};

/**
 * Node bundles are CommonJS because VS Code loads extensions with require(). node-llama-cpp (the
 * llama backend) stays outside them: it is an optional ES module with a native binary, imported
 * lazily with import() only when a user picks that backend, and shipped only in the platform .vsix.
 */
const nodeBundle = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['node-llama-cpp'],
};

const builds = [
  {
    ...nodeBundle,
    entryPoints: { extension: 'extension/extension.ts' },
    outdir: 'dist',
    external: ['vscode', 'node-llama-cpp'],
  },
  {
    ...nodeBundle,
    entryPoints: { server: 'server/server.ts' },
    outdir: 'dist',
  },
  {
    // The recovery worker thread that the server and the CLI start beside themselves (see server/engine/recoveryThread.ts).
    ...nodeBundle,
    entryPoints: { recoveryWorker: 'server/engine/recoveryWorker.ts' },
    outdir: 'dist',
  },
  {
    ...nodeBundle,
    entryPoints: { cli: 'server/cli.ts' },
    outdir: 'dist',
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    // The editor's panels, and the same explanation panel as an MCP App view for agents' chats (inlined into one page by server/mcp/viewHtml.ts).
    entryPoints: { webview: 'webview/main.ts', mcpView: 'webview/mcp/mcpView.ts' },
    outdir: 'dist',
  },
];

if (!watch) await rm(path.join(root, 'dist'), { recursive: true, force: true });

if (watch) {
  const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
  await Promise.all(contexts.map((context) => context.watch()));
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
