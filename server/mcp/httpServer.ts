import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  ErrorCode,
  isInitializeRequest,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

/** The one path MCP is served at; every other path is 404. */
export const MCP_PATH = '/mcp';

/**
 * The largest request body read, in bytes. A tool call's prompt is text, so 4 MiB is far above any real
 * request; a bigger body is refused with 413 before it fills the process's memory.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The only address served: the HTTP server is reachable from this machine alone, never from the network. */
const LOOPBACK = '127.0.0.1';

/** Host names that mean this machine, for the Host and Origin checks. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** How long closing waits for the replies already under way to leave before it cuts the connections. */
const CLOSE_GRACE_MS = 2_000;

/** The MCP server over HTTP, while it runs. */
export interface McpHttpServer {
  /** Where MCP is served, e.g. http://127.0.0.1:3000/mcp (the real port when 0 was asked for). */
  readonly url: string;
  /** Stops taking requests, closes every session's transport and server, and resolves once the port is free. */
  close(): Promise<void>;
}

/** The HTTP server could not start (the port is taken, or not ours to take): told in one sentence. */
export class McpHttpError extends Error {
  override readonly name = 'McpHttpError';
}

/** One client's session: its own transport and its own MCP server (they share the factory's ExplainService). */
interface Session {
  readonly transport: SessionTransport;
  readonly server: McpServer;
}

/**
 * The SDK's transport, keeping count of the client's requests that have had no response yet. Over
 * stdio a client whose server stops sees its pipe close and fails every call it waits on; over HTTP
 * it sees only an event stream end, and would wait out its own timeout (minutes, for a long
 * explanation). So closing answers each of them with an error first (see answerPending).
 */
class SessionTransport extends StreamableHTTPServerTransport {
  private readonly pending = new Set<RequestId>();

  constructor(onSessionInitialized: (id: string) => void) {
    super({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: onSessionInitialized });
    // Set before the server connects, which calls this handler before its own for every message. A
    // request the client cancelled gets no response (the protocol says so), so it stops counting too.
    this.onmessage = (message) => {
      if (isJSONRPCRequest(message)) this.pending.add(message.id);
      else if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled') {
        const id = message.params?.['requestId'];
        if (typeof id === 'string' || typeof id === 'number') this.pending.delete(id);
      }
    };
  }

  override send(message: JSONRPCMessage, options?: { relatedRequestId?: RequestId }): Promise<void> {
    if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined) this.pending.delete(message.id);
    return super.send(message, options);
  }

  /** Answers every request still waiting with a JSON-RPC error that says why (the tool calls are stopped next). */
  async answerPending(message: string): Promise<void> {
    const ids = [...this.pending];
    await Promise.all(
      ids.map((id) =>
        // A call that finished meanwhile has had its answer; the transport then has no stream for this one.
        this.send({ jsonrpc: '2.0', id, error: { code: ErrorCode.ConnectionClosed, message } }).catch(() => undefined),
      ),
    );
  }
}

/**
 * Serves MCP over Streamable HTTP at http://127.0.0.1:PORT/mcp (PORT 0: any free port). Sessions are
 * stateful: an initialize request without an Mcp-Session-Id header starts one, with a server of its
 * own from `newServer`, and every later request names it. POST carries the client's messages, GET
 * opens the stream of the server's own messages, and DELETE ends the session.
 *
 * Only this machine can connect, but a web page in a browser on this machine could still reach the
 * port (DNS rebinding, or a plain cross-site request), so requests whose Host header is not this
 * server's loopback address, or whose Origin is a page off this machine, are refused with 403 before
 * anything else is looked at.
 */
export async function startMcpHttpServer(newServer: () => McpServer, port: number): Promise<McpHttpServer> {
  const sessions = new Map<string, Session>();
  /** Replies not yet finished, so that closing can let them leave before it cuts the connections. */
  const replies = new Set<ServerResponse>();
  let allowedHosts = new Set<string>();
  let closing: Promise<void> | undefined;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const refusal = refusalOf(request, allowedHosts);
    if (refusal !== undefined) return reply(response, 403, -32000, refusal);
    // Only the path decides; a query string is ignored, as the transport ignores it.
    const path = (request.url ?? '/').split('?')[0];
    if (path !== MCP_PATH) return reply(response, 404, -32000, `Not found: MCP is served at ${MCP_PATH}.`);
    const method = request.method ?? '';
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE')
      return reply(response, 405, -32000, `Method not allowed: ${MCP_PATH} takes POST, GET and DELETE.`, { Allow: 'POST, GET, DELETE' });
    if (closing) return reply(response, 503, -32000, 'The server is shutting down.');

    let body: unknown;
    if (method === 'POST') {
      const read = await readJson(request);
      if (read.kind === 'too large') return reply(response, 413, -32000, `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
      if (read.kind === 'invalid') return reply(response, 400, -32700, `Parse error: ${read.message}`);
      body = read.body;
    }

    const sessionId = headerOf(request, 'mcp-session-id');
    if (sessionId !== undefined) {
      const session = sessions.get(sessionId);
      // 404 tells the client its session is gone (ended, or this server restarted): it starts a new one.
      if (!session) return reply(response, 404, -32001, 'Session not found: initialize a new session.');
      return session.transport.handleRequest(request, response, body);
    }
    if (method !== 'POST' || !isInitializeRequest(body))
      return reply(response, 400, -32000, 'Bad Request: no Mcp-Session-Id header; a session starts with an initialize request.');
    if (closing) return reply(response, 503, -32000, 'The server is shutting down.');

    const server = newServer();
    // The session is kept from the moment the transport gives it an id, before the reply leaves, so
    // that the client's next request (which may come at once) finds it.
    const transport: SessionTransport = new SessionTransport((id) => sessions.set(id, { transport, server }));
    // Set before connect, which chains its own handler after this one: whether the client ended the
    // session (DELETE) or the server is closing, the session leaves the map.
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
    // An initialize request the transport refused (a bad header, say) started no session: nothing keeps it.
    if (transport.sessionId === undefined || !sessions.has(transport.sessionId)) await server.close();
  };

  const http = createServer((request, response) => {
    replies.add(response);
    response.once('close', () => replies.delete(response));
    handle(request, response).catch((error: unknown) => {
      // A failure inside the transport is the server's fault, told as a JSON-RPC internal error when the
      // reply has not started, and otherwise by ending the reply so that the client does not wait.
      if (!response.headersSent) reply(response, 500, -32603, `Internal error: ${error instanceof Error ? error.message : String(error)}`);
      else response.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => reject(listenError(error, port));
    http.once('error', failed);
    http.listen(port, LOOPBACK, () => {
      http.off('error', failed);
      resolve();
    });
  });
  const actualPort = (http.address() as AddressInfo).port;
  allowedHosts = new Set([...LOOPBACK_HOSTS].map((host) => `${host}:${actualPort}`));

  const close = async (): Promise<void> => {
    const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
    // Each client waiting on a call is told the server stopped. Then closing a session's server closes
    // its transport, which ends its open streams and aborts the tool calls still running for it; a copy
    // is walked because each close takes its session out of the map.
    await Promise.all(
      [...sessions.values()].map(async (session) => {
        await session.transport.answerPending('The SPEX MCP server is shutting down; the call was stopped.');
        await session.server.close().catch(() => undefined);
      }),
    );
    sessions.clear();
    // The replies just written (and any refusal under way) leave first; then connections a client
    // keeps open between requests, which would hold the port until they time out, are cut.
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...replies].map((response) => new Promise((resolve) => response.once('close', resolve)))),
      new Promise((resolve) => (grace = setTimeout(resolve, CLOSE_GRACE_MS))),
    ]);
    clearTimeout(grace);
    http.closeAllConnections();
    await stopped;
  };
  return {
    url: `http://${LOOPBACK}:${actualPort}${MCP_PATH}`,
    close: () => (closing ??= close()),
  };
}

/**
 * Why a request is refused before it is served, or undefined when it may go on. The Host header must
 * name this server (127.0.0.1 or localhost at its port): a page whose domain was rebound to 127.0.0.1
 * sends its own domain there. A browser's Origin header, when there is one, must be a page on this
 * machine; agents and other programs send none.
 */
function refusalOf(request: IncomingMessage, allowedHosts: ReadonlySet<string>): string | undefined {
  const host = request.headers.host?.toLowerCase();
  if (host === undefined || !allowedHosts.has(host)) return `Forbidden: the Host header ${JSON.stringify(host ?? '')} is not this server.`;
  const origin = headerOf(request, 'origin');
  if (origin !== undefined && !isLoopbackOrigin(origin))
    return `Forbidden: requests from ${JSON.stringify(origin)} are refused; only pages on this machine may call this server.`;
  return undefined;
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    // "null" (a sandboxed page or a local file) and anything else that is not a URL is not a page on this machine.
    return false;
  }
}

/** A header's value, the first one when it came more than once. */
function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

type ReadBody =
  | { readonly kind: 'json'; readonly body: unknown }
  | { readonly kind: 'too large' }
  | { readonly kind: 'invalid'; readonly message: string };

/**
 * The request's body parsed as JSON, read here rather than by the transport so that its size is
 * bounded: a body over MAX_BODY_BYTES stops being kept as soon as it passes the limit (or at once,
 * when its Content-Length says so). The rest is read and dropped rather than the connection cut, so
 * that the client gets the 413 instead of a reset while it is still sending; Node's request timeout
 * ends a body that never ends.
 */
function readJson(request: IncomingMessage): Promise<ReadBody> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    request.resume();
    return Promise.resolve({ kind: 'too large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      request.off('data', onData);
      request.off('end', onEnd);
      request.resume();
      chunks.length = 0;
      resolve({ kind: 'too large' });
    };
    const onEnd = (): void => {
      try {
        resolve({ kind: 'json', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      } catch (error) {
        resolve({ kind: 'invalid', message: error instanceof Error ? error.message : String(error) });
      }
    };
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', (error) => resolve({ kind: 'invalid', message: error.message }));
  });
}

/** A refusal as the transport words its own: a JSON-RPC error with no id. */
function reply(response: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

function listenError(error: NodeJS.ErrnoException, port: number): Error {
  const where = `${LOOPBACK}:${port}`;
  if (error.code === 'EADDRINUSE')
    return new McpHttpError(`Cannot serve MCP at ${where}: the port is in use. Pick another, or --http 0 for any free port.`);
  if (error.code === 'EACCES')
    return new McpHttpError(`Cannot serve MCP at ${where}: this user may not open that port. Pick one above 1023, or --http 0.`);
  return new McpHttpError(`Cannot serve MCP at ${where}: ${error.message}`);
}
