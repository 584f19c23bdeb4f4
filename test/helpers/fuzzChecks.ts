/**
 * The invariants the fuzz suite holds every output to, whatever the input: features map back to
 * the text, no stack trace reaches a person, HTML reports carry prompt text only as text.
 */
import assert from 'node:assert/strict';
import type { Feature, PinnedSpan } from '../../protocol/features';

/** A line of a JavaScript stack trace ("    at fn (file.js:1:2)"). */
const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/mu;

export function assertNoStackTrace(text: string, where: string): void {
  assert.doesNotMatch(text, STACK_FRAME, `${where} shows a stack trace:\n${text.slice(0, 2_000)}`);
}

/**
 * Features (and pinned spans) are in order, inside the text, non-empty, disjoint, numbered from 0,
 * and each is exactly `text.slice(start, end)`. Nothing is asserted about which characters belong to
 * a feature: segmentation rules may change, offsets must always hold.
 */
export function assertFeaturesMapBack(text: string, features: readonly Feature[], pinned: readonly PinnedSpan[], where: string): void {
  let previousEnd = 0;
  features.forEach((feature, position) => {
    assert.equal(feature.index, position, `${where}: feature ${position} has index ${feature.index}`);
    assert.ok(
      Number.isInteger(feature.start) && Number.isInteger(feature.end) && feature.start >= previousEnd && feature.end > feature.start,
      `${where}: feature ${position} spans ${feature.start}–${feature.end} after ${previousEnd}`,
    );
    assert.ok(feature.end <= text.length, `${where}: feature ${position} ends at ${feature.end}, past the text (${text.length})`);
    assert.ok(text.slice(feature.start, feature.end) === feature.text, `${where}: feature ${position} does not map back to its offsets`);
    previousEnd = feature.end;
  });
  for (const span of pinned) {
    assert.ok(text.slice(span.start, span.end) === span.text, `${where}: a pinned span does not map back to its offsets`);
    const overlapping = features.find((feature) => feature.start < span.end && span.start < feature.end);
    assert.equal(overlapping, undefined, `${where}: feature ${overlapping?.index ?? ''} overlaps a pinned span`);
  }
}

/** The elements formatHtml writes; any other tag in a report came from the prompt. */
const REPORT_TAGS = new Set([
  'html',
  'head',
  'meta',
  'title',
  'style',
  'body',
  'h1',
  'h2',
  'p',
  'q',
  'div',
  'span',
  'table',
  'tr',
  'th',
  'td',
  'br',
  'strong',
]);

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/**
 * The HTML report shows `text` as text: every tag in it is one the report writes (with no event
 * handler attribute), and the text block, once our feature spans are removed and entities decoded,
 * is exactly the prompt, with no raw "<" or ">" left in it.
 */
export function assertHtmlEscapes(html: string, text: string, where: string): void {
  for (const match of html.matchAll(/<\/?([a-zA-Z][\w:-]*)([^>]*)>/gu)) {
    const name = (match[1] as string).toLowerCase();
    assert.ok(REPORT_TAGS.has(name), `${where}: the report contains a <${name}> element`);
    assert.doesNotMatch(match[2] as string, /\son\w+\s*=/iu, `${where}: a tag carries an event handler`);
  }
  assert.doesNotMatch(html, /<!--|<script/iu, `${where}: live markup from the prompt`);
  for (const once of ['html', 'head', 'title', 'style', 'body']) {
    assert.equal(html.match(new RegExp(`<${once}[\\s>]`, 'giu'))?.length, 1, `${where}: more than one <${once}>`);
  }
  // A fit that does not fit has no table of findings; any other has exactly one.
  assert.ok((html.match(/<table[\s>]/giu)?.length ?? 0) <= 1, `${where}: more than one <table>`);
  const block = /<div class="text">([\s\S]*)<\/div>\n<h2>/u.exec(html)?.[1];
  assert.ok(block !== undefined, `${where}: the report has no text block`);
  const shown = block.replace(/<span class="f" style="[^"<>]*" title="[^"<>]*">/gu, '').replace(/<\/span>/gu, '');
  assert.doesNotMatch(shown, /[<>]/u, `${where}: a raw < or > in the text block`);
  const decoded = shown.replace(/&(amp|lt|gt|quot|#39);/gu, (entity) => ENTITIES[entity] ?? entity);
  assert.ok(decoded === text, `${where}: the text block is not the prompt, escaped`);
}
