import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Explanation } from '../../protocol/explanation';
import type { VerifyMaskResult } from '../../protocol/server';
import { SERVER_PATH } from '../helpers/serverProcess';
import { waitFor } from '../helpers/waitFor';
import { STORY, TINY_MODEL_PATH, tinyModelSkip } from './tinyModel';

interface Frame {
  readonly id?: number;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string };
}

/**
 * Splits raw stdout into JSON-RPC frames; throws if any byte is not part of a well-formed frame.
 * While the server runs the last frame may still be arriving; once it has exited (`complete`), every byte must belong to a frame.
 */
function parseFrames(stdout: Buffer, complete = false): Frame[] {
  const frames: Frame[] = [];
  let offset = 0;
  while (offset < stdout.length) {
    const headerEnd = stdout.indexOf('\r\n\r\n', offset);
    if (headerEnd < 0) break;
    const length = /^Content-Length: (\d+)(\r\nContent-Type: [^\r\n]+)?$/u.exec(stdout.toString('ascii', offset, headerEnd));
    assert.ok(length, `bytes at ${offset} are not a frame header: ${JSON.stringify(stdout.toString('utf8', offset, offset + 80))}`);
    const bodyEnd = headerEnd + 4 + Number(length[1]);
    if (bodyEnd > stdout.length) break;
    frames.push(JSON.parse(stdout.toString('utf8', headerEnd + 4, bodyEnd)) as Frame);
    offset = bodyEnd;
  }
  if (complete)
    assert.equal(offset, stdout.length, `stdout ends with bytes outside any frame: ${stdout.toString('utf8', offset, offset + 80)}`);
  return frames;
}

function frame(message: object): string {
  const body = JSON.stringify({ jsonrpc: '2.0', ...message });
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

describe('the server with the llama backend', { skip: tinyModelSkip() }, () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'spex-llama-server-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('reports bad model files and a too-long answer as errors, keeps serving, explains and verifies, and writes only JSON-RPC to stdout', async () => {
    const notGguf = path.join(scratch, 'notes.gguf');
    writeFileSync(notGguf, 'not a model');
    const child = spawn(process.execPath, [SERVER_PATH, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.resume();
    const answer = (id: number): Promise<Frame> =>
      waitFor(`the answer to request ${id}`, () => parseFrames(Buffer.concat(chunks)).find((message) => message.id === id), 60_000);
    const llama = { backend: 'llama', budget: 48, maxAnswerTokens: 8 };
    try {
      child.stdin.write(
        [
          {
            id: 1,
            method: 'initialize',
            params: {
              processId: null,
              rootUri: null,
              capabilities: {},
              initializationOptions: { cacheDirectory: path.join(scratch, 'cache') },
            },
          },
          { method: 'initialized', params: {} },
          { id: 2, method: 'spex/explain', params: { text: STORY, options: { ...llama, model: notGguf } } },
          { id: 3, method: 'spex/explain', params: { text: STORY, options: { ...llama, model: 'no-such-model:7b' } } },
          {
            id: 8,
            method: 'spex/explain',
            params: { text: STORY, options: { ...llama, model: TINY_MODEL_PATH, target: 'the ball '.repeat(1200) } },
          },
          { id: 4, method: 'spex/explain', params: { text: STORY, options: { ...llama, model: TINY_MODEL_PATH } } },
        ]
          .map(frame)
          .join(''),
      );
      const notModel = await answer(2);
      assert.equal(notModel.error?.code, -32803);
      assert.match(notModel.error?.message ?? '', /is not a GGUF model file/u);
      const unknown = await answer(3);
      assert.equal(unknown.error?.code, -32803);
      assert.match(unknown.error?.message ?? '', /has no model "no-such-model:7b"/u);

      const tooLong = await answer(8);
      assert.equal(tooLong.error?.code, -32803);
      assert.match(tooLong.error?.message ?? '', /more than the 2048-token context/u);

      const explained = (await answer(4)).result as { id: string; explanation: Explanation };
      assert.equal(explained.explanation.valueFunction.name, 'logprob');
      assert.match(explained.explanation.model, /^llama /u);

      // A what-if check on the kept explanation scores with the same loaded model.
      const mask = explained.explanation.features.map((_, index) => (index % 2 === 0 ? 1 : 0));
      child.stdin.write(frame({ id: 5, method: 'spex/verify', params: { explanationId: explained.id, mask } }));
      const verified = (await answer(5)).result as VerifyMaskResult;
      assert.ok(Number.isFinite(verified.value) && Number.isFinite(verified.predicted));
      // And the model's own answer to the masked prompt, beside the explained one (cut where it filled the limit).
      assert.equal(verified.answer?.original, explained.explanation.target);
      assert.equal(verified.answer?.originalCut, explained.explanation.targetCut === true);
      assert.equal(typeof verified.answer?.text, 'string');
      assert.equal(
        verified.answer?.changed,
        verified.answer?.text.replace(/\s+/gu, ' ').trim() !== verified.answer?.original.replace(/\s+/gu, ' ').trim(),
      );

      child.stdin.write(frame({ id: 6, method: 'spex/models', params: { options: { backend: 'llama' } } }));
      assert.match(((await answer(6)).result as { endpoint: string }).endpoint, /^Ollama model store /u);

      child.stdin.write(frame({ id: 7, method: 'shutdown' }));
      await answer(7);
      child.stdin.write(frame({ method: 'exit' }));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 0);
      // Every byte of stdout is a frame: llama.cpp's own logging never reached it.
      assert.ok(parseFrames(Buffer.concat(chunks), true).length >= 8);
    } finally {
      child.kill();
    }
  });
});
