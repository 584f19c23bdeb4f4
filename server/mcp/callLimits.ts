/**
 * What an agent may not do on its own: spend more masks than the person's ceiling, or send a prompt
 * to an endpoint off this machine the person has not agreed to. Both are told as tool errors that
 * say how to go on.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { endpointOrigin } from '../backends/remoteEndpoint';
import type { ExplainOptions } from '../../protocol/server';
import type { ExplainService } from '../lsp/explainService';
import { ToolError } from './toolResults';

/**
 * Prompts leave this machine only for endpoints the user agreed to (spex mcp --allow-remote; in VS Code,
 * the origins they allowed from the editor): an agent cannot send a prompt somewhere new on its own.
 * Checked before any call, the cost estimate's sample included, so a refused call sends nothing.
 */
export function refuseUnconsentedRemote(service: ExplainService, options: ExplainOptions, allowed: readonly string[]): void {
  if (allowed.includes('*')) return;
  const refused = service.remoteEndpoints(options).filter((endpoint) => !allowed.includes(endpointOrigin(endpoint)));
  if (refused.length === 0) return;
  const origins = [...new Set(refused.map(endpointOrigin))];
  throw new ToolError(
    `Refused: this call would send the prompt to ${origins.join(' and ')}, an endpoint off this machine, and the user has not agreed to that. ` +
      `Nothing was sent. Ask the user: in VS Code, explaining once from the editor with this endpoint asks them (the answer reaches this server when it restarts); ` +
      `elsewhere they start the server with ${origins.map((origin) => `--allow-remote ${origin}`).join(' ')}.`,
  );
}

/** A budget above the ceiling: refused with what the prompt would cost at the ceiling. */
export async function refusedForBudget(
  service: ExplainService,
  text: string,
  options: ExplainOptions,
  budget: number,
  maxBudget: number,
  signal: AbortSignal,
): Promise<CallToolResult> {
  const estimate = await service.estimate(text, options, signal);
  return {
    content: [
      {
        type: 'text',
        text:
          `Refused: a budget of ${budget} masks is above this server's ceiling of ${maxBudget} (spex mcp --max-budget). ` +
          `This prompt has ${estimate.features} spans; at ${maxBudget} masks the run would make about ${Math.min(estimate.plannedCalls, maxBudget)} model calls. Ask again with a budget of ${maxBudget} or less.`,
      },
    ],
    isError: true,
  };
}
