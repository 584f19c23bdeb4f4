import path from 'node:path';
import * as vscode from 'vscode';
import { describeEstimate } from '../protocol/costEstimate';
import { EstimateCostRequest, type CostEstimate, type ExplainOptions } from '../protocol/server';
import { summarizeExplanation, summaryMarkdown } from '../server/mcp/explanationSummary';
import { COMMAND_IDS } from './commandIds';
import { runExplanation, type RunDependencies } from './explainRun';
import { choicesOf, overridesOf, withChoices, type RunChoices } from './runChoices';
import { endpointOrigin } from '../server/backends/remoteEndpoint';
import { consentKey, previewMessage, unagreedEndpoints } from './runPolicy';
import { readSettings, type Settings } from './settings';
import { parseToolInput, remoteConfirmation, TOOL_NAMES, type ToolInput } from './toolInput';

/**
 * SPEX as tools for the agent harnesses that take extension tools (Copilot's agent mode): the same
 * explanation and cost preview as the MCP server's, run by the editor itself, so the result lands in
 * the SPEX panel and as tints in the editor, and Verify and drill-down work there. The confirmation
 * VS Code shows before a call is the cost preview (and, for an endpoint off this machine the person
 * has not used yet, that question first): agreeing there is agreeing to the run.
 */
export function registerLanguageModelTools(dependencies: RunDependencies): vscode.Disposable {
  // Editors without the language-model API keep everything else; the MCP server serves agents there.
  if (typeof vscode.lm?.registerTool !== 'function') return new vscode.Disposable(() => undefined);
  return vscode.Disposable.from(
    vscode.lm.registerTool<unknown>(TOOL_NAMES.explain, {
      prepareInvocation: async (options, token) => {
        const input = parseToolInput(options.input);
        const run = runOf(input);
        const where = input.file ? path.basename(input.file) : 'the prompt';
        const unagreed = unagreedOrigins(run.settings, dependencies.state);
        if (unagreed.length > 0)
          return {
            invocationMessage: invocationMessage(where),
            confirmationMessages: { title: 'Send the prompt off this machine?', message: remoteConfirmation(unagreed, run.choices.budget) },
          };
        const estimate = await estimateOf(dependencies, await promptText(input), run, token);
        return {
          invocationMessage: invocationMessage(where),
          confirmationMessages: { title: 'Explain interactions with SPEX?', message: new vscode.MarkdownString(previewMessage(estimate)) },
        };
      },
      invoke: async (options, token) => {
        const input = parseToolInput(options.input);
        const run = runOf(input);
        await agreeTo(run.settings, dependencies.state);
        const { editor, range } = await placeOf(input);
        // VS Code's confirmation was the question: the run starts at once, the chat's token cancels it, a failure goes back to the agent.
        const result = await runExplanation(editor, range, dependencies, { options: run.options, settings: run.settings, token });
        const summary = summarizeExplanation(result.id, result.explanation, input.top ?? 8, result.cancelled);
        return new vscode.LanguageModelToolResult([
          new vscode.LanguageModelTextPart(
            `${summaryMarkdown(summary, false)}\n\nThe explanation is open in the SPEX panel beside the editor, and its spans are tinted in ` +
              `${editor.document.isUntitled ? 'an untitled editor holding the prompt' : vscode.workspace.asRelativePath(editor.document.uri)}; ` +
              '"SPEX: Show Last Explanation" brings the panel back.',
          ),
        ]);
      },
    }),
    vscode.lm.registerTool<unknown>(TOOL_NAMES.estimate, {
      prepareInvocation: (options) => {
        const run = runOf(parseToolInput(options.input));
        const unagreed = unagreedOrigins(run.settings, dependencies.state);
        // The preview scores a few masks, so it sends the prompt too.
        return unagreed.length > 0
          ? {
              invocationMessage: 'Estimating the cost of a SPEX explanation',
              confirmationMessages: {
                title: 'Send the prompt off this machine?',
                message: remoteConfirmation(unagreed, run.choices.budget),
              },
            }
          : { invocationMessage: 'Estimating the cost of a SPEX explanation' };
      },
      invoke: async (options, token) => {
        const input = parseToolInput(options.input);
        const run = runOf(input);
        await agreeTo(run.settings, dependencies.state);
        const estimate = await estimateOf(dependencies, await promptText(input), run, token);
        return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(describeEstimate(estimate))]);
      },
    }),
  );
}

/**
 * What the chat shows for the call while it runs and after: with a link that brings the SPEX panel
 * (and the run's tints) back, trusted for that one command only.
 */
function invocationMessage(where: string): vscode.MarkdownString {
  const message = new vscode.MarkdownString(
    // A file's name is text, never Markdown: its brackets and stars are escaped.
    `Explaining interactions in ${where.replace(/[\\`*_{}[\]()#+\-.!|<>~]/gu, '\\$&')} with SPEX ([Open in SPEX panel](command:${COMMAND_IDS.showLastExplanation}))`,
  );
  message.isTrusted = { enabledCommands: [COMMAND_IDS.showLastExplanation] };
  return message;
}

interface ToolRun {
  readonly choices: RunChoices;
  /** The settings with the agent's choices, for the consent check and the log. */
  readonly settings: Settings;
  /** What the run sends beyond the server's settings: the agent's choices where they differ from the person's. */
  readonly options: ExplainOptions;
}

/** The person's settings, with the granularity and budget the agent asked for. */
function runOf(input: ToolInput): ToolRun {
  const { settings: configured } = readSettings((key) => vscode.workspace.getConfiguration('spex').get(key));
  const defaults = choicesOf(configured);
  const choices: RunChoices = {
    granularity: input.granularity ?? defaults.granularity,
    budget: input.budget ?? defaults.budget,
    model: input.model ?? defaults.model,
  };
  return { choices, settings: withChoices(configured, choices), options: overridesOf(choices, configured) };
}

/** The origins of the remote endpoints the person has not agreed to yet (the editor asks about the same ones). */
function unagreedOrigins(settings: Settings, state: vscode.Memento): string[] {
  return [...new Set(unagreedEndpoints(settings, (key) => state.get<boolean>(key) === true).map(endpointOrigin))];
}

/** The person confirmed a call that named these endpoints: remembered, as the editor's own question does. */
async function agreeTo(settings: Settings, state: vscode.Memento): Promise<void> {
  for (const origin of unagreedOrigins(settings, state)) await state.update(consentKey(origin), true);
}

async function estimateOf(
  dependencies: RunDependencies,
  text: string,
  run: ToolRun,
  token: vscode.CancellationToken,
): Promise<CostEstimate> {
  const client = await dependencies.server.get();
  return client.sendRequest(EstimateCostRequest, { text, options: run.options }, token);
}

function fileUri(file: string): vscode.Uri {
  if (path.isAbsolute(file)) return vscode.Uri.file(file);
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error(`"${file}" is a relative path and no folder is open; give an absolute path.`);
  return vscode.Uri.joinPath(folder.uri, file);
}

async function promptText(input: ToolInput): Promise<string> {
  if (input.text !== undefined) return input.text;
  const document = await vscode.workspace.openTextDocument(fileUri(input.file as string));
  return document.getText(lineRange(document, input));
}

function lineRange(document: vscode.TextDocument, input: ToolInput): vscode.Range {
  const last = document.lineCount;
  const start = (input.startLine ?? 1) - 1;
  const end = Math.min(input.endLine ?? last, last) - 1;
  if (start > end || start >= last) throw new Error(`The file has ${last} lines; lines ${start + 1}–${end + 1} are not among them.`);
  return new vscode.Range(start, 0, end, document.lineAt(end).range.end.character);
}

/**
 * Where the explained text is in an editor, so that its spans are tinted there: the file's lines; or
 * for text, an open document that holds it (the prompt the person is working on), else an untitled
 * one. Shown without taking the focus from the chat.
 */
async function placeOf(input: ToolInput): Promise<{ editor: vscode.TextEditor; range: vscode.Range }> {
  const show = (document: vscode.TextDocument) =>
    vscode.window.showTextDocument(document, { preview: true, preserveFocus: true, viewColumn: vscode.ViewColumn.One });
  if (input.file !== undefined) {
    const document = await vscode.workspace.openTextDocument(fileUri(input.file));
    return { editor: await show(document), range: lineRange(document, input) };
  }
  const text = input.text as string;
  const holding = vscode.workspace.textDocuments.find((document) => !document.isClosed && document.getText().includes(text));
  const document = holding ?? (await vscode.workspace.openTextDocument({ content: text }));
  const start = document.getText().indexOf(text);
  return { editor: await show(document), range: new vscode.Range(document.positionAt(start), document.positionAt(start + text.length)) };
}
