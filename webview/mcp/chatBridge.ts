import type { CallToolResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';

/** The MCP Apps protocol version this view speaks (that of @modelcontextprotocol/ext-apps 1.7). */
export const MCP_APPS_PROTOCOL_VERSION = '2026-01-26';

/** The part of the chat host's context the view reads: its light or dark scheme and its style variables. */
export interface ChatHostContext {
  readonly theme?: 'light' | 'dark';
  readonly variables?: Readonly<Record<string, string>>;
}

export interface ChatBridgeEvents {
  toolInput(): void;
  toolResult(result: CallToolResult): void;
  toolCancelled(reason: string | undefined): void;
  hostContext(context: ChatHostContext): void;
}

type JsonRpcId = number | string;

/**
 * The view's side of MCP Apps: JSON-RPC 2.0 over postMessage with the chat host that framed it.
 * Written here rather than taken from ext-apps' App class, which carries the whole MCP schema
 * library into the page (three times the view's size); the test drives it with ext-apps' own host
 * (AppBridge), so the two are checked to speak the same protocol. Only the window that framed the
 * view is listened to, and every message from it is checked before it is used.
 */
export class ChatBridge {
  private nextId = 1;
  private readonly pending = new Map<JsonRpcId, { resolve(value: unknown): void; reject(error: Error): void }>();

  constructor(
    private readonly host: Window,
    private readonly events: ChatBridgeEvents,
    private readonly appInfo: { readonly name: string; readonly version: string },
  ) {
    window.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (event.source === this.host) this.receive(event.data);
    });
  }

  /** The handshake: ui/initialize, then initialized; from then on the host sends the tool's input and result. */
  async connect(): Promise<void> {
    const result = await this.request('ui/initialize', {
      appInfo: this.appInfo,
      appCapabilities: {},
      protocolVersion: MCP_APPS_PROTOCOL_VERSION,
    });
    if (isRecord(result)) this.events.hostContext(hostContextOf(result.hostContext));
    this.notify('ui/notifications/initialized', {});
    this.reportSize();
  }

  /** Calls one of the SPEX server's tools through the host. */
  async callTool(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const result = await this.request('tools/call', { name, arguments: args });
    if (!isRecord(result) || !Array.isArray(result.content)) throw new Error(`The host's answer to ${name} is not a tool result.`);
    return result as unknown as CallToolResult;
  }

  /** Reads one of the SPEX server's resources through the host. */
  async readResource(uri: string): Promise<ReadResourceResult> {
    const result = await this.request('resources/read', { uri });
    if (!isRecord(result) || !Array.isArray(result.contents)) throw new Error(`The host's answer for ${uri} is not a resource.`);
    return result as unknown as ReadResourceResult;
  }

  private request(method: string, params: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  private notify(method: string, params: Record<string, unknown>): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  private send(message: Record<string, unknown>): void {
    // The host frames the view in a sandbox of its own origin, so the target origin cannot be named.
    this.host.postMessage(message, '*');
  }

  private receive(data: unknown): void {
    if (!isRecord(data) || data.jsonrpc !== '2.0') return;
    const id = data.id;
    const hasId = typeof id === 'number' || typeof id === 'string';
    if (hasId && ('result' in data || 'error' in data) && !('method' in data)) {
      const waiting = this.pending.get(id);
      if (!waiting) return;
      this.pending.delete(id);
      if (isRecord(data.error))
        waiting.reject(new Error(typeof data.error.message === 'string' ? data.error.message : 'The host refused.'));
      else waiting.resolve(data.result);
      return;
    }
    if (typeof data.method !== 'string') return;
    if (hasId) {
      this.answer(id, data.method);
      return;
    }
    const params = isRecord(data.params) ? data.params : {};
    switch (data.method) {
      case 'ui/notifications/tool-input':
        this.events.toolInput();
        break;
      case 'ui/notifications/tool-result':
        if (Array.isArray(params.content)) this.events.toolResult(params as unknown as CallToolResult);
        break;
      case 'ui/notifications/tool-cancelled':
        this.events.toolCancelled(typeof params.reason === 'string' ? params.reason : undefined);
        break;
      case 'ui/notifications/host-context-changed':
        this.events.hostContext(hostContextOf(params));
        break;
      default:
        // Partial input, and whatever later versions add: nothing the view needs.
        break;
    }
  }

  /** The host's requests: a ping, and the teardown before the view is removed (nothing to save). */
  private answer(id: JsonRpcId, method: string): void {
    if (method === 'ping' || method === 'ui/resource-teardown') this.send({ jsonrpc: '2.0', id, result: {} });
    else this.send({ jsonrpc: '2.0', id, error: { code: -32601, message: `The SPEX view does not handle ${method}.` } });
  }

  /**
   * Tells the host how tall the view is whenever that changes, so that the chat sizes its frame to
   * it. Measured at the content's own height (max-content), not the frame's.
   */
  private reportSize(): void {
    let scheduled = false;
    let last = '';
    const measure = (): void => {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        const root = document.documentElement;
        const before = root.style.height;
        root.style.height = 'max-content';
        const height = Math.ceil(root.getBoundingClientRect().height);
        root.style.height = before;
        const width = Math.ceil(window.innerWidth);
        if (`${width}x${height}` === last) return;
        last = `${width}x${height}`;
        this.notify('ui/notifications/size-changed', { width, height });
      });
    };
    const observer = new ResizeObserver(measure);
    observer.observe(document.documentElement);
    observer.observe(document.body);
    measure();
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The theme and the standard style variables (names starting with --, string values) of a host context. */
function hostContextOf(value: unknown): ChatHostContext {
  if (!isRecord(value)) return {};
  const theme = value.theme === 'light' || value.theme === 'dark' ? value.theme : undefined;
  const styles = isRecord(value.styles) && isRecord(value.styles.variables) ? value.styles.variables : undefined;
  const variables = styles
    ? Object.fromEntries(
        Object.entries(styles).filter((entry): entry is [string, string] => entry[0].startsWith('--') && typeof entry[1] === 'string'),
      )
    : undefined;
  return { ...(theme ? { theme } : {}), ...(variables ? { variables } : {}) };
}
