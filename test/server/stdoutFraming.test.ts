import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { SERVER_PATH } from '../helpers/serverProcess';
import { waitFor } from '../helpers/waitFor';
import { frame, initializeWire, parseFrames, startWireServer, type WireMessage } from '../helpers/wireServer';

/** Every frame on stdout, checked to leave no byte outside a well-formed frame. */
function wholeFrames(stdout: Buffer): WireMessage[] {
  const { messages, consumed } = parseFrames(stdout);
  assert.equal(consumed, stdout.length, 'stdout ends inside a frame');
  return messages;
}

describe('server stdout', () => {
  it('carries nothing but JSON-RPC frames, even around errors', async () => {
    const child = spawn(process.execPath, [SERVER_PATH, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const requests = [
      { id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } },
      { method: 'initialized', params: {} },
      { id: 2, method: 'spex/version' },
      { id: 3, method: 'spex/segment', params: { text: 'Unicode ✓ 测试 🍕. Second.', granularity: 'sentence' } },
      { id: 4, method: 'spex/segment', params: { text: 42 } },
      { id: 5, method: 'spex/unknown' },
      { id: 6, method: 'shutdown' },
    ];
    child.stdin.write(Buffer.concat(requests.map((request) => frame({ jsonrpc: '2.0', ...request }))));
    const answered = await waitFor('answers to all six requests', () => {
      try {
        const frames = parseFrames(Buffer.concat(chunks)).messages;
        return frames.filter((message) => message.id !== undefined).length >= 6 ? frames : undefined;
      } catch {
        return undefined;
      }
    });
    child.stdin.write(frame({ jsonrpc: '2.0', method: 'exit' }));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    const frames = wholeFrames(Buffer.concat(chunks));
    assert.ok(frames.length >= answered.length);
    assert.deepEqual(
      frames.filter((message) => message.error).map((message) => [message.id, message.error?.code]),
      [
        [4, -32602],
        [5, -32601],
      ],
    );
  });

  it('answers a body that is not JSON with ParseError, and JSON that is not a message with InvalidRequest, then keeps serving', async () => {
    const server = startWireServer();
    try {
      await initializeWire(server);
      const bodies = [
        '{"jsonrpc":"2.0","id":7,"method":"spex/version"',
        '',
        'not json at all',
        '[1,2]',
        '42',
        '"text"',
        'null',
        '{"jsonrpc":"2.0"}',
      ];
      for (const body of bodies) server.send(body);
      const errors = await waitFor('an answer to every malformed body', () => {
        const found = server.messages().filter((message) => message.id === null && message.error);
        return found.length >= bodies.length ? found : undefined;
      });
      assert.deepEqual(
        errors.map((message) => message.error?.code),
        [-32700, -32700, -32700, -32600, -32600, -32600, -32600, -32600],
      );
      assert.match(errors[0]?.error?.message ?? '', /^Parse error: the message body is not valid JSON/u);
      assert.match(errors[3]?.error?.message ?? '', /batches are not supported/u);
      // Nothing of the body is repeated back (it could be prompt text).
      assert.ok(!errors.some((message) => /not json at all|"text"/u.test(message.error?.message ?? '')));
      const version = await server.request('spex/version');
      assert.equal((version.result as { name: string }).name, 'spex-server');
      server.send({ jsonrpc: '2.0', id: 99, method: 'shutdown' });
      await server.next('the shutdown answer', (message) => message.id === 99);
      server.send({ jsonrpc: '2.0', method: 'exit' });
      assert.equal(await server.stop(), 0);
    } finally {
      await server.stop().catch(() => undefined);
    }
  });

  // A header block without a usable Content-Length leaves no way to tell where the next message
  // starts. The server answers ParseError and exits 1: the extension restarts a server that exits
  // unexpectedly (serverClient.ts), whereas a live server that ignores everything would never be.
  const brokenHeaders: [string, string, RegExp][] = [
    [
      'no Content-Length',
      'Content-Type: application/json\r\n\r\n{"jsonrpc":"2.0","id":2,"method":"spex/version"}',
      /has no Content-Length/u,
    ],
    ['JSON without any header', '{"jsonrpc":"2.0","id":2,"method":"spex/version"}', /does not start with a "Content-Length: N" header/u],
    ['lines ending in \\n alone', 'Content-Length: 2\n\n{}', /end with "\\n" alone/u],
    ['a Content-Length that is not a number', 'Content-Length: twelve\r\n\r\n{}', /Content-Length is not a number/u],
    ['a Content-Length over the limit', 'Content-Length: 99999999999\r\n\r\n{}', /over the \d+-byte limit/u],
    ['a header line without a colon', 'Content-Length: 2\r\nhello\r\n\r\n{}', /a header line is not "Name: value"/u],
  ];
  for (const [name, bytes, message] of brokenHeaders) {
    it(`ends with exit code 1 and a ParseError after a broken frame header: ${name}`, async () => {
      const server = startWireServer();
      try {
        await initializeWire(server);
        server.sendRaw(bytes);
        const exitCode = await waitFor('the server to exit', () => server.child.exitCode ?? undefined);
        assert.equal(exitCode, 1);
        const parseError = server.messages().find((entry) => entry.id === null && entry.error?.code === -32700);
        assert.ok(parseError, 'a ParseError answer before the exit');
        assert.match(parseError.error?.message ?? '', message);
        assert.match(server.stderr(), message);
        assert.doesNotMatch(server.stderr(), /\n\s+at /u, 'no stack trace');
      } finally {
        await server.stop();
      }
    });
  }
});
