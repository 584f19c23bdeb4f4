import { answerAsShown } from '../../protocol/answerText';
import { describeView } from '../../protocol/termFilter';
import { describeDevice } from '../../protocol/device';
import { describeChatPrompt, type Explanation } from '../../protocol/explanation';
import { describeVerdict, hasFindings, verdictOf } from '../../protocol/verdict';
import { kindOf, shortText } from './spanText';
import { spanTag } from '../../protocol/spanNumbers';
import { explanationGist } from '../../protocol/gist';

/**
 * A self-contained HTML report: no scripts, no external resources, styles inline. The explained
 * text is shown with each feature tinted by its first-order value (blue raises, orange lowers: a
 * colour-blind-safe pair), followed by the table of top interactions. Every piece of prompt or
 * model text is escaped.
 */
export function formatHtml(explanation: Explanation): string {
  // featureValues hold each span's effect when kept under every index (Banzhaf values under the Fourier one).
  const firstOrder = explanation.featureValues;
  const scale = Math.max(1e-12, ...firstOrder.map(Math.abs));
  const verdict = verdictOf(explanation);
  const pieces: string[] = [];
  let cursor = 0;
  for (const feature of explanation.features) {
    pieces.push(escapeHtml(explanation.text.slice(cursor, feature.start)));
    const value = firstOrder[feature.index] ?? 0;
    const alpha = Math.min(1, Math.abs(value) / scale) * 0.55;
    const colour = value >= 0 ? `rgba(0, 114, 178, ${alpha.toFixed(3)})` : `rgba(230, 159, 0, ${alpha.toFixed(3)})`;
    pieces.push(
      `<span class="f" style="background:${colour}" title="${escapeHtml(`${spanTag(feature.index)} ${value.toFixed(4)}`)}">${escapeHtml(feature.text)}</span>`,
    );
    cursor = feature.end;
  }
  pieces.push(escapeHtml(explanation.text.slice(cursor)));
  const rows = explanation.interactions
    .map(
      (term, rank) =>
        `<tr><td>${rank + 1}</td><td>${term.features.length}</td><td>${term.value.toFixed(4)}</td><td>${kindOf(explanation, term)}</td><td>${term.features
          .map((index) => `${spanTag(index)} ${escapeHtml(shortText(explanation.features[index]?.text ?? '', 80))}`)
          .join('<br>')}</td></tr>`,
    )
    .join('\n');
  const r2 = explanation.faithfulness.r2;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>SPEX explanation</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f1f1f; background: #fff; }
.text { white-space: pre-wrap; font-family: ui-monospace, monospace; line-height: 1.7; border: 1px solid #ddd; padding: 1rem; }
.f { border-radius: 3px; }
table { border-collapse: collapse; margin-top: 1rem; }
td, th { border: 1px solid #ddd; padding: 0.3rem 0.6rem; vertical-align: top; }
.meta { color: #555; }
.verdict { padding: 0.4rem 0.6rem; border-left: 4px solid #0072b2; }
.verdict.rough, .verdict.poor { border-left-color: #e69f00; }
</style>
</head>
<body>
<h1>SPEX explanation</h1>
<p class="meta">${explanation.chat ? `Prompt: ${escapeHtml(describeChatPrompt(explanation.chat))} · ` : ''}Model: ${escapeHtml(explanation.model)}${explanation.device ? ` · device: ${escapeHtml(describeDevice(explanation.device))}` : ''} · value function: ${escapeHtml(explanation.valueFunction.name)} · algorithm: ${escapeHtml(explanation.algorithm.name)} · ${explanation.features.length} features · ${explanation.calls.model} model calls, ${explanation.calls.cached} cached · ${r2 === null ? 'every mask scored' : `held-out R² ${r2.toFixed(4)}`}</p>
<p class="verdict ${verdict.level}"><strong>Verdict: ${escapeHtml(describeVerdict(verdict))}</strong></p>
<p class="gist">${escapeHtml(explanationGist(explanation))}</p>
${explanation.target === null ? '' : `<p>Answer explained: <q>${escapeHtml(answerAsShown(explanation.target, explanation.targetCut))}</q></p>`}
<p>Blue spans raise the value, orange spans lower it (first-order ${explanation.index === 'fourier' ? 'Banzhaf values: Fourier signs are inverted' : escapeHtml(explanation.index)}).</p>
<div class="text">${pieces.join('')}</div>
<h2>Top interactions (${escapeHtml(explanation.index)}, order ≤ ${explanation.order})</h2>
${
  hasFindings(verdict)
    ? `<table>
<tr><th>#</th><th>Order</th><th>Value</th><th>Kind</th><th>Spans</th></tr>
${rows}
</table>`
    : "<p>None reported: the surrogate does not capture the model's behaviour, so its terms are not findings.</p>"
}${explanation.view ? `\n<p class="view">${escapeHtml(describeView(explanation))}.</p>` : ''}
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/gu,
    (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character] ?? character,
  );
}
