import { explanationResourceUri } from '../../protocol/mcpView';
import { answerAsShown } from '../../protocol/answerText';
import { effectKind } from '../../protocol/effects';
import type { Explanation } from '../../protocol/explanation';
import { explanationGist } from '../../protocol/gist';
import { spanEffects } from '../../protocol/spanEffects';
import { spanTag } from '../../protocol/spanNumbers';
import { hasFindings, verdictOf } from '../../protocol/verdict';

/**
 * What an agent is told about an explanation: the verdict first (a fit that does not capture the
 * model has no findings to act on), the answer explained, the gist in one sentence, the spans with
 * the largest total effect and the strongest interactions, each with its text. Indices are 0-based
 * (the explanation JSON's); `tag` is the "[n]" people read.
 */
export interface ExplanationSummary {
  readonly id: string;
  readonly verdict: { readonly level: string; readonly label: string; readonly evidence: string; readonly r2: number | null };
  readonly answer: string | null;
  readonly gist: string;
  readonly spanCount: number;
  readonly spans: readonly { readonly index: number; readonly tag: string; readonly text: string; readonly effect: number }[];
  readonly interactions: readonly {
    readonly spans: readonly number[];
    readonly tags: string;
    readonly texts: readonly string[];
    readonly value: number;
    readonly kind: string;
  }[];
  readonly index: string;
  readonly calls: { readonly model: number; readonly cached: number };
  /** The run was cancelled: the figures are what the masks scored so far explain. */
  readonly partial: boolean;
}

export function summarizeExplanation(id: string, explanation: Explanation, top: number, partial: boolean): ExplanationSummary {
  const verdict = verdictOf(explanation);
  const findings = hasFindings(verdict);
  const effects = spanEffects(explanation, 'shapley');
  const spans = findings
    ? effects
        .map((effect, index) => ({ index, tag: spanTag(index), text: explanation.features[index]?.text ?? '', effect }))
        .filter((span) => span.effect !== 0)
        .sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect))
        .slice(0, top)
    : [];
  const interactions = findings
    ? explanation.interactions
        .filter((term) => term.features.length >= 2)
        .slice(0, top)
        .map((term) => ({
          spans: [...term.features],
          tags: term.features.map(spanTag).join('+'),
          texts: term.features.map((index) => explanation.features[index]?.text ?? ''),
          value: term.value,
          kind: effectKind(explanation.index, term.features.length, term.value),
        }))
    : [];
  return {
    id,
    verdict: { level: verdict.level, label: verdict.label, evidence: verdict.evidence, r2: explanation.faithfulness.r2 },
    answer: explanation.target === null ? null : answerAsShown(explanation.target, explanation.targetCut),
    gist: explanationGist(explanation),
    spanCount: explanation.features.length,
    spans,
    interactions,
    index: explanation.index,
    calls: { model: explanation.calls.model, cached: explanation.calls.cached },
    partial,
  };
}

/**
 * The summary in a few lines of Markdown, for hosts that show text rather than structured content.
 * `idNote` names the id for the MCP tools that take it (what_if, refine); the editor's language-model
 * tool, which has none of them, leaves it out.
 */
export function summaryMarkdown(summary: ExplanationSummary, idNote = true): string {
  const lines = [
    `**${summary.verdict.label}** (${summary.verdict.evidence})${summary.partial ? ' — partial: the run was cancelled' : ''}`,
    '',
    summary.gist,
  ];
  if (summary.answer !== null) lines.push('', `Answer explained: “${summary.answer}”`);
  if (summary.spans.length > 0) {
    lines.push('', 'Spans with the largest total effect:');
    for (const span of summary.spans) lines.push(`- ${span.tag} ${span.effect > 0 ? '+' : ''}${span.effect.toFixed(3)} “${span.text}”`);
  }
  if (summary.interactions.length > 0) {
    lines.push('', `Strongest interactions (${summary.index}):`);
    for (const term of summary.interactions)
      lines.push(
        `- ${term.tags} ${term.kind} ${term.value > 0 ? '+' : ''}${term.value.toFixed(3)}: ${term.texts.map((text) => `“${text}”`).join(' + ')}`,
      );
  }
  if (idNote) lines.push('', `Explanation id: ${summary.id} (for what_if and refine; resource ${explanationResourceUri(summary.id)}).`);
  return lines.join('\n');
}
