import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MCP_API_KEY_VARIABLE, mcpArguments } from '../../extension/mcpArguments';
import { DEFAULT_SETTINGS } from '../../extension/settings';
import { helpText, parseCommandLine, UsageError, type McpCommand } from '../../server/cli/args';

describe('the MCP server the extension registers', () => {
  it('starts spex mcp with the settings as every call’s defaults, parsed back the same by the CLI', () => {
    const settings = {
      ...DEFAULT_SETTINGS,
      backend: 'openai' as const,
      endpoint: ['http://10.0.0.1:8000/v1', 'http://10.0.0.2:8000/v1'],
      model: 'qwen3:4b',
      granularity: 'paragraph' as const,
      pin: ['Question:.*'],
      budget: 600,
      index: 'mobius' as const,
      valueRange: '-1:1',
    };
    const args = mcpArguments(settings, '/tmp/spex-cache', true);
    assert.equal(args[0], 'mcp');
    const command = parseCommandLine(args);
    assert.equal(command.kind, 'mcp');
    if (command.kind !== 'mcp') return;
    const { defaults } = command;
    assert.deepEqual(defaults.endpoints, settings.endpoint);
    assert.equal(defaults.backend, 'openai');
    assert.equal(defaults.model, 'qwen3:4b');
    assert.equal(defaults.granularity, 'paragraph');
    assert.deepEqual(defaults.pin, ['Question:.*']);
    assert.equal(defaults.budget, 600);
    assert.equal(defaults.index, 'mobius');
    assert.deepEqual(defaults.valueRange, { min: -1, max: 1 });
    assert.equal(defaults.cache, '/tmp/spex-cache');
    assert.equal(defaults.apiKeyEnv, MCP_API_KEY_VARIABLE);
    assert.equal(defaults.quiet, true);
  });

  it('never puts a key in the arguments, and names the variable only when a key is set', () => {
    const without = mcpArguments(DEFAULT_SETTINGS, '/tmp/c', false);
    assert.equal(without.includes('--api-key-env'), false);
    const exec = mcpArguments({ ...DEFAULT_SETTINGS, backend: 'exec', execCommand: 'node scorer.mjs' }, '/tmp/c', false);
    const command = parseCommandLine(exec);
    assert.equal(command.kind === 'mcp' && command.defaults.exec, 'node scorer.mjs');
    assert.equal(exec.includes('--endpoint'), false);
  });
});

describe('the endpoints and the ceiling the editor passes on', () => {
  it('gives each origin the person agreed to as --allow-remote and spex.mcpMaxBudget as --max-budget, parsed back the same by the CLI', () => {
    const settings = { ...DEFAULT_SETTINGS, backend: 'openai' as const, endpoint: 'https://api.example.com/v1', mcpMaxBudget: 900 };
    const args = mcpArguments(settings, '/tmp/cache', false, ['https://api.example.com']);
    const command = parseCommandLine(args);
    assert.equal(command.kind, 'mcp');
    assert.deepEqual(command.allowRemote, ['https://api.example.com']);
    // The ceiling an agent's call may not pass is the person's setting.
    assert.equal(command.maxBudget, 900);
    assert.deepEqual((parseCommandLine(mcpArguments(DEFAULT_SETTINGS, '/tmp/cache', false)) as McpCommand).allowRemote, []);
  });
});

describe('spex mcp’s own options', () => {
  const parse = (...args: string[]): McpCommand => {
    const command = parseCommandLine(['mcp', ...args]);
    if (command.kind !== 'mcp') throw new Error(`spex mcp ${args.join(' ')} parsed as ${command.kind}`);
    return command;
  };
  const refused = (args: string[], message: RegExp): void =>
    assert.throws(
      () => parseCommandLine(args),
      (error: unknown) => error instanceof UsageError && message.test(error.message) && !error.message.includes('\n'),
    );

  it('takes --http PORT (0: any free port), and leaves it out of the defaults for every call', () => {
    assert.equal(parse().http, undefined);
    assert.equal(parse('--http', '0').http, 0);
    assert.equal(parse('--http', '8765').http, 8765);
    assert.equal(parse('--http=65535').http, 65535);
    const command = parse('--http', '8765', '--backend', 'exec', '--exec', 'node scorer.mjs', '--budget', '300');
    assert.equal(command.defaults.exec, 'node scorer.mjs');
    assert.equal(command.defaults.budget, 300);
    assert.equal(command.maxBudget, 4000);
    assert.match(helpText('mcp'), /--http PORT/u);
    assert.match(helpText('overview'), /spex mcp --help/u);
    assert.deepEqual(parseCommandLine(['mcp', '--help']), { kind: 'help', topic: 'mcp' });
  });

  it('refuses a port that is not a whole number from 0 to 65535, and --http without mcp, in one line', () => {
    for (const value of ['-1', '65536', '80.5', 'http', ''])
      refused(['mcp', '--http', value], /^--http must be a whole number from 0 to 65535; got .+\.$/u);
    refused(['mcp', '--http'], /--http/u);
    refused(['explain', 'in.txt', '--http', '8765'], /^--http goes with spex mcp/u);
  });

  it('takes --allow-remote as endpoint origins (a URL cut to its origin), * for any, repeatable', () => {
    assert.deepEqual(parse().allowRemote, []);
    assert.deepEqual(parse('--allow-remote', 'https://api.openai.com/v1/chat/completions').allowRemote, ['https://api.openai.com']);
    assert.deepEqual(parse('--allow-remote', 'HTTP://Example.COM:8000/v1?x=1').allowRemote, ['http://example.com:8000']);
    assert.deepEqual(parse('--allow-remote', 'https://example.com:443').allowRemote, ['https://example.com']);
    assert.deepEqual(parse('--allow-remote', '*').allowRemote, ['*']);
    assert.deepEqual(parse('--allow-remote', 'http://10.0.0.1:8000', '--allow-remote=https://api.example.com').allowRemote, [
      'http://10.0.0.1:8000',
      'https://api.example.com',
    ]);
    // Not among the defaults of each call.
    assert.deepEqual(parse('--allow-remote', '*', '--model', 'm').defaults.model, 'm');
  });

  it('refuses an --allow-remote that is not an http(s) URL or *, in one line', () => {
    for (const value of ['api.openai.com', 'ftp://example.com', 'file:///etc/passwd', '**', ''])
      refused(
        ['mcp', '--allow-remote', value],
        /^--allow-remote takes an endpoint's origin \(e\.g\. https:\/\/api\.openai\.com\) or \*; got .+\.$/u,
      );
  });
});
