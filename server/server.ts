/**
 * The SPEX background process: JSON-RPC over stdio (the extension passes --stdio). stdout carries
 * JSON-RPC frames and nothing else; diagnostics go to the connection's log (window/logMessage).
 * Each handler only translates between the protocol and ExplainService.
 */
// First: libuv's thread pool must be sized before anything starts it (see the module).
import './backends/llama/threadPool';
import {
  createConnection,
  ErrorCodes,
  ProposedFeatures,
  StreamMessageWriter,
  TextDocumentSyncKind,
  type CancellationToken,
  type ResponseMessage,
} from 'vscode-languageserver/node';
import {
  ApiKeyChangedNotification,
  ClearCacheRequest,
  EstimateCostRequest,
  ExplainTextRequest,
  CompareTextsRequest,
  BatchTemplateRequest,
  ExplanationChangedNotification,
  GetVersionRequest,
  ListModelsRequest,
  PROTOCOL_VERSION,
  SegmentTextRequest,
  VerifyMaskRequest,
  type ServerInitializationOptions,
} from '../protocol/server';
import { segmentText, SegmentationError } from './ablation/segment';
import type { ExplainProgress } from './engine/explain';
import { PROGRESS_INTERVAL_MS, throttleLatest } from './engine/throttle';
import { CheckedMessageReader } from './lsp/checkedMessageReader';
import { sendConsoleToLog } from './lsp/consoleToLog';
import { toResponseError } from './lsp/errors';
import { ExplainService } from './lsp/explainService';
import { invalid, paramsProblem, validateExplainEcho, validateSegmentParams } from './lsp/validate';
import { SPEX_VERSION } from './version';

/** Exit codes: 0 after shutdown and exit, 1 when the input ends without them or cannot be read any more. */
let shutdownReceived = false;

// Our own reader (not the library's) so that malformed input is answered or ends the process, never ignored.
const writer = new StreamMessageWriter(process.stdout);
const reader = new CheckedMessageReader(
  process.stdin,
  {
    reply: (response) => void writer.write(response).catch(() => undefined),
    dropped: (reason) => connection.console.warn(`A notification was ignored: ${reason}`),
    // No later message can be found in the stream. Exiting non-zero makes the extension restart the
    // server (serverClient.ts restarts it after any unexpected exit); staying alive would leave it
    // silent forever. The ParseError goes out first, as JSON-RPC asks for a message it cannot read.
    broken: (reason) => {
      process.stderr.write(`spex-server: ${reason}\n`);
      const parseError: ResponseMessage = { jsonrpc: '2.0', id: null, error: { code: ErrorCodes.ParseError, message: reason } };
      void writer
        .write(parseError)
        .catch(() => undefined)
        .finally(() => process.exit(1));
    },
  },
  paramsProblem,
);
const connection = createConnection(ProposedFeatures.all, reader, writer);
sendConsoleToLog(connection.console);
// The library exits when its own stdio reader sees the input end; with ours, this does it.
for (const event of ['end', 'close'] as const) process.stdin.once(event, () => process.exit(shutdownReceived ? 0 : 1));
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
  service.setApiKey(typeof params.apiKey === 'string' && params.apiKey.length > 0 ? params.apiKey : null);
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
  const body = validateExplainEcho(params);
  const controller = abortOn(token);
  const workDone = connection.window.attachWorkDoneProgress(body.workDoneToken);
  const echo = {
    ...(body.documentUri ? { documentUri: body.documentUri } : {}),
    ...(body.workDoneToken === undefined ? {} : { workDoneToken: body.workDoneToken }),
  };
  workDone.begin('SPEX: explaining', 0, 'preparing', true);
  // One $/progress a mask would be thousands a second against a fast endpoint: at most ten, the last one always sent.
  const progress = throttleLatest<ExplainProgress>(
    ({ done, planned, cached, etaMs }) =>
      workDone.report(
        Math.min(99, Math.round((100 * done) / Math.max(1, planned))),
        `${done}/≤${planned} masks, ${cached} cached, ≤${Math.ceil(etaMs / 1000)} s left`,
      ),
    PROGRESS_INTERVAL_MS,
  );
  try {
    const result = await service.explain(params.text, params.options, {
      refine: params.refine,
      signal: controller.signal,
      onStarted: (id) => void connection.sendNotification(ExplanationChangedNotification, { id, explanation: null, ...echo }),
      onProgress: (update) => progress.push(update),
      onPartial: (id, explanation) => void connection.sendNotification(ExplanationChangedNotification, { id, explanation, ...echo }),
    });
    return { ...result, ...(body.documentUri ? { documentUri: body.documentUri } : {}), ...(body.range ? { range: body.range } : {}) };
  } catch (error) {
    const response = toResponseError(error, controller.signal.aborted);
    // A stack trace helps only with our own bugs; a bad option or a model failure is told in its message.
    if (response.code === ErrorCodes.InternalError)
      connection.console.error(`spex/explain failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    else if (!controller.signal.aborted) connection.console.error(`spex/explain failed: ${response.message}`);
    throw response;
  } finally {
    progress.flush();
    workDone.done();
  }
});

/**
 * A long request made of several explanations (a batch, a comparison): work-done progress under the
 * client's token, its mask counts labelled by which explanation they belong to, at most ten reports a
 * second, and failures turned into JSON-RPC errors (with the stack in the log only for our own bugs).
 */
async function withProgress<T>(
  method: string,
  token: CancellationToken,
  workDoneToken: string | number | undefined,
  title: string,
  label: () => string,
  run: (signal: AbortSignal, onProgress: (update: ExplainProgress) => void) => Promise<T>,
): Promise<T> {
  const controller = abortOn(token);
  const workDone = connection.window.attachWorkDoneProgress(workDoneToken);
  workDone.begin(title, 0, 'starting', true);
  const progress = throttleLatest<ExplainProgress>(
    ({ done, planned, cached }) => workDone.report(`${label()}: ${done}/≤${planned} masks, ${cached} cached`),
    PROGRESS_INTERVAL_MS,
  );
  try {
    return await run(controller.signal, (update) => progress.push(update));
  } catch (error) {
    const response = toResponseError(error, controller.signal.aborted);
    if (response.code === ErrorCodes.InternalError)
      connection.console.error(`${method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    throw response;
  } finally {
    progress.flush();
    workDone.done();
  }
}

connection.onRequest(BatchTemplateRequest, (params, token) => {
  let input = '';
  return withProgress(
    BatchTemplateRequest.method,
    token,
    params.workDoneToken,
    'SPEX: explaining the template over its inputs',
    () => input,
    (signal, onProgress) =>
      service.batch(params.template, params.inputs, params.options, params.onBroken, {
        signal,
        onInput: (position, count) => {
          input = `input ${position + 1} of ${count}`;
        },
        onProgress,
      }),
  );
});

connection.onRequest(CompareTextsRequest, (params, token) => {
  let explanations = 0;
  return withProgress(
    CompareTextsRequest.method,
    token,
    params.workDoneToken,
    'SPEX: comparing',
    // The first explanation to start is A's, the second B's.
    () => (explanations <= 1 ? 'A' : 'B'),
    (signal, onProgress) =>
      service.compare(params.a, params.b, params.options, params.modelB, {
        signal,
        onStarted: () => {
          explanations += 1;
        },
        onProgress,
      }),
  );
});

connection.onRequest(EstimateCostRequest, async (params, token) => {
  const controller = abortOn(token);
  try {
    return await service.estimate(params.text, params.options, controller.signal);
  } catch (error) {
    throw toResponseError(error, controller.signal.aborted);
  }
});

connection.onRequest(VerifyMaskRequest, async (params, token) => {
  const controller = abortOn(token);
  try {
    return await service.verify(params.explanationId, params.mask, controller.signal);
  } catch (error) {
    throw toResponseError(error, controller.signal.aborted);
  }
});

connection.onRequest(ListModelsRequest, async (params, token) => {
  const controller = abortOn(token);
  try {
    return await service.listModels(params.options, controller.signal);
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

connection.onShutdown(() => {
  shutdownReceived = true;
  return service.dispose();
});

connection.listen();
