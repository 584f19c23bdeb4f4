/**
 * A JSON value's kind in words ("an array", "null", "a string"), never its content: messages about
 * a value of the wrong kind must not repeat prompt text or keys that may be in it.
 */
export function describeShape(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
