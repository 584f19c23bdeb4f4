import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { GetVersionRequest, PROTOCOL_VERSION, SegmentTextRequest } from '../../protocol/server';
import { repoPath } from '../helpers/paths';
import { initialize, startServer, type RunningServer } from '../helpers/serverProcess';
import { initializeWire, startWireServer, type WireServer } from '../helpers/wireServer';

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

describe('server params over the wire', () => {
  let server: WireServer;
  before(async () => {
    server = startWireServer();
    await initializeWire(server);
  });
  after(async () => {
    await server.stop();
  });

  const REQUESTS = [
    'initialize',
    'shutdown',
    'spex/version',
    'spex/segment',
    'spex/explain',
    'spex/estimate',
    'spex/verify',
    'spex/models',
    'spex/compare',
    'spex/batch',
    'spex/clearCache',
  ];

  it('answers params that are not an object with InvalidParams that names the request, for every request', async () => {
    for (const method of REQUESTS) {
      for (const params of [[], ['text', 'word'], null, 'Some text.', 42, true]) {
        const answer = await server.request(method, params);
        assert.equal(answer.error?.code, -32602, `${method} with ${JSON.stringify(params)}: ${JSON.stringify(answer)}`);
        assert.match(answer.error.message, new RegExp(`^${method} takes its parameters as an object of named fields`, 'u'));
        assert.doesNotMatch(answer.error.message, /isCancellationRequested|Some text/u);
      }
    }
  });

  it('answers missing params with InvalidParams for the requests that need them', async () => {
    for (const method of ['spex/segment', 'spex/explain', 'spex/estimate', 'spex/verify', 'spex/models', 'spex/compare', 'spex/batch']) {
      const answer = await server.request(method);
      assert.equal(answer.error?.code, -32602);
      assert.match(answer.error.message, new RegExp(`^${method} needs its parameters: an object \\{`, 'u'));
    }
  });

  it('checks the fields spex/explain echoes back', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ text: 'a b', range: { start: 1 } }, /"range" must be/u],
      [{ text: 'a b', documentUri: 7 }, /"documentUri" must be a string/u],
      [{ text: 'a b', workDoneToken: { token: 1 } }, /"workDoneToken" must be a string or a number/u],
    ];
    for (const [params, message] of cases) {
      const answer = await server.request('spex/explain', params);
      assert.equal(answer.error?.code, -32602);
      assert.match(answer.error.message, message);
    }
  });

  it('ignores notifications with wrong-shaped params, says so in its log, and keeps serving', async () => {
    const from = server.messages().length;
    server.send({ jsonrpc: '2.0', method: 'spex/apiKeyChanged', params: [] });
    server.send({ jsonrpc: '2.0', method: 'workspace/didChangeConfiguration', params: null });
    await server.next(
      'a log line about the ignored notification',
      (message) =>
        message.method === 'window/logMessage' &&
        /A notification was ignored: workspace\/didChangeConfiguration/u.test(JSON.stringify(message.params)),
      from,
    );
    const answer = await server.request('spex/segment', { text: 'Still serving.', granularity: 'word' });
    assert.equal((answer.result as { features: unknown[] }).features.length, 2);
  });

  it('refuses endpoint URLs that carry a key, from options and from settings, without repeating the key', async () => {
    const secret = 'sk-wire-SECRET-1234';
    for (const endpoint of [
      `http://127.0.0.1:9/v1?api_key=${secret}`,
      `http://127.0.0.1:9/#token=${secret}`,
      `http://user:${secret}@127.0.0.1:9`,
    ]) {
      const answer = await server.request('spex/estimate', { text: 'One. Two.', options: { backend: 'openai', endpoint } });
      assert.equal(answer.error?.code, -32602);
      assert.match(answer.error.message, /^options\.endpoint must not carry (a query|a fragment|credentials).*"SPEX: Set API Key"/u);
      assert.ok(!answer.error.message.includes(secret));
    }
    server.send({
      jsonrpc: '2.0',
      method: 'workspace/didChangeConfiguration',
      params: { settings: { spex: { backend: 'openai', endpoint: [`https://models.example/v1?key=${secret}`] } } },
    });
    const answer = await server.request('spex/estimate', { text: 'One. Two.' });
    assert.equal(answer.error?.code, -32602);
    assert.match(answer.error.message, /^spex\.endpoint must not carry a query/u);
    assert.ok(!answer.error.message.includes(secret));
    assert.ok(!server.stderr().includes(secret));
    assert.ok(!JSON.stringify(server.messages()).includes(secret), 'no answer or log message repeats the key');
    server.send({ jsonrpc: '2.0', method: 'workspace/didChangeConfiguration', params: { settings: { spex: {} } } });
  });
});
