import type { Explanation } from '../../protocol/explanation';
import { effectKind, type EffectKind } from '../../protocol/effects';
import type { BatchAggregate, Outlier, RecurringInteraction, SpanAcrossInputs } from '../../protocol/batch';

export type { BatchAggregate, Outlier, RecurringInteraction, SpanAcrossInputs } from '../../protocol/batch';
import { spanEffects } from '../../protocol/spanEffects';
import { hasFindings, verdictOf } from '../../protocol/verdict';

/** The strongest interactions of each input taken into the counts. */
export const TOP_PER_INPUT = 5;
/** An input is an outlier beyond the median distance plus this many scaled median absolute deviations. */
const OUTLIER_MADS = 3;

/**
 * Aggregates the explanations of one template over many inputs. Every explanation has the template's
 * spans, the same in number, text and order (see renderTemplate); the inputs' text is pinned.
 */
export function aggregateBatch(explanations: readonly Explanation[], lines: readonly number[]): BatchAggregate {
  const first = explanations[0];
  if (!first) return { spans: [], interactions: [], outliers: [], withoutFindings: [] };
  const n = first.features.length;
  const withoutFindings: number[] = [];
  const used: { input: number; effects: readonly number[]; explanation: Explanation }[] = [];
  explanations.forEach((explanation, input) => {
    if (explanation.features.length !== n)
      throw new RangeError(`Input ${input + 1} has ${explanation.features.length} spans, not the template's ${n}.`);
    if (!hasFindings(verdictOf(explanation))) withoutFindings.push(input);
    else used.push({ input, effects: spanEffects(explanation, 'shapley'), explanation });
  });
  const inTop = new Uint32Array(n);
  const recurring = new Map<string, { features: number[]; values: number[]; kind: EffectKind }>();
  for (const { explanation } of used) {
    const top = explanation.interactions
      .filter((term) => term.features.length >= 2 && !term.belowNoise)
      .sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
      .slice(0, TOP_PER_INPUT);
    const members = new Set(top.flatMap((term) => term.features));
    for (const feature of members) inTop[feature] = (inTop[feature] as number) + 1;
    for (const term of top) {
      const key = term.features.join(',');
      const entry = recurring.get(key) ?? {
        features: [...term.features],
        values: [],
        kind: effectKind(explanation.index, term.features.length, term.value),
      };
      entry.values.push(term.value);
      recurring.set(key, entry);
    }
  }
  const spans: SpanAcrossInputs[] = first.features.map((feature, index) => {
    const values = used.map((entry) => entry.effects[index] as number);
    const mean = values.length > 0 ? values.reduce((sum, value) => sum + value, 0) / values.length : 0;
    const variance = values.length > 1 ? values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1) : 0;
    return {
      index,
      text: feature.text,
      mean,
      spread: Math.sqrt(variance),
      min: values.length > 0 ? Math.min(...values) : 0,
      max: values.length > 0 ? Math.max(...values) : 0,
      inTopInteractions: inTop[index] as number,
    };
  });
  const interactions: RecurringInteraction[] = [...recurring.values()]
    .filter((entry) => entry.values.length >= 2)
    .map((entry) => ({
      features: entry.features,
      kind: entry.kind,
      inputs: entry.values.length,
      mean: entry.values.reduce((sum, value) => sum + value, 0) / entry.values.length,
    }))
    .sort((a, b) => b.inputs - a.inputs || Math.abs(b.mean) - Math.abs(a.mean));
  return { spans, interactions, outliers: outliersOf(used, spans, lines), withoutFindings };
}

/** Inputs far from the rest: distance to the mean effects beyond the median plus OUTLIER_MADS scaled MADs. */
function outliersOf(
  used: readonly { input: number; effects: readonly number[] }[],
  spans: readonly SpanAcrossInputs[],
  lines: readonly number[],
): Outlier[] {
  if (used.length < 3) return [];
  const distances = used.map(({ effects }) => Math.hypot(...spans.map((span) => (effects[span.index] as number) - span.mean)));
  const median = (values: readonly number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  };
  const center = median(distances);
  // 1.4826 scales the MAD to a standard deviation for normal data; a floor keeps identical inputs from flagging rounding.
  const scale = Math.max(1.4826 * median(distances.map((distance) => Math.abs(distance - center))), 1e-9 + 1e-6 * center);
  const outliers: Outlier[] = [];
  used.forEach(({ input, effects }, position) => {
    const distance = distances[position] as number;
    if (distance <= center + OUTLIER_MADS * scale) return;
    let span = 0;
    let difference = 0;
    for (const entry of spans) {
      const gap = (effects[entry.index] as number) - entry.mean;
      if (Math.abs(gap) > Math.abs(difference)) {
        difference = gap;
        span = entry.index;
      }
    }
    outliers.push({ input, line: lines[input] ?? input + 1, distance, span, difference });
  });
  return outliers.sort((a, b) => b.distance - a.distance);
}
