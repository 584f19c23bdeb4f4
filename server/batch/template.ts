import type { Feature, Granularity, PinnedSpan } from '../../protocol/features';
import { segmentText } from '../ablation/segment';

/** A prompt template: literal text (the template's own spans) and `{{name}}` placeholders (each input's text). */
export interface Template {
  readonly parts: readonly TemplatePart[];
  /** Placeholder names, in order of first use. */
  readonly placeholders: readonly string[];
}

export type TemplatePart = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'slot'; readonly name: string };

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/gu;

/** Line and column (from 1) of an offset, for messages about a template file. */
function where(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/**
 * Reads `{{name}}` placeholders (Jinja-style, spaces inside the braces allowed). A `{{` that does not
 * open a well-formed placeholder is an error with its line and column, never silently literal text.
 */
export function parseTemplate(text: string): Template {
  const parts: TemplatePart[] = [];
  const names: string[] = [];
  let cursor = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const start = match.index;
    const literal = text.slice(cursor, start);
    const stray = literal.indexOf('{{');
    if (stray >= 0) throw new TemplateError(`A "{{" at ${where(text, cursor + stray)} opens no placeholder; write {{name}}.`);
    if (literal !== '') parts.push({ kind: 'text', text: literal });
    const name = match[1] as string;
    parts.push({ kind: 'slot', name });
    if (!names.includes(name)) names.push(name);
    cursor = start + match[0].length;
  }
  const tail = text.slice(cursor);
  const stray = tail.indexOf('{{');
  if (stray >= 0) throw new TemplateError(`A "{{" at ${where(text, cursor + stray)} opens no placeholder; write {{name}}.`);
  if (tail !== '') parts.push({ kind: 'text', text: tail });
  if (names.length === 0) throw new TemplateError('The template has no {{placeholder}}: there is nothing to fill from the inputs.');
  return { parts, placeholders: names };
}

/** A filled template: the prompt, the template's spans at a granularity, and the inputs' text pinned. */
export interface RenderedTemplate {
  readonly text: string;
  readonly features: Feature[];
  readonly pinned: PinnedSpan[];
}

/**
 * Fills the placeholders with one input's values. The features are the template's own text segmented
 * part by part, so every input has the same spans in the same order (what lets the batch compare a
 * span across inputs); the inputs' values are pinned: never removed, never a feature.
 */
export function renderTemplate(template: Template, values: Readonly<Record<string, string>>, granularity: Granularity): RenderedTemplate {
  let text = '';
  const features: Feature[] = [];
  const pinned: PinnedSpan[] = [];
  for (const part of template.parts) {
    const start = text.length;
    if (part.kind === 'slot') {
      const value = values[part.name];
      if (value === undefined) throw new TemplateError(`No value for {{${part.name}}}.`);
      text += value;
      if (value !== '') pinned.push({ text: value, start, end: start + value.length });
      continue;
    }
    text += part.text;
    for (const piece of segmentText(part.text, { granularity }).features)
      features.push({ index: features.length, text: piece.text, start: start + piece.start, end: start + piece.end });
  }
  return { text, features, pinned };
}
