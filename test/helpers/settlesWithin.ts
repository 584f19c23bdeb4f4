/**
 * `promise`, or a rejection saying it had not settled after `ms`: for a test whose failure would
 * otherwise be a hang. Give generous deadlines; the machine is shared.
 */
export function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Still pending after ${ms} ms.`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
