import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { GetVersionRequest, PROTOCOL_VERSION, SegmentTextRequest } from '../../protocol/server';
import { repoPath } from '../helpers/paths';
import { initialize, startServer, type RunningServer } from '../helpers/serverProcess';

const { version } = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string };

describe('server over stdio', () => {
  let server: RunningServer;
  before(() => {
    server = startServer();
  });
  after(async () => {
    await server.stop();
  });

  it('answers initialize with its name and version', async () => {
    const result = await initialize(server.connection);
    assert.deepEqual(result.serverInfo, { name: 'spex-server', version });
  });

  it('answers spex/version with the protocol version', async () => {
    assert.deepEqual(await server.connection.sendRequest(GetVersionRequest), {
      name: 'spex-server',
      version,
      protocolVersion: PROTOCOL_VERSION,
    });
  });

  it('answers spex/segment with exact features and pinned spans', async () => {
    const text = 'Question: who designed it?\n\nDoc one says Ana. Doc two says 1931.';
    const result = await server.connection.sendRequest(SegmentTextRequest, { text, granularity: 'sentence', pin: ['Question:[^\\n]*'] });
    assert.deepEqual(
      result.features.map((feature) => feature.text),
      ['Doc one says Ana.', 'Doc two says 1931.'],
    );
    for (const feature of result.features) assert.equal(text.slice(feature.start, feature.end), feature.text);
    assert.deepEqual(result.pinned, [{ text: 'Question: who designed it?', start: 0, end: 26 }]);
  });

  it('rejects bad parameters with InvalidParams and a readable message, then keeps serving', async () => {
    const cases: [unknown, RegExp][] = [
      [{ granularity: 'word' }, /"text" must be a string/u],
      [{ text: 'a', granularity: 'chapter' }, /"granularity" must be token, word/u],
      [{ text: 'a', granularity: 'separator:(' }, /not a valid regular expression/u],
      [{ text: 'a', granularity: 'word', pin: [3] }, /"pin" must be a list/u],
      [{ text: 'x'.repeat(2_000_001), granularity: 'word' }, /the limit is 2000000/u],
    ];
    for (const [params, message] of cases) {
      await assert.rejects(server.connection.sendRequest(SegmentTextRequest.method, params), (error: unknown) => {
        assert.ok(error instanceof ResponseError);
        assert.equal(error.code, -32602);
        assert.match(error.message, message);
        return true;
      });
    }
    const after = await server.connection.sendRequest(SegmentTextRequest, { text: 'still here', granularity: 'word' });
    assert.equal(after.features.length, 2);
  });

  it('answers an unknown method with MethodNotFound', async () => {
    await assert.rejects(server.connection.sendRequest('spex/noSuchThing', {}), (error: unknown) => {
      assert.ok(error instanceof ResponseError);
      assert.equal(error.code, -32601);
      return true;
    });
  });
});
