import type { ShowExplanationMessage, VerifyFailedMessage, VerifyResultMessage } from '../../protocol/webview';
import type { Verification } from '../state';

/** Why "Verify with model" is off for this view, or undefined when the host can verify it. */
export function verifyBlockedReason(
  view: { readonly message: ShowExplanationMessage; readonly restored: boolean } | undefined,
): string | undefined {
  if (!view) return 'No explanation to verify.';
  if (view.restored)
    return 'Verification is off: this explanation was restored after a reload, and its run has ended. Run it again to verify.';
  if (view.message.cancelled === true) return 'Verification is off: the run was cancelled. Run it again to verify.';
  if (view.message.partial) return 'Verification is off while the run is still going: verify once it finishes.';
  if (view.message.verifiable === false) return 'Verification is off: the editor cannot score masks for this explanation.';
  return undefined;
}

/** The protocol's mask of a what-if: 1 = kept, one entry per feature. */
export function maskBits(featureCount: number, removed: readonly number[]): number[] {
  const gone = new Set(removed);
  return Array.from({ length: featureCount }, (_, index) => (gone.has(index) ? 0 : 1));
}

/**
 * The verifications with the host's answer filled in, or undefined when the answer is to no request
 * still pending here (a stale answer after a reload, or a request this page never made). A result
 * for a mask other than the one asked about counts as a failure.
 */
export function withAnswer(
  verifications: readonly Verification[],
  answer: VerifyResultMessage | VerifyFailedMessage,
  featureCount: number,
): Verification[] | undefined {
  const entry = verifications.find((candidate) => candidate.requestId === answer.requestId && candidate.status === 'pending');
  if (!entry) return undefined;
  let next: Verification;
  if (answer.type === 'verifyFailed') next = { ...entry, status: 'failed', message: answer.message };
  else {
    const expected = maskBits(featureCount, entry.removed);
    const matches = answer.mask.length === expected.length && answer.mask.every((bit, index) => bit === expected[index]);
    next = matches
      ? { ...entry, status: 'done', value: answer.value, cached: answer.cached, ...(answer.answer ? { answer: answer.answer } : {}) }
      : { ...entry, status: 'failed', message: 'The answer was for a different mask.' };
  }
  return verifications.map((candidate) => (candidate === entry ? next : candidate));
}

/** Every feature index below `featureCount` that is not in `kept`. */
export function complement(featureCount: number, kept: Iterable<number>): number[] {
  const keep = new Set(kept);
  return Array.from({ length: featureCount }, (_, index) => index).filter((index) => !keep.has(index));
}
