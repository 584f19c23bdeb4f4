import type { Feature, Granularity } from '../../protocol/features';
import type { ChatSyntax, ChatTurn } from '../../protocol/explanation';
import { parseDotprompt, looksLikeDotprompt } from './dotprompt';
import { applyMask, MaskingError, type Masking } from './mask';
import { looksLikeMessageList, MessageListError, messageSpans, parseMessageList, type ChatMessage } from './messages';
import { segmentText, SegmentationError, type Segmentation } from './segment';
import { looksLikeYamlMessageList, parseYamlMessageList } from './yamlMessages';

/**
 * What is explained: plain text, or a chat prompt (a message list written as JSON, YAML or a
 * `.prompt` file). Features are always ranges of the source text, so tints land where the person
 * wrote the words; what the model is sent differs. Plain text is masked as text; a chat prompt is
 * masked message by message and sent as a list of turns (JSON, the one wire form every backend
 * reads back with chatTurnsOf), whatever it was written in, so that roles are never removed
 * piecemeal and the model's chat template, not ours, renders the turns.
 */

export const PROMPT_FORMATS = ['auto', 'text', 'messages'] as const;
/** How to read the text: `auto` recognises message lists, `text` never does, `messages` insists. */
export type PromptFormat = (typeof PROMPT_FORMATS)[number];

export function isPromptFormat(value: unknown): value is PromptFormat {
  return typeof value === 'string' && (PROMPT_FORMATS as readonly string[]).includes(value);
}

export interface ChatPrompt {
  readonly syntax: ChatSyntax;
  readonly messages: readonly ChatMessage[];
}

export interface PromptDocument {
  /** The source text, as the editor shows it. */
  readonly text: string;
  /** Present where the text is a chat prompt. */
  readonly chat?: ChatPrompt;
}

/**
 * Reads the text as `format` says. Under `auto`, a text that looks like a message list and is
 * malformed is an error with its line and column (explain it with the text format to read it as
 * plain text); `fileName` lets a `.prompt` file be read as one without role markers.
 */
export function readPrompt(text: string, format: PromptFormat = 'auto', fileName?: string): PromptDocument {
  if (format === 'text') return { text };
  const syntax = chatSyntaxOf(text, fileName);
  if (syntax === undefined) {
    if (format === 'messages')
      throw new MessageListError(
        'The text is not a chat message list: expected a JSON [{"role": …, "content": …}] list, a YAML list of role/content maps, or a .prompt file with {{role "…"}} markers.',
      );
    return { text };
  }
  const messages = syntax === 'json' ? parseMessageList(text) : syntax === 'yaml' ? parseYamlMessageList(text) : parseDotprompt(text);
  return { text, chat: { syntax, messages } };
}

function chatSyntaxOf(text: string, fileName: string | undefined): ChatSyntax | undefined {
  if (fileName !== undefined && /\.prompt$/iu.test(fileName)) return 'dotprompt';
  if (looksLikeMessageList(text)) return 'json';
  if (looksLikeYamlMessageList(text)) return 'yaml';
  if (looksLikeDotprompt(text)) return 'dotprompt';
  return undefined;
}

/** The spans of the document at a granularity, with pins; `message` needs a chat prompt. */
export function segmentPrompt(document: PromptDocument, granularity: Granularity, pin?: readonly string[]): Segmentation {
  if (document.chat) return messageSpans(document.text, document.chat.messages, granularity, pin);
  if (granularity === 'message')
    throw new SegmentationError(
      'The message granularity splits chat message lists (JSON, YAML or a .prompt file) into their messages; this text is not one. Choose paragraph, line or sentence.',
    );
  return segmentText(document.text, { granularity, ...(pin ? { pin } : {}) });
}

/** What the model is sent with every span kept. */
export function fullPrompt(document: PromptDocument): string {
  return document.chat
    ? chatWire(document.chat.messages.map((message) => ({ role: message.role, content: message.content })))
    : document.text;
}

/** What the model is sent for a mask over the spans (ranges of the source text). */
export function promptWithMask(document: PromptDocument, features: readonly Feature[], mask: ArrayLike<number>, masking: Masking): string {
  if (!document.chat) return applyMask(document.text, features, mask, masking);
  if (mask.length !== features.length)
    throw new MaskingError(`The mask has ${mask.length} entries but there are ${features.length} features.`);
  const placed = placeInMessages(document.chat.messages, features);
  return chatWire(
    document.chat.messages.map((message, m) => {
      const inside = placed[m] as PlacedSpans;
      const bits = inside.indices.map((index) => mask[index] as number);
      return { role: message.role, content: applyMask(message.content, inside.spans, bits, masking) };
    }),
  );
}

/** The pieces a span splits into at a finer granularity, as ranges of the source (a drill-down's). */
export function splitSpan(
  document: PromptDocument,
  span: { readonly start: number; readonly end: number },
  granularity: Granularity,
): { readonly start: number; readonly end: number }[] {
  const chat = document.chat;
  if (!chat) {
    return segmentText(document.text.slice(span.start, span.end), { granularity }).features.map((piece) => ({
      start: span.start + piece.start,
      end: span.start + piece.end,
    }));
  }
  const message = chat.messages.find((candidate) => span.start >= candidate.start && span.end <= candidate.end);
  if (!message) return [{ start: span.start, end: span.end }];
  const from = contentOffset(message, span.start);
  const to = contentOffset(message, span.end);
  return segmentText(message.content.slice(from, to), { granularity }).features.map((piece) => ({
    start: message.sourceOffsets[from + piece.start] as number,
    end: message.sourceOffsets[from + piece.end] as number,
  }));
}

/** The wire form of a chat prompt: what every backend reads back with chatTurnsOf. */
export function chatWire(turns: readonly ChatTurn[]): string {
  return JSON.stringify(turns);
}

/** The turns of a prompt in the wire form (a backend's side of chatWire). */
export function chatTurnsOf(prompt: string): ChatTurn[] {
  let turns: unknown;
  try {
    turns = JSON.parse(prompt);
  } catch {
    throw new MessageListError('A chat prompt reached the model in a form that is not a message list (a defect: please report it).');
  }
  if (!Array.isArray(turns)) throw new MessageListError('A chat prompt reached the model in a form that is not a message list.');
  return turns as ChatTurn[];
}

interface PlacedSpans {
  /** The spans inside one message, as ranges of its decoded content. */
  readonly spans: Feature[];
  /** Each one's index among all spans (its bit in a mask). */
  readonly indices: number[];
}

const placements = new WeakMap<readonly Feature[], PlacedSpans[]>();

/** Each message's spans in content offsets, computed once per span list (every mask reuses it). */
function placeInMessages(messages: readonly ChatMessage[], features: readonly Feature[]): PlacedSpans[] {
  const known = placements.get(features);
  if (known) return known;
  const placed: PlacedSpans[] = messages.map(() => ({ spans: [], indices: [] }));
  let m = 0;
  for (const feature of features) {
    while (m < messages.length && feature.start >= (messages[m] as ChatMessage).end) m += 1;
    const message = messages[m];
    if (!message || feature.start < message.start || feature.end > message.end)
      throw new MessageListError(`Span "${feature.text}" lies outside every message's content.`);
    const target = placed[m] as PlacedSpans;
    const start = contentOffset(message, feature.start);
    const end = contentOffset(message, feature.end);
    target.spans.push({ index: target.spans.length, text: message.content.slice(start, end), start, end });
    target.indices.push(feature.index);
  }
  placements.set(features, placed);
  return placed;
}

/** The content offset whose source offset is the first at or after `source` (a binary search). */
function contentOffset(message: ChatMessage, source: number): number {
  let low = 0;
  let high = message.sourceOffsets.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((message.sourceOffsets[middle] as number) < source) low = middle + 1;
    else high = middle;
  }
  return low;
}
