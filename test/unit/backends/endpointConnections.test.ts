import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HttpTransport } from '../../../server/backends/httpTransport';
import type { ModelEndpoint } from '../../../server/backends/modelEndpoint';
import { OllamaEndpoint } from '../../../server/backends/ollamaEndpoint';
import { OpenAiEndpoint } from '../../../server/backends/openaiEndpoint';
import { BRIDGE_PLANTED, FAKE_MODEL_NAME, startFakeModelServer, type FakeModelServer } from '../../fixtures/fakeModelServer';
import { settlesWithin } from '../../helpers/settlesWithin';
import { waitFor } from '../../helpers/waitFor';

/** A TCP relay in front of the fake model server that counts the connections the clients open. */
interface CountingRelay {
  readonly port: number;
  connections(): number;
  close(): Promise<void>;
}

async function startRelay(targetPort: number): Promise<CountingRelay> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const relay: Server = createServer((client) => {
    connections += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // A side that goes away takes the other with it, as a direct connection would.
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        relay.close(() => resolve());
      }),
  };
}

/** Requests the fake holds without answering: one prompt that contains the word "hang". */
const HANG_WORD = 'hang';

const backends: readonly {
  readonly name: string;
  readonly path: string;
  make: (url: string, transport: HttpTransport) => ModelEndpoint;
}[] = [
  {
    name: 'Ollama (official ollama client)',
    path: '/api/chat',
    make: (url, transport) => new OllamaEndpoint({ host: url, model: FAKE_MODEL_NAME, transport }),
  },
  {
    name: 'OpenAI-compatible (official openai client)',
    path: '/v1/completions',
    make: (url, transport) => new OpenAiEndpoint({ baseURL: `${url}/v1`, model: FAKE_MODEL_NAME, transport }),
  },
];

describe('model endpoints reuse their connections and still honour each call’s signal', () => {
  let fake: FakeModelServer;
  let relay: CountingRelay;

  before(async () => {
    fake = await startFakeModelServer({
      ...BRIDGE_PLANTED,
      fault: ({ body }) => (JSON.stringify(body ?? '').includes(HANG_WORD) ? { kind: 'hang' } : undefined),
    });
    relay = await startRelay(fake.port);
  });
  after(async () => {
    await relay.close();
    await fake.close();
  });

  for (const backend of backends) {
    it(`${backend.name}: forty calls, four at a time, go over at most four connections`, async () => {
      const transport = new HttpTransport();
      const endpoint = backend.make(`http://127.0.0.1:${relay.port}`, transport);
      const before = relay.connections();
      try {
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < 40) {
            next += 1;
            const generation = await endpoint.generate(`Alpha and beta, call ${next}.`, { maxTokens: 1, topLogprobs: 5 });
            assert.ok((generation.tokens?.length ?? 0) > 0);
          }
        };
        await Promise.all([worker(), worker(), worker(), worker()]);
        assert.ok(relay.connections() - before <= 4, `${relay.connections() - before} connections`);
      } finally {
        transport.close();
      }
    });

    it(`${backend.name}: a call aborted in flight rejects with its reason at once, and the next call succeeds`, async () => {
      const transport = new HttpTransport();
      const endpoint = backend.make(`http://127.0.0.1:${relay.port}`, transport);
      try {
        // A first call opens the connection the hanging one may reuse.
        await endpoint.generate('Alpha opens.', { maxTokens: 1, topLogprobs: 5 });
        const seen = fake.requestCount(backend.path);
        const controller = new AbortController();
        const reason = new Error('Cancelled by the test.');
        const call = endpoint.generate(`Please ${HANG_WORD} here.`, { maxTokens: 1, topLogprobs: 5, signal: controller.signal });
        await waitFor('the fake to hold the call', () => (fake.requestCount(backend.path) > seen ? true : undefined));
        controller.abort(reason);
        await assert.rejects(settlesWithin(call, 5_000), (error) => error === reason);
        const after = await endpoint.generate('Beta follows.', { maxTokens: 1, topLogprobs: 5 });
        assert.ok((after.tokens?.length ?? 0) > 0);
      } finally {
        transport.close();
      }
    });
  }
});
