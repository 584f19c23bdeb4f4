import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { SERVER_PATH } from '../helpers/serverProcess';
import { waitFor } from '../helpers/waitFor';

/** Splits raw stdout into JSON-RPC frames; throws if any byte is not part of a well-formed frame. */
function parseFrames(stdout: Buffer): unknown[] {
  const frames: unknown[] = [];
  let offset = 0;
  while (offset < stdout.length) {
    const headerEnd = stdout.indexOf('\r\n\r\n', offset);
    assert.ok(
      headerEnd > offset,
      `bytes at ${offset} are not a frame header: ${JSON.stringify(stdout.toString('utf8', offset, offset + 80))}`,
    );
    const header = stdout.toString('ascii', offset, headerEnd);
    const length = /^Content-Length: (\d+)(\r\nContent-Type: [^\r\n]+)?$/u.exec(header);
    assert.ok(length, `not a JSON-RPC header: ${JSON.stringify(header)}`);
    const bodyStart = headerEnd + 4;
    const bodyEnd = bodyStart + Number(length[1]);
    assert.ok(bodyEnd <= stdout.length, 'a frame is cut short');
    const body = JSON.parse(stdout.toString('utf8', bodyStart, bodyEnd)) as { jsonrpc?: string };
    assert.equal(body.jsonrpc, '2.0');
    frames.push(body);
    offset = bodyEnd;
  }
  return frames;
}

function frame(message: object): string {
  const body = JSON.stringify({ jsonrpc: '2.0', ...message });
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
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
    child.stdin.write(requests.map(frame).join(''));
    const answered = await waitFor('answers to all six requests', () => {
      try {
        const frames = parseFrames(Buffer.concat(chunks)) as { id?: number }[];
        return frames.filter((message) => message.id !== undefined).length >= 6 ? frames : undefined;
      } catch {
        return undefined;
      }
    });
    child.stdin.write(frame({ method: 'exit' }));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    const frames = parseFrames(Buffer.concat(chunks)) as { id?: number; error?: { code: number } }[];
    assert.ok(frames.length >= answered.length);
    assert.deepEqual(
      frames.filter((message) => message.error).map((message) => [message.id, message.error?.code]),
      [
        [4, -32602],
        [5, -32601],
      ],
    );
  });
});
