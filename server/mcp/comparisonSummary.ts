import { changeSize, type Comparison } from '../../protocol/comparison';
import type { ComparisonShape } from './toolShapes';

/** What an agent is told about a comparison: whether the answers differ first, then the largest changes. */
export function comparisonSummary(comparison: Comparison, idA: string, idB: string, top: number): ComparisonShape {
  return {
    idA,
    idB,
    answersDiffer: comparison.answers.differ,
    answerA: comparison.answers.a,
    answerB: comparison.answers.b,
    alignedShare: comparison.alignedShare,
    tooDifferent: comparison.tooDifferent,
    spans: [...comparison.spans]
      .sort((x, y) => changeSize(y) - changeSize(x))
      .slice(0, top)
      .map((span) => ({
        status: span.status,
        textA: span.textA ?? null,
        textB: span.textB ?? null,
        valueA: span.valueA,
        valueB: span.valueB,
        change: span.change,
      })),
    interactions: comparison.interactions.slice(0, top).map((term) => ({
      kind: term.kind,
      spansA: term.featuresA ? [...term.featuresA] : null,
      spansB: term.featuresB ? [...term.featuresB] : null,
      valueA: term.valueA,
      valueB: term.valueB,
      change: term.change,
    })),
  };
}

export function comparisonText(summary: ComparisonShape): string {
  const lines = [
    summary.answersDiffer
      ? `**The answers differ.** A: “${summary.answerA ?? ''}” · B: “${summary.answerB ?? ''}”`
      : `Both versions give the same answer: “${summary.answerA ?? ''}”.`,
  ];
  if (summary.tooDifferent)
    lines.push('', `The versions share too few spans (${Math.round(summary.alignedShare * 100)} %) to compare span by span.`);
  lines.push('', 'Spans, largest change first:');
  for (const span of summary.spans)
    lines.push(
      `- ${span.status}: “${span.textA ?? span.textB ?? ''}”${span.status === 'edited' ? ` → “${span.textB ?? ''}”` : ''} ` +
        `A ${span.valueA?.toFixed(3) ?? '—'}, B ${span.valueB?.toFixed(3) ?? '—'}${span.change === null ? '' : `, change ${span.change.toFixed(3)}`}`,
    );
  lines.push('', `Explanation ids: A ${summary.idA}, B ${summary.idB} (for what_if and refine).`);
  return lines.join('\n');
}
