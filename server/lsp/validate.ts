import { ErrorCodes, ResponseError } from 'vscode-languageserver/node';
import type { SegmentTextParams } from '../../protocol/server';
import { isGranularity } from '../../protocol/features';

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
    throw invalid(`"granularity" must be token, word, sentence, line, paragraph or separator:<regex>, not ${JSON.stringify(granularity)}.`);
  }
  if (pin !== undefined && !(Array.isArray(pin) && pin.every((entry) => typeof entry === 'string'))) {
    throw invalid('"pin" must be a list of regular expressions (strings).');
  }
  return { text, granularity, ...(pin === undefined ? {} : { pin }) };
}

export function invalid(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidParams, message);
}
