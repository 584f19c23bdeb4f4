import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Explanation } from '../../protocol/explanation';
import type { HostToWebviewMessage, VerifyMaskMessage, WebviewToHostMessage } from '../../protocol/webview';
import { isShowExplanationMessage } from '../../protocol/webview';
import type { Host } from '../host';
import type { ChatBridge } from './chatBridge';
import { EXPLANATION_META_KEY, explanationResourceUri } from '../../protocol/mcpView';

/** What the view draws: a message for the panel's app, or a line of status under the title. */
export interface McpViewOutput {
  deliver(message: HostToWebviewMessage): void;
  status(text: string): void;
}

/**
 * The panel's host, for the explanation panel's app running as an MCP App in an agent's chat. The
 * editor's panel asks the extension; here every request becomes a call of the SPEX server's own
 * tools through the chat host (what_if to verify a what-if mask, refine to drill into a span), so
 * the view needs no network access of its own. Saved state lives as long as the view.
 */
export class McpViewHost implements Host {
  private state: unknown;
  private explanationId: string | undefined;
  private drilling = false;

  constructor(
    private readonly bridge: ChatBridge,
    private readonly output: McpViewOutput,
  ) {}

  post(message: WebviewToHostMessage): void {
    if (message.type === 'verifyMask') void this.verify(message);
    else if (message.type === 'drillDown') void this.drill(message.index);
    // Reveal, export, copy and re-run belong to the editor; the view offers no buttons for them.
  }

  getState(): unknown {
    return this.state;
  }

  setState(state: unknown): void {
    this.state = state;
  }

  /** Shows the explanation a tool call returned: carried in its result's _meta, or read from its resource. */
  async showResult(result: CallToolResult): Promise<void> {
    if (result.isError) {
      this.output.status(textOf(result) || 'The tool call failed.');
      return;
    }
    const id = (result.structuredContent as { id?: unknown } | undefined)?.id;
    const carried = result._meta?.[EXPLANATION_META_KEY];
    let explanation: unknown = carried;
    if (explanation === undefined && typeof id === 'string') explanation = await this.readExplanation(id);
    const message = { type: 'showExplanation', explanation, partial: false, verifiable: typeof id === 'string' };
    if (!isShowExplanationMessage(message)) {
      this.output.status('The tool result carries no explanation this view can draw; the text result above says what it found.');
      return;
    }
    this.explanationId = typeof id === 'string' ? id : undefined;
    this.output.status('');
    this.output.deliver(message);
  }

  private async readExplanation(id: string): Promise<Explanation | undefined> {
    try {
      const read = await this.bridge.readResource(explanationResourceUri(id));
      const json = read.contents.find((content) => content.mimeType === 'application/json');
      return json && 'text' in json ? (JSON.parse(json.text) as Explanation) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Verify: the model's own value and answer for the mask, from the server's what_if tool. */
  private async verify(message: VerifyMaskMessage): Promise<void> {
    const { requestId, mask } = message;
    const fail = (text: string): void => this.output.deliver({ type: 'verifyFailed', requestId, message: text });
    if (this.explanationId === undefined) return fail('This explanation is not kept by the server any more; explain the prompt again.');
    try {
      const result = await this.bridge.callTool('what_if', {
        explanationId: this.explanationId,
        remove: removedIndices(mask),
        verify: true,
      });
      const shaped = result.structuredContent as WhatIfShape | undefined;
      if (result.isError || !shaped || typeof shaped.value !== 'number') return fail(textOf(result) || 'The what_if tool gave no value.');
      this.output.deliver({
        type: 'verifyResult',
        requestId,
        mask,
        value: shaped.value,
        predicted: shaped.predicted,
        cached: false,
        ...(shaped.answer !== undefined && shaped.originalAnswer !== undefined
          ? {
              answer: {
                text: shaped.answer,
                cut: shaped.answerCut ?? false,
                original: shaped.originalAnswer,
                originalCut: shaped.originalAnswerCut ?? false,
                changed: shaped.answerChanged ?? false,
              },
            }
          : {}),
      });
    } catch (error) {
      fail(`The chat could not call the what_if tool: ${(error as Error).message}`);
    }
  }

  /** Drill into a span: the server's refine tool explains its words, reusing the coarser run's calls; the view then shows that. */
  private async drill(index: number): Promise<void> {
    if (this.explanationId === undefined || this.drilling) return;
    this.drilling = true;
    this.output.status(`Drilling into span [${index + 1}]: explaining its parts, reusing this run's model calls…`);
    try {
      const result = await this.bridge.callTool('refine', { explanationId: this.explanationId, spans: [index] });
      await this.showResult(result);
    } catch (error) {
      this.output.status(`The chat could not call the refine tool: ${(error as Error).message}`);
    } finally {
      this.drilling = false;
    }
  }
}

/** The what_if tool's structured result, as far as the view reads it. */
interface WhatIfShape {
  readonly predicted: number;
  readonly value?: number;
  readonly answer?: string;
  readonly answerCut?: boolean;
  readonly originalAnswer?: string;
  readonly originalAnswerCut?: boolean;
  readonly answerChanged?: boolean;
}

function removedIndices(mask: readonly number[]): number[] {
  return mask.flatMap((bit, index) => (bit === 0 ? [index] : []));
}

function textOf(result: CallToolResult): string {
  return result.content
    .flatMap((block) => (block.type === 'text' ? [block.text] : []))
    .join('\n')
    .trim();
}
