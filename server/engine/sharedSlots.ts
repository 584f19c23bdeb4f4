import type { CallSlots } from './callSlots';
import type { ValueSource } from './valueSource';

/**
 * `source` with every masked prompt scored in one of `slots`, which the explanations calling the same
 * endpoints share. Each explanation has its own scheduler (retries, adaptive limits); without a shared
 * bound, three at once would put three times the configured concurrency on one endpoint. Waiting
 * calls take slots in arrival order, so explanations running together progress together, and an
 * endpoint stays busy while any of them is fitting.
 */
export function withSharedSlots(source: ValueSource, slots: CallSlots): ValueSource {
  return { ...source, score: (text, mask, signal) => slots.run(() => source.score(text, mask, signal), signal) };
}
