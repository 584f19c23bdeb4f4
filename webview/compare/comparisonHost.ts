import { isComparisonViewToHostMessage, type ComparisonViewToHostMessage } from '../../protocol/comparisonView';
import { vscodeApi } from '../vscodeApi';

/** The host as the comparison panel sees it: typed messages out, saved state in and out. */
export interface ComparisonHost {
  post(message: ComparisonViewToHostMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/** The VS Code host; a malformed outgoing message is dropped with a word in the console, as the explanation panel does. */
export function vscodeComparisonHost(): ComparisonHost {
  const api = vscodeApi<unknown>();
  return {
    post: (message) => {
      if (isComparisonViewToHostMessage(message)) api.postMessage(message);
      else console.error('SPEX comparison: refused to post a malformed message', message);
    },
    getState: () => api.getState(),
    setState: (state) => api.setState(state),
  };
}
