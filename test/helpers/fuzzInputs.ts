/**
 * Seeded generators for the fuzz suite (test/server/fuzz.test.ts): texts drawn from Unicode classes
 * that break naive code (surrogate pairs, lone surrogates, combining marks, RTL and bidi controls,
 * ZWJ emoji, BOMs, control characters, every kind of line break, markup), option values that are
 * wrong in every way a person or a program gets them wrong, and JSON-RPC params of every shape.
 * The same seed gives the same inputs, so a failure names the seed and index that reproduce it.
 */
import { randomInteger, seededRandom, type RandomSource } from '../../server/recovery/random';

export { randomInteger, seededRandom, type RandomSource };

/** Pieces of text by the kind of trouble they cause. */
export const UNICODE_CLASSES = {
  ascii: ['the', 'cat', 'sat', 'on', 'a', 'mat.', 'Hello,', 'world!', '42', 'x=1;', 'e.g.', 'Dr.', 'U.S.A.', 'end?'],
  latin: ['naïve', 'café', 'Ærøskøbing', 'straße', 'ﬁnance', 'İstanbul', 'ǅemal'],
  combining: ['e\u0301', 'a\u0300\u0316', 'Z\u0351\u0360\u0334\u0315a\u0362', 'ก\u0e31\u0e49'],
  cjk: ['测试', '日本語の文章です。', '한국어 문장.', '東京タワー', '「引用」', '中文，标点！'],
  rtl: ['مرحبا بالعالم.', 'שלום עולם', '\u202Eevil\u202C', '\u200Fmark', 'עברית123', 'سؤال؟'],
  emoji: ['🍕', '👩‍👩‍👧‍👦', '🇫🇷', '1️⃣', '👍🏽', '🏳️‍🌈', '#️⃣', '🧑🏿‍🚀'],
  invisible: ['\uFEFF', '\u200B', '\u200D', '\u2060', '\u00AD', 'wo\uFEFFrd', 'zero\u200Bwidth'],
  replacement: ['\uFFFD', 'bad\uFFFDbyte'],
  loneSurrogates: ['\uD800', '\uDFFF', 'a\uD83Db', '\uDC00\uD800'],
  control: ['\u0000', '\u0007', '\u001B[31mred\u001B[0m', '\u007F', '\u0085'],
  punctuation: ['.', '!', '?', '…', '。', '؟', '&', '=', '#', '—', '"', "'", '(', ')', '[MASK]', '*', '--', '...'],
  markup: [
    '<script>alert("fz")</script>',
    '<img src=x onerror=alert(1)>',
    '"><svg onload=alert(1)>',
    "'><b>bold</b>",
    '&lt;not a tag&gt;',
    '&amp;',
    '<!--',
    '-->',
    '</textarea></div></span>',
    '<style>body{display:none}</style>',
    '<a href="javascript:alert(1)">x</a>',
    '<fz-marker data-x="1">',
    '{{7*7}}',
    '${process.exit()}',
  ],
  markdown: ['| a | b |', '**bold**', '`code`', '[link](http://x)', '# Heading', '> quote', '\\|'],
} as const;

export type UnicodeClass = keyof typeof UNICODE_CLASSES;
const CLASS_NAMES = Object.keys(UNICODE_CLASSES) as UnicodeClass[];

/** Whitespace that separates pieces, weighted towards the common kinds. */
const SEPARATORS = [' ', ' ', ' ', ' ', '  ', '\n', '\n\n', '\r\n', '\t', '\u00A0', '\u2028', '\u2029', '\u3000', '\v', '\f', '', ''];

export function pick<T>(random: RandomSource, items: readonly T[]): T {
  return items[randomInteger(random, items.length)] as T;
}

/** A length in UTF-16 units: mostly small, sometimes empty or long. */
export function randomLength(random: RandomSource): number {
  const roll = random();
  if (roll < 0.05) return 0;
  if (roll < 0.1) return 1 + randomInteger(random, 3);
  if (roll < 0.6) return 4 + randomInteger(random, 120);
  if (roll < 0.9) return 100 + randomInteger(random, 2_000);
  if (roll < 0.99) return 2_000 + randomInteger(random, 30_000);
  return 30_000 + randomInteger(random, 200_000);
}

/**
 * A text of exactly `length` UTF-16 units from a few Unicode classes (or `classes` when given). The
 * cut at the end may split a surrogate pair or a grapheme: that is part of the point.
 */
export function randomText(random: RandomSource, length: number, classes?: readonly UnicodeClass[]): string {
  if (length === 0) return '';
  const chosen = classes ?? Array.from({ length: 1 + randomInteger(random, 3) }, () => pick(random, CLASS_NAMES));
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    const piece = pick(random, UNICODE_CLASSES[pick(random, chosen)]);
    const separator = pick(random, SEPARATORS);
    parts.push(piece, separator);
    size += piece.length + separator.length;
  }
  return parts.join('').slice(0, length);
}

/** A long text made fast: one random paragraph repeated, cut to `length`. */
export function repeatedText(random: RandomSource, length: number): string {
  const unit = `${randomText(random, 2_000)}\n\n`;
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

/** Granularities, including separators that split, that are invalid, or that can never match. */
export function randomGranularity(random: RandomSource): string {
  return pick(random, [
    'word',
    'word',
    'sentence',
    'sentence',
    'token',
    'line',
    'paragraph',
    'separator:\\n---\\n',
    'separator:[.;]',
    'separator:\\s+',
    'separator:(',
    'separator:',
    'separator:a*',
    'separator:\\p{Script=Han}',
    'separator:[[:alpha:]]',
  ]);
}

/** Pin patterns, among them zero-width ones that match only past the start (\b, lookaheads). */
export function randomPins(random: RandomSource): string[] {
  const roll = random();
  if (roll < 0.6) return [];
  return Array.from({ length: 1 + randomInteger(random, 2) }, () =>
    pick(random, [
      'Question:[^\\n]*',
      'the',
      '\\d+',
      '[A-Z]\\w*',
      '<[^>]*>',
      '🍕',
      '(',
      '',
      'a*',
      '^',
      '[',
      '(?<n>x)\\k<m>',
      '.',
      '\\b',
      '(?=e)',
    ]),
  );
}

/** Option values that are wrong: negative, fractional, huge, empty, words, option-like. */
const BAD_NUMBERS = [
  '-5',
  '-1',
  '-0.5',
  '0',
  '1.5',
  '1e999',
  'NaN',
  'Infinity',
  '-Infinity',
  '',
  ' ',
  'ten',
  '0x10z',
  '99999999999999',
  '--',
  '-',
];

/** A command line that must be refused with exit code 2: each entry mixes valid options with one or more bad ones. */
export function randomBadCommandLine(random: RandomSource, input: string): string[] {
  const base = ['explain', input, '--exec', 'node test/fixtures/scorers/fakeScorer.mjs sum'];
  const badOptions: (() => string[])[] = [
    () => [
      pick(random, ['--budget', '--top', '--seed', '--timeout', '--retries', '--threads', '--order', '--max-order', '--concurrency']),
      pick(
        random,
        BAD_NUMBERS.filter((value) => !['0'].includes(value)),
      ),
    ],
    () => [pick(random, ['--target-r2', '--plateau']), pick(random, ['-0.1', '1.5', 'x', '', '-1e3', 'NaN'])],
    () => ['--algorithm', pick(random, ['magic', 'AUTO', '', 'exact ', 'proxy'])],
    () => ['--value', pick(random, ['magic', 'logprobs', ''])],
    () => ['--index', pick(random, ['lime', 'shap', ''])],
    () => ['--format', pick(random, ['pdf', 'JSON', ''])],
    () => ['--granularity', pick(random, ['chapter', 'separator:(', 'separator:', 'words'])],
    () => ['--mask', pick(random, ['hide', 'blank', ''])],
    () => [
      '--endpoint',
      pick(random, ['ftp://x', 'http://a:b@h', 'http://h/?key=fz-SECRET', 'http://h/#t=fz-SECRET', 'fz-SECRET', 'http://']),
    ],
    () => [pick(random, ['--bogus', '--budget', '-x', '--no-such-option=1'])],
    () => ['--api-key-env', pick(random, ['fz-SECRET value', '1ABC', ''])],
    () => ['--backend', pick(random, ['gpt', 'exec2', ''])],
    () => ['--cache', 'somewhere', '--no-cache'],
  ];
  const args = [...base];
  const count = 1 + randomInteger(random, 2);
  for (let i = 0; i < count; i += 1) args.push(...pick(random, badOptions)());
  // The flag that takes no value is the case with a trailing option name: keep it last.
  return args;
}

/** A JSON value of any shape, to put where params or a field are expected. */
export function randomJson(random: RandomSource, depth = 0): unknown {
  const roll = randomInteger(random, depth > 2 ? 7 : 10);
  switch (roll) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return pick(random, [0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308]);
    case 3:
      return randomText(random, randomInteger(random, 12));
    case 4:
      return '';
    case 5:
      return pick(random, ['word', 'sentence', 'separator:(', 'exec', 'auto', 'http://h/?k=fz-SECRET']);
    case 6:
      return [];
    case 7:
      return Array.from({ length: 1 + randomInteger(random, 3) }, () => randomJson(random, depth + 1));
    default: {
      const keys = [
        'text',
        'granularity',
        'pin',
        'options',
        'explanationId',
        'mask',
        'range',
        'documentUri',
        'workDoneToken',
        'budget',
        'x',
      ];
      const object: Record<string, unknown> = {};
      for (let i = randomInteger(random, 4); i > 0; i -= 1) object[pick(random, keys)] = randomJson(random, depth + 1);
      return object;
    }
  }
}
