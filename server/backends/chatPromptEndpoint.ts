import type { ChatTurn } from '../../protocol/explanation';
import { chatTurnsOf } from '../ablation/promptDocument';
import { EndpointError, type GenerateOptions, type Generation, type ModelEndpoint, type ModelInfo } from './modelEndpoint';

/**
 * An endpoint for a chat prompt: every prompt it is given is a message list in the wire form
 * (promptDocument.ts chatWire), which it sends as messages through the server's chat template, so
 * the model sees the turns as the person wrote them, never flattened into one user message. Prompt
 * log-probabilities cannot be echoed through a chat template, so it offers none, and the value
 * function is chosen from what generation gives.
 */
export class ChatPromptEndpoint implements ModelEndpoint {
  readonly session?: () => ModelEndpoint;

  constructor(private readonly inner: ModelEndpoint) {
    const session = inner.session?.bind(inner);
    // A pool's session keeps a walk on one server; a single server has none, and neither has this then.
    if (session) this.session = () => new ChatPromptEndpoint(session());
  }

  get kind(): ModelEndpoint['kind'] {
    return this.inner.kind;
  }

  get url(): string {
    return this.inner.url;
  }

  get model(): string {
    return this.inner.model;
  }

  get requestsSent(): number | undefined {
    return this.inner.requestsSent;
  }

  listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    return this.inner.listModels(signal);
  }

  modelDigest(signal?: AbortSignal): Promise<string | undefined> {
    return this.inner.modelDigest(signal);
  }

  version(signal?: AbortSignal): Promise<string | undefined> {
    return this.inner.version(signal);
  }

  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    return this.inner.embed(texts, signal);
  }

  generate(prompt: string, options: GenerateOptions): Promise<Generation> {
    const turns: ChatTurn[] = chatTurnsOf(prompt);
    if (!this.inner.generateChat) return Promise.reject(new EndpointError(`${this.inner.url} cannot be sent a message list.`, false));
    return this.inner.generateChat(turns, options);
  }
}
