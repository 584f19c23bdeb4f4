import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readInputs } from '../../../server/batch/inputs';
import { parseTemplate, renderTemplate } from '../../../server/batch/template';

describe('prompt templates and their inputs', () => {
  it('fills {{placeholders}}, pins the values and makes the same spans of the template for every input', () => {
    const template = parseTemplate('You are terse.\n\nQuestion: {{ question }}\nContext: {{context}} End.');
    assert.deepEqual(template.placeholders, ['question', 'context']);
    const one = renderTemplate(template, { question: 'Who?', context: 'A bridge.' }, 'sentence');
    const two = renderTemplate(template, { question: 'When did the long bridge open to traffic?', context: '' }, 'sentence');
    assert.equal(one.text, 'You are terse.\n\nQuestion: Who?\nContext: A bridge. End.');
    assert.deepEqual(
      one.features.map((feature) => feature.text),
      two.features.map((feature) => feature.text),
    );
    for (const rendered of [one, two])
      for (const span of [...rendered.features, ...rendered.pinned]) assert.equal(rendered.text.slice(span.start, span.end), span.text);
    assert.deepEqual(
      one.pinned.map((span) => span.text),
      ['Who?', 'A bridge.'],
    );
    assert.deepEqual(
      two.pinned.map((span) => span.text),
      ['When did the long bridge open to traffic?'],
    );
  });

  it('refuses a template without placeholders or with a stray {{, with its line and column', () => {
    assert.throws(() => parseTemplate('No slots here.'), /has no \{\{placeholder\}\}/u);
    assert.throws(() => parseTemplate('Line one.\nA {{bad name}} here {{ok}}'), /at line 2, column 3 opens no placeholder/u);
  });

  it('reads JSON Lines inputs: text, numbers as text, blank lines ignored, broken lines skipped with their number or stopping', () => {
    const text = '{"q": "Who?", "n": 3}\n\n{"q": 7}\nnot json\n["q"]\n{"n": 1}\n{"q": null}\n';
    const { inputs, skipped } = readInputs(text, ['q'], 'skip');
    assert.deepEqual(
      inputs.map((input) => [input.line, input.values.q]),
      [
        [1, 'Who?'],
        [3, '7'],
      ],
    );
    assert.deepEqual(
      skipped.map((entry) => entry.line),
      [4, 5, 6, 7],
    );
    assert.match(skipped[2]?.reason ?? '', /no "q" for the template's \{\{q\}\} \(this line has "n"\)/u);
    assert.match(skipped[3]?.reason ?? '', /"q" is null, not text/u);
    assert.throws(() => readInputs(text, ['q'], 'stop'), /Inputs line 4: not JSON/u);
    assert.throws(() => readInputs('\n\n', ['q'], 'skip'), /The inputs file has no lines/u);
    assert.throws(() => readInputs('oops\n', ['q'], 'skip'), /No usable input: every line is broken \(line 1: not JSON/u);
  });
});
