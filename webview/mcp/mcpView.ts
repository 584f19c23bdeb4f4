/**
 * The MCP App view's entry point: the explanation panel's app, drawn in an agent's chat by hosts that
 * render MCP Apps. The page (server/mcp/viewHtml.ts) is the panel's skeleton with this script and
 * its styles inlined under a nonce policy. The view connects to the chat host (ChatBridge), takes
 * the theme it is given, and draws each explanation a SPEX tool returns; its what-if and drill-down
 * call the server's own tools through the host (McpViewHost).
 */
import '../styles.css';
import './theme.css';
import '../elements';
import { App } from '../app';
import { byId } from '../dom';
import { explanationPanelDom } from '../panelDom';
import { ChatBridge, type ChatHostContext } from './chatBridge';
import { McpViewHost } from './mcpViewHost';

/** Set by the bundler (scripts/build.mjs). */
declare const __SPEX_VERSION__: string | undefined;
const SPEX_VERSION = typeof __SPEX_VERSION__ === 'string' ? __SPEX_VERSION__ : '0.0.0-dev';

const status = byId('mcp-status');
const say = (text: string): void => {
  status.textContent = text;
};
// The bridge's events reach the host and the app through closures: they fire only after connect(), below.
const bridge = new ChatBridge(
  window.parent,
  {
    toolInput: () => say('Explaining: scoring the prompt with spans removed…'),
    toolResult: (result) => void host.showResult(result),
    toolCancelled: (reason) => say(`The call was cancelled${reason ? `: ${reason}` : ''}.`),
    hostContext: applyTheme,
  },
  { name: 'SPEX explanation view', version: SPEX_VERSION },
);
const host: McpViewHost = new McpViewHost(bridge, { deliver: (message) => app.receive(message), status: say });
const app: App = new App(explanationPanelDom(), host, { exports: false, rerun: false });

/**
 * The host's theme: its scheme as the panel's body classes and the root's data-theme (theme.css's
 * fallbacks), its standard style variables on the root, where theme.css maps them onto the panel's.
 */
function applyTheme(context: ChatHostContext): void {
  const root = document.documentElement;
  if (context.theme) {
    root.dataset.theme = context.theme;
    root.style.colorScheme = context.theme;
    document.body.classList.toggle('vscode-dark', context.theme === 'dark');
    document.body.classList.toggle('vscode-light', context.theme === 'light');
  }
  for (const [name, value] of Object.entries(context.variables ?? {})) root.style.setProperty(name, value);
}

bridge.connect().catch((error: unknown) => say(`This view could not connect to the chat: ${(error as Error).message}`));
