import type { Feature, Granularity, PinnedSpan } from '../../protocol/features';
import { segmentText, type Segmentation } from './segment';

/**
 * Chat prompts written as message lists (the OpenAI/Ollama JSON `[{"role": …, "content": …}]`), read
 * with the position of every content string in the source text, so that spans found in a message's
 * decoded content map back to the characters of the JSON in the editor. A small JSON reader of our
 * own: JSON.parse keeps no positions, and a message list must say where it is malformed.
 */

export const CHAT_ROLES = ['system', 'user', 'assistant', 'tool', 'developer'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

export interface ChatMessage {
  readonly role: ChatRole;
  /** The content, decoded (escapes resolved). */
  readonly content: string;
  /** The content string's characters in the source, between its quotes. */
  readonly start: number;
  readonly end: number;
  /**
   * Source offset of each decoded character, and one past the last: `sourceOffsets[i]` is where the
   * i-th UTF-16 unit of `content` begins in the source (an escape like `\n` or `\u00e9` spans several).
   */
  readonly sourceOffsets: Uint32Array;
}

export class MessageListError extends Error {
  override readonly name = 'MessageListError';
}

/** True where the text looks like a JSON message list (so the caller tries to read it as one). */
export function looksLikeMessageList(text: string): boolean {
  return /^\s*\[\s*\{\s*"(role|content)"/u.test(text);
}

/** Reads a JSON message list; a malformed one is an error with its line and column. */
export function parseMessageList(text: string): ChatMessage[] {
  const reader = new Reader(text);
  reader.space();
  const messages: ChatMessage[] = [];
  reader.expect('[', 'a message list starts with [');
  reader.space();
  if (reader.peek() === ']') reader.fail('the message list is empty');
  for (;;) {
    reader.space();
    messages.push(reader.message(messages.length));
    reader.space();
    if (reader.peek() === ',') {
      reader.next();
      continue;
    }
    reader.expect(']', 'expected , or ] after a message');
    break;
  }
  reader.space();
  if (!reader.atEnd()) reader.fail('text after the message list');
  return messages;
}

/** A JSON string's decoded text and where each decoded unit began in the source. */
interface SourceString {
  readonly value: string;
  readonly start: number;
  readonly end: number;
  readonly offsets: number[];
}

class Reader {
  private position = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.position >= this.text.length;
  }

  peek(): string {
    return this.text[this.position] ?? '';
  }

  next(): string {
    const character = this.peek();
    this.position += 1;
    return character;
  }

  space(): void {
    while (/[ \t\r\n]/u.test(this.peek()) && !this.atEnd()) this.position += 1;
  }

  fail(why: string, at = this.position): never {
    const before = this.text.slice(0, at).split('\n');
    throw new MessageListError(`Message list, line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}: ${why}.`);
  }

  expect(character: string, why: string): void {
    if (this.peek() !== character) this.fail(why);
    this.position += 1;
  }

  message(index: number): ChatMessage {
    const at = this.position;
    this.expect('{', `message ${index + 1} must be an object`);
    let role: string | undefined;
    let content: SourceString | undefined;
    this.space();
    if (this.peek() !== '}') {
      for (;;) {
        this.space();
        const key = this.string().value;
        this.space();
        this.expect(':', 'expected : after a key');
        this.space();
        if (key === 'role') role = this.string().value;
        else if (key === 'content') content = this.string();
        else this.skipValue();
        this.space();
        if (this.peek() === ',') {
          this.next();
          continue;
        }
        break;
      }
    }
    this.expect('}', 'expected , or } in a message');
    if (role === undefined) this.fail(`message ${index + 1} has no "role"`, at);
    if (!(CHAT_ROLES as readonly string[]).includes(role))
      this.fail(`message ${index + 1} has the role "${role}"; roles are ${CHAT_ROLES.join(', ')}`, at);
    if (content === undefined) this.fail(`message ${index + 1} has no "content" text`, at);
    return {
      role: role as ChatRole,
      content: content.value,
      start: content.start,
      end: content.end,
      sourceOffsets: Uint32Array.from([...content.offsets, content.end]),
    };
  }

  string(): SourceString {
    if (this.peek() !== '"') this.fail('expected a string');
    this.position += 1;
    const start = this.position;
    let value = '';
    const offsets: number[] = [];
    for (;;) {
      if (this.atEnd()) this.fail('a string is not closed', start - 1);
      const at = this.position;
      const character = this.next();
      if (character === '"') return { value, start, end: at, offsets };
      if (character < ' ') this.fail('a control character inside a string (write it as an escape)', at);
      if (character !== '\\') {
        value += character;
        offsets.push(at);
        continue;
      }
      const escape = this.next();
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (escape in simple) {
        value += simple[escape];
        offsets.push(at);
      } else if (escape === 'u') {
        const hex = this.text.slice(this.position, this.position + 4);
        if (!/^[0-9a-fA-F]{4}$/u.test(hex)) this.fail('\\u must be followed by four hexadecimal digits', at);
        this.position += 4;
        value += String.fromCharCode(parseInt(hex, 16));
        offsets.push(at);
      } else this.fail(`unknown escape \\${escape}`, at);
    }
  }

  /** Any JSON value this reader does not keep (other keys of a message: name, tool_calls…). */
  skipValue(): void {
    const character = this.peek();
    if (character === '"') {
      this.string();
      return;
    }
    if (character === '{' || character === '[') {
      const close = character === '{' ? '}' : ']';
      this.next();
      this.space();
      if (this.peek() === close) {
        this.next();
        return;
      }
      for (;;) {
        this.space();
        if (close === '}') {
          this.string();
          this.space();
          this.expect(':', 'expected : after a key');
          this.space();
        }
        this.skipValue();
        this.space();
        if (this.peek() === ',') {
          this.next();
          continue;
        }
        this.expect(close, `expected , or ${close}`);
        return;
      }
    }
    const literal = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/u.exec(this.text.slice(this.position));
    if (!literal) this.fail('expected a JSON value');
    this.position += literal[0].length;
  }
}

/**
 * The spans of a message list, as ranges of its source text: each message's content whole
 * (`message`), or split at a finer unit inside it, the pieces mapped back through the escapes (or a
 * YAML scalar's indentation). Pins apply to each content on its own. The text around the contents
 * (brackets, keys, roles) lies between the spans, so it is never removed: a role is never ablated
 * piecemeal, and a removed message keeps its role with an empty content.
 */
export function messageSpans(
  text: string,
  messages: readonly ChatMessage[],
  granularity: Granularity,
  pin: readonly string[] = [],
): Segmentation {
  const features: Feature[] = [];
  const pinned: PinnedSpan[] = [];
  for (const message of messages) {
    const at = (offset: number): number => message.sourceOffsets[offset] as number;
    const pieces = segmentText(message.content, { granularity, pin });
    for (const piece of pieces.features) {
      const start = at(piece.start);
      const end = at(piece.end);
      if (end > start) features.push({ index: features.length, text: text.slice(start, end), start, end });
    }
    for (const piece of pieces.pinned) {
      const start = at(piece.start);
      const end = at(piece.end);
      if (end > start) pinned.push({ text: text.slice(start, end), start, end });
    }
  }
  return { features, pinned };
}
