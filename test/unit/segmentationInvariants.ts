import assert from 'node:assert/strict';
import type { Feature, PinnedSpan } from '../../protocol/features';
import { type Masking } from '../../server/ablation/mask';
import type { Segmentation } from '../../server/ablation/segment';

/**
 * The promises segmentation and masking make, checked independently of how they are implemented.
 * Whitespace is Unicode White_Space, spelled out here rather than imported so that a wrong
 * definition in the code under test cannot hide itself.
 */
const WHITESPACE = /^\p{White_Space}$/u;
const LINE_BREAK = /\r\n|[\n\v\f\r\u0085\u2028\u2029]/gu;

export const isWhitespaceUnit = (unit: string | undefined): boolean => unit !== undefined && WHITESPACE.test(unit);
export const withoutWhitespace = (text: string): string => text.replace(/\p{White_Space}+/gu, '');
const lineBreaks = (text: string): number => text.match(LINE_BREAK)?.length ?? 0;

export function leadingWhitespace(text: string): string {
  let end = 0;
  while (end < text.length && isWhitespaceUnit(text[end])) end += 1;
  return text.slice(0, end);
}

export function trailingWhitespace(text: string): string {
  let start = text.length;
  while (start > 0 && isWhitespaceUnit(text[start - 1])) start -= 1;
  return text.slice(start);
}

const describe = (text: string): string => JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);

/**
 * Offsets map back, features are in order and never overlap each other or a pin, never start or end
 * with whitespace, and every character that is not whitespace belongs to exactly one feature or pin.
 */
export function assertSegmentationInvariants(text: string, { features, pinned }: Segmentation, context = ''): void {
  const where = `${context} in ${describe(text)}`;
  const owners = new Int32Array(text.length);
  const claim = (start: number, end: number, what: string): void => {
    for (let i = start; i < end; i += 1) {
      assert.equal(owners[i], 0, `${what} overlaps another span at ${i}${where}`);
      owners[i] = 1;
    }
  };
  let previousEnd = 0;
  features.forEach((feature: Feature, position) => {
    assert.equal(feature.index, position, `feature ${position} has index ${feature.index}${where}`);
    assert.equal(text.slice(feature.start, feature.end), feature.text, `feature ${position} offsets${where}`);
    assert.ok(feature.text.length > 0, `feature ${position} is empty${where}`);
    assert.ok(feature.start >= previousEnd, `feature ${position} is out of order${where}`);
    assert.ok(!isWhitespaceUnit(feature.text[0]), `feature ${position} starts with whitespace${where}`);
    assert.ok(!isWhitespaceUnit(feature.text[feature.text.length - 1]), `feature ${position} ends with whitespace${where}`);
    claim(feature.start, feature.end, `feature ${position}`);
    previousEnd = feature.end;
  });
  pinned.forEach((span: PinnedSpan, position) => {
    assert.equal(text.slice(span.start, span.end), span.text, `pin ${position} offsets${where}`);
    claim(span.start, span.end, `pin ${position}`);
  });
  for (let i = 0; i < text.length; i += 1) {
    if (owners[i] === 0 && !isWhitespaceUnit(text[i])) {
      const unit = (text.codePointAt(i) ?? 0).toString(16).toUpperCase().padStart(4, '0');
      assert.fail(`character ${i} (U+${unit}) is in no feature and no pin${where}`);
    }
  }
}

/**
 * What `applyMask` must give for `mask`: the all-ones mask is the text itself; the text's own leading
 * and trailing whitespace always stays; apart from whitespace, the output is the kept features and
 * placeholders and the pins, in text order, and nothing else; the separator between two adjacent
 * kept features is kept; and across a removed run between two kept features stands exactly one of
 * the two whitespace runs that meet there, the one with more line breaks.
 */
export function assertMaskInvariants(
  text: string,
  { features, pinned }: Segmentation,
  mask: ArrayLike<number>,
  masking: Masking,
  output: string,
  context = '',
): void {
  const where = `${context} for mask ${Array.from(mask).join('')} of ${describe(text)} → ${describe(output)}`;
  const keptAll = Array.from(mask).every((bit) => bit === 1);
  if (keptAll) assert.equal(output, text, `the all-kept mask changed the text${where}`);

  assert.ok(output.startsWith(leadingWhitespace(text)), `leading whitespace lost${where}`);
  assert.ok(output.endsWith(trailingWhitespace(text)), `trailing whitespace lost${where}`);
  if (withoutWhitespace(output).length > 0) {
    assert.equal(leadingWhitespace(output), leadingWhitespace(text), `leading whitespace changed${where}`);
    assert.equal(trailingWhitespace(output), trailingWhitespace(text), `trailing whitespace changed${where}`);
  }

  const items = [
    ...features.map((feature, i) => ({
      start: feature.start,
      text: mask[i] === 1 ? feature.text : masking.kind === 'placeholder' ? masking.text : '',
    })),
    ...pinned.map((span) => ({ start: span.start, text: span.text })),
  ].sort((a, b) => a.start - b.start);
  assert.equal(
    withoutWhitespace(output),
    items.map((item) => withoutWhitespace(item.text)).join(''),
    `the output is not the kept text in order${where}`,
  );

  if (masking.kind === 'placeholder') {
    // Nothing collapses: every feature's place keeps its text or the placeholder, and all else stays.
    let expected = '';
    let cursor = 0;
    features.forEach((feature, i) => {
      expected += text.slice(cursor, feature.start) + (mask[i] === 1 ? feature.text : masking.text);
      cursor = feature.end;
    });
    assert.equal(output, expected + text.slice(cursor), `placeholder masking changed more than the features${where}`);
  }

  for (let i = 0; i + 1 < features.length; i += 1) {
    const left = features[i] as Feature;
    if (mask[i] !== 1) continue;
    let j = i + 1;
    while (j < features.length && mask[j] !== 1 && masking.kind === 'remove') j += 1;
    const right = features[j];
    if (right === undefined || mask[j] !== 1) continue;
    if (j === i + 1) {
      assert.ok(output.includes(text.slice(left.start, right.end)), `separator between kept features ${i} and ${j} changed${where}`);
      continue;
    }
    const between = text.slice(left.end, right.start);
    if (withoutWhitespace(between).length > 0) continue; // A pin stands in the gap: covered by the order check.
    const before = text.slice(left.end, (features[i + 1] as Feature).start);
    const after = text.slice((features[j - 1] as Feature).end, right.start);
    const expected = lineBreaks(after) > lineBreaks(before) ? after : before || after;
    assert.ok(
      output.includes(left.text + expected + right.text),
      `gap between kept features ${i} and ${j} not collapsed to ${JSON.stringify(expected)}${where}`,
    );
  }
}
