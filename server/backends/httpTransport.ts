import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { urlToHttpOptions } from 'node:url';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

/**
 * The `fetch` the `ollama` and `openai` clients send their requests through: fetch's contract over
 * node:http with keep-alive agents, so connections to an endpoint are reused across calls. Node's
 * own fetch (undici) spends about three times the CPU of node:http on a small JSON request (its
 * Request, Response and web streams), which at hundreds of calls a second is most of what SPEX
 * spends per call. The answer is read whole, then handed over as a response whose `json()` and
 * `text()` read that buffer directly; anything rarer (its body as a stream, a blob) comes from a real
 * `Response` built from the same bytes. A streamed answer (NDJSON, server-sent events) is handed over
 * as it arrives instead (see isStreamed). Requests this transport does not handle as fetch would (a
 * `Request` object, a streamed or form body, another protocol, a redirect to follow) go to the
 * global fetch unchanged.
 *
 * Like fetch, it rejects with the signal's reason when the signal aborts, and with a TypeError
 * "fetch failed" whose cause is the network error otherwise; unlike fetch, an answer cut off
 * mid-body rejects the request itself rather than the later read of its body.
 */
export class HttpTransport {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };

  /** fetch's signature; bound, so it can be handed to a client as it is. */
  readonly fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => this.send(input, init);

  /** Parsed request URLs by their text: the clients send to the same few URLs over and over. */
  private readonly targets = new Map<string, Target>();

  private targetOf(input: string | URL): Target {
    const text = typeof input === 'string' ? input : input.href;
    let target = this.targets.get(text);
    if (target === undefined) {
      const url = typeof input === 'string' ? new URL(input) : input;
      target = { options: urlToHttpOptions(url), host: url.host, href: url.href };
      if (this.targets.size >= MAX_TARGETS) this.targets.clear();
      this.targets.set(text, target);
    }
    return target;
  }

  /** Closes every pooled connection; requests after this open new ones. */
  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }

  private send(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    let target: Target;
    try {
      if (input instanceof Request) return globalThis.fetch(input, init);
      target = this.targetOf(input);
    } catch (error) {
      return Promise.reject(new TypeError('fetch failed', { cause: error }));
    }
    const body = requestBody(init.body);
    const protocol = target.options.protocol;
    // Credentials in the URL are refused by fetch itself; other protocols are fetch's business.
    if (body === unsupported || (protocol !== 'http:' && protocol !== 'https:') || target.options.auth)
      return globalThis.fetch(input, init);
    const headers = rawHeaders(target.host, init.headers, body);
    const client = protocol === 'https:' ? https : http;
    return new Promise<Response>((resolve, reject) => {
      let request: http.ClientRequest | undefined;
      let settled = false;
      // One listener of our own rather than http's `signal` option, which costs a stream watcher per request.
      const onAbort = (): void => {
        fail(undefined);
        request?.destroy();
      };
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const fail = (error: unknown): void => {
        if (settle()) reject(signal?.aborted ? abortError(signal) : new TypeError('fetch failed', { cause: error }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        request = client.request({ ...target.options, method: init.method ?? 'GET', headers, agent: this.agents[protocol] });
      } catch (error) {
        fail(error);
        return;
      }
      request.on('error', fail);
      request.once('response', (response) => {
        const status = response.statusCode ?? 0;
        if (isRedirect(status) && response.headers.location !== undefined && init.redirect !== 'manual') {
          // Model servers do not redirect; where one does, fetch follows it as fetch would.
          if (settle()) globalThis.fetch(input, init).then(resolve, reject);
          response.resume();
          return;
        }
        if (isStreamed(response)) {
          if (settle()) resolve(streamedResponse(response, request, signal));
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', fail);
        // 'close' before 'end' is an answer cut off mid-body; after it, the usual end (no error is made for it).
        response.once('close', () => {
          if (!settled) fail(new Error('The connection closed before the whole answer arrived.'));
        });
        response.once('end', () => {
          let bytes: Buffer;
          try {
            bytes = decoded(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), response.headers['content-encoding']);
          } catch (error) {
            fail(error);
            return;
          }
          if (settle()) resolve(new BufferedResponse(target.href, status, response.statusMessage ?? '', response.rawHeaders, bytes));
        });
      });
      request.end(body);
    });
  }
}

/**
 * A streamed answer (NDJSON or server-sent events, as Ollama and OpenAI-compatible servers stream
 * generations) is handed over at its headers, its body a stream of the bytes as they arrive, so that
 * a reader can act on the first tokens and abort the rest. An encoded stream is read whole instead
 * (model servers do not compress their streams).
 */
function isStreamed(response: http.IncomingMessage): boolean {
  const type = response.headers['content-type'] ?? '';
  const encoding = response.headers['content-encoding']?.trim().toLowerCase();
  const status = response.statusCode ?? 0;
  return (
    status >= 200 &&
    status < 300 &&
    (encoding === undefined || encoding === '' || encoding === 'identity') &&
    /^\s*(application\/x-ndjson|text\/event-stream)\b/iu.test(type)
  );
}

/**
 * A real Response over the arriving body. The signal still aborts the request after the headers:
 * the body then errors with the signal's reason, and the server sees its connection close (Ollama and
 * vLLM stop generating when it does).
 */
function streamedResponse(response: http.IncomingMessage, request: http.ClientRequest, signal: AbortSignal | undefined): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < response.rawHeaders.length; i += 2)
    headers.append(response.rawHeaders[i] as string, response.rawHeaders[i + 1] as string);
  if (signal) {
    const onAbort = (): void => {
      request.destroy(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    response.once('close', () => signal.removeEventListener('abort', onAbort));
  }
  const body = Readable.toWeb(response) as ReadableStream<Uint8Array>;
  return new Response(body, { status: response.statusCode ?? 200, statusText: response.statusMessage ?? '', headers });
}

/** The transport the endpoints share, as fetch shares its global dispatcher: one pool of connections per origin. */
export const defaultHttpTransport = new HttpTransport();

const unsupported = Symbol('unsupported body');

function requestBody(body: RequestInit['body']): Buffer | undefined | typeof unsupported {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  return unsupported;
}

/** A request URL as node:http takes it, parsed once. */
interface Target {
  readonly options: ReturnType<typeof urlToHttpOptions>;
  /** The Host header: host name and port as the URL gives them. */
  readonly host: string;
  readonly href: string;
}

const MAX_TARGETS = 256;

/**
 * The request's headers as node:http's flat list of names and values, which it writes without
 * building a header map first (it still checks every name and value). Host and Content-Length are
 * the transport's to set, as fetch's are.
 */
function rawHeaders(host: string, headers: RequestInit['headers'], body: Buffer | undefined): string[] {
  const raw = ['host', host];
  const add = (name: string, value: string): void => {
    const lower = name.toLowerCase();
    if (lower !== 'host' && lower !== 'content-length') raw.push(lower, value);
  };
  if (headers instanceof Headers) headers.forEach((value, name) => add(name, value));
  else if (Array.isArray(headers)) for (const [name, value] of headers) add(name as string, value as string);
  else if (headers !== undefined)
    for (const [name, value] of Object.entries(headers)) add(name, typeof value === 'string' ? value : value.join(', '));
  if (body !== undefined) raw.push('content-length', String(body.length));
  return raw;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function decoded(bytes: Buffer, encoding: string | undefined): Buffer {
  switch (encoding?.trim().toLowerCase()) {
    case undefined:
    case '':
    case 'identity':
      return bytes;
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(bytes);
    case 'deflate':
      return inflateSync(bytes);
    case 'br':
      return brotliDecompressSync(bytes);
    default:
      throw new Error(`The answer is encoded as "${encoding}", which SPEX cannot decode.`);
  }
}

/** What fetch rejects with when its signal aborts: the signal's reason (an AbortError where that is not an Error). */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}

/** Statuses whose responses carry no body (a real Response refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * The part of a fetch Response that clients read, over an answer already in memory. `json()` and
 * `text()` decode the buffer directly; the headers and anything else come from a real Response,
 * built on first use.
 */
class BufferedResponse implements Response {
  readonly ok: boolean;
  readonly redirected = false;
  readonly type = 'basic';
  private used = false;
  private real: Response | undefined;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    private readonly rawHeaders: readonly string[],
    private readonly bytes: Buffer,
  ) {
    this.ok = status >= 200 && status < 300;
  }

  get bodyUsed(): boolean {
    return this.used || (this.real?.bodyUsed ?? false);
  }

  get headers(): Headers {
    return this.asResponse().headers;
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.asResponse().body;
  }

  text(): Promise<string> {
    return this.read((bytes) => bytes.toString('utf8'));
  }

  json(): Promise<unknown> {
    return this.read((bytes) => JSON.parse(bytes.toString('utf8')) as unknown);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.read((bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  }

  blob(): Promise<Blob> {
    return this.asResponse().blob();
  }

  formData(): Promise<FormData> {
    return this.asResponse().formData();
  }

  clone(): BufferedResponse {
    if (this.bodyUsed) throw new TypeError('Response.clone: the body has already been read.');
    return new BufferedResponse(this.url, this.status, this.statusText, this.rawHeaders, this.bytes);
  }

  /** Reads the body once; a body read twice or malformed JSON rejects, as fetch's would, and never throws. */
  private read<T>(decode: (bytes: Buffer) => T): Promise<T> {
    try {
      if (this.bodyUsed) throw new TypeError('The body has already been read.');
      this.used = true;
      return Promise.resolve(decode(this.bytes));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new TypeError('The body could not be read.'));
    }
  }

  private asResponse(): Response {
    if (this.real === undefined) {
      const headers = new Headers();
      for (let i = 0; i + 1 < this.rawHeaders.length; i += 2)
        headers.append(this.rawHeaders[i] as string, this.rawHeaders[i + 1] as string);
      this.real = new Response(NULL_BODY_STATUSES.has(this.status) || this.used ? null : this.bytes, {
        status: this.status,
        statusText: this.statusText,
        headers,
      });
    }
    return this.real;
  }
}
