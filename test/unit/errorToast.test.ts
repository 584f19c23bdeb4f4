import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorToast, firstSentence } from '../../extension/errorToast';
import { LLAMA_INSTALL_HELP } from '../../server/backends/llama/loader';

describe('a failed run told in a notification', () => {
  it('says in one sentence that the llama backend needs the platform build, with a button to choose another backend', () => {
    const toast = errorToast(LLAMA_INSTALL_HELP);
    assert.equal(
      toast.text,
      'SPEX: the llama backend needs the platform build of the extension, which ships node-llama-cpp; or choose another backend.',
    );
    assert.deepEqual(toast.actions, ['Choose Backend', 'Show Details']);
    assert.equal(toast.setting, 'spex.backend');
  });

  it('offers the endpoint setting for an unreachable model, and details for anything else', () => {
    const unreachable = errorToast(
      'The model endpoint http://127.0.0.1:9 is unreachable (ECONNREFUSED). Start Ollama or set spex.endpoint.',
    );
    assert.equal(unreachable.text, 'SPEX: The model endpoint http://127.0.0.1:9 is unreachable (ECONNREFUSED).');
    assert.deepEqual(unreachable.actions, ['Open Settings', 'Show Details']);
    assert.equal(unreachable.setting, 'spex.endpoint');
    assert.deepEqual(errorToast('The budget must be at least 16.').actions, ['Show Details']);
  });

  it('keeps a short first sentence whole and cuts a long one at a word, with an ellipsis', () => {
    assert.equal(firstSentence('First. Second.'), 'First.');
    assert.equal(firstSentence('One line\nand more'), 'One line');
    const long = `${'word '.repeat(60)}end.`;
    const cut = firstSentence(long);
    assert.ok(cut.length <= 160, `${cut.length} characters`);
    assert.match(cut, /word…$/u);
  });
});
