import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import {
  ApiKeyChangedNotification,
  ExplanationChangedNotification,
  GetVersionRequest,
  PROTOCOL_VERSION,
  type ExplanationChangedParams,
} from '../protocol/server';

/** Restarts allowed within RESTART_WINDOW_MS before SPEX gives up and tells the user. */
const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 3 * 60 * 1000;

export interface ServerClientOptions {
  readonly extensionUri: vscode.Uri;
  /** The call cache lives here (the extension's global storage), so it survives restarts and updates. */
  readonly cacheDirectory: string;
  readonly cacheMaxBytes: number;
  readonly output: vscode.LogOutputChannel;
  /** Reads the API key from SecretStorage; it is sent to the server on every (re)start and never logged. */
  readonly apiKey: () => Thenable<string | undefined>;
  readonly onExplanationChanged: (params: ExplanationChangedParams) => void;
}

/**
 * Owns the SPEX server process. It starts on the first command that needs it (not at activation,
 * so opening VS Code costs nothing), receives the `spex` settings on every change, restarts after a
 * crash (telling the user, keeping the on-disk cache), and stops when the extension deactivates.
 */
export class ServerClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;
  private readonly restarts: number[] = [];

  constructor(private readonly options: ServerClientOptions) {}

  /** The running client, started on first use; a failed start is retried on the next call. */
  async get(): Promise<LanguageClient> {
    if (this.client) return this.client;
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** Sends a changed API key to a running server (a stopped one gets it when it starts). */
  async sendApiKey(): Promise<void> {
    if (!this.client || this.client.state !== State.Running) return;
    await this.client.sendNotification(ApiKeyChangedNotification, { apiKey: (await this.options.apiKey()) ?? null });
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
    const module = vscode.Uri.joinPath(this.options.extensionUri, 'dist', 'server.js').fsPath;
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.stdio },
      debug: { module, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
    };
    const clientOptions: LanguageClientOptions = {
      // The server works on text the extension sends it, not on open documents.
      documentSelector: [],
      outputChannel: this.options.output,
      synchronize: { configurationSection: 'spex' },
      initializationOptions: { cacheDirectory: this.options.cacheDirectory, cacheMaxBytes: this.options.cacheMaxBytes },
      errorHandler: {
        error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue }),
        closed: (): CloseHandlerResult => this.closed(),
      },
    };
    const client = new LanguageClient('spex', 'SPEX', serverOptions, clientOptions);
    client.onDidChangeState((change) => {
      // After a restart the new process knows nothing: send it the key again.
      if (change.newState === State.Running) void this.sendApiKey();
    });
    await client.start();
    client.onNotification(ExplanationChangedNotification, (params) => this.options.onExplanationChanged(params));
    const version = await client.sendRequest(GetVersionRequest);
    if (version.protocolVersion !== PROTOCOL_VERSION) {
      await client.stop();
      throw new Error(
        `The SPEX server speaks protocol ${version.protocolVersion}, the extension ${PROTOCOL_VERSION}. Reinstall the extension.`,
      );
    }
    this.options.output.info(`SPEX server ${version.version} started.`);
    this.client = client;
    await this.sendApiKey();
    return client;
  }

  /** The server process ended unexpectedly: restart it, unless it keeps crashing. */
  private closed(): CloseHandlerResult {
    const now = Date.now();
    this.restarts.push(now);
    while (this.restarts.length > 0 && (this.restarts[0] as number) < now - RESTART_WINDOW_MS) this.restarts.shift();
    if (this.restarts.length > MAX_RESTARTS) {
      void vscode.window.showErrorMessage(
        `The SPEX server stopped ${this.restarts.length} times in 3 minutes and will not be restarted. See the SPEX output for details.`,
      );
      this.client = undefined;
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    this.options.output.warn('The SPEX server stopped unexpectedly; restarting it (stored model calls are kept).');
    void vscode.window.showWarningMessage(
      'The SPEX server stopped unexpectedly and was restarted. A running explanation was lost; stored model calls are kept.',
    );
    return { action: CloseAction.Restart, handled: true };
  }
}
