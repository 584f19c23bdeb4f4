/**
 * Where a model endpoint is, as every runtime decides it: on this machine (a loopback host name) or
 * off it, and the origin consent is given for. The editor's question (extension/runPolicy.ts), the
 * language server's cost preview and the MCP server's refusal all read these, so they cannot disagree about an endpoint.
 */

/** True when an endpoint is not on this machine, so prompt text would leave it; a malformed URL counts as remote. */
export function isRemoteEndpoint(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return !(host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1' || host.endsWith('.localhost'));
  } catch {
    return true;
  }
}

/** The origin an endpoint's consent is for (scheme, host and port); a malformed URL stands for itself. */
export function endpointOrigin(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch {
    return endpoint;
  }
}
