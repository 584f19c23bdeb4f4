import type { ValueSource } from '../../server/engine/valueSource';

/**
 * A value source that scores masks with a planted function in process: no model, no program, and a
 * known truth to hold explanations against. `value` gets the mask (1 = span kept).
 */
export function plantedSource(value: (mask: Uint8Array) => number, name = 'planted'): ValueSource & { calls: number } {
  const source = {
    calls: 0,
    model: `test ${name}`,
    valueFunction: { name: 'planted', reason: 'a test function with known effects' },
    target: null,
    callsPerMask: 1,
    keyParts: { backend: 'test', model: name, valueFunction: 'planted', parameters: {} },
    score: (_text: string, mask: Uint8Array): Promise<number> => {
      source.calls += 1;
      return Promise.resolve(value(mask));
    },
    close: (): Promise<void> => Promise.resolve(),
  };
  return source;
}
