import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import {
  WorkDoneProgress,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from 'vscode-languageclient/node';
import { describeDevice } from '../protocol/device';
import type { Explanation } from '../protocol/explanation';
import { describeVerdict, hasFindings, verdictOf } from '../protocol/verdict';
import {
  EstimateCostRequest,
  ExplainTextRequest,
  ListModelsRequest,
  type CostEstimate,
  type ExplainTextResult,
  type RefineParams,
  type ExplainOptions,
} from '../protocol/server';
import { spanTag } from '../protocol/spanNumbers';
import { choicesOf, overridesOf, withChoices, type RunChoices } from './runChoices';
import { askRunChoices } from './runQuickPick';
import { endpointOrigin } from '../server/backends/remoteEndpoint';
import { consentKey, needsCostPreview, previewMessage, unagreedEndpoints } from './runPolicy';
import type { ExplanationDecorations } from './explanationDecorations';
import type { ExplanationPanel } from './panel/explanationPanel';
import type { ReportPanel } from './panel/reportPanel';
import type { ServerClient } from './serverClient';
import { readSettings, type Settings } from './settings';
import type { RunStatus } from './statusBar';
import { showFailure } from './showFailure';

/** A finished explanation and where it came from. */
export interface LastExplanation {
  readonly result: ExplainTextResult;
  readonly document: vscode.TextDocument;
  readonly textOffset: number;
}

export interface RunDependencies {
  readonly server: ServerClient;
  readonly panel: ExplanationPanel;
  /** The comparison panel and the batch panel (see reportPanel.ts). */
  readonly comparisons: ReportPanel;
  readonly batches: ReportPanel;
  readonly decorations: ExplanationDecorations;
  readonly output: vscode.LogOutputChannel;
  readonly status: RunStatus;
  readonly runs: RunTracker;
  readonly state: vscode.Memento;
  readonly remember: (last: LastExplanation) => void;
}

/** The cancellable runs in flight (spex.cancel stops them all) and their partial-result listeners. */
export class RunTracker {
  private readonly sources = new Set<vscode.CancellationTokenSource>();
  private readonly partialListeners = new Map<string, (explanation: Explanation) => void>();

  begin(): vscode.CancellationTokenSource {
    const source = new vscode.CancellationTokenSource();
    this.sources.add(source);
    return source;
  }

  end(source: vscode.CancellationTokenSource): void {
    this.sources.delete(source);
    source.dispose();
  }

  get running(): number {
    return this.sources.size;
  }

  cancelAll(): number {
    const count = this.sources.size;
    for (const source of this.sources) source.cancel();
    return count;
  }

  onPartial(token: string, listener: (explanation: Explanation) => void): vscode.Disposable {
    this.partialListeners.set(token, listener);
    return new vscode.Disposable(() => this.partialListeners.delete(token));
  }

  partial(token: string | number | undefined, explanation: Explanation | null): void {
    if (token !== undefined && explanation) this.partialListeners.get(String(token))?.(explanation);
  }
}

/** How a run starts: whether to ask first, and with which choices (a re-run starts from the explanation's). */
export interface RunHow {
  /**
   * 'settings' (the default): ask where spex.askBeforeRun says so; 'always': ask (Re-run… in the
   * panel); 'never': a drill-down, which keeps the run's own choices.
   */
  readonly ask?: 'settings' | 'always' | 'never';
  readonly initial?: RunChoices;
  /** A drill-down from a kept explanation of this text (see RefineParams). */
  readonly refine?: RefineParams;
}

/**
 * Explains a range of a document through the server, as the person starts it from the editor: the
 * run's choices where the person asks for them, consent for remote endpoints, the cost preview when
 * the run is large, then the run (runExplanation); a failure or a cancel is told in a notification.
 */
export async function explainRange(
  editor: vscode.TextEditor,
  range: vscode.Range,
  dependencies: RunDependencies,
  how: RunHow = {},
): Promise<void> {
  const text = editor.document.getText(range);
  if (text.trim().length === 0) {
    void vscode.window.showWarningMessage('SPEX: select the text to explain first (the selection is empty).');
    return;
  }
  const { settings: configured, problems } = readSettings((key) => vscode.workspace.getConfiguration('spex').get(key));
  for (const problem of problems) dependencies.output.warn(`Setting problem: ${problem.message}`);
  let choices = how.initial ?? choicesOf(configured);
  if (how.ask === 'always' || (how.ask !== 'never' && configured.askBeforeRun)) {
    const decision = await askRunChoices({
      title: how.ask === 'always' ? 'SPEX: Re-run the explanation' : 'SPEX: Explain Interactions',
      initial: choices,
      offerNever: how.ask !== 'always',
      listModels: async () => (await dependencies.server.get()).sendRequest(ListModelsRequest, {}),
    });
    // Escape is the person's choice not to run: nothing to say.
    if (!decision) return;
    choices = decision.choices;
    if (decision.never) await vscode.workspace.getConfiguration('spex').update('askBeforeRun', false, vscode.ConfigurationTarget.Global);
  }
  const options = overridesOf(choices, configured);
  const settings = withChoices(configured, choices);
  try {
    if (!(await confirmRemote(settings, dependencies.state))) return;
    // A drill-down's spans are not the text's at any one granularity, so its size is said in the progress instead.
    if (!how.refine && needsCostPreview(settings)) {
      const client = await dependencies.server.get();
      const estimate = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'SPEX: estimating the cost', cancellable: true },
        (_progress, token) => client.sendRequest(EstimateCostRequest, { text, options }, token),
      );
      if (!(await confirmCost(estimate))) return;
    }
    await runExplanation(editor, range, dependencies, { options, settings, ...(how.refine ? { refine: how.refine } : {}) });
  } catch (error) {
    if (error instanceof vscode.CancellationError) {
      void vscode.window.showInformationMessage('SPEX: cancelled.');
      return;
    }
    showFailure(error instanceof Error ? error.message : String(error), dependencies.output);
  }
}

/** A run whose choices are made and agreed to. */
export interface AgreedRun {
  /** What the run sends beyond the server's settings. */
  readonly options: ExplainOptions;
  /** The settings the run uses (for the log). */
  readonly settings: Settings;
  readonly refine?: RefineParams;
  /** Cancels the run besides spex.cancel and the notification's button (an agent's chat). */
  readonly token?: vscode.CancellationToken;
}

/**
 * The run itself, once its choices are made and agreed to (by the editor's questions, or by VS Code's
 * confirmation of a language-model tool call): a cancellable progress notification and status-bar
 * item fed by the server's work-done progress, partial results into the panel, then decorations,
 * hovers and the panel. A failure is thrown; a run cancelled before it had a result throws a
 * vscode.CancellationError.
 */
export async function runExplanation(
  editor: vscode.TextEditor,
  range: vscode.Range,
  dependencies: RunDependencies,
  run: AgreedRun,
): Promise<ExplainTextResult> {
  const { document } = editor;
  const text = document.getText(range);
  const { settings, refine } = run;
  const source = dependencies.runs.begin();
  const linked = run.token?.onCancellationRequested(() => source.cancel());
  try {
    const client = await dependencies.server.get();
    const textOffset = document.offsetAt(range.start);
    dependencies.output.info(
      `Explaining ${text.length} characters of ${document.uri.scheme === 'file' ? vscode.workspace.asRelativePath(document.uri) : document.uri.scheme} (${settings.backend}, ${settings.granularity}, budget ${settings.budget}).${settings.logPrompts ? `\n${text}` : ''}`,
    );
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: refine ? `SPEX: drilling into ${refine.split.map(spanTag).join(', ')} by ${refine.granularity}` : 'SPEX: explaining',
        cancellable: true,
      },
      async (progress, token) => {
        token.onCancellationRequested(() => source.cancel());
        const workDoneToken = randomUUID();
        let reported = 0;
        const listeners = [
          client.onProgress(
            WorkDoneProgress.type,
            workDoneToken,
            (value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => {
              if (value.kind === 'end') return;
              const percentage = value.percentage ?? reported;
              progress.report({ message: value.message ?? '', increment: Math.max(0, percentage - reported) });
              reported = Math.max(reported, percentage);
              dependencies.status.running(value.message ?? '');
            },
          ),
          dependencies.runs.onPartial(workDoneToken, (partial) => dependencies.panel.showExplanation(partial, true, { verifiable: false })),
        ];
        try {
          return await client.sendRequest(
            ExplainTextRequest,
            {
              text,
              documentUri: document.uri.toString(),
              range: { start: range.start, end: range.end },
              workDoneToken,
              options: run.options,
              ...(refine ? { refine } : {}),
            },
            source.token,
          );
        } finally {
          for (const listener of listeners) listener.dispose();
        }
      },
    );
    dependencies.decorations.show(document, textOffset, result.explanation);
    dependencies.panel.showExplanation(result.explanation, result.cancelled, { cancelled: result.cancelled, verifiable: true });
    dependencies.remember({ result, document, textOffset });
    dependencies.status.finished(result.explanation);
    const { explanation } = result;
    const verdict = verdictOf(explanation);
    dependencies.output.info(
      `Explained ${explanation.features.length} features with ${explanation.algorithm.name} (${explanation.valueFunction.name}): ${explanation.calls.model} model calls, ${explanation.calls.cached} cached, ${describeVerdict(verdict)}, ${Math.round(explanation.timing.totalMs)} ms${explanation.sampling ? `; sampling stopped: ${explanation.sampling.stoppedBecause}` : ''}${explanation.device ? `; llama on ${describeDevice(explanation.device)}` : ''}.`,
    );
    if (result.cancelled)
      void vscode.window.showInformationMessage(
        `SPEX: cancelled; showing what the ${explanation.calls.masks} masks scored so far explain.`,
      );
    else if (!hasFindings(verdict)) void vscode.window.showWarningMessage(`SPEX: ${describeVerdict(verdict)}`);
    return result;
  } catch (error) {
    dependencies.status.idle();
    throw source.token.isCancellationRequested ? new vscode.CancellationError() : error;
  } finally {
    linked?.dispose();
    dependencies.runs.end(source);
  }
}

/** Asks once per remote endpoint before prompt text leaves the machine; the answer is remembered. */
async function confirmRemote(settings: Settings, state: vscode.Memento): Promise<boolean> {
  const unapproved = unagreedEndpoints(settings, (key) => state.get<boolean>(key) === true);
  if (unapproved.length === 0) return true;
  const choice = await vscode.window.showWarningMessage(
    `SPEX will send the text you explain, many times over, to ${unapproved.map(endpointOrigin).join(', ')}. Continue?`,
    { modal: true, detail: 'You are asked once per endpoint. Change spex.endpoint to use a local model instead.' },
    'Send',
  );
  if (choice !== 'Send') return false;
  for (const endpoint of unapproved) await state.update(consentKey(endpoint), true);
  return true;
}

async function confirmCost(estimate: CostEstimate): Promise<boolean> {
  const choice = await vscode.window.showInformationMessage(previewMessage(estimate), { modal: true }, 'Explain');
  return choice === 'Explain';
}
