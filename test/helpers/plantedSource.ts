import type { ValueSource } from '../../server/engine/valueSource';

/**
 * A value source that scores masks with a planted function in process: no model, no program, and a
 * known truth to hold explanations against. `value` gets the mask (1 = span kept); `onCall`, if
 * given, runs before each call with its number (1 for the first), to break things mid-run.
 */
export function plantedSource(
  value: (mask: Uint8Array) => number,
  options: { readonly name?: string; readonly onCall?: (call: number) => void } = {},
): ValueSource & { calls: number } {
  const name = options.name ?? 'planted';
  const source = {
    calls: 0,
    model: `test ${name}`,
    valueFunction: { name: 'planted', reason: 'a test function with known effects' },
    target: null,
    callsPerMask: 1,
    setupCalls: 0,
    keyParts: { backend: 'test', model: name, valueFunction: 'planted', parameters: {} },
    score: (_text: string, mask: Uint8Array): Promise<number> => {
      source.calls += 1;
      options.onCall?.(source.calls);
      return Promise.resolve(value(mask));
    },
    close: (): Promise<void> => Promise.resolve(),
  };
  return source;
}
