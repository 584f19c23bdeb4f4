/**
 * The SPEX background process: JSON-RPC over stdio (the extension passes --stdio). stdout carries
 * JSON-RPC frames and nothing else; diagnostics go to the connection's log (window/logMessage).
 */
import { createConnection, ProposedFeatures, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { GetVersionRequest, PROTOCOL_VERSION, SegmentTextRequest } from '../protocol/server';
import { segmentText, SegmentationError } from './ablation/segment';
import { invalid, validateSegmentParams } from './lsp/validate';
import { SPEX_VERSION } from './version';

const connection = createConnection(ProposedFeatures.all);

connection.onInitialize(() => ({
  capabilities: { textDocumentSync: TextDocumentSyncKind.None },
  serverInfo: { name: 'spex-server', version: SPEX_VERSION },
}));

connection.onRequest(GetVersionRequest, () => ({
  name: 'spex-server',
  version: SPEX_VERSION,
  protocolVersion: PROTOCOL_VERSION,
}));

connection.onRequest(SegmentTextRequest, (rawParams: unknown) => {
  const params = validateSegmentParams(rawParams);
  try {
    return segmentText(params.text, { granularity: params.granularity, ...(params.pin ? { pin: params.pin } : {}) });
  } catch (error) {
    if (error instanceof SegmentationError) throw invalid(error.message);
    throw error;
  }
});

connection.listen();
