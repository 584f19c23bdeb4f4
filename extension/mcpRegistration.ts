import * as vscode from 'vscode';
import { SPEX_VERSION } from '../server/version';
import { MCP_API_KEY_VARIABLE, mcpArguments } from './mcpArguments';
import { readSettings } from './settings';

/** The provider id in package.json's `contributes.mcpServerDefinitionProviders`. */
export const MCP_PROVIDER_ID = 'spex.mcpServer';

export interface McpRegistrationOptions {
  readonly extensionUri: vscode.Uri;
  /** The editor's call cache, which the MCP server shares. */
  readonly cacheDirectory: string;
  readonly apiKey: () => Thenable<string | undefined>;
  /** Origins of remote endpoints the user agreed to from the editor (asked once per endpoint). */
  readonly consentedOrigins: () => readonly string[];
  /** Fires when the API key changes in SecretStorage. */
  readonly onApiKeyChanged: vscode.Event<void>;
  readonly log: (message: string) => void;
}

/**
 * Registers the bundled MCP server (`spex mcp` over stdio, run by the extension host's own Node) for
 * every agent harness in VS Code that takes MCP servers, with the user's settings as every call's
 * defaults. The API key, where one is set, reaches the process through its environment when the
 * server starts (resolveMcpServerDefinition), never through its arguments or a settings file.
 */
export function registerMcpServer(options: McpRegistrationOptions): McpRegistration {
  // Editors built on older VS Code (or forks without the language-model API) have no MCP registry: the
  // rest of the extension works there, and the server can still be configured by hand (spex mcp).
  if (typeof vscode.lm?.registerMcpServerDefinitionProvider !== 'function') {
    options.log('This editor has no MCP server registry; run "spex mcp" from an agent\'s own configuration instead.');
    return { disposable: new vscode.Disposable(() => undefined), definitions: () => Promise.resolve([]) };
  }
  const changed = new vscode.EventEmitter<void>();
  const cli = vscode.Uri.joinPath(options.extensionUri, 'dist', 'cli.js').fsPath;
  const definition = async (apiKey?: string): Promise<vscode.McpStdioServerDefinition> => {
    const { settings } = readSettings((key) => vscode.workspace.getConfiguration('spex').get(key));
    const hasApiKey = (apiKey ?? (await options.apiKey())) !== undefined;
    // In VS Code the host's executable is Electron: this variable makes it run as Node, as the language server's fork does.
    return new vscode.McpStdioServerDefinition(
      'SPEX',
      process.execPath,
      [cli, ...mcpArguments(settings, options.cacheDirectory, hasApiKey, options.consentedOrigins())],
      { ELECTRON_RUN_AS_NODE: '1' },
      SPEX_VERSION,
    );
  };
  const provider = vscode.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: async () => [await definition()],
    resolveMcpServerDefinition: async (server) => {
      if (!(server instanceof vscode.McpStdioServerDefinition)) return server;
      // Resolved at each start: an endpoint the user agreed to since the list was provided is allowed now.
      const apiKey = await options.apiKey();
      server.args = (await definition(apiKey)).args;
      if (apiKey !== undefined) server.env = { ...server.env, [MCP_API_KEY_VARIABLE]: apiKey };
      return server;
    },
  });
  return {
    disposable: vscode.Disposable.from(
      provider,
      changed,
      // New settings or a new key: the harnesses ask again and restart the server with them.
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('spex')) changed.fire();
      }),
      options.onApiKeyChanged(() => changed.fire()),
    ),
    definitions: async () => [await definition()],
  };
}

/** The registration, and what its provider gives the harnesses (the extension's API offers it to other extensions). */
export interface McpRegistration {
  readonly disposable: vscode.Disposable;
  readonly definitions: () => Promise<vscode.McpStdioServerDefinition[]>;
}
