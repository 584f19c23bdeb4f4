import type { RemoteConsole } from 'vscode-languageserver/node';

/**
 * stdout carries JSON-RPC frames only, but libraries we load may still call console.log (client
 * libraries, node-llama-cpp's warnings). Every console method is sent to the connection's log
 * instead, as vscode-languageserver does itself when it owns stdio (our own message reader means
 * it does not here).
 */
export function sendConsoleToLog(log: RemoteConsole): void {
  const line = (args: unknown[]): string => args.map(String).join(' ');
  /* eslint-disable no-console -- these assignments are what keeps console output off stdout. */
  console.log = (...args: unknown[]) => log.log(line(args));
  console.info = (...args: unknown[]) => log.info(line(args));
  console.debug = (...args: unknown[]) => log.log(line(args));
  console.warn = (...args: unknown[]) => log.warn(line(args));
  console.error = (...args: unknown[]) => log.error(line(args));
  console.trace = (...args: unknown[]) => log.log(line(args));
  console.dir = (value: unknown) => log.log(String(value));
  /* eslint-enable no-console */
}
