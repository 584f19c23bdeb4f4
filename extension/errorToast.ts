/**
 * How a failed run is told in a notification: one short sentence and buttons, the whole message in
 * the output channel (a notification of a paragraph wraps to a dozen lines and hides the editor).
 */
export type ToastAction = 'Choose Backend' | 'Open Settings' | 'Show Details';

export interface ErrorToast {
  readonly text: string;
  readonly actions: readonly ToastAction[];
  /** The setting "Choose Backend" or "Open Settings" opens. */
  readonly setting?: string;
}

/** Longer first sentences are cut at a word, with an ellipsis. */
const MAX_TOAST_LENGTH = 160;

export function errorToast(message: string): ErrorToast {
  if (/node-llama-cpp/u.test(message) && /not installed/u.test(message))
    return {
      text: 'SPEX: the llama backend needs the platform build of the extension, which ships node-llama-cpp; or choose another backend.',
      actions: ['Choose Backend', 'Show Details'],
      setting: 'spex.backend',
    };
  const unreachable = /ECONNREFUSED|unreachable|fetch failed|ENOTFOUND/iu.test(message);
  return {
    text: `SPEX: ${firstSentence(message)}`,
    actions: unreachable ? ['Open Settings', 'Show Details'] : ['Show Details'],
    ...(unreachable ? { setting: 'spex.endpoint' } : {}),
  };
}

/** The message's first sentence on its first line, whole or cut at a word with an ellipsis. */
export function firstSentence(message: string): string {
  const line = (message.split('\n')[0] ?? message).trim();
  const end = /[.!?](\s|$)/u.exec(line);
  const sentence = end ? line.slice(0, end.index + 1) : line;
  if (sentence.length <= MAX_TOAST_LENGTH) return sentence;
  const cut = sentence.slice(0, MAX_TOAST_LENGTH - 1);
  const atWord = cut.slice(0, Math.max(cut.lastIndexOf(' '), MAX_TOAST_LENGTH / 2));
  return `${atWord.trimEnd()}…`;
}
