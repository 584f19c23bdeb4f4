/** A cache location or file that cannot be used, told with the path and what to do about it. */
export class CacheError extends Error {
  override readonly name = 'CacheError';
}

/** The `code` of a Node.js system error (`ENOSPC`, `EACCES`…), or undefined for anything else. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
