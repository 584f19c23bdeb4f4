import type { CostEstimate } from './server';

/** An estimated duration as a person reads it: seconds under a minute and a half, minutes beyond. */
export function estimatedTime(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  return seconds < 90 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

/**
 * A cost estimate in one sentence, for agents (the MCP server's estimate_cost and the editor's
 * language-model tool say it alike): "6 spans; exact: up to 66 masked prompts, about 66 model calls
 * (logprob), about 1 s."
 */
export function describeEstimate(estimate: CostEstimate): string {
  return (
    `${estimate.features} spans; ${estimate.algorithm}: up to ${estimate.plannedMasks} masked prompts, about ${estimate.plannedCalls} model calls ` +
    `(${estimate.valueFunction.name}), about ${estimatedTime(estimate.estimatedMs)}${estimate.remote ? ', sent to a remote endpoint' : ''}.`
  );
}
