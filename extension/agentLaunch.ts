/**
 * The MCP server as agents outside VS Code start it: its command line (the one the editor registers),
 * which environment variables are only ever referenced by name (the API key's), and what merging its
 * entry into an agent's file did. Shared by each agent's format (otherAgents.ts, codexConfig.ts).
 */

/** The name the server is registered under in every agent's configuration. */
export const SERVER_NAME = 'spex';

/** How the editor starts the server: a Node executable, dist/cli.js then `mcp` and its options, and extra environment. */
export interface McpLaunchLine {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * The launch line for agents outside the editor, from what the editor itself runs. The extension host's
 * executable is VS Code's Electron binary, which behaves as Node only with ELECTRON_RUN_AS_NODE set; in a
 * remote or plain Node host the variable is harmless.
 */
export function otherAgentLaunchLine(executablePath: string, cliPath: string, mcpArgs: readonly string[]): McpLaunchLine {
  return { command: executablePath, args: [cliPath, ...mcpArgs], env: { ELECTRON_RUN_AS_NODE: '1' } };
}

// Variables whose names say they hold a credential: their values are never written, only referenced.
const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL/iu;

/**
 * The environment variables the snippets refer to by name instead of by value: the one named by
 * `--api-key-env` (the server reads the key from it) and any variable of the launch environment whose name
 * looks like a credential, in case a caller passed the resolved key along.
 */
export function referencedVariables(launch: McpLaunchLine): string[] {
  const names = new Set<string>();
  launch.args.forEach((arg, index) => {
    const next = launch.args[index + 1];
    if (arg === '--api-key-env' && next !== undefined) names.add(next);
    else if (arg.startsWith('--api-key-env=')) names.add(arg.slice('--api-key-env='.length));
  });
  for (const name of Object.keys(launch.env)) if (SECRET_NAME.test(name)) names.add(name);
  return [...names];
}

/** The launch environment with every referenced variable left out, so that no value of theirs can be written. */
export function literalEnvironment(launch: McpLaunchLine): Record<string, string> {
  const referenced = new Set(referencedVariables(launch));
  return Object.fromEntries(Object.entries(launch.env).filter(([name]) => !referenced.has(name)));
}

/** What the file held before: no file, no spex entry, the same entry, or a different one. */
export type EntryState = 'noFile' | 'noEntry' | 'sameEntry' | 'differentEntry';

export type MergeOutcome =
  | { readonly ok: true; readonly text: string; readonly changed: boolean; readonly before: EntryState }
  | { readonly ok: false; readonly reason: string };
