import * as vscode from 'vscode';
import { describeNoiseRepeats, sampledMasks, spentOfBudget, type Explanation } from '../protocol/explanation';
import { describeVerdict, verdictOf, type FitLevel } from '../protocol/verdict';
import { spokenSummary } from '../protocol/spokenSummary';
import { COMMAND_IDS } from './commandIds';

/** The status-bar item: progress while a run is going, the last result's faithfulness after. */
export class RunStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('spex.status', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'SPEX';
  }

  running(message: string): void {
    this.item.backgroundColor = undefined;
    this.item.text = `$(sync~spin) SPEX ${message}`;
    this.item.tooltip = 'SPEX is explaining; click to cancel.';
    this.item.command = COMMAND_IDS.cancel;
    this.item.accessibilityInformation = { label: `SPEX is explaining: ${message}. Activate to cancel.`, role: 'button' };
    this.item.show();
  }

  finished(explanation: Explanation): void {
    const verdict = verdictOf(explanation);
    this.item.text = `${VERDICT_ICONS[verdict.level]} SPEX ${verdict.short}${verdict.r2 === null || verdict.level === 'exact' ? '' : ` · R² ${verdict.r2.toFixed(2)}`}${explanation.partial ? ' (partial)' : ''}`;
    this.item.backgroundColor = verdict.level === 'poor' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const sampling = explanation.sampling;
    // An anytime stop is worth saying: the calls it saved are the user's time.
    const stopped =
      sampling && spentOfBudget(sampling) < sampling.budget
        ? ` Sampling stopped after ${sampledMasks(sampling)} masks${describeNoiseRepeats(sampling)} of a budget of ${sampling.budget}: ${sampling.stoppedBecause}.`
        : '';
    this.item.tooltip = `${describeVerdict(verdict)}\n\n${explanation.features.length} features, ${explanation.calls.model} model calls, ${explanation.calls.cached} cached.${stopped} Click to show the explanation.`;
    this.item.command = COMMAND_IDS.showLastExplanation;
    // What a screen reader says on focus: the verdict, the gist and the strongest interactions.
    this.item.accessibilityInformation = { label: spokenSummary(explanation), role: 'button' };
    this.item.show();
  }

  idle(): void {
    this.item.backgroundColor = undefined;
    this.item.hide();
  }

  dispose(): void {
    this.item.dispose();
  }
}

const VERDICT_ICONS: Readonly<Record<FitLevel, string>> = {
  exact: '$(symbol-event)',
  good: '$(symbol-event)',
  rough: '$(warning)',
  poor: '$(error)',
};
