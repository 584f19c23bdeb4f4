import { answerAsShown } from '../../protocol/answerText';
import { describeDevice } from '../../protocol/device';
import {
  describeChatPrompt,
  describeLinkScale,
  describeLocalCorrection,
  describeSurrogate,
  describeTokens,
  type Explanation,
} from '../../protocol/explanation';
import { hasFindings, verdictOf } from '../../protocol/verdict';
import { describeSampling } from './sampling';
import { kindOf, shortText } from './spanText';
import { spanNumber, spanTag } from '../../protocol/spanNumbers';
import { explanationGist } from '../../protocol/gist';
import { describeView } from '../../protocol/termFilter';
import { describeRefinement } from '../../protocol/refinement';

/**
 * A readable report: the faithfulness line, the text with the strongest spans marked, and a table of
 * the top interactions with their span texts. Span texts are escaped so a prompt cannot inject Markdown.
 */
export function formatMarkdown(explanation: Explanation): string {
  const lines: string[] = [];
  const verdict = verdictOf(explanation);
  lines.push('# SPEX explanation', '');
  lines.push(
    `**Verdict: ${escapeMarkdown(verdict.label)}** (${escapeMarkdown(verdict.evidence)})${verdict.advice ? `. ${escapeMarkdown(verdict.advice)}` : ''}`,
    '',
    `**In short:** ${escapeMarkdown(explanationGist(explanation))}`,
    '',
  );
  lines.push(`- Model: ${escapeMarkdown(explanation.model)}`);
  if (explanation.chat) lines.push(`- Prompt: ${escapeMarkdown(describeChatPrompt(explanation.chat))}`);
  if (explanation.device) lines.push(`- Device: ${escapeMarkdown(describeDevice(explanation.device))}`);
  if (explanation.target !== null)
    lines.push(`- Answer explained: “${escapeMarkdown(shortText(answerAsShown(explanation.target, explanation.targetCut), 200))}”`);
  lines.push(`- Value function: ${explanation.valueFunction.name} (${escapeMarkdown(explanation.valueFunction.reason)})`);
  lines.push(`- Algorithm: ${explanation.algorithm.name} (${escapeMarkdown(explanation.algorithm.reason)})`);
  lines.push(
    `- Features: ${explanation.features.length} ${explanation.refinement ? `(the split spans by ${explanation.refinement.to}, the others by ${explanation.refinement.from})` : `at ${explanation.granularity} granularity`}; value with all kept ${fixed(explanation.fullValue)}, with none ${fixed(explanation.emptyValue)}`,
  );
  lines.push(
    `- Calls: ${explanation.calls.model} model, ${explanation.calls.cached} cached, ${explanation.calls.masks} masks${setupCalls(explanation)}; ${Math.round(explanation.timing.totalMs)} ms`,
  );
  const cost = describeRequests(explanation);
  if (cost) lines.push(`- ${cost}`);
  if (explanation.calls.tokens) lines.push(`- Tokens: ${describeTokens(explanation.calls.tokens)}`);
  if (explanation.sampling) lines.push(`- Sampling: ${escapeMarkdown(describeSampling(explanation.sampling))}`);
  if (explanation.sampling?.surrogate) lines.push(`- Surrogate: ${describeSurrogate(explanation.sampling.surrogate)}`);
  if (explanation.linkScale) lines.push(`- Link scale: ${describeLinkScale(explanation.linkScale)}`);
  if (explanation.localCorrection) lines.push(`- Near the anchors: ${describeLocalCorrection(explanation.localCorrection)}`);
  if (explanation.refinement) lines.push(`- Drill-down: ${describeRefinement(explanation)}`);
  if (explanation.noiseFloor !== null) {
    lines.push(
      `- Noise floor: ${fixed(explanation.noiseFloor)} (spread of repeated scores of the full prompt; effects at or below it are marked †)`,
    );
  }
  lines.push('', '## Text', '', markedText(explanation));
  lines.push('', `## Top interactions (${explanation.index}, order ≤ ${explanation.order})`, '');
  if (!hasFindings(verdict)) {
    lines.push("None reported: the surrogate does not capture the model's behaviour, so its terms are not findings.");
  } else if (explanation.interactions.length === 0) {
    lines.push('None: no span or set of spans changes the value.');
  } else {
    lines.push('| # | Order | Value | Kind | Spans |', '|---:|---:|---:|---|---|');
    explanation.interactions.forEach((term, rank) => {
      lines.push(
        `| ${rank + 1} | ${term.features.length} | ${fixed(term.value)}${term.belowNoise ? ' †' : ''} | ${kindOf(explanation, term)} | ${term.features.map((index) => `${spanTag(index)} ${quote(explanation, index)}`).join(' + ')} |`,
      );
    });
  }
  if (explanation.view) lines.push('', `${describeView(explanation)}.`);
  lines.push('', '## Features', '');
  for (const feature of explanation.features) lines.push(`${spanNumber(feature.index)}. ${escapeMarkdown(shortText(feature.text, 120))}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The explained text with every span of a reported interaction in bold, followed by its feature
 * number, so the table's numbers can be found in the text. Line breaks are kept.
 */
function markedText(explanation: Explanation): string {
  const reported = new Set(explanation.interactions.flatMap((term) => term.features));
  let output = '';
  let cursor = 0;
  for (const feature of explanation.features) {
    output += escapeMarkdown(explanation.text.slice(cursor, feature.start));
    const text = escapeMarkdown(feature.text);
    // Bold does not cross line breaks in Markdown, so a multi-line span is bolded line by line.
    output += reported.has(feature.index) ? `**${text.replace(/\n/gu, '**\n**')}**<sup>${spanNumber(feature.index)}</sup>` : text;
    cursor = feature.end;
  }
  output += escapeMarkdown(explanation.text.slice(cursor));
  return output
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}

function quote(explanation: Explanation, index: number): string {
  const feature = explanation.features[index];
  return feature ? `“${escapeMarkdown(shortText(feature.text, 60))}”` : '';
}

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]<>()#+!|~]/gu, (character) => `\\${character}`);
}

/**
 * What the scoring cost in requests where it varies by mask (the greedy walk), and how many values
 * are only upper bounds: both say how far to trust and what the run paid.
 */
export function describeRequests(explanation: Explanation): string | undefined {
  const { requests, bounded, model } = explanation.calls;
  const parts: string[] = [];
  if (requests !== undefined && model > 0 && requests !== model) {
    parts.push(`${requests} model requests for ${model} masks (${(requests / model).toFixed(2)} per mask)`);
  }
  if (bounded !== undefined && bounded > 0) {
    parts.push(
      `${bounded} of ${explanation.calls.masks} mask values are upper bounds (an answer token was outside the alternatives the endpoint lists); the fit treats them as censored`,
    );
  }
  return parts.length > 0 ? `Scoring: ${parts.join('; ')}` : undefined;
}

/** The set-up's calls, which the cache never answers: a fully cached rerun still makes them. */
function setupCalls(explanation: Explanation): string {
  const setup = explanation.calls.setup ?? 0;
  return setup > 0
    ? `; ${setup} set-up call${setup === 1 ? '' : 's'} (the model's identity, the answer to the full prompt, the checks of what the endpoint returns)`
    : '';
}

function fixed(value: number): string {
  return value.toFixed(4);
}
