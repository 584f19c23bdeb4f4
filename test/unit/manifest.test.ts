import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { COMMAND_IDS } from '../../extension/commandIds';
import { DEFAULT_SETTINGS, readSettings } from '../../extension/settings';
import { TOOL_NAMES } from '../../extension/toolInput';
import { repoPath } from '../helpers/paths';

interface Manifest {
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  devDependencies: Record<string, string>;
  capabilities: { untrustedWorkspaces: { supported: boolean | string; description?: string } };
  contributes: {
    commands: { command: string; title: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, { default: unknown; markdownDescription?: string; description?: string }> };
    mcpServerDefinitionProviders?: { id: string; label: string }[];
  };
}

const manifest = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as Manifest;

describe('package.json manifest', () => {
  it('contributes exactly the commands the extension registers', () => {
    assert.deepEqual(manifest.contributes.commands.map((entry) => entry.command).sort(), Object.values(COMMAND_IDS).sort());
  });

  it('offers "Explain Interactions" in the editor context menu only when text is selected', () => {
    const title = manifest.contributes.commands.find((entry) => entry.command === COMMAND_IDS.explainSelection)?.title;
    assert.equal(title, 'Explain Interactions');
    const entry = manifest.contributes.menus['editor/context']?.find((item) => item.command === COMMAND_IDS.explainSelection);
    assert.equal(entry?.when, 'editorHasSelection');
  });

  it('documents every setting, with defaults equal to the ones the code falls back to', () => {
    const properties = manifest.contributes.configuration.properties;
    assert.deepEqual(
      Object.keys(properties).sort(),
      Object.keys(DEFAULT_SETTINGS)
        .map((key) => `spex.${key}`)
        .sort(),
    );
    for (const [key, value] of Object.entries(DEFAULT_SETTINGS)) {
      const property = properties[`spex.${key}`];
      assert.deepEqual(property?.default, value, `default of spex.${key}`);
      assert.ok((property?.markdownDescription ?? property?.description ?? '').length > 20, `spex.${key} is documented`);
    }
  });

  it('declares the untrusted-workspace limits and a vscode engine that matches @types/vscode', () => {
    assert.equal(manifest.main, './dist/extension.js');
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.match(manifest.capabilities.untrustedWorkspaces.description ?? '', /sent to the model/u);
    assert.equal(manifest.engines.vscode, `^${manifest.devDependencies['@types/vscode']}`);
    // Commands activate the extension by themselves; restoring the panel after a reload needs an event, and so does
    // an agent harness asking for the MCP server or calling one of the tools before any command ran.
    assert.deepEqual(manifest.activationEvents, [
      'onWebviewPanel:spex.explanation',
      'onMcpCollection:spex.mcpServer',
      ...Object.values(TOOL_NAMES).map((name) => `onLanguageModelTool:${name}`),
    ]);
    // The tools the extension registers are the ones it declares, each with a schema for its input.
    const tools = (manifest.contributes as unknown as { languageModelTools: { name: string; inputSchema: { type: string } }[] })
      .languageModelTools;
    assert.deepEqual(tools.map((tool) => tool.name).sort(), Object.values(TOOL_NAMES).sort());
    for (const tool of tools) assert.equal(tool.inputSchema.type, 'object', tool.name);
    assert.deepEqual(manifest.contributes.mcpServerDefinitionProviders, [{ id: 'spex.mcpServer', label: 'SPEX' }]);
  });
});

describe('readSettings', () => {
  it('returns the defaults when nothing is set', () => {
    assert.deepEqual(
      readSettings(() => undefined),
      { settings: DEFAULT_SETTINGS, problems: [] },
    );
  });

  it('accepts valid values', () => {
    const values: Record<string, unknown> = {
      backend: 'openai',
      endpoint: 'https://example.test/v1',
      granularity: 'separator:---',
      budget: 250,
      index: 'shapley',
    };
    const { settings, problems } = readSettings((key) => values[key]);
    assert.deepEqual(problems, []);
    assert.equal(settings.backend, 'openai');
    assert.equal(settings.granularity, 'separator:---');
    assert.equal(settings.budget, 250);
  });

  it('falls back to the default for a bad value and says which setting was wrong', () => {
    const values: Record<string, unknown> = { backend: 'gpt', endpoint: 'ftp://x', budget: 0, pin: ['['], order: 2.5 };
    const { settings, problems } = readSettings((key) => values[key]);
    assert.equal(settings.backend, DEFAULT_SETTINGS.backend);
    assert.equal(settings.budget, DEFAULT_SETTINGS.budget);
    assert.deepEqual(
      problems.map((problem) => problem.setting),
      ['spex.backend', 'spex.endpoint', 'spex.pin', 'spex.budget', 'spex.order'],
    );
    assert.match(problems[0]?.message ?? '', /spex\.backend must be one of ollama, openai, exec, llama;/u);
  });
});
