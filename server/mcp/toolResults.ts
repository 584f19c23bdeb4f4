import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { toResponseError } from '../lsp/errors';

/** A mistake in the arguments, told as the tool's error. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

/** A tool's result: the structured content (checked against its output schema) and the same as text for hosts that show text. */
export function structured(content: object, text: string): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: { ...content } };
}

/** Any failure as a tool error (isError) with the message a person would get from the CLI or the editor. */
export async function guarded(run: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await run();
  } catch (error) {
    const message = error instanceof ToolError ? error.message : toResponseError(error, false).message;
    return { content: [{ type: 'text', text: message }], isError: true };
  }
}
