import type { FixedGranularity, Granularity } from '../protocol/features';
import { GRANULARITIES } from '../protocol/features';
import type { ExplainOptions } from '../protocol/server';
import type { Settings } from './settings';

/** What a person may change for one run before it starts; the rest comes from the settings. */
export interface RunChoices {
  readonly granularity: Granularity;
  readonly budget: number;
  /** '' = the endpoint's first model, as in the setting. */
  readonly model: string;
}

/** Budgets offered in the quick pick (the setting's own value is offered too where it is none of these). */
export const BUDGET_CHOICES = [250, 500, 1000, 2000, 4000] as const;

/** What each fixed granularity makes a span of, and what it is for, as the quick pick says it. */
export const GRANULARITY_HINTS: Readonly<Record<FixedGranularity, string>> = {
  token: 'each model token: the finest and the costliest',
  word: 'each word: which words of an instruction matter',
  sentence: 'each sentence: prompts and instructions',
  line: 'each line: lists, few-shot examples, code',
  paragraph: 'each paragraph: RAG passages, sections of a document',
  message: 'each chat message: JSON or YAML message lists, .prompt files',
};

export function choicesOf(settings: Pick<Settings, 'granularity' | 'budget' | 'model'>): RunChoices {
  return { granularity: settings.granularity, budget: settings.budget, model: settings.model };
}

/** The options a run sends: only what differs from the settings, which the server already has. */
export function overridesOf(choices: RunChoices, settings: Pick<Settings, 'granularity' | 'budget' | 'model'>): ExplainOptions {
  return {
    ...(choices.granularity === settings.granularity ? {} : { granularity: choices.granularity }),
    ...(choices.budget === settings.budget ? {} : { budget: choices.budget }),
    ...(choices.model === settings.model ? {} : { model: choices.model }),
  };
}

/** The settings a run actually uses, for the cost-preview decision and the log. */
export function withChoices<T extends Pick<Settings, 'granularity' | 'budget' | 'model'>>(settings: T, choices: RunChoices): T {
  return { ...settings, granularity: choices.granularity, budget: choices.budget, model: choices.model };
}

/** "sentence spans · at most 1,000 model scores · llama3.2:1b": the run the Enter key starts. */
export function choiceSummary(choices: RunChoices): string {
  return `${granularityName(choices.granularity)} spans · at most ${choices.budget.toLocaleString('en-US')} model scores · ${modelName(choices.model)}`;
}

export function granularityName(granularity: Granularity): string {
  return granularity.startsWith('separator:') ? `"${granularity.slice('separator:'.length)}"-separated` : granularity;
}

export function modelName(model: string): string {
  return model === '' ? "the endpoint's first model" : model;
}

/** The granularities to offer: the fixed ones, and the current one where it is a separator pattern. */
export function granularityChoices(current: Granularity): readonly Granularity[] {
  return current.startsWith('separator:') ? [...GRANULARITIES, current] : GRANULARITIES;
}

/** The budgets to offer, ascending, with the current one among them. */
export function budgetChoices(current: number): readonly number[] {
  return [...new Set<number>([...BUDGET_CHOICES, current])].sort((a, b) => a - b);
}

/** Why a typed budget is refused, or undefined when it is a whole number from 1 to 1,000,000 (the setting's range). */
export function budgetProblem(text: string): string | undefined {
  const value = Number(text.replace(/[,_\s]/gu, ''));
  return Number.isInteger(value) && value >= 1 && value <= 1_000_000 ? undefined : 'A whole number of model scores from 1 to 1,000,000.';
}

export function parseBudget(text: string): number {
  return Number(text.replace(/[,_\s]/gu, ''));
}
