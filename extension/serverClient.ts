import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { GetVersionRequest, PROTOCOL_VERSION } from '../protocol/server';

/**
 * Owns the SPEX server process. It starts on the first command that needs it (not at activation,
 * so opening VS Code costs nothing) and stops when the extension deactivates.
 */
export class ServerClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly outputChannel: vscode.LogOutputChannel,
  ) {}

  /** The running client, started on first use; a failed start is retried on the next call. */
  async get(): Promise<LanguageClient> {
    if (this.client) return this.client;
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.stop();
  }

  dispose(): void {
    void this.stop();
  }

  private async start(): Promise<LanguageClient> {
    const module = vscode.Uri.joinPath(this.extensionUri, 'dist', 'server.js').fsPath;
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.stdio },
      debug: { module, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
    };
    const clientOptions: LanguageClientOptions = {
      // The server works on text the extension sends it, not on open documents.
      documentSelector: [],
      outputChannel: this.outputChannel,
    };
    const client = new LanguageClient('spex', 'SPEX', serverOptions, clientOptions);
    await client.start();
    const version = await client.sendRequest(GetVersionRequest);
    if (version.protocolVersion !== PROTOCOL_VERSION) {
      await client.stop();
      throw new Error(
        `The SPEX server speaks protocol ${version.protocolVersion}, the extension ${PROTOCOL_VERSION}. Reinstall the extension.`,
      );
    }
    this.outputChannel.info(`SPEX server ${version.version} started.`);
    this.client = client;
    return client;
  }
}
