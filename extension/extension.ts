/**
 * The extension's entry point: wires commands, the server client, decorations, the status bar and
 * the panel. Logic lives in the modules it imports; every registration goes into
 * context.subscriptions so deactivation undoes it.
 */
import * as vscode from 'vscode';
import { ClearCacheRequest, ListModelsRequest, VerifyMaskRequest } from '../protocol/server';
import { formatMarkdown } from '../server/report/markdown';
import { explanationUnderIndex } from '../protocol/indexView';
import { filteredExplanation, type TermFilter } from '../protocol/termFilter';
import type { Explanation, IndexName } from '../protocol/explanation';
import { COMMAND_IDS } from './commandIds';
import { explainRange, RunTracker, type LastExplanation, type RunDependencies } from './explainRun';
import { ExplanationDecorations } from './explanationDecorations';
import { exportExplanation } from './exportExplanation';
import { ExplanationPanel, PANEL_VIEW_TYPE } from './panel/explanationPanel';
import { ReportPanel } from './panel/reportPanel';
import { registerMcpServer } from './mcpRegistration';
import { mcpArguments } from './mcpArguments';
import { registerLanguageModelTools } from './languageModelTools';
import { otherAgentLaunchLine } from './otherAgents';
import { addToOtherAgents } from './otherAgentsCommand';
import { homedir } from 'node:os';
import { consentedOrigins } from './runPolicy';
import { ServerClient } from './serverClient';
import { readSettings } from './settings';
import { choicesOf } from './runChoices';
import { compareInteractions } from './compareRun';
import { explainTemplate } from './batchRun';
import { splittingGranularity } from '../server/engine/drillDown';
import { spanTag } from '../protocol/spanNumbers';
import { RunStatus } from './statusBar';

/** Where the API key lives: VS Code's SecretStorage, never settings, logs or the cache. */
const API_KEY_SECRET = 'spex.apiKey';

let server: ServerClient | undefined;

/**
 * What the extension offers other extensions: the MCP server it registers, as the harnesses get it
 * (without the API key, which is added only when a harness starts it). The e2e suite's probe reads it.
 */
export interface SpexApi {
  mcpServerDefinitions(): Promise<{ label: string; command: string; args: string[]; env: Record<string, string | number | null> }[]>;
}

export function activate(context: vscode.ExtensionContext): SpexApi {
  const output = vscode.window.createOutputChannel('SPEX', { log: true });
  const runs = new RunTracker();
  const { settings } = readSettings((key) => vscode.workspace.getConfiguration('spex').get(key));
  server = new ServerClient({
    extensionUri: context.extensionUri,
    cacheDirectory: vscode.Uri.joinPath(context.globalStorageUri, 'cache').fsPath,
    cacheMaxBytes: settings.cacheSizeCap * 1024 * 1024,
    output,
    apiKey: () => context.secrets.get(API_KEY_SECRET),
    onExplanationChanged: (params) => runs.partial(params.workDoneToken, params.explanation),
  });
  const client = server;
  const apiKeyChanged = new vscode.EventEmitter<void>();
  const cacheDirectory = vscode.Uri.joinPath(context.globalStorageUri, 'cache').fsPath;
  const agreedOrigins = (): string[] =>
    consentedOrigins(context.globalState.keys(), (key) => context.globalState.get<boolean>(key) === true);
  const mcp = registerMcpServer({
    extensionUri: context.extensionUri,
    cacheDirectory,
    apiKey: () => context.secrets.get(API_KEY_SECRET),
    consentedOrigins: agreedOrigins,
    onApiKeyChanged: apiKeyChanged.event,
    log: (message) => output.info(message),
  });
  context.subscriptions.push(
    apiKeyChanged,
    mcp.disposable,
    // The same server for agents outside VS Code: its command line written into (or shown for) their configuration.
    vscode.commands.registerCommand(COMMAND_IDS.addToOtherAgents, async () => {
      const { settings: current } = readSettings((key) => vscode.workspace.getConfiguration('spex').get(key));
      const hasApiKey = (await context.secrets.get(API_KEY_SECRET)) !== undefined;
      const cli = vscode.Uri.joinPath(context.extensionUri, 'dist', 'cli.js').fsPath;
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      await addToOtherAgents({
        launch: otherAgentLaunchLine(process.execPath, cli, mcpArguments(current, cacheDirectory, hasApiKey, agreedOrigins())),
        // A virtual workspace has no folder on disk for a project file: the home directory's files only.
        workspaceFolder: folder?.scheme === 'file' ? folder.fsPath : undefined,
        homeDirectory: homedir(),
        codexHome: process.env['CODEX_HOME'],
        log: (message) => output.info(message),
      });
    }),
  );
  const decorations = new ExplanationDecorations();
  const status = new RunStatus();
  let last: LastExplanation | undefined;
  /** The index, order and filters the panel shows; the editor and the exports read the explanation the same way. */
  let panelIndex: { readonly index: IndexName; readonly order: number; readonly filter: TermFilter } | undefined;
  const shown = (): Explanation | undefined =>
    last &&
    (panelIndex
      ? filteredExplanation(explanationUnderIndex(last.result.explanation, panelIndex.index, panelIndex.order), panelIndex.filter)
      : last.result.explanation);
  const panel = new ExplanationPanel(context.extensionUri, {
    revealFeature: (index) => {
      const span = last ? decorations.shownIn(last.document.uri.toString())?.spans[index] : undefined;
      if (!last || !span) return;
      const range = new vscode.Range(last.document.positionAt(span.startOffset), last.document.positionAt(span.endOffset));
      void vscode.window.showTextDocument(last.document, { selection: range, viewColumn: vscode.ViewColumn.One });
    },
    verifyMask: async (mask) => {
      if (!last) throw new Error('There is no explanation to verify against.');
      return (await client.get()).sendRequest(VerifyMaskRequest, { explanationId: last.result.id, mask });
    },
    exportAs: (format) => {
      const explanation = shown();
      if (!explanation) return;
      const name = ({ json: 'JSON', markdown: 'Markdown', html: 'HTML', csv: 'CSV' } as const)[format];
      void exportExplanation(explanation, vscode.workspace.workspaceFolders?.[0]?.uri, name).then((written) => {
        if (written) void vscode.window.showInformationMessage(`SPEX: exported to ${vscode.workspace.asRelativePath(written)}.`);
      });
    },
    copyMarkdown: () => {
      const explanation = shown();
      if (!explanation) return;
      void vscode.env.clipboard
        .writeText(formatMarkdown(explanation))
        .then(() => vscode.window.showInformationMessage('SPEX: explanation copied as Markdown.'));
    },
    viewIndex: (index, order, filter, inPanel) => {
      // A partial result of a run still going is not the explanation the editor shows.
      if (!last || inPanel !== last.result.explanation) return;
      if (panelIndex?.index === index && panelIndex.order === order && JSON.stringify(panelIndex.filter) === JSON.stringify(filter)) return;
      panelIndex = { index, order, filter };
      decorations.show(last.document, last.textOffset, shown() ?? last.result.explanation);
    },
    rerun: (explanation) => {
      void rerun(explanation);
    },
    drillDown: (index, explanation) => {
      void drill(index, explanation);
    },
  });
  /** The panel's explanation's text where it still stands as explained, with an editor on it; undefined (said why) otherwise. */
  const explainedRange = async (explanation: Explanation): Promise<{ editor: vscode.TextEditor; range: vscode.Range } | undefined> => {
    if (!last || last.result.explanation !== explanation) {
      void vscode.window.showInformationMessage('SPEX: the panel shows a run that is still going; try again once it has finished.');
      return undefined;
    }
    const document = last.document.isClosed ? await vscode.workspace.openTextDocument(last.document.uri) : last.document;
    const range = new vscode.Range(document.positionAt(last.textOffset), document.positionAt(last.textOffset + explanation.text.length));
    if (document.getText(range) !== explanation.text) {
      void vscode.window.showWarningMessage('SPEX: the explained text has changed since; select it and run "Explain Interactions" again.');
      return undefined;
    }
    const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, preserveFocus: true });
    return { editor, range };
  };
  /** Splits one span into the first finer unit that splits it and explains again, reusing the run's calls. */
  const drill = async (index: number, explanation: Explanation): Promise<void> => {
    const feature = explanation.features[index];
    if (!feature) return;
    const granularity = splittingGranularity(feature.text, explanation.granularity);
    if (!granularity) {
      void vscode.window.showInformationMessage(`SPEX: ${spanTag(index)} cannot be split any finer.`);
      return;
    }
    const at = await explainedRange(explanation);
    if (!at || !last) return;
    await explainRange(at.editor, at.range, dependencies, {
      ask: 'never',
      refine: { explanationId: last.result.id, split: [index], granularity },
    });
  };
  /** Explains the panel's explanation's text again, where it is still in its document as it was. */
  const rerun = async (explanation: Explanation): Promise<void> => {
    const at = await explainedRange(explanation);
    if (!at) return;
    const { editor, range } = at;
    const { settings: current } = readSettings((key) => vscode.workspace.getConfiguration('spex').get(key));
    await explainRange(editor, range, dependencies, {
      ask: 'always',
      initial: { ...choicesOf(current), granularity: explanation.granularity },
    });
  };
  const workspaceFolder = (): vscode.Uri | undefined => vscode.workspace.workspaceFolders?.[0]?.uri;
  const comparisons = new ReportPanel(context.extensionUri, 'comparison', workspaceFolder);
  // An input opened from the batch panel is shown like any explanation, but cannot be verified: its run was not kept.
  const batches = new ReportPanel(context.extensionUri, 'batch', workspaceFolder, (explanation) =>
    panel.showExplanation(explanation, false, { verifiable: false }),
  );
  const dependencies: RunDependencies = {
    server,
    panel,
    comparisons,
    batches,
    decorations,
    output,
    status,
    runs,
    state: context.globalState,
    remember: (explained) => {
      last = explained;
      // A new explanation is read under its own index until the panel says which it shows.
      panelIndex = undefined;
    },
  };

  context.subscriptions.push(
    output,
    client,
    decorations,
    status,
    panel,
    comparisons,
    batches,
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, panel),
    registerLanguageModelTools(dependencies),
    vscode.commands.registerTextEditorCommand(COMMAND_IDS.explainSelection, (editor) => {
      const selection = editor.selection;
      if (selection.isEmpty) {
        void vscode.window.showWarningMessage('SPEX: select the text to explain first, or run "SPEX: Explain Document".');
        return;
      }
      void explainRange(editor, selection, dependencies);
    }),
    vscode.commands.registerTextEditorCommand(COMMAND_IDS.explainDocument, (editor) => {
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage(
          'SPEX: in an untrusted workspace SPEX explains only text you select; select it and run "Explain Interactions".',
        );
        return;
      }
      const document = editor.document;
      void explainRange(editor, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), dependencies);
    }),
    vscode.commands.registerTextEditorCommand(COMMAND_IDS.compareInteractions, (editor) => {
      void compareInteractions(editor, dependencies);
    }),
    vscode.commands.registerTextEditorCommand(COMMAND_IDS.explainTemplate, (editor) => {
      void explainTemplate(editor, dependencies);
    }),
    vscode.commands.registerCommand(COMMAND_IDS.cancel, () => {
      if (runs.cancelAll() === 0) void vscode.window.showInformationMessage('SPEX: nothing is running.');
    }),
    vscode.commands.registerCommand(COMMAND_IDS.selectModel, async () => {
      const models = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'SPEX: listing models' },
        async () => (await client.get()).sendRequest(ListModelsRequest, {}),
      );
      if (models.models.length === 0) {
        void vscode.window.showWarningMessage(`SPEX: ${models.endpoint} lists no models.`);
        return;
      }
      const picked = await vscode.window.showQuickPick(
        models.models.map((model) => ({ label: model.name, ...(model.digest ? { description: model.digest.slice(0, 12) } : {}) })),
        { placeHolder: `Models at ${models.endpoint}` },
      );
      if (picked) await vscode.workspace.getConfiguration('spex').update('model', picked.label, vscode.ConfigurationTarget.Global);
    }),
    vscode.commands.registerCommand(COMMAND_IDS.setApiKey, async () => {
      const key = await vscode.window.showInputBox({
        prompt: 'API key for the OpenAI-compatible endpoint (stored in VS Code’s secret storage, never in settings)',
        password: true,
        ignoreFocusOut: true,
      });
      if (!key) return;
      await context.secrets.store(API_KEY_SECRET, key);
      await client.sendApiKey();
      void vscode.window.showInformationMessage('SPEX: API key stored.');
    }),
    vscode.commands.registerCommand(COMMAND_IDS.clearApiKey, async () => {
      await context.secrets.delete(API_KEY_SECRET);
      await client.sendApiKey();
      void vscode.window.showInformationMessage('SPEX: API key removed.');
    }),
    vscode.commands.registerCommand(COMMAND_IDS.showLastExplanation, () => {
      if (!last) {
        void vscode.window.showInformationMessage('SPEX: no explanation yet. Select text and run "Explain Interactions".');
        return;
      }
      panel.showExplanation(last.result.explanation, last.result.cancelled, { cancelled: last.result.cancelled, verifiable: true });
      decorations.show(last.document, last.textOffset, shown() ?? last.result.explanation);
    }),
    vscode.commands.registerCommand(COMMAND_IDS.showSpanInPanel, (index: unknown) => {
      if (!last || !Number.isInteger(index) || (index as number) < 0 || (index as number) >= last.result.explanation.features.length)
        return;
      if (!panel.shows(last.result.explanation))
        panel.showExplanation(last.result.explanation, last.result.cancelled, { cancelled: last.result.cancelled, verifiable: true });
      panel.selectSpans([index as number]);
    }),
    vscode.commands.registerCommand(COMMAND_IDS.exportExplanation, async () => {
      if (!last) {
        void vscode.window.showInformationMessage('SPEX: no explanation to export yet.');
        return;
      }
      const written = await exportExplanation(shown() ?? last.result.explanation, vscode.workspace.workspaceFolders?.[0]?.uri);
      if (written) void vscode.window.showInformationMessage(`SPEX: exported to ${vscode.workspace.asRelativePath(written)}.`);
    }),
    vscode.commands.registerCommand(COMMAND_IDS.clearCache, async () => {
      const { removed } = await (await client.get()).sendRequest(ClearCacheRequest);
      void vscode.window.showInformationMessage(`SPEX: removed ${removed} stored model calls.`);
    }),
    context.secrets.onDidChange((event) => {
      if (event.key !== API_KEY_SECRET) return;
      void client.sendApiKey();
      apiKeyChanged.fire();
    }),
  );
  return {
    mcpServerDefinitions: async () =>
      (await mcp.definitions()).map((server) => ({
        label: server.label,
        command: server.command,
        args: [...server.args],
        env: { ...server.env },
      })),
  };
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
