import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseToolInput, remoteConfirmation } from '../../extension/toolInput';
import { consentedOrigins, consentKey } from '../../extension/runPolicy';

describe('the language-model tools’ input', () => {
  it('takes the prompt as text or as a file with lines, and the run’s granularity, budget and top', () => {
    assert.deepEqual(parseToolInput({ text: 'One. Two.', granularity: 'word', budget: 200, model: 'llama3.2:1b', top: 3 }), {
      text: 'One. Two.',
      granularity: 'word',
      budget: 200,
      model: 'llama3.2:1b',
      top: 3,
    });
    assert.deepEqual(parseToolInput({ file: 'prompts/a.md', startLine: 2, endLine: 9, granularity: null }), {
      file: 'prompts/a.md',
      startLine: 2,
      endLine: 9,
    });
  });

  it('tells an agent its mistake in one sentence, as the MCP server does', () => {
    const refused = (input: unknown, message: RegExp): void => assert.throws(() => parseToolInput(input), message);
    refused({}, /as text or as file, one of the two/u);
    refused({ text: 'a', file: 'b' }, /as text or as file, one of the two/u);
    refused({ text: 'a', startLine: 2 }, /startLine and endLine go with file/u);
    refused({ file: 'a', startLine: 5, endLine: 2 }, /endLine \(2\) is before startLine \(5\)/u);
    refused({ text: 'a', granularity: 'chapter' }, /granularity must be a granularity; got "chapter"/u);
    refused({ text: 'a', budget: 0 }, /budget must be a whole number of masks from 1/u);
    refused({ text: 'a', budget: 2.5 }, /budget/u);
    refused({ text: 'a', top: 51 }, /top must be a number from 1 to 50/u);
    refused({ text: 'a', model: ' ' }, /model must be a model name/u);
    refused('a prompt', /must be an object/u);
  });

  it('asks before a prompt goes to an endpoint the person has not agreed to, naming it and the budget', () => {
    const message = remoteConfirmation(['https://api.example.com'], 500);
    assert.match(message, /up to 500 masked versions\), to https:\/\/api\.example\.com, an endpoint off this machine/u);
  });
});

describe('the endpoints the person agreed to, as the MCP server is told them', () => {
  it('reads the origins from the editor’s consent keys, only those agreed to', () => {
    const keys = [
      consentKey('https://api.example.com/v1'),
      consentKey('http://10.0.0.5:11434'),
      'spex.other',
      consentKey('https://no.example'),
    ];
    const agreed = new Set([keys[0], keys[1], 'spex.other']);
    assert.deepEqual(
      consentedOrigins(keys, (key) => agreed.has(key)),
      ['https://api.example.com', 'http://10.0.0.5:11434'],
    );
  });
});
