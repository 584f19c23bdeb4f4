/**
 * Every message between the extension host and the SPEX server, defined once. Both sides import
 * these objects, so a method name or a parameter shape can never drift between them.
 * Method names carry the `spex/` prefix; requests are named VerbNounRequest.
 */
import { RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { Feature, Granularity, PinnedSpan } from './features';

/** Bumped whenever a message changes shape; the host refuses a server that speaks another version. */
export const PROTOCOL_VERSION = 1;

export interface ServerVersion {
  readonly name: string;
  readonly version: string;
  readonly protocolVersion: number;
}

/** extension → server: which server is this, and which protocol does it speak. */
export const GetVersionRequest = new RequestType0<ServerVersion, void>('spex/version');

export interface SegmentTextParams {
  readonly text: string;
  readonly granularity: Granularity;
  /** Regular expressions (JavaScript syntax, flags `gu` implied) whose matches are never ablated. */
  readonly pin?: readonly string[];
}

export interface SegmentTextResult {
  readonly features: readonly Feature[];
  readonly pinned: readonly PinnedSpan[];
}

/** extension → server: split text into the features an explanation would ablate. */
export const SegmentTextRequest = new RequestType<SegmentTextParams, SegmentTextResult, void>('spex/segment');
