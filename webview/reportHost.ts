import { isReportViewToHostMessage, type ReportViewToHostMessage } from '../protocol/reportView';
import { checkedHost } from './host';

/** The host as a report panel (comparison, batch) sees it: typed messages out, saved state in and out. */
export interface ReportHost {
  post(message: ReportViewToHostMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export function vscodeReportHost(): ReportHost {
  return checkedHost(isReportViewToHostMessage);
}
