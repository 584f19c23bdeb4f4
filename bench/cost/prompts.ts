/**
 * The two workloads of the cost benchmark (`npm run bench -- --only cost`), shared by its sections so
 * that every figure is measured on the same prompts. The model is the tiny TinyStories model, so the
 * texts are children's stories: what matters here is the shape of the work (how many spans, how long
 * the answer, what is pinned), not what the model says.
 */

export interface CostWorkload {
  readonly name: string;
  readonly text: string;
  readonly granularity: 'sentence' | 'paragraph';
  /** Regular expressions for text that is never removed. */
  readonly pin: readonly string[];
  /** The answer's length in tokens (generated greedily from the full prompt). */
  readonly answerTokens: number;
  readonly budget: number;
}

const RAG_PARAGRAPHS = [
  '[1] Lily had a red ball. She liked to play with it in the park every day.',
  '[2] One day the ball rolled into the pond. Lily was sad and started to cry.',
  '[3] A big dog came to the pond. The dog was kind and wanted to help Lily.',
  '[4] The dog jumped into the water and swam to the ball. It was very brave.',
  '[5] Tom lived next door. He had a blue kite and a little cat named Tim.',
  '[6] The dog brought the ball back to Lily. She hugged the dog and smiled.',
  '[7] The sun was hot that day, so the birds sat in the shade of a tree.',
  '[8] Lily and the dog became best friends. They played in the park together.',
];

/** Eight retrieved paragraphs (two are distractors) with the question pinned after them. */
export const RAG_WORKLOAD: CostWorkload = {
  name: 'RAG, 8 paragraphs',
  text: `${RAG_PARAGRAPHS.join('\n\n')}\n\nQuestion: Who helped Lily get her ball back?\nAnswer:`,
  granularity: 'paragraph',
  pin: ['Question:[^\\n]*\\nAnswer:'],
  answerTokens: 24,
  budget: 500,
};

/** A twelve-sentence story explained sentence by sentence. */
export const STORY_WORKLOAD: CostWorkload = {
  name: 'story, 12 sentences',
  text:
    'Once upon a time, there was a little girl named Lily. She loved to play outside in the sun. ' +
    'One day, she saw a big tree with a swing. Lily ran to the swing and sat on it. ' +
    'Her mom came to push her high in the sky. Lily laughed and felt very happy. ' +
    'Then a little bird flew down to the tree. The bird sang a pretty song for Lily. ' +
    'Lily wanted to give the bird some food. She ran home and got some bread. ' +
    'The bird ate the bread and sang again. Lily and the bird were friends forever.\nThe next day, Lily',
  granularity: 'sentence',
  // The story goes on from a pinned cue: a story that ends invites a new one, whose first token is "<s>".
  pin: ['\\nThe next day, Lily$'],
  answerTokens: 24,
  budget: 500,
};

export const COST_WORKLOADS: readonly CostWorkload[] = [RAG_WORKLOAD, STORY_WORKLOAD];
