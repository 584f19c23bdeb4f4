import { ErrorCodes, ResponseError } from 'vscode-languageserver/node';
import {
  BatchTemplateRequest,
  CompareTextsRequest,
  EstimateCostRequest,
  ExplainTextRequest,
  ListModelsRequest,
  SegmentTextRequest,
  VerifyMaskRequest,
  type ExplainTextParams,
  type SegmentTextParams,
} from '../../protocol/server';
import { isGranularity } from '../../protocol/features';
import { describeShape } from './jsonShape';

/** The longest text the server accepts (UTF-16 code units): about a 500-page book. */
export const MAX_TEXT_LENGTH = 2_000_000;

/**
 * Requests arrive from another process, so their shapes are checked here, once, before any work;
 * a bad request gets an InvalidParams error that says exactly what is wrong.
 */
export function validateSegmentParams(params: unknown): SegmentTextParams {
  if (typeof params !== 'object' || params === null) throw invalid('spex/segment needs an object with "text" and "granularity".');
  const { text, granularity, pin } = params as Record<string, unknown>;
  if (typeof text !== 'string') throw invalid('"text" must be a string.');
  if (text.length > MAX_TEXT_LENGTH) {
    throw invalid(`The text has ${text.length} characters; the limit is ${MAX_TEXT_LENGTH}. Select a smaller part of the document.`);
  }
  if (!isGranularity(granularity)) {
    throw invalid(
      `"granularity" must be token, word, sentence, line, paragraph, message or separator:<regex>, not ${JSON.stringify(granularity)}.`,
    );
  }
  if (pin !== undefined && !(Array.isArray(pin) && pin.every((entry) => typeof entry === 'string'))) {
    throw invalid('"pin" must be a list of regular expressions (strings).');
  }
  return { text, granularity, ...(pin === undefined ? {} : { pin }) };
}

/** The requests that need params, and what their params hold (for messages). */
const PARAMS_OF: Readonly<Record<string, string>> = {
  initialize: '{"processId", "capabilities", …} (the LSP initialize parameters)',
  [SegmentTextRequest.method]: '{"text", "granularity", "pin"?}',
  [ExplainTextRequest.method]: '{"text", "options"?, "documentUri"?, "range"?, "workDoneToken"?}',
  [EstimateCostRequest.method]: '{"text", "options"?}',
  [VerifyMaskRequest.method]: '{"explanationId", "mask"}',
  [ListModelsRequest.method]: '{"options"?}',
  [CompareTextsRequest.method]: '{"a", "b", "options"?, "modelB"?, "workDoneToken"?}',
  [BatchTemplateRequest.method]: '{"template", "inputs", "options"?, "onBroken"?, "workDoneToken"?}',
};

/**
 * Checks the shape of any message's params before a handler sees them: params, when present, are an
 * object of named fields (JSON-RPC also allows a list, which would reach our handlers as positional
 * arguments in the wrong places), and the requests above need them.
 */
export function paramsProblem(method: string, params: unknown): string | undefined {
  const shape = PARAMS_OF[method];
  if (params === undefined) return shape === undefined ? undefined : `${method} needs its parameters: an object ${shape}.`;
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    return `${method} takes its parameters as an object of named fields${shape === undefined ? '' : ` ${shape}`}; got ${describeShape(params)}.`;
  if (method === 'initialize' && !isObject((params as Record<string, unknown>)['capabilities']))
    return 'initialize needs "capabilities": an object (it may be empty).';
  return undefined;
}

/** The fields of spex/explain that the server only echoes back; text and options are checked by the service. */
export function validateExplainEcho(params: object): Pick<ExplainTextParams, 'documentUri' | 'range' | 'workDoneToken'> {
  const { documentUri, range, workDoneToken } = params as Record<string, unknown>;
  if (documentUri !== undefined && typeof documentUri !== 'string') throw invalid('"documentUri" must be a string (a document URI).');
  if (workDoneToken !== undefined && typeof workDoneToken !== 'string' && typeof workDoneToken !== 'number')
    throw invalid('"workDoneToken" must be a string or a number.');
  if (range !== undefined && !isRange(range))
    throw invalid('"range" must be {"start": {"line", "character"}, "end": {"line", "character"}} with whole numbers ≥ 0.');
  return {
    ...(documentUri === undefined ? {} : { documentUri }),
    ...(range === undefined ? {} : { range }),
    ...(workDoneToken === undefined ? {} : { workDoneToken }),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPosition(value: unknown): value is { line: number; character: number } {
  return (
    isObject(value) &&
    Number.isInteger(value['line']) &&
    (value['line'] as number) >= 0 &&
    Number.isInteger(value['character']) &&
    (value['character'] as number) >= 0
  );
}

function isRange(value: unknown): value is NonNullable<ExplainTextParams['range']> {
  return isObject(value) && isPosition(value['start']) && isPosition(value['end']);
}

export function invalid(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidParams, message);
}
