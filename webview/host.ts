import type { WebviewToHostMessage } from '../protocol/webview';
import { isWebviewToHostMessage } from '../protocol/webview';
import { vscodeApi } from './vscodeApi';

/** The host as the panel sees it: typed messages out, saved state in and out. */
export interface Host {
  post(message: WebviewToHostMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/** The explanation panel's host. */
export function vscodeHost(): Host {
  return checkedHost(isWebviewToHostMessage);
}

/**
 * A VS Code host whose outgoing messages are checked with the same guard the extension applies, so
 * a bug here shows up as a dropped message in the console rather than as a refusal on the other side.
 */
export function checkedHost<Message>(accepts: (value: unknown) => value is Message): {
  post(message: Message): void;
  getState(): unknown;
  setState(state: unknown): void;
} {
  const api = vscodeApi<unknown>();
  return {
    post: (message) => {
      if (accepts(message)) api.postMessage(message);
      else console.error('SPEX panel: refused to post a malformed message', message);
    },
    getState: () => api.getState(),
    setState: (state) => api.setState(state),
  };
}
