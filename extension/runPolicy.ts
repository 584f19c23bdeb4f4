import type { CostEstimate } from '../protocol/server';
import { isLocalBackend, type Settings } from './settings';

/** The configured endpoints as a list (one setting may hold one URL or several). */
export function endpointsOf(settings: Pick<Settings, 'endpoint'>): string[] {
  return typeof settings.endpoint === 'string' ? [settings.endpoint] : [...settings.endpoint];
}

/** True when an endpoint is not on this machine, so prompt text would leave it. */
export function isRemoteEndpoint(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return !(host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1' || host.endsWith('.localhost'));
  } catch {
    return true;
  }
}

/** The memento key of the one-time consent for an endpoint's origin. */
export function consentKey(endpoint: string): string {
  let origin = endpoint;
  try {
    origin = new URL(endpoint).origin;
  } catch {
    // A malformed URL is keyed as written; the server rejects it anyway.
  }
  return `spex.remoteConsent.${origin}`;
}

/** The origins the user agreed to send prompts to, from the memento's keys (what consentKey wrote). */
export function consentedOrigins(keys: readonly string[], agreed: (key: string) => boolean): string[] {
  const prefix = consentKey('');
  return keys.filter((key) => key.startsWith(prefix) && key.length > prefix.length && agreed(key)).map((key) => key.slice(prefix.length));
}

/** Large runs and remote endpoints get a cost preview and a question before any mask is scored. */
export function needsCostPreview(settings: Pick<Settings, 'budget' | 'confirmThreshold' | 'backend' | 'endpoint'>): boolean {
  const remote = !isLocalBackend(settings.backend) && endpointsOf(settings).some(isRemoteEndpoint);
  return remote || settings.budget > settings.confirmThreshold;
}

/** What the preview's sample measured, where the calls per mask vary (the greedy walk) or tokens are counted. */
function measuredRate(estimate: CostEstimate): string {
  const sample = estimate.sample;
  if (!sample) return '';
  const parts: string[] = [];
  if (sample.requestsPerMask !== null) parts.push(`${sample.requestsPerMask.toFixed(1)} per masked prompt`);
  if (sample.tokensPerMask !== null) parts.push(`${Math.round(sample.tokensPerMask)} prompt tokens each`);
  return parts.length > 0 ? `; ${parts.join(', ')}, measured on ${sample.masks}` : '';
}

/** The cost preview, in one sentence a person can decide on. */
export function previewMessage(estimate: CostEstimate): string {
  const seconds = Math.max(1, Math.round(estimate.estimatedMs / 1000));
  const time = seconds < 90 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
  // One span can only be there or not: its "explanation" is the difference between two scores, with no interaction to find.
  const single =
    estimate.features === 1
      ? ' The selection is a single span, so there is nothing to attribute between spans: choose a finer granularity or a longer selection.'
      : '';
  return (
    `SPEX will explain ${estimate.features} ${estimate.features === 1 ? 'span' : 'spans'} with ${estimate.algorithm}: up to ${estimate.plannedMasks} masked prompts, ` +
    `${estimate.plannedCalls} model calls (${estimate.valueFunction.name}${measuredRate(estimate)}), about ${time}` +
    `${estimate.remote ? ', sent to a remote endpoint' : ''}.${single} Continue?`
  );
}
