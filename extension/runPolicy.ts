import { endpointOrigin, isRemoteEndpoint } from '../server/backends/remoteEndpoint';
import { estimatedTime } from '../protocol/costEstimate';
import type { CostEstimate } from '../protocol/server';

export { isRemoteEndpoint };
import { isLocalBackend, type Settings } from './settings';

/** The configured endpoints as a list (one setting may hold one URL or several). */
export function endpointsOf(settings: Pick<Settings, 'endpoint'>): string[] {
  return typeof settings.endpoint === 'string' ? [settings.endpoint] : [...settings.endpoint];
}

/** The configured endpoints off this machine, where prompt text would go (none for the backends that run here). */
export function remoteEndpointsOf(settings: Pick<Settings, 'backend' | 'endpoint'>): string[] {
  return isLocalBackend(settings.backend) ? [] : endpointsOf(settings).filter(isRemoteEndpoint);
}

/** The memento key of the one-time consent for an endpoint's origin (a malformed URL is keyed as written; the server rejects it anyway). */
export function consentKey(endpoint: string): string {
  return `spex.remoteConsent.${endpointOrigin(endpoint)}`;
}

/** The remote endpoints the person has not agreed to yet: the editor's question and the language-model tools' ask about these. */
export function unagreedEndpoints(settings: Pick<Settings, 'backend' | 'endpoint'>, agreed: (key: string) => boolean): string[] {
  return remoteEndpointsOf(settings).filter((endpoint) => !agreed(consentKey(endpoint)));
}

/** The origins the user agreed to send prompts to, from the memento's keys (what consentKey wrote). */
export function consentedOrigins(keys: readonly string[], agreed: (key: string) => boolean): string[] {
  const prefix = consentKey('');
  return keys.filter((key) => key.startsWith(prefix) && key.length > prefix.length && agreed(key)).map((key) => key.slice(prefix.length));
}

/** Large runs and remote endpoints get a cost preview and a question before any mask is scored. */
export function needsCostPreview(settings: Pick<Settings, 'budget' | 'confirmThreshold' | 'backend' | 'endpoint'>): boolean {
  return remoteEndpointsOf(settings).length > 0 || settings.budget > settings.confirmThreshold;
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
  const time = estimatedTime(estimate.estimatedMs);
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
