import type { WebviewToHostMessage } from '../protocol/webview';
import { isWebviewToHostMessage } from '../protocol/webview';
import { vscodeApi } from './vscodeApi';

/** The host as the panel sees it: typed messages out, saved state in and out. */
export interface Host {
  post(message: WebviewToHostMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/**
 * The VS Code host. Outgoing messages are checked with the same guards the host applies, so a bug
 * here shows up as a dropped message in the console rather than as a refusal on the other side.
 */
export function vscodeHost(): Host {
  const api = vscodeApi<unknown>();
  return {
    post: (message) => {
      if (isWebviewToHostMessage(message)) api.postMessage(message);
      else console.error('SPEX panel: refused to post a malformed message', message);
    },
    getState: () => api.getState(),
    setState: (state) => api.setState(state),
  };
}
