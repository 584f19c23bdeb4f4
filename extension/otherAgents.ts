import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

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

/** The name the server is registered under in every agent's configuration. */
export const SERVER_NAME = 'spex';

export type AgentId = 'claudeCode' | 'codex' | 'cursor';

export const OTHER_AGENTS: readonly AgentId[] = ['claudeCode', 'codex', 'cursor'];

export const AGENT_LABELS: Readonly<Record<AgentId, string>> = { claudeCode: 'Claude Code', codex: 'Codex', cursor: 'Cursor' };

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
function literalEnvironment(launch: McpLaunchLine): Record<string, string> {
  const referenced = new Set(referencedVariables(launch));
  return Object.fromEntries(Object.entries(launch.env).filter(([name]) => !referenced.has(name)));
}

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

/** What the file held before: no file, no spex entry, the same entry, or a different one. */
export type EntryState = 'noFile' | 'noEntry' | 'sameEntry' | 'differentEntry';

export type MergeOutcome =
  | { readonly ok: true; readonly text: string; readonly changed: boolean; readonly before: EntryState }
  | { readonly ok: false; readonly reason: string };

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

// ————————————————————————————————————————— TOML for Codex

/** A TOML basic string: backslashes, quotes and control characters escaped, everything else as it is. */
export function tomlString(value: string): string {
  const escapes: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r' };
  // eslint-disable-next-line no-control-regex -- control characters are exactly what TOML forbids unescaped.
  const mustEscape = /["\\\u0000-\u001f\u007f]/gu;
  const escaped = value.replace(mustEscape, (char) => escapes[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `"${escaped}"`;
}

/** A TOML key: bare where TOML allows it, quoted otherwise. */
export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/u.test(key) ? key : tomlString(key);
}

// The keys of [mcp_servers.spex] this command owns: how the server starts. Codex's own per-server
// settings (tool_timeout_sec, enabled, enabled_tools…) that the user added are kept when it is replaced.
const OWNED_CODEX_KEYS = new Set(['command', 'args', 'env', 'env_vars']);

/** The main table's owned keys, as lines. */
function codexOwnedLines(launch: McpLaunchLine): string[] {
  const lines = [`command = ${tomlString(launch.command)}`, 'args = [', ...launch.args.map((arg) => `  ${tomlString(arg)},`), ']'];
  const forwarded = referencedVariables(launch);
  if (forwarded.length > 0) lines.push(`env_vars = [${forwarded.map(tomlString).join(', ')}]`);
  return lines;
}

function codexEnvLines(launch: McpLaunchLine): string[] {
  const env = Object.entries(literalEnvironment(launch));
  if (env.length === 0) return [];
  return ['', `[mcp_servers.${SERVER_NAME}.env]`, ...env.map(([name, value]) => `${tomlKey(name)} = ${tomlString(value)}`)];
}

/** The `[mcp_servers.spex]` table (and its env sub-table), ending with a newline. */
export function codexTables(launch: McpLaunchLine, eol = '\n'): string {
  return [`[mcp_servers.${SERVER_NAME}]`, ...codexOwnedLines(launch), ...codexEnvLines(launch)].join(eol) + eol;
}

interface TomlLine {
  readonly content: string;
  readonly eol: string;
}

type LineKind =
  | { readonly kind: 'header'; readonly path: readonly string[]; readonly arrayTable: boolean }
  | { readonly kind: 'key'; readonly path: readonly string[]; readonly lastLine: number }
  | { readonly kind: 'trivia' }
  | { readonly kind: 'continuation' };

function splitLines(text: string): TomlLine[] {
  return text.split(/(?<=\n)/u).map((line) => {
    const eol = /\r?\n$/u.exec(line)?.[0] ?? '';
    return { content: line.slice(0, line.length - eol.length), eol };
  });
}

const BASIC_ESCAPES: Readonly<Record<string, string>> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\u001b', '"': '"', '\\': '\\' };

/** A dotted key (`a."b c".'d'`) from `start`; its segments and where it ends, or undefined when it is not one. */
function parseDottedKey(text: string, start: number): { path: string[]; end: number } | undefined {
  const path: string[] = [];
  let index = start;
  for (;;) {
    while (text[index] === ' ' || text[index] === '\t') index++;
    const char = text[index];
    if (char === '"') {
      let segment = '';
      index++;
      while (index < text.length && text[index] !== '"') {
        if (text[index] === '\\') {
          const escape = text[index + 1] ?? '';
          const hex = escape === 'u' ? 4 : escape === 'U' ? 8 : 0;
          segment +=
            hex > 0
              ? String.fromCodePoint(parseInt(text.slice(index + 2, index + 2 + hex), 16) || 0xfffd)
              : (BASIC_ESCAPES[escape] ?? escape);
          index += 2 + hex;
        } else segment += text[index++];
      }
      if (text[index] !== '"') return undefined;
      path.push(segment);
      index++;
    } else if (char === "'") {
      const close = text.indexOf("'", index + 1);
      if (close < 0) return undefined;
      path.push(text.slice(index + 1, close));
      index = close + 1;
    } else {
      const bare = /^[A-Za-z0-9_-]+/u.exec(text.slice(index))?.[0];
      if (bare === undefined) return undefined;
      path.push(bare);
      index += bare.length;
    }
    while (text[index] === ' ' || text[index] === '\t') index++;
    if (text[index] !== '.') return { path, end: index };
    index++;
  }
}

interface ValueScan {
  /** Open arrays and inline tables. */
  depth: number;
  /** The delimiter of a multi-line string left open at the end of the line. */
  multiline: '"""' | "'''" | undefined;
}

/** Follows strings, comments and brackets from `start` to the end of one line, so a value's continuation lines are known. */
function scanValue(text: string, start: number, state: ValueScan): void {
  let index = start;
  while (index < text.length) {
    if (state.multiline !== undefined) {
      const delimiter = state.multiline;
      if (delimiter === '"""' && text[index] === '\\') index += 2;
      else if (text.startsWith(delimiter, index)) {
        index += 3;
        // Up to two quotes right before the closing delimiter belong to the string (`""""` ends with a quote).
        for (let extra = 0; extra < 2 && text[index] === delimiter[0]; extra++) index++;
        state.multiline = undefined;
      } else index++;
      continue;
    }
    const char = text[index];
    if (char === '#') return;
    if (text.startsWith('"""', index) || text.startsWith("'''", index)) {
      state.multiline = text.startsWith('"""', index) ? '"""' : "'''";
      index += 3;
    } else if (char === '"') {
      index++;
      while (index < text.length && text[index] !== '"') index += text[index] === '\\' ? 2 : 1;
      index++;
    } else if (char === "'") {
      const close = text.indexOf("'", index + 1);
      index = close < 0 ? text.length : close + 1;
    } else {
      if (char === '[' || char === '{') state.depth++;
      else if (char === ']' || char === '}') state.depth = Math.max(0, state.depth - 1);
      index++;
    }
  }
}

/** Each line's role: a table header, the first line of a key/value pair, a blank or comment line, or the rest of a value. */
function classifyLines(lines: readonly TomlLine[]): LineKind[] | string {
  const kinds: LineKind[] = [];
  const state: ValueScan = { depth: 0, multiline: undefined };
  let open: { index: number; path: string[] } | undefined;
  const close = (lastLine: number): void => {
    if (open) kinds[open.index] = { kind: 'key', path: open.path, lastLine };
    open = undefined;
  };
  for (const [index, { content }] of lines.entries()) {
    if (open) {
      kinds.push({ kind: 'continuation' });
      scanValue(content, 0, state);
      if (state.depth === 0 && state.multiline === undefined) close(index);
      continue;
    }
    const trimmed = content.trimStart();
    const offset = content.length - trimmed.length;
    if (trimmed === '' || trimmed.startsWith('#')) kinds.push({ kind: 'trivia' });
    else if (trimmed.startsWith('[')) {
      const arrayTable = trimmed.startsWith('[[');
      const key = parseDottedKey(content, offset + (arrayTable ? 2 : 1));
      const closing = arrayTable ? ']]' : ']';
      const rest = key === undefined ? '' : content.slice(key.end);
      if (key === undefined || !rest.startsWith(closing) || !/^\s*(#.*)?$/u.test(rest.slice(closing.length))) {
        return `line ${index + 1} is not a table header this command can read`;
      }
      kinds.push({ kind: 'header', path: key.path, arrayTable });
    } else {
      const key = parseDottedKey(content, offset);
      if (key === undefined || content[key.end] !== '=') return `line ${index + 1} is not a key = value line this command can read`;
      kinds.push({ kind: 'key', path: key.path, lastLine: index });
      open = { index, path: key.path };
      scanValue(content, key.end + 1, state);
      if (state.depth === 0 && state.multiline === undefined) close(index);
    }
  }
  if (open) return `the value on line ${open.index + 1} never ends`;
  return kinds;
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((segment, index) => path[index] === segment);
}

interface TomlSection {
  readonly path: readonly string[];
  readonly start: number;
  /** One past the section's last line that is not a blank or comment line. */
  readonly end: number;
}

/**
 * `existingText` (undefined when the file is absent) with `[mcp_servers.spex]` and `[mcp_servers.spex.env]`
 * replaced in place, or appended at the end when there are none. Every line outside those two tables stays
 * byte for byte, including comments and blank lines before the next table; inside the main table, keys
 * other than command/args/env/env_vars (Codex's own settings such as tool_timeout_sec) and its comments are
 * kept after ours. Other `mcp_servers.spex.*` sub-tables (per-tool settings) stay where they are.
 *
 * Limits of this textual approach, which needs no TOML library: it reads headers, dotted keys, strings
 * (multi-line included), arrays and inline tables well enough to find where each table starts and ends, but
 * it does not validate the file. It refuses, rather than guesses, when the server is defined in a form it
 * does not edit (dotted keys such as `spex.command = …` under `[mcp_servers]`, an inline `mcp_servers = {…}`
 * or `spex = {…}`, or an array of tables) and when a line cannot be read; comments between the two replaced
 * tables are dropped.
 */
export function mergeCodexConfig(existingText: string | undefined, launch: McpLaunchLine): MergeOutcome {
  if (existingText === undefined || existingText.trim() === '') {
    return { ok: true, text: codexTables(launch), changed: true, before: existingText === undefined ? 'noFile' : 'noEntry' };
  }
  const refuse = (why: string): MergeOutcome => ({
    ok: false,
    reason: `config.toml was left as it is: ${why}. Add the [mcp_servers.${SERVER_NAME}] table by hand (Show the snippet).`,
  });
  // A byte order mark is set aside so that a table on the first line can be replaced without losing it.
  const bom = existingText.startsWith('\uFEFF') ? '\uFEFF' : '';
  const source = existingText.slice(bom.length);
  const lines = splitLines(source);
  const kinds = classifyLines(lines);
  if (typeof kinds === 'string') return refuse(kinds);

  const spex = ['mcp_servers', SERVER_NAME];
  const sections: TomlSection[] = [];
  let table: readonly string[] = [];
  for (const [index, kind] of kinds.entries()) {
    if (kind.kind === 'header') {
      if (kind.arrayTable && (startsWith(kind.path, spex) || startsWith(spex, kind.path))) {
        return refuse(`line ${index + 1} makes ${kind.path.join('.')} an array of tables`);
      }
      table = kind.path;
      sections.push({ path: kind.path, start: index, end: index + 1 });
    } else if (kind.kind === 'key') {
      const full = [...table, ...kind.path];
      if (!startsWith(table, spex) && (startsWith(full, spex) || startsWith(spex, full))) {
        return refuse(`line ${index + 1} defines ${full.join('.')} as a dotted key or an inline table`);
      }
      const last = sections.at(-1);
      if (last) sections[sections.length - 1] = { ...last, end: kind.lastLine + 1 };
    }
  }

  const isMain = (section: TomlSection): boolean => section.path.length === 2 && startsWith(section.path, spex);
  const isEnv = (section: TomlSection): boolean => section.path.length === 3 && startsWith(section.path, [...spex, 'env']);
  // Runs of adjacent owned sections (main and env, in either order) become one region to replace or remove.
  const regions: { start: number; end: number; main: TomlSection | undefined }[] = [];
  sections.forEach((section, index) => {
    if (!isMain(section) && !isEnv(section)) return;
    const previous = sections[index - 1];
    const region = regions.at(-1);
    if (region && previous && (isMain(previous) || isEnv(previous)) && region.end === previous.end) {
      region.end = section.end;
      region.main ??= isMain(section) ? section : undefined;
    } else regions.push({ start: section.start, end: section.end, main: isMain(section) ? section : undefined });
  });

  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const hadEntry = regions.length > 0;
  const insertion = regions.find((region) => region.main) ?? regions[0];
  // The user's own lines in the main table: every key we do not own, with its continuation lines, and comments.
  const kept: string[] = [];
  const main = insertion?.main;
  if (main) {
    for (let index = main.start + 1; index < main.end; index++) {
      const kind = kinds[index];
      if (kind?.kind === 'key' && OWNED_CODEX_KEYS.has(kind.path[0] ?? '')) index = kind.lastLine;
      else kept.push(lines[index]?.content ?? '');
    }
  }
  const block = [`[mcp_servers.${SERVER_NAME}]`, ...codexOwnedLines(launch), ...kept, ...codexEnvLines(launch)];

  const pieces: string[] = [];
  const removed = new Set<number>();
  for (const region of regions) {
    if (region === insertion) continue;
    // A removed table takes the blank lines above it along, so no gap is left where it was.
    let start = region.start;
    while (start > 0 && kinds[start - 1]?.kind === 'trivia' && lines[start - 1]?.content.trim() === '') start--;
    for (let index = start; index < region.end; index++) removed.add(index);
  }
  let index = 0;
  if (insertion === undefined) {
    // No table yet: a spex sub-table of the user's (per-tool settings) gets ours just before it, otherwise the end of the file.
    const firstSub = sections.find((section) => startsWith(section.path, spex));
    const at = firstSub?.start ?? lines.length;
    for (; index < at; index++) pieces.push(lines[index]!.content + lines[index]!.eol);
    if (firstSub) pieces.push(block.join(eol) + eol + eol);
    else {
      // One blank line between the last table and ours, whatever the file ended with.
      const separator = /\n[ \t]*\r?\n$/u.test(source) ? '' : source.endsWith('\n') ? eol : eol + eol;
      pieces.push(separator + block.join(eol) + eol);
    }
  }
  for (; index < lines.length; index++) {
    if (insertion && index === insertion.start) {
      // The region's last line keeps its own line ending (none at the end of a file without a final newline).
      pieces.push(block.join(eol) + (lines[insertion.end - 1]?.eol === '' ? '' : eol));
      index = insertion.end - 1;
    } else if (!removed.has(index)) pieces.push(lines[index]!.content + lines[index]!.eol);
  }
  const text = bom + pieces.join('');
  const changed = text !== existingText;
  return { ok: true, text, changed, before: !hadEntry ? 'noEntry' : changed ? 'differentEntry' : 'sameEntry' };
}
