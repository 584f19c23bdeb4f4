/**
 * Endpoint URLs come from settings and the command line, where people paste what their provider
 * showed them, keys included. A key in a URL would travel into logs, reports and cache keys, so an
 * endpoint may carry none: no user:password@, no ?query, no #fragment. Messages about a refused
 * URL never repeat those parts, nor a value that is not a URL at all (it may be a pasted key).
 */

/** Why `url` cannot be an endpoint, as the end of a sentence that starts with its name; undefined when it can. */
export function endpointUrlProblem(url: string): string | undefined {
  if (!/^https?:\/\//iu.test(url)) {
    const scheme = /^[a-z][a-z0-9+.-]{0,15}:/iu.exec(url)?.[0];
    return `must be an http:// or https:// URL; got ${scheme === undefined ? 'something else (not shown, in case it is a key)' : `a ${scheme} URL`}`;
  }
  if (/^https?:\/\/[^/?#]*@/iu.test(url)) return `must not carry credentials (user:password@…): ${redactUrl(url)}`;
  if (url.includes('?')) return `must not carry a query (?…), where keys and tokens hide: ${redactUrl(url)}`;
  if (url.includes('#')) return `must not carry a fragment (#…), where keys and tokens hide: ${redactUrl(url)}`;
  if (/\s/u.test(url) || !URL.canParse(url)) return `is not a valid URL: ${redactUrl(url)}`;
  return undefined;
}

/**
 * `url` safe to show, quoted: everything from the first "?" or "#" on, and whatever stands between
 * "//" and the last "@" before them (credentials), become "…". Works on strings that are not valid URLs.
 */
export function redactUrl(url: string): string {
  const shown = url.replace(/[?#][\s\S]*$/u, (rest) => `${rest[0] ?? ''}…`).replace(/^([^:/?#]+:\/\/)[^?#]*@/u, '$1…@');
  return JSON.stringify(shown.length > 200 ? `${shown.slice(0, 200)}…` : shown);
}
