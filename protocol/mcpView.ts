/**
 * What the SPEX MCP server and its MCP App view (the explanation drawn in an agent's chat) agree on:
 * where the view lives, where an explanation is read from, and where a tool result carries it.
 */

/** The view's resource (text/html;profile=mcp-app), declared by the tools that return an explanation. */
export const EXPLANATION_VIEW_URI = 'ui://spex/explanation.html';

/**
 * The key under a tool result's _meta that carries the whole explanation to the view. Hosts hand
 * _meta to the view and not to the model, so the model reads the short summary and the view draws
 * the full explanation; the server adds it only for clients that render MCP Apps.
 */
export const EXPLANATION_META_KEY = 'spex/explanation';

/** The resource an explanation is kept under (JSON and Markdown), for clients and for the view's fallback. */
export function explanationResourceUri(id: string): string {
  return `spex://explanation/${encodeURIComponent(id)}`;
}
