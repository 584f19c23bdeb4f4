/**
 * Codex's configuration: the `[mcp_servers.spex]` table (and its env sub-table) in config.toml,
 * written or replaced textually so that every other line of the file stays byte for byte as it was.
 */
import { literalEnvironment, referencedVariables, SERVER_NAME, type McpLaunchLine, type MergeOutcome } from './agentLaunch';

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
