/**
 * An answer as people read it: where generation stopped at the token limit, mid-word or mid-sentence,
 * an ellipsis says so ("You are a g…"), so a cut answer is not mistaken for the model's whole reply.
 */
export function answerAsShown(text: string, cut: boolean | undefined): string {
  return cut === true ? `${text.trimEnd()}…` : text;
}
