import { CHAT_ROLES, MessageListError, type ChatMessage, type ChatRole } from './messages';

/**
 * Chat prompts written as `.prompt` files (Dotprompt, as Genkit and promptfoo read them): an
 * optional YAML front matter between `---` lines, then the template, whose `{{role "system"}}`,
 * `{{role "user"}}` and `{{role "model"}}` markers start each message. Text before the first marker
 * is the user's. The front matter (model, configuration, schemas) is never a feature; the markers
 * stay in place, like a JSON list's keys. Contents are source text as it is, so offsets map one to one.
 */

const ROLE_MARKER = /\{\{\s*role\s+["']([A-Za-z]+)["']\s*\}\}/gu;

/** True where the text has a role marker, the sign of a Dotprompt chat template. */
export function looksLikeDotprompt(text: string): boolean {
  return /\{\{\s*role\s+["'][A-Za-z]+["']\s*\}\}/u.test(text);
}

export function parseDotprompt(text: string): ChatMessage[] {
  const fail = (why: string, at: number): never => {
    const before = text.slice(0, at).split('\n');
    throw new MessageListError(`Prompt file, line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}: ${why}.`);
  };
  const bodyStart = frontMatterEnd(text, fail);
  const messages: ChatMessage[] = [];
  const push = (role: ChatRole, start: number, end: number): void => {
    const content = text.slice(start, end);
    messages.push({ role, content, start, end, sourceOffsets: Uint32Array.from({ length: content.length + 1 }, (_, i) => start + i) });
  };
  let role: ChatRole = 'user';
  let contentStart = bodyStart;
  let leading = true;
  for (const marker of text.slice(bodyStart).matchAll(ROLE_MARKER)) {
    const at = bodyStart + (marker.index ?? 0);
    // Text before the first marker is a user message only where there is some.
    if (!leading || text.slice(contentStart, at).trim().length > 0) push(role, contentStart, at);
    leading = false;
    const name = (marker[1] ?? '').toLowerCase();
    const mapped = name === 'model' ? 'assistant' : name;
    if (!(CHAT_ROLES as readonly string[]).includes(mapped))
      fail(`the role "${name}" is not one of system, user, model (or assistant, tool, developer)`, at);
    role = mapped as ChatRole;
    contentStart = at + marker[0].length;
  }
  if (!leading || text.slice(contentStart).trim().length > 0) push(role, contentStart, text.length);
  if (messages.length === 0) fail('the prompt has no text', bodyStart);
  return messages;
}

/** Where the template begins: after a front matter's closing `---` line, or at 0 without one. */
function frontMatterEnd(text: string, fail: (why: string, at: number) => never): number {
  const opening = /^---[ \t]*\r?\n/u.exec(text);
  if (!opening) return 0;
  const closing = /^---[ \t]*(?:\r?\n|$)/mu;
  const rest = text.slice(opening[0].length);
  const match = closing.exec(rest);
  if (!match) return fail('the front matter that opens with --- is never closed by another ---', 0);
  return opening[0].length + match.index + match[0].length;
}
