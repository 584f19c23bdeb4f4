import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { HttpTransport } from '../../../server/backends/httpTransport';
import { settlesWithin } from '../../helpers/settlesWithin';
import { waitFor } from '../../helpers/waitFor';

/** A small HTTP server whose routes each show one thing a fetch must get right; it counts connections. */
interface TestServer {
  readonly url: string;
  readonly connections: () => number;
  readonly openSockets: () => number;
  /** Requests to /hang received so far. */
  readonly hanging: () => number;
  /** Streams to /stream whose client went away before the stream ended. */
  readonly streamsLeft: () => number;
  close(): Promise<void>;
}

async function startTestServer(): Promise<TestServer> {
  let connections = 0;
  let hanging = 0;
  let streamsLeft = 0;
  const sockets = new Set<Socket>();
  const route = (request: IncomingMessage, response: ServerResponse, body: string): void => {
    switch (request.url) {
      case '/echo':
        response.writeHead(200, { 'content-type': 'application/json', 'x-method': request.method ?? '' });
        response.end(JSON.stringify({ method: request.method, body, type: request.headers['content-type'] ?? null }));
        return;
      case '/busy':
        response.writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' });
        response.end('{"error":"busy"}');
        return;
      case '/chunked':
        // No Content-Length: the answer comes in chunks, as larger answers do.
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"parts":');
        response.end('[1,2,3]}');
        return;
      case '/gzip':
        response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        response.end(gzipSync('{"packed":true}'));
        return;
      case '/malformed':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"half":');
        return;
      case '/cut':
        // Promises more than it sends, then drops the connection.
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        response.write('{"cut":');
        setImmediate(() => request.socket.destroy());
        return;
      case '/moved':
        response.writeHead(307, { location: '/echo' });
        response.end();
        return;
      case '/hang':
        hanging += 1;
        return;
      case '/stream':
        // The first line of a generation that never ends on its own, as a streaming model server sends it.
        response.writeHead(200, { 'content-type': 'application/x-ndjson' });
        response.write('{"token":"Once"}\n');
        response.on('close', () => {
          if (!response.writableFinished) streamsLeft += 1;
        });
        return;
      case '/events':
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: {"token":"Once"}\n\n');
        setImmediate(() => response.end('data: [DONE]\n\n'));
        return;
      default:
        response.writeHead(404).end();
    }
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => route(request, response, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    openSockets: () => sockets.size,
    hanging: () => hanging,
    streamsLeft: () => streamsLeft,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('the HTTP transport the model clients send through', () => {
  let server: TestServer;
  const transport = new HttpTransport();

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    transport.close();
    await server.close();
  });

  it('keeps one connection alive for calls one after another', async () => {
    const before = server.connections();
    for (let i = 0; i < 20; i += 1) {
      const response = await transport.fetch(`${server.url}/echo`, { method: 'POST', body: `call ${i}` });
      assert.deepEqual(await response.json(), { method: 'POST', body: `call ${i}`, type: null });
    }
    assert.equal(server.connections() - before, 1);
  });

  it('answers as fetch does: status, headers, text, JSON, a body read once', async () => {
    const busy = await transport.fetch(`${server.url}/busy`);
    assert.equal(busy.ok, false);
    assert.equal(busy.status, 429);
    assert.equal(busy.headers.get('retry-after'), '7');
    assert.equal(await busy.text(), '{"error":"busy"}');
    await assert.rejects(busy.text(), TypeError);

    const echo = await transport.fetch(new URL(`${server.url}/echo`), {
      method: 'POST',
      headers: new Headers({ 'Content-Type': 'application/json' }),
      body: new TextEncoder().encode('{"a":1}'),
    });
    assert.equal(echo.ok, true);
    assert.equal(echo.headers.get('x-method'), 'POST');
    assert.deepEqual(await echo.json(), { method: 'POST', body: '{"a":1}', type: 'application/json' });

    assert.deepEqual(await (await transport.fetch(`${server.url}/chunked`)).json(), { parts: [1, 2, 3] });
    assert.deepEqual(await (await transport.fetch(`${server.url}/gzip`)).json(), { packed: true });
    await assert.rejects((await transport.fetch(`${server.url}/malformed`)).json(), SyntaxError);
    // A redirect is followed, as fetch follows it.
    assert.deepEqual(await (await transport.fetch(`${server.url}/moved`)).json(), { method: 'GET', body: '', type: null });
    // What clients rarely read still works: the body as a stream, a clone.
    const streamed = await transport.fetch(`${server.url}/echo`);
    const copy = streamed.clone();
    assert.equal(await new Response(streamed.body).text(), '{"method":"GET","body":"","type":null}');
    assert.deepEqual(await copy.json(), { method: 'GET', body: '', type: null });
  });

  it('rejects with the signal’s reason when aborted mid-call, drops that connection, and keeps serving', async () => {
    const controller = new AbortController();
    const reason = new Error('Cancelled by the test.');
    const hangingBefore = server.hanging();
    const call = transport.fetch(`${server.url}/hang`, { method: 'POST', body: 'x', signal: controller.signal });
    await waitFor('the server to hold the call', () => (server.hanging() > hangingBefore ? true : undefined));
    const socketsWhileHanging = server.openSockets();
    controller.abort(reason);
    await assert.rejects(settlesWithin(call, 5_000), (error) => error === reason);
    await waitFor('the aborted call’s connection to close', () => (server.openSockets() < socketsWhileHanging ? true : undefined));
    // An already aborted signal rejects before anything is sent.
    await assert.rejects(transport.fetch(`${server.url}/echo`, { signal: controller.signal }), (error) => error === reason);
    const response = await transport.fetch(`${server.url}/echo`, { method: 'POST', body: 'after' });
    assert.equal(((await response.json()) as { body: string }).body, 'after');
  });

  it('hands a streamed answer over as it arrives, and closes it when the signal aborts', async () => {
    const controller = new AbortController();
    const response = await settlesWithin(transport.fetch(`${server.url}/stream`, { method: 'POST', signal: controller.signal }), 5_000);
    assert.equal(response.headers.get('content-type'), 'application/x-ndjson');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    // The server has not ended its answer: the first line is read while the rest is still to come.
    const first = await settlesWithin(reader.read(), 5_000);
    assert.equal(new TextDecoder().decode(first.value), '{"token":"Once"}\n');
    const left = server.streamsLeft();
    const reason = new Error('The rest is not needed.');
    controller.abort(reason);
    await waitFor('the server to see its streaming client go', () => (server.streamsLeft() > left ? true : undefined));
    await assert.rejects(settlesWithin(reader.read(), 5_000));
  });

  it('reads a stream that ends on its own to its end, and reuses its connection', async () => {
    await (await transport.fetch(`${server.url}/echo`)).text();
    const before = server.connections();
    const events = await transport.fetch(`${server.url}/events`);
    assert.equal(await events.text(), 'data: {"token":"Once"}\n\ndata: [DONE]\n\n');
    const echo = await transport.fetch(`${server.url}/echo`, { method: 'POST', body: 'next' });
    assert.equal(((await echo.json()) as { body: string }).body, 'next');
    assert.equal(server.connections() - before, 0, 'a new connection for a stream or the call after it');
  });

  it('fails as fetch fails: "fetch failed" with the network error as its cause', async () => {
    const closed = await startTestServer();
    const url = closed.url;
    await closed.close();
    await assert.rejects(transport.fetch(`${url}/echo`), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.equal(error.message, 'fetch failed');
      assert.equal((error.cause as { code?: string }).code, 'ECONNREFUSED');
      return true;
    });
    // An answer cut off mid-body fails the call rather than reaching the client half-read.
    await assert.rejects(
      transport.fetch(`${server.url}/cut`),
      (error: unknown) => error instanceof TypeError && error.message === 'fetch failed',
    );
    await assert.rejects(
      transport.fetch('not a url'),
      (error: unknown) => error instanceof TypeError && /invalid url/iu.test(String(error.cause)),
    );
  });
});
