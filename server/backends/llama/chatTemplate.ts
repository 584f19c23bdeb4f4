/**
 * How the (masked) user text becomes the model's input tokens. A chat model gets its own chat
 * template from the GGUF metadata, applied once around the user text through node-llama-cpp's Jinja
 * renderer, so the template's tokens are never features; a plain-completion model (no template in
 * its metadata), or any model under --raw, gets the text as it is after the BOS token.
 */
import { createHash } from 'node:crypto';
import type { ChatHistoryItem, LlamaModel, Token } from 'node-llama-cpp';
import type { ChatTurn } from '../../../protocol/explanation';
import { chatTurnsOf, chatWire } from '../../ablation/promptDocument';
import { firstLine, LlamaBackendError, type LlamaModule } from './loader';

export interface PromptFormat {
  readonly kind: 'chat' | 'raw';
  /** In words, for the report. */
  readonly description: string;
  /** Identifies everything around the user text (the template and what it renders, e.g. a date), for cache keys. */
  readonly digest: string;
  /** The tokens that precede the answer for this user text. */
  tokens(userText: string): Token[];
}

/** The chat template in a model's GGUF metadata, if it has one. */
export function modelChatTemplate(model: LlamaModel): string | undefined {
  const template = model.fileInfo.metadata.tokenizer?.chat_template;
  return typeof template === 'string' && template.trim().length > 0 ? template : undefined;
}

/**
 * The model's chat template unless `raw` is asked for or there is none. A chat prompt (`chat`: every
 * text is a message list in the wire form) needs the template: without one there is no faithful way
 * to show the model its turns, and flattening them would explain another prompt.
 */
export function promptFormatFor(module: LlamaModule, model: LlamaModel, raw: boolean, chat = false): PromptFormat {
  const template = raw ? undefined : modelChatTemplate(model);
  if (chat && template === undefined)
    throw new LlamaBackendError(
      raw
        ? "A chat message list is sent through the model's chat template, which --raw turns off. Drop --raw, or explain the text as plain text with --prompt-format text."
        : 'The model has no chat template in its GGUF metadata, so a chat message list cannot be shown to it as messages. Use a chat model, or explain the text as plain text with --prompt-format text.',
    );
  return template === undefined ? rawFormat(model, raw) : chatFormat(module, model, template, chat);
}

/** The raw prompt: BOS (where the model expects one) and the text's tokens. */
export function rawFormat(model: LlamaModel, forced = false): PromptFormat {
  const bos = model.tokens.bos;
  const prepend = model.tokens.shouldPrependBosToken && bos !== null;
  // Without a BOS token an empty prompt would leave nothing to predict the answer's first token from;
  // the end-of-text token stands for "no context", as in GPT-2-style models.
  const start = bos ?? model.tokens.eos;
  return {
    kind: 'raw',
    description: forced ? 'raw prompt (--raw)' : 'raw prompt (the model has no chat template)',
    digest: digestOf(['raw', prepend ? String(bos) : '']),
    tokens(userText) {
      const tokens = model.tokenize(userText);
      if (prepend) return [bos, ...tokens];
      if (tokens.length === 0 && start !== null) return [start];
      return tokens;
    },
  };
}

/**
 * The chat template applied to one user turn (or, for a chat prompt, to its turns), with the
 * assistant's turn opened for the answer.
 */
export function chatFormat(module: LlamaModule, model: LlamaModel, template: string, chat = false): PromptFormat {
  let wrapper: InstanceType<LlamaModule['JinjaTemplateChatWrapper']>;
  try {
    wrapper = new module.JinjaTemplateChatWrapper({ template, tokenizer: model.tokenizer });
  } catch (error) {
    throw new LlamaBackendError(
      `node-llama-cpp cannot use the model's chat template (${firstLine(error)}); explain the raw prompt with --raw.`,
    );
  }
  const tokens = (text: string): Token[] => {
    const turns = chat ? chatTurnsOf(text).map(historyItem) : [{ type: 'user' as const, text }];
    const state = wrapper.generateContextState({ chatHistory: [...turns, { type: 'model', response: [] }] });
    return state.contextText.tokenize(model.tokenizer);
  };
  let rendered: string;
  try {
    // What the template renders around an empty message (a date, a default system prompt) is part of its identity.
    rendered = tokens(chat ? chatWire([{ role: 'user', content: '' }]) : '').join(',');
  } catch (error) {
    throw new LlamaBackendError(
      `node-llama-cpp cannot render the model's chat template (${firstLine(error)}); explain the raw prompt with --raw.`,
    );
  }
  return {
    kind: 'chat',
    description: chat
      ? "the model's own chat template (from its GGUF metadata) around the chat's messages"
      : "the model's own chat template (from its GGUF metadata) around the user text",
    digest: digestOf(['chat', template, rendered, ...(chat ? ['messages'] : [])]),
    tokens,
  };
}

/** A turn as node-llama-cpp's chat history has it: a developer's is the system's, a tool's reaches the model as the user's. */
function historyItem(turn: ChatTurn): ChatHistoryItem {
  if (turn.role === 'system' || turn.role === 'developer') return { type: 'system', text: turn.content };
  if (turn.role === 'assistant') return { type: 'model', response: [turn.content] };
  return { type: 'user', text: turn.content };
}

function digestOf(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}
