/**
 * Fuzzing the built CLI and server with seeded, generated input: texts from every troublesome
 * Unicode class and of every size (empty to 5 MB), bad options, params of every shape, malformed
 * frames, misbehaving scorers. Whatever comes in: no stack trace, no hang (every run and request is
 * bounded), offsets always map back, HTML reports always escaped. Most inputs go through one
 * long-lived server; the CLI gets its cheap paths (segment, --dry-run, usage errors) and a few full
 * runs. SPEX_FUZZ_SEED=<n> reruns with other inputs; a failure message names the input's number.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Explanation } from '../../protocol/explanation';
import type { Feature, PinnedSpan } from '../../protocol/features';
import { assertFeaturesMapBack, assertHtmlEscapes, assertNoStackTrace } from '../helpers/fuzzChecks';
import {
  pick,
  randomBadCommandLine,
  randomGranularity,
  randomInteger,
  randomJson,
  randomLength,
  randomPins,
  randomText,
  repeatedText,
  seededRandom,
  UNICODE_CLASSES,
  type RandomSource,
  type UnicodeClass,
} from '../helpers/fuzzInputs';
import { repoPath } from '../helpers/paths';
import { runCli, type CliResult } from '../helpers/runCli';
import { waitFor } from '../helpers/waitFor';
import { frame, initializeWire, startWireServer, type WireMessage, type WireServer } from '../helpers/wireServer';

const SEED = Number(process.env['SPEX_FUZZ_SEED'] ?? 14);
/** Each part draws from its own stream, so adding inputs to one part leaves the others' inputs unchanged. */
const streamFor = (part: number): RandomSource => seededRandom(SEED * 1_000 + part);

/** The longest text the server takes (server/lsp/validate.ts). */
const SERVER_TEXT_LIMIT = 2_000_000;
/** How long one CLI run or one server answer may take before it counts as a hang (generous: the machine is shared). */
const HANG_MS = 60_000;
const SCORER = `node "${repoPath('test/fixtures/scorers/fakeScorer.mjs')}"`;

let inputs = 0;
const scratch = mkdtempSync(path.join(tmpdir(), 'spex-fuzz-'));
const cacheDirectory = path.join(scratch, 'cache');
after(() => rmSync(scratch, { recursive: true, force: true }));

/** What a text becomes on its way through a UTF-8 file or pipe (lone surrogates turn into U+FFFD). */
const throughUtf8 = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');

/** Runs the CLI, killing it as hung after HANG_MS; the cache is this suite's own. */
async function cli(args: readonly string[], input = ''): Promise<CliResult> {
  const result = await runCli(args, { input, env: { SPEX_CACHE_DIR: cacheDirectory }, hungAfterMs: HANG_MS });
  inputs += 1;
  assert.ok(!result.hung, `spex ${args.join(' ').slice(0, 200)} hung (killed after ${HANG_MS} ms)`);
  assertNoStackTrace(result.stderr, `spex ${args.join(' ').slice(0, 200)}`);
  return result;
}

/**
 * A refusal: one line on stderr that starts with "spex: ", and exit code 2 (a usage error) or, where
 * `runtime` allows it, 1 (a text with nothing to explain is found only once the run has started).
 */
function assertRefused(result: CliResult, where: string, runtime = false): void {
  assert.ok(
    result.code === 2 || (runtime && result.code === 1),
    `${where}: exit code ${result.code}, stderr: ${result.stderr.slice(0, 500)}`,
  );
  assert.match(result.stderr, /^spex: \S.*\n$/u, `${where}: not one line: ${result.stderr.slice(0, 500)}`);
}

/** Runs `work` over `items`, two at a time (the CI machine has two cores). */
async function eachInPairs<T>(items: readonly T[], work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      await work(items[index] as T, index);
    }
  };
  await Promise.all([worker(), worker()]);
}

/** Error codes a request may get; InternalError (-32603) is a bug whatever the input. */
const EXPECTED_ERRORS = new Set([-32700, -32600, -32601, -32602, -32800, -32803]);

function assertHandled(answer: WireMessage, where: string): void {
  if (answer.error === undefined) return;
  assert.ok(EXPECTED_ERRORS.has(answer.error.code), `${where}: error ${answer.error.code}: ${answer.error.message}`);
  assertNoStackTrace(answer.error.message, where);
}

describe('fuzz: the server over stdio', () => {
  let server: WireServer;
  before(async () => {
    server = startWireServer();
    await initializeWire(server, { cacheDirectory });
  });
  after(async () => {
    await server.stop();
    assertNoStackTrace(server.stderr(), 'the server’s stderr');
  });

  /** Sends one request per item, a batch at a time, and checks each answer. */
  async function requestAll<T>(
    items: readonly T[],
    toRequest: (item: T) => { method: string; params?: unknown },
    check: (answer: WireMessage, item: T, index: number) => void,
    batch = 25,
  ): Promise<void> {
    for (let start = 0; start < items.length; start += batch) {
      const slice = items.slice(start, start + batch);
      const answers = await Promise.all(
        slice.map((item) => {
          const { method, params } = toRequest(item);
          return server.request(method, params, HANG_MS);
        }),
      );
      answers.forEach((answer, offset) => check(answer, slice[offset] as T, start + offset));
      inputs += slice.length;
    }
  }

  it('segments 1,000 generated texts: offsets map back, or InvalidParams says why', async () => {
    const random = streamFor(1);
    const cases = Array.from({ length: 1_000 }, () => ({
      text: randomText(random, randomLength(random)),
      granularity: randomGranularity(random),
      pin: randomPins(random),
    }));
    let segmented = 0;
    await requestAll(
      cases,
      (params) => ({ method: 'spex/segment', params }),
      (answer, params, index) => {
        const where = `segment input #${index} (seed ${SEED}, ${params.granularity}, pins ${JSON.stringify(params.pin)})`;
        assertHandled(answer, where);
        if (answer.error) {
          assert.equal(answer.error.code, -32602, where);
          return;
        }
        const result = answer.result as { features: Feature[]; pinned: PinnedSpan[] };
        assertFeaturesMapBack(params.text, result.features, result.pinned, where);
        segmented += 1;
      },
    );
    // Most inputs are valid: the invariants were checked on real segmentations, not only on refusals.
    assert.ok(segmented > 500, `only ${segmented} of 1,000 inputs were segmented`);
  });

  it('segments a text at the size limit and refuses one just over it and one of 5 MB', async () => {
    const random = streamFor(2);
    const atLimit = repeatedText(random, SERVER_TEXT_LIMIT);
    const answer = await server.request('spex/segment', { text: atLimit, granularity: 'paragraph' }, HANG_MS);
    assertHandled(answer, 'the text at the limit');
    const result = answer.result as { features: Feature[]; pinned: PinnedSpan[] };
    assertFeaturesMapBack(atLimit, result.features, result.pinned, 'the text at the limit');
    for (const size of [SERVER_TEXT_LIMIT + 1, 5 * 1024 * 1024]) {
      const refused = await server.request('spex/segment', { text: repeatedText(random, size), granularity: 'word' }, HANG_MS);
      assert.equal(refused.error?.code, -32602);
      assert.match(refused.error.message, /the limit is 2000000/u);
    }
    inputs += 3;
  });

  it('answers 300 requests whose params have random shapes, never with an internal error', async () => {
    const random = streamFor(3);
    // shutdown, exit and initialize change the server's state; they are covered by server.test.ts.
    const methods = [
      'spex/segment',
      'spex/explain',
      'spex/estimate',
      'spex/verify',
      'spex/models',
      'spex/version',
      'spex/clearCache',
      'spex/nothing',
    ];
    const cases = Array.from({ length: 300 }, () => {
      const method = pick(random, methods);
      let params = randomJson(random);
      // Explanations that pass every check run against a local scorer, never a default endpoint.
      if ((method === 'spex/explain' || method === 'spex/estimate' || method === 'spex/models') && random() < 0.5) {
        const options = { backend: 'exec', exec: `${SCORER} sum`, retries: 0, budget: 16, ...(randomJson(random, 2) as object) };
        params = { text: randomText(random, randomInteger(random, 200)), options };
      }
      return { method, params };
    });
    await requestAll(
      cases,
      (request) => request,
      (answer, request, index) =>
        assertHandled(answer, `random request #${index}: ${request.method} ${JSON.stringify(request.params).slice(0, 300)}`),
      10,
    );
    // Random notifications, with settings that would break later requests undone at the end.
    for (let i = 0; i < 50; i += 1) {
      const method = pick(random, ['spex/apiKeyChanged', 'workspace/didChangeConfiguration', '$/cancelRequest', 'spex/none']);
      server.send({ jsonrpc: '2.0', method, params: randomJson(random) });
      inputs += 1;
    }
    server.send({ jsonrpc: '2.0', method: 'workspace/didChangeConfiguration', params: { settings: { spex: {} } } });
    server.send({ jsonrpc: '2.0', method: 'spex/apiKeyChanged', params: { apiKey: null } });
    assertHandled(await server.request('spex/version'), 'spex/version after the random requests');
  });

  it('answers 100 mangled message bodies with a JSON-RPC error and keeps serving', async () => {
    const random = streamFor(4);
    const from = server.messages().length;
    for (let i = 0; i < 100; i += 1) {
      const valid = JSON.stringify({
        jsonrpc: '2.0',
        id: 10_000 + i,
        method: 'spex/segment',
        params: { text: randomText(random, 40), granularity: 'word' },
      });
      const cut = randomInteger(random, valid.length);
      const mangled = pick(random, [
        valid.slice(0, cut),
        `${valid.slice(0, cut)}\u0000${valid.slice(cut)}`,
        `${valid}}`,
        valid.replace('"jsonrpc"', 'jsonrpc'),
        `[${valid}]`,
      ]);
      server.sendRaw(frame(mangled));
    }
    inputs += 100;
    const version = await server.request('spex/version', undefined, HANG_MS);
    assertHandled(version, 'spex/version after mangled bodies');
    for (const message of server.messages().slice(from)) if (message.error) assertHandled(message, 'a mangled body');
  });

  it('explains 25 generated texts through an exec scorer: offsets map back in every explanation', async () => {
    const random = streamFor(5);
    const cases = Array.from({ length: 25 }, () => ({
      text: randomText(random, 1 + randomInteger(random, 300)),
      options: {
        backend: 'exec',
        exec: `${SCORER} sum`,
        granularity: pick(random, ['word', 'sentence', 'token', 'line']),
        budget: 48,
        retries: 0,
        timeout: 30_000,
      },
    }));
    await requestAll(
      cases,
      (params) => ({ method: 'spex/explain', params }),
      (answer, params, index) => {
        const where = `explain input #${index} (seed ${SEED}, ${params.options.granularity})`;
        assertHandled(answer, where);
        if (answer.error) {
          assert.equal(answer.error.code, -32602, `${where}: ${answer.error.message}`);
          return;
        }
        const { explanation } = answer.result as { explanation: Explanation };
        assert.equal(explanation.text, params.text, where);
        assertFeaturesMapBack(explanation.text, explanation.features, explanation.pinned, where);
      },
      5,
    );
  });
});

describe('fuzz: the server’s framing', () => {
  it('ends 10 servers fed random broken headers with exit code 1 and a ParseError, never silence', async () => {
    const random = streamFor(6);
    for (let i = 0; i < 10; i += 1) {
      const garbage = pick(random, [
        `${randomText(random, 30, ['ascii', 'cjk'])}\r\n\r\n`,
        `Content-Type: ${randomText(random, 10, ['ascii'])}\r\n\r\n{}`,
        `Content-Length: ${randomText(random, 5, ['latin', 'emoji'])}\r\n\r\n`,
        `{${randomText(random, 20, ['ascii'])}`,
        `Content-Length: 10\n\n${randomText(random, 10, ['ascii'])}`,
      ]);
      const server = startWireServer();
      try {
        await initializeWire(server);
        server.sendRaw(garbage);
        const code = await waitFor('the server to exit', () => server.child.exitCode ?? undefined, HANG_MS);
        assert.equal(code, 1, `broken header #${i}: ${JSON.stringify(garbage)}`);
        assert.ok(server.messages().some((message) => message.id === null && message.error?.code === -32700));
        assertNoStackTrace(server.stderr(), `broken header #${i}`);
      } finally {
        await server.stop();
      }
      inputs += 1;
    }
  });
});

describe('fuzz: the CLI', () => {
  const inputFile = path.join(scratch, 'input.txt');
  before(() => writeFileSync(inputFile, 'One sentence. Another one.\n'));

  it('segments 100 generated texts from standard input: offsets map back, or one line says why', async () => {
    const random = streamFor(7);
    const cases = Array.from({ length: 100 }, () => ({
      text: randomText(random, randomLength(random)),
      granularity: randomGranularity(random),
      pins: randomPins(random),
    }));
    await eachInPairs(cases, async ({ text, granularity, pins }, index) => {
      const args = ['segment', '-', '--granularity', granularity, ...pins.flatMap((pin) => ['--pin', pin])];
      const result = await cli(args, text);
      const where = `CLI segment #${index} (seed ${SEED}, ${args.slice(2).join(' ')})`;
      if (result.code !== 0) return assertRefused(result, where);
      const { features, pinned } = JSON.parse(result.stdout) as { features: Feature[]; pinned: PinnedSpan[] };
      assertFeaturesMapBack(throughUtf8(text), features, pinned, where);
    });
  });

  it('segments a 5 MB text', async () => {
    const random = streamFor(8);
    const text = repeatedText(random, 5 * 1024 * 1024);
    const file = path.join(scratch, 'large.txt');
    writeFileSync(file, text);
    const result = await cli(['segment', file, '--granularity', 'sentence']);
    assert.equal(result.code, 0, result.stderr);
    const { features, pinned } = JSON.parse(result.stdout) as { features: Feature[]; pinned: PinnedSpan[] };
    assertFeaturesMapBack(throughUtf8(text), features, pinned, 'the 5 MB text');
  });

  it('refuses 80 generated bad command lines with exit code 2 and one line that repeats no secret', async () => {
    const random = streamFor(9);
    const cases = Array.from({ length: 80 }, () => randomBadCommandLine(random, inputFile));
    await eachInPairs(cases, async (args, index) => {
      const result = await cli(args);
      const where = `bad command line #${index}: ${args.slice(4).join(' ')}`;
      assertRefused(result, where);
      assert.ok(!result.stderr.includes('fz-SECRET'), `${where} repeats the secret: ${result.stderr}`);
    });
  });

  it('previews the cost of 40 generated texts with --dry-run', async () => {
    const random = streamFor(10);
    const cases = Array.from({ length: 40 }, () => ({
      text: randomText(random, randomLength(random)),
      granularity: randomGranularity(random),
    }));
    await eachInPairs(cases, async ({ text, granularity }, index) => {
      const result = await cli(['explain', '-', '--exec', `${SCORER} sum`, '--granularity', granularity, '--dry-run', '--no-cache'], text);
      const where = `dry run #${index} (${granularity})`;
      if (result.code !== 0) return assertRefused(result, where, true);
      const preview = JSON.parse(result.stdout) as { features: number; plannedMasks: number };
      assert.ok(Number.isInteger(preview.features) && preview.features > 0 && preview.plannedMasks > 0, where);
    });
  });

  it('writes HTML reports that show 20 markup-laden texts as text, and JSON whose offsets map back', async () => {
    const random = streamFor(11);
    const classes: UnicodeClass[] = ['markup', 'markdown', 'ascii', 'emoji', 'rtl', 'loneSurrogates', 'punctuation'];
    const cases = Array.from({ length: 20 }, (_, index) => ({
      // Every text has a word in it, so it has a feature to explain.
      text: `${pick(random, UNICODE_CLASSES.markup)} word ${randomText(random, 20 + randomInteger(random, 200), classes)}`,
      format: index % 4 === 3 ? 'json' : 'html',
      granularity: pick(random, ['word', 'sentence', 'token']),
    }));
    await eachInPairs(cases, async ({ text, format, granularity }, index) => {
      const result = await cli(
        [
          'explain',
          '-',
          '--exec',
          `${SCORER} sum`,
          '--granularity',
          granularity,
          '--budget',
          '48',
          '--format',
          format,
          '--top',
          '0',
          '--no-cache',
        ],
        text,
      );
      const where = `report #${index} (${format}, ${granularity})`;
      assert.equal(result.code, 0, `${where}: ${result.stderr}`);
      if (format === 'html') assertHtmlEscapes(result.stdout, throughUtf8(text), where);
      else {
        const explanation = JSON.parse(result.stdout) as Explanation;
        assertFeaturesMapBack(explanation.text, explanation.features, explanation.pinned, where);
      }
    });
  });

  it('stops misbehaving scorers with exit code 1 and a message: no hang, no stack trace', async () => {
    const scorers = ['crash', 'garbage', 'nonfinite', 'infinite', 'bare', 'duplicate', 'error'].map((mode) => `${SCORER} ${mode}`);
    const cases: [string, string][] = [
      ...scorers.map((scorer): [string, string] => [scorer, '30000']),
      [`${SCORER} silent`, '800'],
      ['sleep 1000', '800'],
      ['exit 0', '30000'],
    ];
    await eachInPairs(cases, async ([scorer, timeout]) => {
      for (const extra of [[], ['--dry-run']]) {
        const result = await cli(['explain', inputFile, '--exec', scorer, '--timeout', timeout, '--no-cache', ...extra]);
        // A dry run scores one mask: a scorer that answers it (then answers again) has done its part.
        if (result.code === 0 && extra.length > 0 && scorer.endsWith('duplicate')) continue;
        assert.equal(result.code, 1, `${scorer} ${extra.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, /^spex: The scorer /u);
      }
    });
  });

  it('ends segmentation with a pin that matches the empty string past the start (\\b, lookaheads)', async () => {
    for (const pin of ['\\b', '(?=e)']) {
      const result = await runCli(['segment', '-', '--pin', pin], { input: 'one sentence here', hungAfterMs: 5_000 });
      assert.ok(!result.hung && (result.code === 0 || result.code === 2), `--pin ${pin} hung`);
    }
  });
});

it('fed the CLI and the server at least 1,000 generated inputs', () => {
  assert.ok(inputs >= 1_000, `only ${inputs} inputs`);
});
