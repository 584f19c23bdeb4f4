import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  agentSnippet,
  claudeAddJsonCommand,
  claudeCodeEntry,
  configTargets,
  cursorEntry,
  mergeForTarget,
  mergeJsonConfig,
  otherAgentLaunchLine,
  planTarget,
  quotePowerShell,
  setupNotes,
  type McpLaunchLine,
} from '../../extension/otherAgents';
import { codexTables, mergeCodexConfig, tomlString } from '../../extension/codexConfig';
import { mcpArguments } from '../../extension/mcpArguments';
import { DEFAULT_SETTINGS } from '../../extension/settings';

const FAKE_KEY = 'sk-proj-THIS-IS-A-FAKE-KEY-1234567890abcdef';

/** What the editor would hand the command for a user with an API key, with the resolved key wrongly passed along too. */
function launchWithKey(): McpLaunchLine {
  const args = mcpArguments(
    { ...DEFAULT_SETTINGS, backend: 'openai', endpoint: 'https://api.example.com/v1', model: "o'brien" },
    '/home/me/.cache/spex',
    true,
  );
  const line = otherAgentLaunchLine('/usr/share/code/code', '/home/me/.vscode/extensions/spex-tools.spex-explain-0.1.0/dist/cli.js', args);
  return { ...line, env: { ...line.env, SPEX_API_KEY: FAKE_KEY } };
}

const plainLaunch: McpLaunchLine = { command: '/usr/bin/node', args: ['/opt/spex/dist/cli.js', 'mcp', '--quiet'], env: {} };

/** Splits a POSIX shell command line the way sh does for quotes and backslashes (no expansions). */
function splitPosix(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!;
    if (char === "'") {
      const close = line.indexOf("'", index + 1);
      assert.ok(close > 0, 'unterminated single quote');
      word = (word ?? '') + line.slice(index + 1, close);
      index = close;
    } else if (char === '\\') word = (word ?? '') + line[++index];
    else if (char === '"') throw new Error('the command uses only single quotes');
    else if (char === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + char;
  }
  if (word !== undefined) words.push(word);
  return words;
}

describe('the entries written for other agents', () => {
  it('reference the API key variable and never hold its value', () => {
    const launch = launchWithKey();
    const outputs = [
      JSON.stringify(claudeCodeEntry(launch)),
      JSON.stringify(cursorEntry(launch)),
      codexTables(launch),
      claudeAddJsonCommand(launch),
      claudeAddJsonCommand(launch, 'powershell'),
      ...(['claudeCode', 'codex', 'cursor'] as const).flatMap((agent) => [agentSnippet(agent, launch).text, ...setupNotes(agent, launch)]),
      JSON.stringify(mergeJsonConfig('{"mcpServers":{}}', claudeCodeEntry(launch))),
      JSON.stringify(mergeCodexConfig('[features]\nx = 1\n', launch)),
    ];
    for (const output of outputs) assert.ok(!output.includes(FAKE_KEY), `the key leaked into: ${output.slice(0, 80)}`);
    assert.deepEqual((claudeCodeEntry(launch).env as Record<string, string>).SPEX_API_KEY, '${SPEX_API_KEY}');
    assert.deepEqual((cursorEntry(launch).env as Record<string, string>).SPEX_API_KEY, '${env:SPEX_API_KEY}');
    assert.match(codexTables(launch), /^env_vars = \["SPEX_API_KEY"\]$/mu);
    assert.doesNotMatch(codexTables(launch), /^SPEX_API_KEY =/mu);
    // VS Code's Electron binary runs as Node only with this variable.
    assert.equal((claudeCodeEntry(launch).env as Record<string, string>).ELECTRON_RUN_AS_NODE, '1');
  });

  it('keep the args exactly as the editor starts the server', () => {
    const launch = launchWithKey();
    assert.deepEqual(claudeCodeEntry(launch).args, launch.args);
    assert.equal(launch.args[1], 'mcp');
    assert.deepEqual(launch.args.slice(-2), ['--api-key-env', 'SPEX_API_KEY']);
    assert.deepEqual(cursorEntry(plainLaunch), { command: '/usr/bin/node', args: ['/opt/spex/dist/cli.js', 'mcp', '--quiet'] });
  });

  it('give a claude mcp add-json command that a POSIX shell splits back into the entry', () => {
    const launch = launchWithKey();
    const words = splitPosix(claudeAddJsonCommand(launch));
    assert.deepEqual(words.slice(0, 6), ['claude', 'mcp', 'add-json', '--scope', 'user', 'spex']);
    assert.equal(words.length, 7);
    assert.deepEqual(JSON.parse(words[6]!), claudeCodeEntry(launch));
    assert.equal(
      claudeAddJsonCommand(plainLaunch),
      `claude mcp add-json --scope user spex '{"type":"stdio","command":"/usr/bin/node","args":["/opt/spex/dist/cli.js","mcp","--quiet"]}'`,
    );
    assert.equal(quotePowerShell("it's"), "'it''s'");
  });

  it('live where each agent looks', () => {
    const locations = { workspaceFolder: '/work/project', homeDirectory: '/home/me' };
    assert.deepEqual(
      configTargets('claudeCode', locations).map((target) => target.path),
      ['/work/project/.mcp.json'],
    );
    assert.deepEqual(configTargets('claudeCode', { ...locations, workspaceFolder: undefined }), []);
    assert.deepEqual(
      configTargets('codex', locations).map((target) => target.path),
      ['/home/me/.codex/config.toml'],
    );
    assert.deepEqual(
      configTargets('codex', { ...locations, codexHome: '/srv/codex' }).map((target) => target.path),
      ['/srv/codex/config.toml'],
    );
    assert.deepEqual(
      configTargets('cursor', locations).map((target) => [target.scope, target.path]),
      [
        ['project', '/work/project/.cursor/mcp.json'],
        ['user', '/home/me/.cursor/mcp.json'],
      ],
    );
  });
});

describe('merging into a JSON configuration', () => {
  const entry = claudeCodeEntry(plainLaunch);

  it('creates the file when there is none', () => {
    const outcome = mergeJsonConfig(undefined, entry);
    assert.ok(outcome.ok);
    assert.equal(outcome.before, 'noFile');
    assert.ok(outcome.changed);
    assert.deepEqual(JSON.parse(outcome.text), { mcpServers: { spex: entry } });
    assert.ok(outcome.text.endsWith('}\n'));
    assert.ok(outcome.text.includes('\n  "mcpServers": {\n    "spex": {'));
  });

  it('keeps every other server and key exactly', () => {
    const other = { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], env: { DEBUG: '1' } };
    const existing = { $schema: 'x', mcpServers: { memory: other, zeta: { url: 'https://z' } }, inputs: [1, 2] };
    const outcome = mergeJsonConfig(JSON.stringify(existing, null, 2), entry);
    assert.ok(outcome.ok);
    assert.equal(outcome.before, 'noEntry');
    const merged = JSON.parse(outcome.text) as typeof existing & { mcpServers: Record<string, unknown> };
    assert.deepEqual(merged, { ...existing, mcpServers: { ...existing.mcpServers, spex: entry } });
    assert.deepEqual(Object.keys(merged), ['$schema', 'mcpServers', 'inputs']);
  });

  it('replaces an old spex entry in its place and keeps the file’s indentation', () => {
    const existing =
      '{\n    "mcpServers": {\n        "a": {"command": "a"},\n        "spex": {"command": "old"},\n        "b": {"command": "b"}\n    }\n}\n';
    const outcome = mergeJsonConfig(existing, entry);
    assert.ok(outcome.ok);
    assert.equal(outcome.before, 'differentEntry');
    const servers = (JSON.parse(outcome.text) as { mcpServers: Record<string, unknown> }).mcpServers;
    assert.deepEqual(Object.keys(servers), ['a', 'spex', 'b']);
    assert.deepEqual(servers.spex, entry);
    assert.ok(outcome.text.startsWith('{\n    "mcpServers": {\n        "a": {'));
  });

  it('reports an identical entry as unchanged and leaves the text as it was', () => {
    const first = mergeJsonConfig(undefined, entry);
    assert.ok(first.ok);
    const second = mergeJsonConfig(first.text, entry);
    assert.deepEqual(second, { ok: true, text: first.text, changed: false, before: 'sameEntry' });
    // The same entry with its keys in another order, in a file laid out by hand, is still the same entry.
    const handwritten = `{"mcpServers": {"spex": ${JSON.stringify({ args: entry.args, command: entry.command, type: 'stdio' })}}}`;
    const third = mergeJsonConfig(handwritten, entry);
    assert.ok(third.ok && !third.changed && third.text === handwritten);
  });

  it('keeps a byte order mark and CRLF line endings', () => {
    const outcome = mergeJsonConfig('\uFEFF{\r\n  "mcpServers": {}\r\n}\r\n', entry);
    assert.ok(outcome.ok);
    assert.ok(outcome.text.startsWith('\uFEFF{\r\n  "mcpServers": {\r\n    "spex": {'));
    assert.ok(outcome.text.endsWith('}\r\n') && !/[^\r]\n/u.test(outcome.text));
    const toml = mergeCodexConfig('\uFEFF[mcp_servers.spex]\ncommand = "old"\n', plainLaunch);
    assert.ok(toml.ok);
    assert.equal(toml.text, `\uFEFF${codexTables(plainLaunch)}`);
  });

  it('refuses a file that is not valid JSON, or not an object of servers', () => {
    for (const text of ['{ "mcpServers": { // a comment\n } }', '{"mcpServers": {},}', '[1, 2]', '{"mcpServers": []}']) {
      const outcome = mergeJsonConfig(text, entry, '/work/project/.mcp.json');
      assert.equal(outcome.ok, false, text);
      if (!outcome.ok) assert.match(outcome.reason, /left as it is/u);
    }
    const plan = planTarget({ agent: 'cursor', scope: 'project', path: '/p/.cursor/mcp.json', format: 'json' }, plainLaunch, '{oops');
    assert.equal(plan.exists, true);
    assert.ok(plan.refusal?.includes('not valid JSON'));
  });

  it('describes the plan for each state of the file', () => {
    const target = { agent: 'claudeCode', scope: 'project', path: '/p/.mcp.json', format: 'json' } as const;
    assert.deepEqual(planTarget(target, plainLaunch, undefined), { target, exists: false, hasEntry: false, differs: true });
    assert.deepEqual(planTarget(target, plainLaunch, '{"mcpServers": {"x": {}}}'), {
      target,
      exists: true,
      hasEntry: false,
      differs: true,
    });
    assert.deepEqual(planTarget(target, plainLaunch, '{"mcpServers": {"spex": {}}}'), {
      target,
      exists: true,
      hasEntry: true,
      differs: true,
    });
    const same = mergeForTarget(target, plainLaunch, undefined);
    assert.ok(same.ok);
    assert.deepEqual(planTarget(target, plainLaunch, same.text), { target, exists: true, hasEntry: true, differs: false });
  });
});

describe('merging into Codex’s config.toml', () => {
  const launch = launchWithKey();

  it('escapes Windows paths, quotes and control characters as TOML basic strings', () => {
    assert.equal(tomlString('C:\\Program Files\\Microsoft VS Code\\Code.exe'), '"C:\\\\Program Files\\\\Microsoft VS Code\\\\Code.exe"');
    assert.equal(tomlString('say "hi"\tnow\n\u0001'), '"say \\"hi\\"\\tnow\\n\\u0001"');
    const windows: McpLaunchLine = {
      command: "C:\\Users\\O'Neil\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe",
      args: ["C:\\Users\\O'Neil\\.vscode\\extensions\\spex\\dist\\cli.js", 'mcp', '--pin', 'Question: "(.*)"'],
      env: { ELECTRON_RUN_AS_NODE: '1' },
    };
    assert.equal(
      codexTables(windows),
      [
        '[mcp_servers.spex]',
        'command = "C:\\\\Users\\\\O\'Neil\\\\AppData\\\\Local\\\\Programs\\\\Microsoft VS Code\\\\Code.exe"',
        'args = [',
        '  "C:\\\\Users\\\\O\'Neil\\\\.vscode\\\\extensions\\\\spex\\\\dist\\\\cli.js",',
        '  "mcp",',
        '  "--pin",',
        '  "Question: \\"(.*)\\"",',
        ']',
        '',
        '[mcp_servers.spex.env]',
        'ELECTRON_RUN_AS_NODE = "1"',
        '',
      ].join('\n'),
    );
  });

  it('writes the whole table into an absent file, and appends it after everything else', () => {
    const created = mergeCodexConfig(undefined, launch);
    assert.ok(created.ok && created.changed && created.before === 'noFile');
    assert.equal(created.text, codexTables(launch));

    const existing = 'model = "o4"\n\n[mcp_servers.memory]\ncommand = "npx"\nargs = ["-y", "m"]\n\n[features]\nrmcp_client = true';
    const appended = mergeCodexConfig(existing, launch);
    assert.ok(appended.ok && appended.changed && appended.before === 'noEntry');
    assert.equal(appended.text, `${existing}\n\n${codexTables(launch)}`);
    const again = mergeCodexConfig(appended.text, launch);
    assert.deepEqual(again, { ok: true, text: appended.text, changed: false, before: 'sameEntry' });
  });

  it('replaces the table and its env sub-table, leaving every other line byte for byte', () => {
    const before = '# My Codex settings\r\nmodel = "o4"\r\n\r\n[mcp_servers.memory]\r\ncommand = "npx"\r\n\r\n';
    const after =
      '\r\n# The next server, after ours\r\n[mcp_servers.other]\r\ncommand = "x"\r\nargs = [\r\n  "[not a header]",\r\n]\r\n\r\n[mcp_servers.other.env]\r\nA = "1"\r\n';
    const old =
      '[mcp_servers.spex]\r\ncommand = "node"\r\nargs = [\r\n  "/old/cli.js",\r\n  "mcp",\r\n]\r\n# how long a run may take\r\ntool_timeout_sec = 600\r\n\r\n[ mcp_servers . "spex" . env ]\r\nELECTRON_RUN_AS_NODE = "1"\r\nOLD = """\r\n[still in the string]\r\n"""\r\n';
    const outcome = mergeCodexConfig(before + old + after, launch);
    assert.ok(outcome.ok && outcome.changed && outcome.before === 'differentEntry');
    assert.ok(outcome.text.startsWith(before), 'the lines before are untouched');
    assert.ok(outcome.text.endsWith(after), 'the lines after are untouched');
    const replaced = outcome.text.slice(before.length, outcome.text.length - after.length);
    const ours = codexTables(launch, '\r\n').split('\r\n');
    const envStart = ours.indexOf('');
    // Our keys, then the user's own setting and its comment, then the env sub-table; old values gone.
    assert.equal(
      replaced,
      [...ours.slice(0, envStart), '# how long a run may take', 'tool_timeout_sec = 600', ...ours.slice(envStart)].join('\r\n'),
    );
    assert.ok(!replaced.includes('/old/cli.js') && !replaced.includes('OLD'));
    const again = mergeCodexConfig(outcome.text, launch);
    assert.ok(again.ok && !again.changed && again.before === 'sameEntry' && again.text === outcome.text);
  });

  it('keeps per-tool sub-tables, and removes an env sub-table found elsewhere', () => {
    const existing = [
      '[mcp_servers.spex]',
      'command = "old"',
      '',
      '[mcp_servers.spex.tools.explain_interactions]',
      'approval_mode = "approve"',
      '',
      '[mcp_servers.spex.env]',
      'X = "1"',
      '',
      '[profiles.fast]',
      'model = "o4-mini"',
      '',
    ].join('\n');
    const outcome = mergeCodexConfig(existing, plainLaunch);
    assert.ok(outcome.ok);
    assert.equal(
      outcome.text,
      [
        codexTables(plainLaunch).trimEnd(),
        '',
        '[mcp_servers.spex.tools.explain_interactions]',
        'approval_mode = "approve"',
        '',
        '[profiles.fast]',
        'model = "o4-mini"',
        '',
      ].join('\n'),
    );
  });

  it('refuses a server defined in a form it does not edit', () => {
    for (const text of [
      '[mcp_servers]\nspex.command = "node"\n',
      '[mcp_servers]\nspex = { command = "node" }\n',
      'mcp_servers = { other = { command = "x" } }\n',
      'mcp_servers.spex.command = "node"\n',
      '[[mcp_servers.spex]]\ncommand = "node"\n',
      'key = "never closed\n[mcp_servers.spex\n',
      'args = [\n"open"\n',
    ]) {
      const outcome = mergeCodexConfig(text, plainLaunch);
      assert.equal(outcome.ok, false, text);
      if (!outcome.ok) assert.match(outcome.reason, /left as it is/u);
    }
    // Another server defined with dotted keys does not stand in the way.
    const dotted = mergeCodexConfig('mcp_servers.other.command = "x"\n', plainLaunch);
    assert.ok(dotted.ok);
    assert.equal(dotted.text, `mcp_servers.other.command = "x"\n\n${codexTables(plainLaunch)}`);
  });
});
