import { isReportViewToHostMessage, type ReportViewToHostMessage } from '../protocol/reportView';
import { vscodeApi } from './vscodeApi';

/** The host as a report panel (comparison, batch) sees it: typed messages out, saved state in and out. */
export interface ReportHost {
  post(message: ReportViewToHostMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/** The VS Code host; a malformed outgoing message is dropped with a word in the console, as the explanation panel does. */
export function vscodeReportHost(): ReportHost {
  const api = vscodeApi<unknown>();
  return {
    post: (message) => {
      if (isReportViewToHostMessage(message)) api.postMessage(message);
      else console.error('SPEX report: refused to post a malformed message', message);
    },
    getState: () => api.getState(),
    setState: (state) => api.setState(state),
  };
}
