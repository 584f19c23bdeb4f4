import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  referencedVariables,
  literalEnvironment,
  SERVER_NAME,
  type JsonObject,
  type McpLaunchLine,
  type MergeOutcome,
} from './agentLaunch';
import { codexTables, mergeCodexConfig } from './codexConfig';

export { otherAgentLaunchLine, SERVER_NAME, type McpLaunchLine, type MergeOutcome, type EntryState } from './agentLaunch';

/*
 * The configuration that lets agents outside VS Code (Claude Code, Codex, Cursor) start the bundled MCP
 * server with the same command line the editor registers. Everything here is pure text in, text out, so
 * that the rules that matter (never write a key, never clobber a file we cannot read, touch nothing but
 * our own entry) are checked by unit tests rather than by hand.
 *
 * How each agent reads its file (checked against their documentation and source):
 * - Claude Code: `.mcp.json` at the project root, `{ "mcpServers": { name: { type, command, args, env } } }`;
 *   `${VAR}` is expanded in command, args and env, so the key is referenced, never stored. User scope lives
 *   in ~/.claude.json, which Claude Code manages itself: we hand the user `claude mcp add-json` instead.
 * - Codex: `[mcp_servers.<name>]` tables in `$CODEX_HOME/config.toml` (default ~/.codex). A stdio server
 *   sees only a short allowlist of the parent's variables (HOME, PATH…) plus `env` (literal values) and
 *   the names in `env_vars`, which Codex forwards from its own environment: the key goes through `env_vars`.
 * - Cursor: `.cursor/mcp.json` in the project or `~/.cursor/mcp.json`, the same `mcpServers` shape without
 *   `type`; `${env:NAME}` is expanded, so the key is referenced that way.
 */

export type AgentId = 'claudeCode' | 'codex' | 'cursor';

export const OTHER_AGENTS: readonly AgentId[] = ['claudeCode', 'codex', 'cursor'];

export const AGENT_LABELS: Readonly<Record<AgentId, string>> = { claudeCode: 'Claude Code', codex: 'Codex', cursor: 'Cursor' };

/** The literal variables plus each referenced one as `reference(name)`, or nothing when there are none. */
function jsonEnvironment(launch: McpLaunchLine, reference: (name: string) => string): JsonObject | undefined {
  const env: JsonObject = { ...literalEnvironment(launch) };
  for (const name of referencedVariables(launch)) env[name] = reference(name);
  return Object.keys(env).length > 0 ? env : undefined;
}

/** Claude Code's server entry (project .mcp.json and `claude mcp add-json`); the key as `${NAME}`, which Claude Code expands. */
export function claudeCodeEntry(launch: McpLaunchLine): JsonObject {
  const env = jsonEnvironment(launch, (name) => `\${${name}}`);
  return { type: 'stdio', command: launch.command, args: [...launch.args], ...(env ? { env } : {}) };
}

/** Cursor's server entry (.cursor/mcp.json); the key as `${env:NAME}`, which Cursor expands. */
export function cursorEntry(launch: McpLaunchLine): JsonObject {
  const env = jsonEnvironment(launch, (name) => `\${env:${name}}`);
  return { command: launch.command, args: [...launch.args], ...(env ? { env } : {}) };
}

// ————————————————————————————————————————— where each agent looks

export interface AgentLocations {
  /** The first workspace folder's path; project files need one. */
  readonly workspaceFolder: string | undefined;
  readonly homeDirectory: string;
  /** `$CODEX_HOME` where set: Codex reads its config.toml from there instead of ~/.codex. */
  readonly codexHome?: string | undefined;
}

export type ConfigFormat = 'json' | 'toml';

export interface ConfigTarget {
  readonly agent: AgentId;
  /** `project` files belong to the workspace (and are often committed); `user` files to this machine's account. */
  readonly scope: 'project' | 'user';
  readonly path: string;
  readonly format: ConfigFormat;
}

/**
 * The files this command may write for an agent, the preferred one first. Claude Code's user scope is
 * ~/.claude.json, a file Claude Code keeps its own state in: it gets the `claude mcp add-json` command
 * instead, so without a workspace folder Claude Code has no file here.
 */
export function configTargets(agent: AgentId, locations: AgentLocations): ConfigTarget[] {
  const workspace = locations.workspaceFolder;
  switch (agent) {
    case 'claudeCode':
      return workspace === undefined ? [] : [{ agent, scope: 'project', path: join(workspace, '.mcp.json'), format: 'json' }];
    case 'codex': {
      // An empty CODEX_HOME is taken as unset rather than as the current directory.
      const codexHome = locations.codexHome || join(locations.homeDirectory, '.codex');
      return [{ agent, scope: 'user', path: join(codexHome, 'config.toml'), format: 'toml' }];
    }
    case 'cursor': {
      const user: ConfigTarget = { agent, scope: 'user', path: join(locations.homeDirectory, '.cursor', 'mcp.json'), format: 'json' };
      return workspace === undefined
        ? [user]
        : [{ agent, scope: 'project', path: join(workspace, '.cursor', 'mcp.json'), format: 'json' }, user];
    }
  }
}

// ————————————————————————————————————————— snippets a person can read or paste

export interface Snippet {
  /** The VS Code language id to show it in. */
  readonly language: ConfigFormat;
  readonly text: string;
}

/** What to add by hand: a whole JSON file for Claude Code and Cursor, the TOML tables for Codex. */
export function agentSnippet(agent: AgentId, launch: McpLaunchLine): Snippet {
  if (agent === 'codex') return { language: 'toml', text: codexTables(launch, '\n') };
  const entry = agent === 'claudeCode' ? claudeCodeEntry(launch) : cursorEntry(launch);
  return { language: 'json', text: `${JSON.stringify({ mcpServers: { [SERVER_NAME]: entry } }, null, 2)}\n` };
}

export type ShellKind = 'posix' | 'powershell';

// Arguments made only of these characters mean the same unquoted in every POSIX shell.
const SHELL_SAFE = /^[A-Za-z0-9_\-+=.,/:@%]+$/u;

/** One argument for sh, bash or zsh: single quotes keep everything literal, `$` included, and a quote is closed, escaped and reopened. */
export function quotePosix(argument: string): string {
  return SHELL_SAFE.test(argument) ? argument : `'${argument.replaceAll("'", `'\\''`)}'`;
}

/** One argument for PowerShell: single quotes are literal there too, a quote (any of the four it accepts) doubled. */
export function quotePowerShell(argument: string): string {
  return SHELL_SAFE.test(argument) ? argument : `'${argument.replace(/['\u2018\u2019\u201a\u201b]/gu, (quote) => quote + quote)}'`;
}

/**
 * `claude mcp add-json` for Claude Code's user scope (~/.claude.json, every project). The options come
 * before the name, which is where every version of the command takes them. The JSON is single-quoted, so
 * the shell leaves `${SPEX_API_KEY}` for Claude Code to expand when it starts the server.
 */
export function claudeAddJsonCommand(launch: McpLaunchLine, shell: ShellKind = 'posix'): string {
  const quote = shell === 'posix' ? quotePosix : quotePowerShell;
  return ['claude', 'mcp', 'add-json', '--scope', 'user', SERVER_NAME, JSON.stringify(claudeCodeEntry(launch))].map(quote).join(' ');
}

/** What the user still has to do by hand for an agent, in sentences for a message. */
export function setupNotes(agent: AgentId, launch: McpLaunchLine): string[] {
  const notes = referencedVariables(launch).map((name) => {
    switch (agent) {
      case 'claudeCode':
        return `The entry refers to \${${name}} and holds no key: export ${name} in the shell you start Claude Code from.`;
      case 'codex':
        return `Codex forwards ${name} from its own environment (env_vars) and the file holds no key: export ${name} in the shell you start Codex from.`;
      case 'cursor':
        return `The entry refers to \${env:${name}} and holds no key: set ${name} in the environment Cursor starts with.`;
    }
  });
  // The extension's folder name carries its version, so an update moves dist/cli.js.
  notes.push('The entry names this installation of SPEX by its full path: run this command again after SPEX updates.');
  return notes;
}

// ————————————————————————————————————————— merging into existing files

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `existingText` (undefined when the file is absent) with `mcpServers.spex` set to `entry`, every other
 * key kept in its place. The file is rewritten with JSON.stringify in its own indentation (2 spaces when
 * none can be seen), so other entries keep their values but not necessarily their exact layout; an
 * identical entry leaves the text exactly as it was. A file that is not a JSON object (comments and
 * trailing commas included) is refused rather than overwritten.
 */
export function mergeJsonConfig(existingText: string | undefined, entry: JsonObject, fileName = 'The file'): MergeOutcome {
  if (existingText === undefined || existingText.trim() === '') {
    const text = `${JSON.stringify({ mcpServers: { [SERVER_NAME]: entry } }, null, 2)}\n`;
    return { ok: true, text, changed: true, before: existingText === undefined ? 'noFile' : 'noEntry' };
  }
  const bom = existingText.startsWith('\uFEFF') ? '\uFEFF' : '';
  let root: unknown;
  try {
    root = JSON.parse(existingText.slice(bom.length));
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      reason: `${fileName} is not valid JSON (${detail}), so it was left as it is. Fix it, or add the "${SERVER_NAME}" entry by hand.`,
    };
  }
  if (!isJsonObject(root)) return { ok: false, reason: `${fileName} does not hold a JSON object, so it was left as it is.` };
  const servers = root.mcpServers ?? {};
  if (!isJsonObject(servers))
    return { ok: false, reason: `${fileName} has an "mcpServers" that is not an object, so it was left as it is.` };
  const previous = servers[SERVER_NAME];
  if (previous !== undefined && isDeepStrictEqual(previous, entry))
    return { ok: true, text: existingText, changed: false, before: 'sameEntry' };
  servers[SERVER_NAME] = entry;
  root.mcpServers = servers;
  const indent = /^[{[][ \t]*\r?\n([ \t]+)\S/u.exec(existingText.slice(bom.length))?.[1] ?? 2;
  const eol = existingText.includes('\r\n') ? '\r\n' : '\n';
  const body = JSON.stringify(root, null, indent).replaceAll('\n', eol);
  const text = `${bom}${body}${/\r?\n$/u.test(existingText) ? eol : ''}`;
  return { ok: true, text, changed: true, before: previous === undefined ? 'noEntry' : 'differentEntry' };
}

/** Merges the agent's entry into the target file's text. */
export function mergeForTarget(target: ConfigTarget, launch: McpLaunchLine, existingText: string | undefined): MergeOutcome {
  if (target.format === 'toml') return mergeCodexConfig(existingText, launch);
  const entry = target.agent === 'claudeCode' ? claudeCodeEntry(launch) : cursorEntry(launch);
  return mergeJsonConfig(existingText, entry, target.path);
}

export interface TargetPlan {
  readonly target: ConfigTarget;
  readonly exists: boolean;
  /** Whether the file already has a spex entry. */
  readonly hasEntry: boolean;
  /** Whether writing would change the file (an absent file always would). */
  readonly differs: boolean;
  /** Why the file will not be written (it cannot be read safely), if it won't. */
  readonly refusal?: string;
}

/** What writing a target would do, for the quick picks and the confirmation. */
export function planTarget(target: ConfigTarget, launch: McpLaunchLine, existingText: string | undefined): TargetPlan {
  const exists = existingText !== undefined;
  const outcome = mergeForTarget(target, launch, existingText);
  if (!outcome.ok) return { target, exists, hasEntry: false, differs: false, refusal: outcome.reason };
  const hasEntry = outcome.before === 'sameEntry' || outcome.before === 'differentEntry';
  return { target, exists, hasEntry, differs: outcome.changed };
}
