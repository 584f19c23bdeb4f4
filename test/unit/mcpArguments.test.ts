import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MCP_API_KEY_VARIABLE, mcpArguments } from '../../extension/mcpArguments';
import { DEFAULT_SETTINGS } from '../../extension/settings';
import { parseCommandLine } from '../../server/cli/args';

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
