/**
 * The SPEX background process: JSON-RPC over stdio (the extension passes --stdio). stdout carries
 * JSON-RPC frames and nothing else; diagnostics go to the connection's log (window/logMessage).
 * Each handler only translates between the protocol and ExplainService.
 */
// First: libuv's thread pool must be sized before anything starts it (see the module).
import './backends/llama/threadPool';
import { createConnection, ProposedFeatures, TextDocumentSyncKind, type CancellationToken } from 'vscode-languageserver/node';
import {
  ApiKeyChangedNotification,
  ClearCacheRequest,
  EstimateCostRequest,
  ExplainTextRequest,
  ExplanationChangedNotification,
  GetVersionRequest,
  ListModelsRequest,
  PROTOCOL_VERSION,
  SegmentTextRequest,
  VerifyMaskRequest,
  type ServerInitializationOptions,
} from '../protocol/server';
import { segmentText, SegmentationError } from './ablation/segment';
import { toResponseError } from './lsp/errors';
import { ExplainService } from './lsp/explainService';
import { invalid, validateSegmentParams } from './lsp/validate';
import { SPEX_VERSION } from './version';

const connection = createConnection(ProposedFeatures.all);
let service = new ExplainService({}, (message) => connection.console.warn(message));

connection.onInitialize((params) => {
  const options = (params.initializationOptions ?? {}) as ServerInitializationOptions;
  service = new ExplainService(
    {
      ...(typeof options.cacheDirectory === 'string' ? { cacheDirectory: options.cacheDirectory } : {}),
      ...(typeof options.cacheMaxBytes === 'number' ? { cacheMaxBytes: options.cacheMaxBytes } : {}),
    },
    (message) => connection.console.warn(message),
  );
  return {
    capabilities: { textDocumentSync: TextDocumentSyncKind.None },
    serverInfo: { name: 'spex-server', version: SPEX_VERSION },
  };
});

connection.onDidChangeConfiguration((change) => {
  const settings = (change.settings as { spex?: unknown } | null | undefined)?.spex;
  service.updateSettings(settings);
});

connection.onNotification(ApiKeyChangedNotification, (params) => {
  service.setApiKey(typeof params?.apiKey === 'string' && params.apiKey.length > 0 ? params.apiKey : null);
});

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

/** An AbortController that follows the request's cancellation token. */
function abortOn(token: CancellationToken): AbortController {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort(new Error('Cancelled.'));
  token.onCancellationRequested(() => controller.abort(new Error('Cancelled.')));
  return controller;
}

connection.onRequest(ExplainTextRequest, async (params, token) => {
  const controller = abortOn(token);
  const body = (params ?? {}) as Partial<typeof params>;
  const workDone = connection.window.attachWorkDoneProgress(body.workDoneToken);
  const echo = {
    ...(body.documentUri ? { documentUri: body.documentUri } : {}),
    ...(body.workDoneToken === undefined ? {} : { workDoneToken: body.workDoneToken }),
  };
  workDone.begin('SPEX: explaining', 0, 'preparing', true);
  try {
    const result = await service.explain(body.text, body.options, {
      signal: controller.signal,
      onStarted: (id) => void connection.sendNotification(ExplanationChangedNotification, { id, explanation: null, ...echo }),
      onProgress: ({ done, planned, cached, etaMs }) =>
        workDone.report(
          Math.min(99, Math.round((100 * done) / Math.max(1, planned))),
          `${done}/≤${planned} masks, ${cached} cached, ≤${Math.ceil(etaMs / 1000)} s left`,
        ),
      onPartial: (id, explanation) => void connection.sendNotification(ExplanationChangedNotification, { id, explanation, ...echo }),
    });
    return { ...result, ...(body.documentUri ? { documentUri: body.documentUri } : {}), ...(body.range ? { range: body.range } : {}) };
  } catch (error) {
    if (!(error instanceof Error) || !/Cancelled/u.test(error.message))
      connection.console.error(`spex/explain failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    throw toResponseError(error, controller.signal.aborted);
  } finally {
    workDone.done();
  }
});

connection.onRequest(EstimateCostRequest, async (params, token) => {
  const controller = abortOn(token);
  try {
    return await service.estimate(params?.text, params?.options, controller.signal);
  } catch (error) {
    throw toResponseError(error, controller.signal.aborted);
  }
});

connection.onRequest(VerifyMaskRequest, async (params, token) => {
  const controller = abortOn(token);
  try {
    return await service.verify(params?.explanationId, params?.mask, controller.signal);
  } catch (error) {
    throw toResponseError(error, controller.signal.aborted);
  }
});

connection.onRequest(ListModelsRequest, async (params, token) => {
  const controller = abortOn(token);
  try {
    return await service.listModels(params?.options, controller.signal);
  } catch (error) {
    throw toResponseError(error, controller.signal.aborted);
  }
});

connection.onRequest(ClearCacheRequest, async () => {
  try {
    return await service.clearCache();
  } catch (error) {
    throw toResponseError(error, false);
  }
});

connection.onShutdown(() => service.dispose());

connection.listen();
