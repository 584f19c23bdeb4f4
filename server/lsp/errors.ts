import { ErrorCodes, LSPErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { MaskingError } from '../ablation/mask';
import { SegmentationError } from '../ablation/segment';
import { MessageListError } from '../ablation/messages';
import { EndpointError } from '../backends/modelEndpoint';
import { BackendError } from '../backends/scorer';
import { unreachableHelp } from '../backends/unreachableHelp';
import { CacheError } from '../cache/callCache';
import { ExplainError } from '../engine/explain';
import { RecoveryError } from '../recovery/types';
import { ValueSetupError } from '../value/chooseValueFunction';
import { ConfigError } from './explainConfig';
import { RequestError } from './explainService';

/**
 * Turns any failure into a JSON-RPC error with a message a person can act on: InvalidParams for
 * what was asked (bad options, no features, a budget too small), RequestFailed for what the model
 * side did (unreachable, missing model, crashes), RequestCancelled for a cancel with nothing to
 * show. Programming errors keep their stack in the server log, not in the message.
 */
export function toResponseError(error: unknown, cancelled: boolean): ResponseError<void> {
  if (error instanceof ResponseError) return error as ResponseError<void>;
  if (
    error instanceof RequestError ||
    error instanceof ConfigError ||
    error instanceof ExplainError ||
    error instanceof SegmentationError ||
    error instanceof MaskingError ||
    error instanceof MessageListError ||
    error instanceof RecoveryError
  ) {
    return new ResponseError(ErrorCodes.InvalidParams, error.message);
  }
  if (cancelled) return new ResponseError(LSPErrorCodes.RequestCancelled, 'The explanation was cancelled before any mask was scored.');
  if (error instanceof EndpointError)
    return new ResponseError(LSPErrorCodes.RequestFailed, error.unreachable ? unreachableHelp(error) : error.message);
  if (error instanceof BackendError || error instanceof ValueSetupError || error instanceof CacheError)
    return new ResponseError(LSPErrorCodes.RequestFailed, error.message);
  return new ResponseError(ErrorCodes.InternalError, `SPEX failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`);
}
