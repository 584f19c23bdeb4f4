/**
 * An answer as people read it: where generation stopped at the token limit, mid-word or mid-sentence,
 * an ellipsis says so ("You are a g…"), so a cut answer is not mistaken for the model's whole reply.
 */
export function answerAsShown(text: string, cut: boolean | undefined): string {
  return cut === true ? `${text.trimEnd()}…` : text;
}

/** Whether two answers are the same answer: runs of white space count as one space, ends trimmed. */
export function sameAnswer(a: string | null, b: string | null): boolean {
  const plain = (answer: string | null): string | null => (answer === null ? null : answer.replace(/\s+/gu, ' ').trim());
  return plain(a) === plain(b);
}
