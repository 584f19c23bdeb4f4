import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSettings } from '../../extension/settings';
import { ConfigError, DEFAULT_PLATEAU, DEFAULT_TARGET_R2, resolveExplainConfig } from '../../server/lsp/explainConfig';

describe('anytime sampling options', () => {
  it('take a request option over the spex.* setting over the default', () => {
    assert.equal(resolveExplainConfig({}, {}).targetR2, DEFAULT_TARGET_R2);
    assert.equal(resolveExplainConfig({}, {}).plateau, DEFAULT_PLATEAU);
    assert.equal(resolveExplainConfig({}, { targetR2: 0.97, plateau: 0 }).targetR2, 0.97);
    assert.equal(resolveExplainConfig({}, { targetR2: 0.97, plateau: 0 }).plateau, 0);
    assert.equal(resolveExplainConfig({ targetR2: 0.9 }, { targetR2: 0.97 }).targetR2, 0.9);
  });

  it('refuse values that cannot stop sampling sensibly, naming the option', () => {
    assert.throws(
      () => resolveExplainConfig({ targetR2: 0 }, {}),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /options\.targetR2 must be a number above 0 and at most 1; got 0/u);
        return true;
      },
    );
    assert.throws(() => resolveExplainConfig({}, { plateau: -0.5 }), /spex\.plateau must be a number from 0 to 1; got -0\.5/u);
    assert.throws(() => resolveExplainConfig({ plateau: '0.1' }, {}), /options\.plateau must be a number/u);
  });

  it('are checked in the extension too, falling back to the default with a message', () => {
    const { settings, problems } = readSettings((key) => ({ targetR2: 2, plateau: 0.01 })[key]);
    assert.equal(settings.targetR2, 0.999);
    assert.equal(settings.plateau, 0.01);
    assert.deepEqual(
      problems.map((problem) => problem.setting),
      ['spex.targetR2'],
    );
  });
});

describe('the declared value range', () => {
  it('is read as MIN:MAX from a request option or the spex.valueRange setting, empty meaning none', () => {
    assert.equal(resolveExplainConfig({}, {}).valueRange, undefined);
    assert.equal(resolveExplainConfig({}, { valueRange: '' }).valueRange, undefined);
    assert.deepEqual(resolveExplainConfig({}, { valueRange: '-1:1' }).valueRange, { min: -1, max: 1 });
    assert.deepEqual(resolveExplainConfig({ valueRange: '0:1' }, { valueRange: '-1:1' }).valueRange, { min: 0, max: 1 });
    for (const bad of ['1:0', '1:1', '-1', 'a:b', '0:1:2', ':1'])
      assert.throws(
        () => resolveExplainConfig({}, { valueRange: bad }),
        (error: unknown) => error instanceof ConfigError && /spex\.valueRange must be MIN:MAX with MIN below MAX/u.test(error.message),
        bad,
      );
    const { settings, problems } = readSettings((key) => ({ valueRange: '2:1' })[key]);
    assert.equal(settings.valueRange, '');
    assert.deepEqual(
      problems.map((problem) => problem.setting),
      ['spex.valueRange'],
    );
  });
});
