import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callKey, callKeyer, CallKeySecret, type CallKeyParts } from '../../../server/cache/cacheKey';

describe('keys of calls that differ only in their text', () => {
  const secret = CallKeySecret.generate();
  const partsList: Omit<CallKeyParts, 'text'>[] = [
    { backend: 'ollama', model: 'llama3.2:1b', valueFunction: 'logprob', parameters: { temperature: 0, seed: 1 } },
    {
      backend: 'ollama',
      endpointKind: 'chat',
      model: 'm',
      modelDigest: 'a'.repeat(64),
      valueFunction: 'logprob',
      // A parameter named text, and values that look like the encoding, must not confuse the splice.
      parameters: { text: '', tokens: '"text":""', top: 20, flag: true, none: null },
      target: ' The bridge "opened" in 1931.\n',
    },
    { backend: 'exec', model: 'node scorer.mjs', valueFunction: 'exec', parameters: {} },
  ];
  const texts = ['', 'plain', 'quotes " and \\ backslashes', 'lines\nand\ttabs', 'emoji 🌉 and \u2028', '"text":""'];

  it('are exactly callKey’s keys', () => {
    for (const parts of partsList) {
      const keyOf = callKeyer(parts, secret);
      for (const text of texts) assert.equal(keyOf(text), callKey({ ...parts, text }, secret), JSON.stringify({ parts, text }));
    }
  });

  it('check their parts once and every text', () => {
    assert.throws(
      () => callKeyer({ backend: 'ollama', model: 'm', valueFunction: 'v', parameters: { top: Number.NaN } }, secret),
      /parameter "top"/u,
    );
    const keyOf = callKeyer(partsList[0] as Omit<CallKeyParts, 'text'>, secret);
    assert.throws(() => keyOf(42 as unknown as string), /"text" must be a string/u);
  });
});
