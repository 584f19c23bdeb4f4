import type { Granularity } from '../../../protocol/features';
import type { ValueRange } from '../../../server/recovery/types';

/**
 * The long prompts of the quality benchmark (30–300 features), written for it. The llama ones are
 * TinyStories-style, so that the 260K-parameter TinyStories model continues them sensibly and copies
 * names and objects from them (real interactions between distant spans); the VADER ones mix praise,
 * complaints, negations, "but" and intensifiers, which VADER's rules combine non-additively.
 */
export interface LongWorkload {
  /** A short name for the command line (`--workload`). */
  readonly name: string;
  /** What the table shows. */
  readonly title: string;
  readonly description: string;
  readonly text: string;
  readonly granularity: Granularity;
  /** Regular expressions whose matches are never removed (the question after a RAG context). */
  readonly pin?: readonly string[];
  readonly backend: 'llama' | 'exec';
  /** The interval the value lies in, declared to ours as a user would (--value-range): VADER's compound is in [−1, 1]. */
  readonly valueRange?: ValueRange;
}

const COMPOUND_RANGE: ValueRange = { min: -1, max: 1 };

const STORY_SENTENCES = [
  'Once upon a time, there was a little girl named Mia.',
  'Mia lived in a small house with her mom and her dog, Max.',
  'Max was a big brown dog.',
  'He liked to run and jump.',
  'One day, Mia wanted to go to the park.',
  'She asked her mom if they could go.',
  'Her mom said yes, but they had to take Max.',
  'Mia was very happy.',
  'She put on her red shoes.',
  'They walked to the park together.',
  'At the park, Mia saw a boy named Ben.',
  'Ben had a blue ball.',
  'Ben threw the ball to Max.',
  'Max ran fast and got the ball.',
  'Mia and Ben laughed.',
  'Then the sky got dark.',
  'It began to rain.',
  'Mia was sad.',
  'She did not want to go home.',
  'Ben said they could hide under the big tree.',
  'They ran to the tree with Max.',
  'The rain was loud, but they were dry.',
  'Max shook his fur and made them wet.',
  'Mia and Ben giggled.',
  'Soon the sun came out again.',
  'They saw a big rainbow in the sky.',
  'Mia said the rainbow was so pretty.',
  'Ben smiled at her.',
  'Then Mia saw her mom.',
  'Her mom gave them each a cookie.',
  'Max wanted a cookie too.',
  'Mia gave Max a little bit of her cookie.',
  'Max wagged his tail.',
  'Mia hugged her dog.',
  'It was time to go home.',
];
/** The cue the model continues, pinned: the features are the story's 35 sentences. */
const STORY_CUE = 'The next day, Mia saw';

const WORD_STORY = [
  'Once upon a time, there was a little boy named Sam.',
  'Sam had a shiny red car.',
  'Every day he played with his car in the garden.',
  'One day, his friend Lucy came to play.',
  'Lucy wanted to play with the red car too.',
  'Sam did not want to share his toy.',
  'Lucy was sad and she began to cry.',
  'Sam saw her tears and he felt bad.',
  'He went to his room and found his big blue truck.',
  'He gave the truck to Lucy and said,',
].join(' ');

const PRODUCT_REVIEW = [
  'I bought this blender last month after reading many glowing reviews.',
  'The motor is powerful and it crushes ice easily, which I love.',
  'However, the lid does not fit well and leaked twice, making a terrible mess on my counter.',
  'Customer service was slow but friendly, and they eventually sent a replacement lid.',
  'The new one is better, though still not perfect.',
  'It is also very loud, so early smoothies wake the whole house.',
  'For the price, I honestly expected fewer problems.',
  'Still, the smoothies taste great and cleaning is surprisingly easy.',
  'Overall, a decent blender with annoying flaws.',
].join(' ');

const HOTEL_REVIEW = [
  'We stayed four nights at this hotel for a family wedding.',
  'The location is excellent, right by the old harbour.',
  'Our taxi driver got lost and was rude, which was not the hotel’s fault.',
  'Check-in was a horrible mess and took almost an hour.',
  'The receptionist apologised and gave us free drinks.',
  'Our room was small but very clean.',
  'The bed was comfortable and the pillows were soft.',
  'Unfortunately the window faced a noisy bar.',
  'We barely slept and felt miserable on Friday night.',
  'The staff moved us to a quieter room the next day, though the first one smelled terrible.',
  'The new room had a lovely balcony with a broken chair.',
  'Breakfast was the highlight of every morning.',
  'The pastries were fresh and the coffee was strong.',
  'Sadly the eggs were often cold.',
  'The pool was beautiful but too crowded in the afternoon.',
  'Towels at the pool ran out by noon, which was annoying.',
  'The gym was tiny and two machines were broken.',
  'Housekeeping was friendly and thorough.',
  'One evening we ate at the hotel restaurant.',
  'The fish was perfectly cooked.',
  'The dessert was disappointing and overpriced.',
  'Our waiter was charming and funny.',
  'The bill included a sneaky service charge, and the cashier was rude about it.',
  'The wedding reception in the garden was magical, despite the mosquitoes.',
  'The event team handled every detail with care.',
  'Loud music from the terrace kept guests awake until two, which was awful.',
  'Parking was expensive and a real problem.',
  'The valet scratched our rental car and we were furious.',
  'The manager offered to pay for the repair, which we appreciated.',
  'Wi-Fi was fast in the lobby and useless, truly awful, in the rooms.',
  'The air conditioning was noisy in the heat.',
  'The elevators were slow, dirty and often full.',
  'The spa was calm and the massage was wonderful.',
  'Prices at the bar were outrageous and the drinks were weak.',
  'Checkout was quick and painless.',
  'We left a bag behind and they posted it to us for free.',
  'It is not a perfect hotel, and some days were frustrating.',
  'Still, we would happily stay there again.',
].join(' ');

/** Forty short passages, one a line, about the people and things of a small town, then a question. */
const PASSAGES = [
  'Lily has a red ball.',
  'Tom lives near the river.',
  'The baker sells warm bread every morning.',
  'Lily likes to play in the park.',
  'Ben has a small green frog.',
  'The park has a big slide.',
  'Tom likes to fish with his dad.',
  'Sue has a white cat named Snow.',
  'The cat likes to sleep in the sun.',
  'Max is a brown dog.',
  'Max likes to chase the red ball.',
  'The river is cold and fast.',
  'Ben found his frog by the pond.',
  'Lily lost her red ball last week.',
  'Sue helps the baker on Sundays.',
  'The baker has a big oven.',
  'Tom has a blue boat.',
  'The boat is in the river.',
  'Anna has a pink kite.',
  'The kite flew over the trees.',
  'Anna and Lily are best friends.',
  'The dog dug a hole in the garden.',
  'There was a red ball in the hole.',
  'Mom grows flowers in the garden.',
  'The flowers are yellow and tall.',
  'Ben likes to climb trees.',
  'Sue gave the cat some milk.',
  'Tom saw a fish jump out of the water.',
  'The bird sang in the tree.',
  'Dad made a cake for Lily.',
  'The cake was big and sweet.',
  'Anna lost her kite in the wind.',
  'The kite fell into the river.',
  'Tom found the kite with his boat.',
  'Max ran to Lily with the red ball.',
  'Lily gave Max a hug.',
  'Ben and Tom played with the frog.',
  'The sun went down over the hills.',
  'Everyone went home for dinner.',
  'Lily was happy and went to bed.',
];
const QUESTION = 'One day, the boy with the blue boat went to the river. His name was';

const LONG_REVIEW = [
  'I have owned this laptop for six months, and my feelings about it are mixed.',
  'The screen is gorgeous, bright and sharp, and colours look wonderful for photo editing.',
  'The keyboard is comfortable, although the arrow keys are tiny and annoying.',
  'Battery life is excellent on light work, easily ten hours, but gaming drains it in ninety minutes.',
  'The fans are quiet most of the time, yet under load they scream like a hair dryer.',
  'Performance is impressive for the price, and large projects compile quickly.',
  'Sadly, the trackpad sometimes ignores clicks, which is frustrating during meetings.',
  'The speakers are thin and tinny, not terrible, but nothing special.',
  'The webcam is awful in dim light, and colleagues complained that I looked like a ghost.',
  'Build quality feels solid, and the aluminium lid has survived a few bumps without a scratch.',
  'However, the hinge creaks, and I worry it will not last.',
  'Ports are generous: two USB-C, one USB-A, HDMI and a card reader, which I really appreciate.',
  'The charger is compact and travels well.',
  'The box arrived dented, but nothing inside was broken.',
  'Setting it up took five minutes, which was a pleasant surprise.',
  'The fingerprint reader works perfectly and saves me time every morning.',
  'Next to it, my old laptop now feels slow, heavy and ugly.',
  'Software is another story.',
  'The laptop came loaded with useless trial programs and constant pop-ups.',
  'Removing them took an entire evening and a lot of patience.',
  'Support was polite but slow, and their first answer did not help at all.',
  'After two weeks they finally fixed a driver problem that caused random crashes.',
  'Since then it has been stable and reliable.',
  'Would I buy it again?',
  'Probably yes, because the screen and the speed are hard to beat, but I would not recommend it to anyone who hates noise.',
].join(' ');

export const LONG_WORKLOADS: readonly LongWorkload[] = [
  {
    name: 'story-sentences',
    title: 'story, 35 sentences',
    description: 'TinyStories 260K (llama backend, raw prompt): log-probability of its 12-token continuation of the pinned last line',
    text: `${STORY_SENTENCES.join(' ')} ${STORY_CUE}`,
    granularity: 'sentence',
    pin: [STORY_CUE],
    backend: 'llama',
  },
  {
    name: 'story-words',
    title: 'story, words',
    description: 'TinyStories 260K (llama backend, raw prompt): log-probability of its 12-token continuation',
    text: WORD_STORY,
    granularity: 'word',
    backend: 'llama',
  },
  {
    name: 'review-words',
    title: 'product review, words',
    description: 'VADER compound sentiment (exec backend)',
    valueRange: COMPOUND_RANGE,
    text: PRODUCT_REVIEW,
    granularity: 'word',
    backend: 'exec',
  },
  {
    name: 'review-sentences',
    title: 'hotel review, 38 sentences',
    description: 'VADER compound sentiment (exec backend)',
    valueRange: COMPOUND_RANGE,
    text: HOTEL_REVIEW,
    granularity: 'sentence',
    backend: 'exec',
  },
  {
    name: 'rag-passages',
    title: 'RAG context, 40 passages',
    description: 'TinyStories 260K (llama backend, raw prompt): log-probability of its 12-token answer to the pinned question',
    text: `${PASSAGES.join('\n')}\n${QUESTION}`,
    granularity: 'line',
    pin: [QUESTION],
    backend: 'llama',
  },
  {
    name: 'review-long-words',
    title: 'laptop review, words',
    description: 'VADER compound sentiment (exec backend)',
    valueRange: COMPOUND_RANGE,
    text: LONG_REVIEW,
    granularity: 'word',
    backend: 'exec',
  },
];
