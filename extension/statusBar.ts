import * as vscode from 'vscode';
import { sampledMasks, type Explanation } from '../protocol/explanation';
import { COMMAND_IDS } from './commandIds';

/** The status-bar item: progress while a run is going, the last result's faithfulness after. */
export class RunStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('spex.status', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'SPEX';
  }

  running(message: string): void {
    this.item.text = `$(sync~spin) SPEX ${message}`;
    this.item.tooltip = 'SPEX is explaining; click to cancel.';
    this.item.command = COMMAND_IDS.cancel;
    this.item.show();
  }

  finished(explanation: Explanation): void {
    const r2 = explanation.faithfulness.r2;
    this.item.text = `$(symbol-event) SPEX ${r2 === null ? 'exact' : `R² ${r2.toFixed(2)}`}${explanation.partial ? ' (partial)' : ''}`;
    const sampling = explanation.sampling;
    // An anytime stop is worth saying: the calls it saved are the user's time.
    const scored = sampling ? sampledMasks(sampling) : 0;
    const stopped =
      sampling && scored < sampling.budget
        ? ` Sampling stopped after ${scored} of ${sampling.budget} masks: ${sampling.stoppedBecause}.`
        : '';
    this.item.tooltip = `${explanation.features.length} features, ${explanation.calls.model} model calls, ${explanation.calls.cached} cached.${stopped} Click to show the explanation.`;
    this.item.command = COMMAND_IDS.showLastExplanation;
    this.item.show();
  }

  idle(): void {
    this.item.hide();
  }

  dispose(): void {
    this.item.dispose();
  }
}
