import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  budgetChoices,
  budgetProblem,
  choicesOf,
  choiceSummary,
  granularityChoices,
  overridesOf,
  parseBudget,
  withChoices,
} from '../../extension/runChoices';
import { DEFAULT_SETTINGS } from '../../extension/settings';

describe('the choices a run starts with', () => {
  const settings = { ...DEFAULT_SETTINGS, granularity: 'paragraph' as const, budget: 1000, model: 'llama3.2:1b' };

  it('start from the settings and send only what differs from them', () => {
    const choices = choicesOf(settings);
    assert.deepEqual(choices, { granularity: 'paragraph', budget: 1000, model: 'llama3.2:1b' });
    assert.deepEqual(overridesOf(choices, settings), {});
    assert.deepEqual(overridesOf({ ...choices, granularity: 'sentence', model: '' }, settings), { granularity: 'sentence', model: '' });
    assert.deepEqual(overridesOf({ ...choices, budget: 250 }, settings), { budget: 250 });
    // The cost preview decides on what the run will use, not on the settings.
    const used = withChoices(settings, { ...choices, budget: 4000 });
    assert.equal(used.budget, 4000);
    assert.equal(used.backend, settings.backend);
  });

  it('say in one line what Enter runs', () => {
    assert.equal(choiceSummary(choicesOf(settings)), 'paragraph spans · at most 1,000 model scores · llama3.2:1b');
    assert.equal(
      choiceSummary({ granularity: 'separator:^---$', budget: 250, model: '' }),
      `"^---$"-separated spans · at most 250 model scores · the endpoint's first model`,
    );
  });

  it('offer every granularity, a separator pattern in use, and the budget in use among the presets', () => {
    assert.deepEqual(granularityChoices('word'), ['token', 'word', 'sentence', 'line', 'paragraph', 'message']);
    assert.deepEqual(granularityChoices('separator:^##'), ['token', 'word', 'sentence', 'line', 'paragraph', 'message', 'separator:^##']);
    assert.deepEqual(budgetChoices(1000), [250, 500, 1000, 2000, 4000]);
    assert.deepEqual(budgetChoices(300), [250, 300, 500, 1000, 2000, 4000]);
  });

  it('take a typed budget in the setting range, with thousands separators, and refuse anything else', () => {
    assert.equal(budgetProblem('1,500'), undefined);
    assert.equal(parseBudget('1,500'), 1500);
    assert.equal(parseBudget(' 2 000 '), 2000);
    for (const bad of ['0', '-3', '1.5', 'lots', '', '1000001'])
      assert.match(budgetProblem(bad) ?? '', /whole number of model scores from 1 to 1,000,000/u, bad);
  });
});
