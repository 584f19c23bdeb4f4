// Test-only extension for the e2e suite: asks VS Code, as an agent harness would, what SPEX offers
// agents, and writes what it found to agent-probe.json in the workspace for the suite to read:
// the language-model tools registered (and one call of the cost estimate through vscode.lm), and
// the MCP server definition SPEX's provider returns, started and asked for its tools over stdio.
'use strict';
const vscode = require('vscode');
const { spawn } = require('node:child_process');

/** initialize, then tools/list, over newline-delimited JSON-RPC; resolves with the tool names. */
function listMcpTools(definition) {
  return new Promise((resolve, reject) => {
    const child = spawn(definition.command, definition.args, {
      env: { ...process.env, ...definition.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buffer = '';
    let stderr = '';
    const timer = setTimeout(() => finish(new Error(`no answer in 30 s; stderr: ${stderr}`)), 30000);
    const finish = (error, value) => {
      clearTimeout(timer);
      child.kill();
      if (error) reject(error);
      else resolve(value);
    };
    const send = (message) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
    child.stderr.on('data', (chunk) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => finish(error));
    child.stdout.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const message = JSON.parse(line);
        if (message.id === 1) {
          send({ method: 'notifications/initialized' });
          send({ id: 2, method: 'tools/list', params: {} });
        } else if (message.id === 2)
          finish(
            undefined,
            message.result.tools.map((tool) => tool.name),
          );
      }
    });
    send({
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'spex-agent-probe', version: '0.0.1' } },
    });
  });
}

async function check() {
  const report = { tools: [], estimate: '', estimateWords: '', estimateError: '', mcp: [], mcpError: '' };
  const spex = vscode.extensions.getExtension('spex-tools.spex-explain');
  const api = await spex.activate();
  report.tools = vscode.lm.tools.filter((tool) => tool.name.startsWith('spex_')).map((tool) => tool.name);
  try {
    const result = await vscode.lm.invokeTool('spex_estimateCost', { input: { file: 'rag-context.md' }, toolInvocationToken: undefined });
    report.estimate = result.content.map((part) => part.value ?? '').join('');
    // The agent's own granularity, not the person's setting (paragraph), is what is estimated.
    const words = await vscode.lm.invokeTool('spex_estimateCost', {
      input: { file: 'rag-context.md', granularity: 'word' },
      toolInvocationToken: undefined,
    });
    report.estimateWords = words.content.map((part) => part.value ?? '').join('');
  } catch (error) {
    report.estimateError = String(error && error.message ? error.message : error);
  }
  try {
    for (const definition of await api.mcpServerDefinitions())
      report.mcp.push({ label: definition.label, args: definition.args, tools: await listMcpTools(definition) });
  } catch (error) {
    report.mcpError = String(error && error.message ? error.message : error);
  }
  const folder = vscode.workspace.workspaceFolders[0].uri;
  await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, 'agent-probe.json'), Buffer.from(JSON.stringify(report, null, 2)));
}

/** Calls the explanation tool as an agent does, and writes the text the agent would read. */
async function explainWithTool() {
  const report = { text: '', error: '' };
  try {
    const result = await vscode.lm.invokeTool('spex_explainInteractions', {
      input: { file: 'rag-context.md', top: 3 },
      toolInvocationToken: undefined,
    });
    report.text = result.content.map((part) => part.value ?? '').join('');
  } catch (error) {
    report.error = String(error && error.message ? error.message : error);
  }
  const folder = vscode.workspace.workspaceFolders[0].uri;
  await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, 'agent-explain.json'), Buffer.from(JSON.stringify(report, null, 2)));
}

function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('spexProbe.checkAgents', check),
    vscode.commands.registerCommand('spexProbe.explainWithTool', explainWithTool),
  );
}

module.exports = { activate, deactivate: () => undefined };
