import { answerAsShown } from '../../protocol/answerText';
import { describeRefinement } from '../../protocol/refinement';
import { describeDevice } from '../../protocol/device';
import {
  describeChatPrompt,
  describeNoiseRepeats,
  describeSurrogate,
  sampledMasks,
  spentOfBudget,
  type Explanation,
  type Sampling,
} from '../../protocol/explanation';
import { verdictOf } from '../../protocol/verdict';
import type { ShowSegmentationMessage } from '../../protocol/webview';
import { h } from '../dom';
import { milliseconds, plain, plural } from '../format';

export interface HeaderParts {
  readonly summary: HTMLElement;
  readonly facts: HTMLElement;
  readonly warning: HTMLElement;
  readonly banner: HTMLElement;
}

export interface RunState {
  readonly partial: boolean;
  readonly cancelled: boolean;
  readonly restored: boolean;
}

/** The one-line summary and the facts of a segmentation: how the text splits, nothing measured yet. */
export function renderSegmentationHeader(parts: HeaderParts, message: ShowSegmentationMessage): void {
  parts.summary.textContent = `${plural(message.features.length, 'feature')}${
    message.pinned.length > 0 ? `, ${plural(message.pinned.length, 'pinned span')}` : ''
  }`;
  parts.facts.replaceChildren();
  parts.warning.hidden = true;
  parts.banner.hidden = false;
  parts.banner.className = 'banner info';
  parts.banner.textContent = 'How the text splits into spans. Nothing has been measured yet.';
}

/**
 * The explanation's header: the target answer, model, value function, algorithm, calls and cache,
 * time, faithfulness (held-out R², noise floor) and the measured full and empty values, with a
 * warning when R² is low and a banner while the run is partial or after it was cancelled.
 */
export function renderExplanationHeader(parts: HeaderParts, explanation: Explanation, run: RunState): void {
  const { calls, timing } = explanation;
  const verdict = verdictOf(explanation);
  parts.summary.textContent =
    `${run.partial ? 'Partial · ' : ''}${verdict.short} · ${plural(explanation.features.length, 'feature')}` +
    `${explanation.chat ? ` in ${plural(explanation.chat.roles.length, 'message')}` : ''} · ` +
    // An exact verdict already says every mask was scored: naming the exact algorithm too would say it twice.
    `${verdict.level === 'exact' ? '' : `${explanation.algorithm.name} · `}${explanation.valueFunction.name} · ` +
    `${calls.model} model calls, ${calls.cached} cached`;
  parts.summary.dataset.verdict = verdict.level;
  // A div per pair (allowed in a dl) keeps each term next to its value in the grid.
  const fact = (term: string, value: string, title?: string): HTMLElement =>
    h('div', { className: 'fact' }, h('dt', { text: term }), h('dd', { text: value, ...(title ? { title } : {}) }));
  const finite = (value: number | null): value is number => typeof value === 'number' && Number.isFinite(value);
  parts.facts.replaceChildren(
    fact(
      'Target',
      explanation.target === null
        ? '(none: the value function has no answer text)'
        : `“${answerAsShown(explanation.target, explanation.targetCut)}”`,
    ),
    fact('Model', explanation.model),
    ...(explanation.chat ? [fact('Prompt', `chat: ${explanation.chat.roles.join(', ')}`, describeChatPrompt(explanation.chat))] : []),
    ...(explanation.device ? [fact('Device', describeDevice(explanation.device))] : []),
    fact('Value', explanation.valueFunction.name, explanation.valueFunction.reason),
    fact('Algorithm', explanation.algorithm.name, explanation.algorithm.reason),
    fact(
      'Calls',
      `${calls.model.toLocaleString('en-US')} model · ${calls.cached.toLocaleString('en-US')} cached · ${plural(calls.masks, 'mask')}`,
    ),
    ...(explanation.refinement ? [fact('Drill-down', describeRefinement(explanation))] : []),
    fact(
      'Time',
      // Calls run concurrently, so their summed time can exceed the run's: said so, it does not read as a bug.
      `${milliseconds(timing.totalMs)} (model calls ${milliseconds(timing.modelMs)}${timing.modelMs > timing.totalMs ? ' in parallel' : ''}, recovery ${milliseconds(timing.recoveryMs)})`,
    ),
    fact('Faithfulness', `${verdict.short}: ${verdict.evidence}`, verdict.label),
    ...(explanation.sampling ? [samplingFact(explanation.sampling, fact)] : []),
    fact(
      'Noise floor',
      explanation.noiseFloor === null ? 'not measured' : explanation.noiseFloor === 0 ? '0 (deterministic)' : plain(explanation.noiseFloor),
      'The spread of repeated scores of the full prompt: effects this small may not be real.',
    ),
    fact(
      'Full / empty',
      `${finite(explanation.fullValue) ? plain(explanation.fullValue) : '—'} / ${finite(explanation.emptyValue) ? plain(explanation.emptyValue) : '—'}`,
      'The value with every span kept, and with every span removed.',
    ),
  );
  // A rough or failed fit says so above everything else: its values and what-ifs are not to be taken as read.
  const warn = verdict.level === 'rough' || verdict.level === 'poor';
  parts.warning.hidden = !warn;
  parts.warning.className = `warning ${verdict.level}`;
  parts.warning.textContent = warn
    ? `${verdict.level === 'poor' ? 'Does not fit' : 'Rough fit'} (${verdict.evidence}). ` +
      (verdict.level === 'poor'
        ? "The model's behaviour is not captured, so no spans or interactions are shown as findings; what-if predictions are unreliable. Try a coarser granularity or a larger budget."
        : 'Read the top spans only; values and what-if predictions are approximate. A larger budget or a coarser granularity would sharpen it; verify important what-ifs with the model.')
    : '';
  if (run.cancelled) {
    parts.banner.className = 'banner partial';
    parts.banner.textContent = `Cancelled — what ${plural(calls.masks, 'scored mask')} explain. The values are from a fit on those.`;
  } else if (run.partial) {
    parts.banner.className = 'banner partial running';
    parts.banner.textContent = `Partial — still running (${plural(calls.masks, 'mask')} scored so far). The view updates as rounds finish.`;
  } else if (run.restored) {
    parts.banner.className = 'banner info';
    parts.banner.textContent = 'Restored from the last session. Run the explanation again to verify what-ifs with the model.';
  } else {
    parts.banner.className = 'banner';
    parts.banner.textContent = '';
  }
  parts.banner.hidden = parts.banner.textContent === '';
}

/**
 * How the budget was spent: masks scored of the budget and why sampling stopped; the tooltip lists
 * each round's R² on the masks it had not been fit on, the anytime check behind an early stop.
 */
function samplingFact(sampling: Sampling, fact: (term: string, value: string, title?: string) => HTMLElement): HTMLElement {
  const scored = sampledMasks(sampling);
  const spent = spentOfBudget(sampling);
  const early = spent < sampling.budget;
  const rounds = sampling.rounds
    .map(
      (round) =>
        `${round.masks.toLocaleString('en-US')} masks: ${round.freshR2 === null ? 'first round' : `R² ${round.freshR2.toFixed(3)} on the new masks`}`,
    )
    .join('\n');
  const surrogate = sampling.surrogate ? `\nSurrogate: ${describeSurrogate(sampling.surrogate)}` : '';
  return fact(
    'Sampling',
    `${plural(scored, 'mask')}${describeNoiseRepeats(sampling)} of a budget of ${sampling.budget.toLocaleString('en-US')}${early ? ` (${(sampling.budget - spent).toLocaleString('en-US')} saved)` : ''} · ${sampling.stoppedBecause}`,
    `${rounds}${surrogate}`,
  );
}
