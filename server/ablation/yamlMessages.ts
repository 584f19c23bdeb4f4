import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Scalar } from 'yaml';
import { CHAT_ROLES, MessageListError, type ChatMessage, type ChatRole } from './messages';

/**
 * Chat prompts written as YAML (promptfoo's chat prompt files, configuration files with a
 * `messages:` list): a sequence of `{role, content}` maps, or a map whose `messages` key holds one.
 * The `yaml` package reads the document and says where each content scalar lies; the position of
 * each decoded character inside it is recovered by walking the source beside the decoded text,
 * since YAML folds lines, strips indentation and resolves escapes.
 */

/** True where the text looks like a YAML message list (a leading `- role:` item or a `messages:` key). */
export function looksLikeYamlMessageList(text: string): boolean {
  return /^(?:\s*#[^\n]*\n)*\s*(?:-\s+(?:role|content)\s*:|messages\s*:\s*(?:#[^\n]*)?\n\s*-\s)/u.test(text);
}

export function parseYamlMessageList(text: string): ChatMessage[] {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const fail = (why: string, at: number): never => {
    const { line, col } = lines.linePos(at);
    throw new MessageListError(`Message list (YAML), line ${line}, column ${col}: ${why}.`);
  };
  const problem = document.errors[0];
  if (problem) fail(firstSentence(problem.message), problem.pos[0]);
  let list: Node | null = document.contents;
  if (isMap(list)) {
    const messages = list.get('messages', true);
    if (!messages) fail('a message list is a sequence of {role, content} maps, or a map with a "messages" key', list.range?.[0] ?? 0);
    list = messages as Node;
  }
  if (!isSeq(list)) return fail('a message list is a sequence of {role, content} maps', list?.range?.[0] ?? 0);
  if (list.items.length === 0) fail('the message list is empty', list.range?.[0] ?? 0);
  return list.items.map((item, index) => {
    const at = (item as Node | null)?.range?.[0] ?? 0;
    if (!isMap(item)) return fail(`message ${index + 1} must be a map with "role" and "content"`, at);
    const role = item.get('role', true);
    const content = item.get('content', true);
    if (!isScalar(role) || typeof role.value !== 'string') return fail(`message ${index + 1} has no "role"`, at);
    if (!(CHAT_ROLES as readonly string[]).includes(role.value))
      return fail(`message ${index + 1} has the role "${role.value}"; roles are ${CHAT_ROLES.join(', ')}`, role.range?.[0] ?? at);
    if (!isScalar(content) || typeof content.value !== 'string') return fail(`message ${index + 1} has no "content" text`, at);
    const sourceOffsets = alignScalar(text, content as Scalar<string>);
    return {
      role: role.value as ChatRole,
      content: content.value,
      start: sourceOffsets[0] as number,
      end: sourceOffsets[content.value.length] as number,
      sourceOffsets,
    };
  });
}

/**
 * Where each decoded character of a scalar begins in the source, and one past the last: the source
 * is walked beside the decoded text, a source character matching a decoded one when they are equal,
 * both whitespace (a folded line break reads as a space), or the source holds an escape (double
 * quotes) or a doubled quote (single quotes) that decodes to it. Indentation and quotes match
 * nothing and are stepped over. The offsets place tints in the editor; masking reads the decoded text.
 */
function alignScalar(text: string, scalar: Scalar<string>): Uint32Array {
  const decoded = scalar.value;
  const [from, to] = scalar.range ?? [0, text.length];
  let cursor = from;
  if (scalar.type === 'BLOCK_LITERAL' || scalar.type === 'BLOCK_FOLDED') {
    // The header line (`|`, `>-`, `|2` and a comment) is not content.
    const lineEnd = text.indexOf('\n', from);
    cursor = lineEnd < 0 || lineEnd >= to ? to : lineEnd + 1;
  }
  const offsets = new Uint32Array(decoded.length + 1);
  for (let i = 0; i < decoded.length; i += 1) {
    const wanted = decoded[i] as string;
    let matched = -1;
    let width = 1;
    for (let k = cursor; k < to && matched < 0; k += 1) {
      const character = text[k] as string;
      if (scalar.type === 'QUOTE_DOUBLE' && character === '\\') {
        const escape = readEscape(text, k);
        if (escape.value.startsWith(wanted)) {
          matched = k;
          width = escape.length;
        } else k += escape.length - 1;
      } else if (scalar.type === 'QUOTE_SINGLE' && character === "'" && text[k + 1] === "'" && wanted === "'") {
        matched = k;
        width = 2;
      } else if (character === wanted || (isSpace(character) && isSpace(wanted))) matched = k;
    }
    offsets[i] = matched < 0 ? cursor : matched;
    if (matched >= 0) cursor = matched + width;
  }
  offsets[decoded.length] = Math.max(cursor, offsets[decoded.length - 1] ?? cursor);
  return offsets;
}

/** A double-quoted YAML escape at `at` (the backslash): what it decodes to and how long it is. */
function readEscape(text: string, at: number): { readonly value: string; readonly length: number } {
  const code = text[at + 1] ?? '';
  const hexDigits = code === 'x' ? 2 : code === 'u' ? 4 : code === 'U' ? 8 : 0;
  if (hexDigits > 0) {
    const value = Number.parseInt(text.slice(at + 2, at + 2 + hexDigits), 16);
    return { value: Number.isFinite(value) ? String.fromCodePoint(value) : '', length: 2 + hexDigits };
  }
  const simple: Record<string, string> = {
    '0': '\0',
    a: '\x07',
    b: '\b',
    t: '\t',
    '\t': '\t',
    n: '\n',
    v: '\v',
    f: '\f',
    r: '\r',
    e: '\x1b',
    ' ': ' ',
    '"': '"',
    '/': '/',
    '\\': '\\',
    N: '\u0085',
    _: '\u00a0',
    L: '\u2028',
    P: '\u2029',
  };
  return { value: simple[code] ?? '', length: 2 };
}

function isSpace(character: string): boolean {
  return /\s/u.test(character);
}

/** The yaml package's messages run on with context lines; the first sentence is what a person needs. */
function firstSentence(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/\s+at line \d+, column \d+:?$/u, '').replace(/\.$/u, '');
}
