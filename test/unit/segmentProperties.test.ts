import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Granularity } from '../../protocol/features';
import { applyMask, type Masking } from '../../server/ablation/mask';
import { segmentText } from '../../server/ablation/segment';
import { randomInteger, seededRandom, type RandomSource } from '../../server/recovery/random';
import { assertMaskInvariants, assertSegmentationInvariants } from './segmentationInvariants';

/** Pieces of text from the classes that have slipped through segmentation before, and ordinary ones. */
const ATOMS: readonly string[] = [
  // Plain words, numbers, touching punctuation.
  'hello',
  'Tom',
  "don't",
  'e.g.',
  '42',
  '3.14',
  'Hello,',
  '(It',
  'works.)',
  '"Quoted"',
  'It works.',
  'Really?',
  // Punctuation and symbols on their own.
  '!!!',
  '???',
  '—',
  '&',
  '=',
  '#',
  '-',
  '*',
  '...',
  '«»',
  '§',
  '©',
  '+',
  '$',
  // Emoji: ZWJ sequences, skin tones, flags, keycaps, a lone regional indicator.
  '👨‍👩‍👧‍👦',
  '🧑🏽‍💻',
  '👍🏽',
  '🏳️‍🌈',
  '🍕',
  '🇫🇷',
  '🇯🇵🇫🇷',
  '🇫',
  '#️⃣',
  '1️⃣',
  '*️⃣',
  // CJK, Korean, Thai, Arabic, Hebrew, mathematical letters.
  '我喜欢吃苹果。',
  '你呢？',
  '日本語',
  '한국어',
  'สวัสดีครับ',
  'مرحبا',
  'بالعالم،',
  'שלום',
  'עולם!',
  '𝒳',
  // Combining marks with and without a base, format characters, replacement and lone surrogates.
  'Cafe\u0301',
  '\u0301',
  '\u20E3',
  'n\u0303o\u0308',
  '\uFEFF',
  'a\uFEFFb',
  'word\uFEFF',
  '\uFFFD',
  '\uD800',
  '\uDC00',
  'x\uD83Dy',
  '\u200D',
  '\u200B',
  'a\u200Cb',
  '\u00AD',
  '\u0000',
  '---',
  '|',
];

/** Whitespace of every kind, including line ends beyond LF, and nothing at all (touching atoms). */
const GAPS: readonly string[] = [
  ' ',
  ' ',
  ' ',
  '  ',
  '\t',
  '\n',
  '\n',
  '\r',
  '\r\n',
  '\n\n',
  '\r\r',
  '\r\n\r\n',
  '\n \n',
  '\u00A0',
  '\u2028',
  '\u2029',
  '\u0085',
  '\u3000',
  '\u202F',
  '\u2009',
  '\v',
  '\f',
  '',
  '',
  ' \n---\n ',
];

const EDGES: readonly string[] = ['', '', '', ' ', '\n', '\r\n', '  \t', '\u00A0', '\u2028', '\n\n', '\u0085', '\u3000 '];

const GRANULARITIES: readonly Granularity[] = [
  'token',
  'word',
  'sentence',
  'line',
  'paragraph',
  'separator:---',
  'separator:\\n',
  'separator:[,;|]',
  'separator:\\s*\\|\\s*',
  'separator:\\p{P}+',
  'separator:\\s+',
];

const pick = <T>(random: RandomSource, items: readonly T[]): T => items[randomInteger(random, items.length)] as T;

function generateText(random: RandomSource, maxAtoms: number): string {
  const count = randomInteger(random, maxAtoms + 1);
  let text = pick(random, EDGES);
  for (let i = 0; i < count; i += 1) text += (i > 0 ? pick(random, GAPS) : '') + pick(random, ATOMS);
  return text + pick(random, EDGES);
}

const escapeForPattern = (literal: string): string => literal.replace(/[\\^$.*+?()[\]{}|/]/gu, '\\$&');

/** Pins as a person might write them: a literal piece of the text, a class of characters, or nothing. */
function generatePins(random: RandomSource, text: string): string[] {
  const pins: string[] = [];
  const count = randomInteger(random, 3);
  for (let i = 0; i < count; i += 1) {
    const choice = randomInteger(random, 4);
    if (choice === 0 && text.length > 0) {
      const start = randomInteger(random, text.length);
      pins.push(escapeForPattern(text.slice(start, start + 1 + randomInteger(random, 8))));
    } else if (choice === 1) {
      pins.push(pick(random, ['\\d+', '[!?]+', '—', '\\p{Extended_Pictographic}', '\\n', ' ', '\\p{L}+:']));
    } else if (choice === 2) {
      pins.push(pick(random, ['Tom', 'hello', '#', '\\uFEFF', '\\p{Script=Han}+']));
    }
  }
  return pins;
}

function randomMask(random: RandomSource, length: number): Uint8Array {
  const keepRate = random();
  return Uint8Array.from({ length }, () => (random() < keepRate ? 1 : 0));
}

const MASKINGS: readonly Masking[] = [{ kind: 'remove' }, { kind: 'placeholder', text: '[MASK]' }];

function checkText(text: string, pins: readonly string[], random: RandomSource): void {
  for (const granularity of GRANULARITIES) {
    for (const pin of pins.length > 0 ? [[], pins] : [[]]) {
      const context = ` at ${granularity}${pin.length > 0 ? ` pinning ${JSON.stringify(pin)}` : ''}`;
      const segmentation = segmentText(text, { granularity, pin, locale: 'en' });
      assertSegmentationInvariants(text, segmentation, context);
      const n = segmentation.features.length;
      const masks = [new Uint8Array(n).fill(1), new Uint8Array(n), randomMask(random, n), randomMask(random, n)];
      for (const masking of MASKINGS) {
        for (const mask of masks) {
          const output = applyMask(text, segmentation.features, mask, masking);
          assertMaskInvariants(text, segmentation, mask, masking, output, `${context} with ${masking.kind}`);
        }
      }
    }
  }
}

describe('segmentation and masking properties (seeded fuzz)', () => {
  it('hold for 600 generated short texts at every granularity, with and without pins', () => {
    const random = seededRandom(14);
    for (let round = 0; round < 600; round += 1) {
      const text = generateText(random, 12);
      checkText(text, generatePins(random, text), random);
    }
  });

  it('hold for texts of symbols and whitespace only', () => {
    const random = seededRandom(1414);
    const symbols = ATOMS.filter((atom) => !/[\p{L}\p{N}]/u.test(atom));
    for (let round = 0; round < 150; round += 1) {
      let text = pick(random, EDGES);
      for (let i = 0, count = 1 + randomInteger(random, 6); i < count; i += 1) text += pick(random, GAPS) + pick(random, symbols);
      checkText(text + pick(random, EDGES), generatePins(random, text), random);
    }
  });

  it('hold for long texts segmented in chunks, with the same words and sentences as part by part', () => {
    const random = seededRandom(140);
    for (let round = 0; round < 3; round += 1) {
      // Parts joined by blank lines never influence each other's words or sentences, so segmenting the
      // whole (in chunks, past 4,000 code units) must give what segmenting each part alone gives.
      const parts = Array.from({ length: 120 }, () => generateText(random, 60).trim() || 'x');
      const text = parts.join('\n\n');
      assert.ok(text.length > 12_000, `the long text has only ${text.length} code units`);
      for (const granularity of ['word', 'sentence', 'token', 'line'] as const) {
        const whole = segmentText(text, { granularity, locale: 'en' });
        assertSegmentationInvariants(text, whole, ` at ${granularity} (long)`);
        let offset = 0;
        const partByPart = parts.flatMap((part) => {
          const shifted = segmentText(part, { granularity, locale: 'en' }).features.map((feature) => [
            feature.text,
            feature.start + offset,
          ]);
          offset += part.length + 2;
          return shifted;
        });
        assert.deepEqual(
          whole.features.map((feature) => [feature.text, feature.start]),
          partByPart,
          `${granularity} features differ when the long text is segmented in chunks`,
        );
        const mask = randomMask(random, whole.features.length);
        assertMaskInvariants(text, whole, mask, { kind: 'remove' }, applyMask(text, whole.features, mask, { kind: 'remove' }), ` (long)`);
      }
    }
  });
});
