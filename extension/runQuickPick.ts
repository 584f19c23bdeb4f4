import * as vscode from 'vscode';
import type { Granularity } from '../protocol/features';
import type { ListModelsResult } from '../protocol/server';
import {
  budgetChoices,
  budgetProblem,
  choiceSummary,
  granularityChoices,
  GRANULARITY_HINTS,
  modelName,
  parseBudget,
  type RunChoices,
} from './runChoices';

type Action = 'run' | 'never' | 'granularity' | 'budget' | 'model';

interface ActionItem extends vscode.QuickPickItem {
  readonly action?: Action;
}

export interface RunQuickPickOptions {
  readonly title: string;
  /** The first choices shown (the settings, or the explanation being re-run). */
  readonly initial: RunChoices;
  /** Offer "Explain, and don't ask again" (not when re-running from the panel, which always asks). */
  readonly offerNever: boolean;
  readonly listModels: () => Promise<ListModelsResult>;
}

export interface RunDecision {
  readonly choices: RunChoices;
  /** The person chose not to be asked again. */
  readonly never: boolean;
}

/**
 * The quick pick before a run: Enter explains with what it shows; picking Granularity, Budget or Model
 * changes that choice and comes back. Escape cancels the run (undefined).
 */
export async function askRunChoices(options: RunQuickPickOptions): Promise<RunDecision | undefined> {
  let choices = options.initial;
  for (;;) {
    const items: ActionItem[] = [
      { label: '$(play) Explain', description: choiceSummary(choices), action: 'run' },
      { label: 'Granularity', description: choices.granularity, detail: hintOf(choices.granularity), action: 'granularity' },
      { label: 'Budget', description: `at most ${choices.budget.toLocaleString('en-US')} model scores`, action: 'budget' },
      { label: 'Model', description: modelName(choices.model), action: 'model' },
      ...(options.offerNever
        ? [
            { label: '', kind: vscode.QuickPickItemKind.Separator },
            {
              label: "Explain, and don't ask again",
              description: 'later runs use the settings (spex.askBeforeRun)',
              action: 'never' as const,
            },
          ]
        : []),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: options.title,
      placeHolder: 'Enter explains with these choices; pick a line to change it',
      ignoreFocusOut: true,
    });
    if (!picked?.action) return undefined;
    if (picked.action === 'run' || picked.action === 'never') return { choices, never: picked.action === 'never' };
    if (picked.action === 'granularity') {
      const granularity = await pickGranularity(choices.granularity);
      if (granularity) choices = { ...choices, granularity };
    } else if (picked.action === 'budget') {
      const budget = await pickBudget(choices.budget);
      if (budget !== undefined) choices = { ...choices, budget };
    } else {
      const model = await pickModel(choices.model, options.listModels);
      if (model !== undefined) choices = { ...choices, model };
    }
  }
}

function hintOf(granularity: Granularity): string {
  return granularity.startsWith('separator:')
    ? 'one span per chunk between matches of the pattern'
    : GRANULARITY_HINTS[granularity as keyof typeof GRANULARITY_HINTS];
}

async function pickGranularity(current: Granularity): Promise<Granularity | undefined> {
  const picked = await vscode.window.showQuickPick(
    granularityChoices(current).map((granularity) => ({
      label: granularity,
      description: hintOf(granularity),
      picked: granularity === current,
      granularity,
    })),
    { title: 'One span is…', placeHolder: `now: ${current}` },
  );
  return picked?.granularity;
}

async function pickBudget(current: number): Promise<number | undefined> {
  const other = { label: 'Other…', description: 'type a number', budget: undefined };
  const picked = await vscode.window.showQuickPick(
    [
      ...budgetChoices(current).map((budget) => ({
        label: budget.toLocaleString('en-US'),
        description: budget === current ? 'now' : '',
        budget: budget,
      })),
      other,
    ],
    { title: 'The most model scores this run may take', placeHolder: `now: ${current.toLocaleString('en-US')}` },
  );
  if (!picked) return undefined;
  if (picked.budget !== undefined) return picked.budget;
  const typed = await vscode.window.showInputBox({
    title: 'Budget',
    prompt: 'The most model scores this run may take',
    value: String(current),
    validateInput: budgetProblem,
  });
  return typed === undefined ? undefined : parseBudget(typed);
}

async function pickModel(current: string, listModels: () => Promise<ListModelsResult>): Promise<string | undefined> {
  let listed: ListModelsResult;
  try {
    listed = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'SPEX: listing models' },
      listModels,
    );
  } catch (error) {
    void vscode.window.showWarningMessage(`SPEX: could not list the models: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    [
      { label: modelName(''), description: current === '' ? 'now' : '', model: '' },
      ...listed.models.map((model) => ({
        label: model.name,
        description: [model.name === current ? 'now' : '', model.digest?.slice(0, 12) ?? ''].filter((part) => part !== '').join(' · '),
        model: model.name,
      })),
    ],
    { title: `Models at ${listed.endpoint}`, placeHolder: `now: ${modelName(current)}` },
  );
  return picked?.model;
}
