import type { Readable } from 'node:stream';
import {
  AbstractMessageReader,
  ErrorCodes,
  type DataCallback,
  type Disposable,
  type Message,
  type ResponseMessage,
} from 'vscode-languageserver/node';
import { describeShape } from './jsonShape';

/** The longest header block we wait for: real ones are under 100 bytes. */
const MAX_HEADER_BYTES = 8 * 1024;
/**
 * The largest message body accepted. The largest text the server takes (2 million UTF-16 units,
 * see validate.ts) is at most 12 MB of JSON even with every character escaped as \uXXXX.
 */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

const HEADER_SEPARATOR = Buffer.from('\r\n\r\n', 'ascii');
/** One complete header line, `Name: value` (RFC 7230 token characters in the name). */
const HEADER_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[^\r\n]*$/u;
/** The start of a header line that has not arrived in full yet. */
const HEADER_LINE_START = /^[!#$%&'*+.^_`|~0-9A-Za-z-]*(:[^\r\n]*)?\r?$/u;

/** What the reader does with messages it cannot deliver. */
export interface MessageProblems {
  /** Answers a message that was refused (ParseError, InvalidRequest, InvalidParams): the stream stays usable. */
  reply(response: ResponseMessage): void;
  /** A notification was refused; notifications get no answer, so it can only be logged. */
  dropped(reason: string): void;
  /**
   * The byte stream cannot be split into messages any more (a header without a usable
   * Content-Length): no later byte can be trusted to start a message, so the process should end.
   */
  broken(reason: string): void;
}

/** Why a request's or notification's params cannot be used; undefined when they can. */
export type ParamsCheck = (method: string, params: unknown) => string | undefined;

/**
 * Reads JSON-RPC messages framed as in LSP (`Content-Length: N\r\n\r\n` + N bytes of JSON) and
 * checks each before the connection sees it, so that malformed input gets the answer JSON-RPC
 * defines instead of silence: a body that is not JSON gets ParseError (-32700), JSON that is not a
 * message gets InvalidRequest (-32600), a request whose params have the wrong shape gets
 * InvalidParams (-32602). A header without a usable Content-Length leaves no way to find where the
 * next message starts; that is reported once through `problems.broken`, and nothing more is read.
 */
export class CheckedMessageReader extends AbstractMessageReader {
  private buffered: Buffer = Buffer.alloc(0);
  /** Chunks of a long body, joined once it is complete (joining on every chunk would copy it over and over). */
  private arriving: Buffer[] = [];
  private arrivingBytes = 0;
  /** The body length announced by the last header, while its body is still arriving. */
  private bodyLength: number | undefined;
  private stopped = false;

  constructor(
    private readonly readable: Readable,
    private readonly problems: MessageProblems,
    private readonly checkParams: ParamsCheck,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    const onData = (chunk: Buffer): void => this.receive(chunk, callback);
    const onError = (error: Error): void => this.fireError(error);
    const onClose = (): void => this.fireClose();
    this.readable.on('data', onData);
    this.readable.on('error', onError);
    this.readable.on('end', onClose);
    this.readable.on('close', onClose);
    return {
      dispose: () => {
        this.readable.off('data', onData);
        this.readable.off('error', onError);
        this.readable.off('end', onClose);
        this.readable.off('close', onClose);
      },
    };
  }

  private receive(chunk: Buffer, callback: DataCallback): void {
    if (this.stopped) return;
    if (this.bodyLength !== undefined && this.buffered.length + this.arrivingBytes + chunk.length < this.bodyLength) {
      this.arriving.push(chunk);
      this.arrivingBytes += chunk.length;
      return;
    }
    this.buffered = Buffer.concat([this.buffered, ...this.arriving, chunk]);
    this.arriving = [];
    this.arrivingBytes = 0;
    while (!this.stopped) {
      if (this.bodyLength === undefined) {
        const length = this.readHeader();
        if (length === undefined) return;
        this.bodyLength = length;
      }
      if (this.buffered.length < this.bodyLength) return;
      const body = this.buffered.subarray(0, this.bodyLength);
      this.buffered = this.buffered.subarray(this.bodyLength);
      this.bodyLength = undefined;
      const message = this.check(body);
      if (message === undefined) continue;
      try {
        callback(message);
      } catch (error) {
        this.fireError(error);
      }
    }
  }

  /** Consumes one header block and returns its Content-Length; undefined while it is incomplete or after it broke the stream. */
  private readHeader(): number | undefined {
    const end = this.buffered.indexOf(HEADER_SEPARATOR);
    if (end < 0) {
      const soFar = this.buffered.toString('latin1', 0, Math.min(this.buffered.length, MAX_HEADER_BYTES + 1));
      const lines = soFar.split('\r\n');
      const partial = lines.pop() ?? '';
      const bad = lines.find((line) => !HEADER_LINE.test(line));
      if (bad !== undefined) return this.break(`a header line is not "Name: value" (${preview(bad)})`);
      if (/^[^\r]*\n/u.test(partial)) return this.break('header lines end with "\\n" alone; they must end with "\\r\\n"');
      if (!HEADER_LINE_START.test(partial))
        return this.break(`the input does not start with a "Content-Length: N" header (${preview(partial)})`);
      if (this.buffered.length > MAX_HEADER_BYTES) return this.break(`no end of the header block within ${MAX_HEADER_BYTES} bytes`);
      return undefined;
    }
    const header = this.buffered.toString('latin1', 0, end);
    this.buffered = this.buffered.subarray(end + HEADER_SEPARATOR.length);
    let length: number | undefined;
    for (const line of header.split('\r\n')) {
      if (!HEADER_LINE.test(line)) return this.break(`a header line is not "Name: value" (${preview(line)})`);
      const colon = line.indexOf(':');
      if (line.slice(0, colon).toLowerCase() !== 'content-length') continue;
      const value = line.slice(colon + 1).trim();
      if (!/^\d{1,12}$/u.test(value)) return this.break(`Content-Length is not a number of bytes (${preview(value)})`);
      if (length !== undefined && length !== Number(value)) return this.break('two different Content-Length headers');
      length = Number(value);
    }
    if (length === undefined) return this.break(`the header block has no Content-Length (${preview(header)})`);
    if (length > MAX_BODY_BYTES) return this.break(`Content-Length ${length} is over the ${MAX_BODY_BYTES}-byte limit`);
    return length;
  }

  private break(reason: string): undefined {
    this.stopped = true;
    this.buffered = Buffer.alloc(0);
    this.problems.broken(
      `The JSON-RPC input cannot be read any more: ${reason}. Every message must start with "Content-Length: N\\r\\n\\r\\n".`,
    );
    return undefined;
  }

  /** Parses and checks one body; undefined when it was refused (and answered, where possible). */
  private check(body: Buffer): Message | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (error) {
      // JSON.parse quotes the text around the mistake, which may be prompt text: only its position is passed on.
      const position = /position (\d+)/u.exec((error as Error).message)?.[1];
      const where = position === undefined ? '' : ` (the mistake is near character ${position})`;
      this.refuse(null, ErrorCodes.ParseError, `Parse error: the message body is not valid JSON${where}.`);
      return undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      const what = Array.isArray(parsed) ? 'an array (batches are not supported)' : describeShape(parsed);
      this.refuse(null, ErrorCodes.InvalidRequest, `Invalid request: a JSON-RPC message is an object; got ${what}.`);
      return undefined;
    }
    const message = parsed as Record<string, unknown>;
    const { id, method } = message;
    const validId = typeof id === 'number' || typeof id === 'string';
    if (id !== undefined && id !== null && !validId) {
      this.refuse(null, ErrorCodes.InvalidRequest, `Invalid request: "id" must be a number or a string; got ${describeShape(id)}.`);
      return undefined;
    }
    if (!('method' in message)) {
      // A response to one of our requests (work-done progress, configuration).
      if ('id' in message && ('result' in message || 'error' in message)) return message as unknown as Message;
      this.refuse(null, ErrorCodes.InvalidRequest, 'Invalid request: the message has neither "method" nor "result"/"error".');
      return undefined;
    }
    if (typeof method !== 'string') {
      if (validId) this.refuse(id, ErrorCodes.InvalidRequest, `Invalid request: "method" must be a string.`);
      else this.problems.dropped('a notification whose "method" is not a string');
      return undefined;
    }
    const problem = this.checkParams(method, message['params']);
    if (problem !== undefined) {
      if (validId) this.refuse(id, ErrorCodes.InvalidParams, problem);
      else this.problems.dropped(`${method}: ${problem}`);
      return undefined;
    }
    return message as unknown as Message;
  }

  private refuse(id: number | string | null, code: number, message: string): void {
    this.problems.reply({ jsonrpc: '2.0', id, error: { code, message } });
  }
}

/** The first few characters of what was read, enough to recognise a mistake, too few to carry a prompt. */
function preview(text: string): string {
  return JSON.stringify(text.length > 16 ? `${text.slice(0, 16)}…` : text);
}
