import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import type { Explanation } from '../../protocol/explanation';
import {
  ApiKeyChangedNotification,
  CompareTextsRequest,
  BatchTemplateRequest,
  ClearCacheRequest,
  EstimateCostRequest,
  ExplainTextRequest,
  ExplanationChangedNotification,
  GetVersionRequest,
  ListModelsRequest,
  VerifyMaskRequest,
  type ExplanationChangedParams,
} from '../../protocol/server';
import { BRIDGE_PLANTED, startFakeModelServer, type FakeModelServer } from '../fixtures/fakeModelServer';
import { startServer, type RunningServer } from '../helpers/serverProcess';
import { waitFor } from '../helpers/waitFor';
import { explanationSurrogate } from '../../server/recovery/surrogate';
import { formatMarkdown } from '../../server/report/markdown';

const PLANTED = BRIDGE_PLANTED;

const SHORT = 'Alpha opens. Beta follows. Gamma joins. Delta waits. Omega ends. Filler one.';
/** Twenty sentences: too many for exact recovery at these budgets, so ProxySPEX runs in rounds. */
const LONG = Array.from(
  { length: 20 },
  (_, i) => `${['Alpha', 'Beta', 'Gamma', 'Delta', 'Omega'][i] ?? 'Filler'} sentence number ${i}.`,
).join(' ');

/** A loopback port nothing listens on: bound by the system, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function termsByWord(explanation: Explanation): Map<string, number> {
  const terms = new Map<string, number>();
  for (const term of explanation.interactions) {
    terms.set(term.features.map((index) => explanation.features[index]?.text.split(' ')[0]?.toLowerCase()).join('+'), term.value);
  }
  return terms;
}

describe('spex/explain and friends over stdio', () => {
  let server: RunningServer;
  let fake: FakeModelServer;
  let slow: FakeModelServer;
  const cacheDirectory = mkdtempSync(path.join(tmpdir(), 'spex-server-cache-'));
  const changes: ExplanationChangedParams[] = [];
  const progress: { token: unknown; value: { kind: string; percentage?: number; message?: string } }[] = [];

  before(async () => {
    fake = await startFakeModelServer(PLANTED);
    slow = await startFakeModelServer({ ...PLANTED, latencyMs: 15 });
    server = startServer();
    server.connection.onNotification(ExplanationChangedNotification, (params) => {
      changes.push(params);
    });
    server.connection.onNotification('$/progress', (params: { token: unknown; value: { kind: string } }) => {
      progress.push(params);
    });
    await server.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
      initializationOptions: { cacheDirectory },
    });
    await server.connection.sendNotification('initialized', {});
    await server.connection.sendNotification('workspace/didChangeConfiguration', {
      settings: { spex: { backend: 'openai', endpoint: fake.openaiBaseURL, budget: 300, index: 'mobius', granularity: 'sentence' } },
    });
  });
  after(async () => {
    await server.stop();
    await fake.close();
    await slow.close();
    rmSync(cacheDirectory, { recursive: true, force: true });
  });

  it('explains with settings filling the options, and reports progress in order, at most ten a second, the final count last', async () => {
    const started = performance.now();
    const result = await server.connection.sendRequest(ExplainTextRequest, {
      text: SHORT,
      workDoneToken: 'progress-1',
      documentUri: 'file:///a.md',
    });
    const elapsedMs = performance.now() - started;
    assert.equal(result.cancelled, false);
    assert.equal(result.documentUri, 'file:///a.md');
    const terms = termsByWord(result.explanation);
    assert.ok(Math.abs((terms.get('beta+gamma') ?? 0) - 2) < 1e-6);
    assert.ok(Math.abs((terms.get('delta+omega') ?? 0) + 1.8) < 1e-6);
    assert.ok(Math.abs((terms.get('alpha') ?? 0) - 1.5) < 1e-6);
    const mine = progress.filter((entry) => entry.token === 'progress-1').map((entry) => entry.value);
    assert.equal(mine[0]?.kind, 'begin');
    assert.equal(mine[mine.length - 1]?.kind, 'end');
    const reports = mine.filter((value) => value.kind === 'report');
    // Not one report a mask: at most one per 100 ms, and a last one with the final count.
    assert.ok(reports.length >= 1);
    assert.ok(reports.length <= Math.floor(elapsedMs / 100) + 2, `${reports.length} reports in ${Math.round(elapsedMs)} ms`);
    const percentages = reports.map((value) => value.percentage ?? 0);
    assert.deepEqual(
      percentages,
      [...percentages].sort((a, b) => a - b),
    );
    assert.match(
      reports[reports.length - 1]?.message ?? '',
      new RegExp(`^${result.explanation.calls.masks}/≤\\d+ masks, \\d+ cached, ≤\\d+ s left$`, 'u'),
    );
    assert.ok(changes.some((change) => change.id === result.id && change.explanation === null));
  });

  it('streams partial results from sampling rounds before the final one', async () => {
    changes.length = 0;
    const result = await server.connection.sendRequest(ExplainTextRequest, { text: LONG, options: { budget: 2000, seed: 3 } });
    assert.equal(result.explanation.algorithm.name, 'proxyspex');
    const partials = changes.filter((change) => change.id === result.id && change.explanation !== null);
    assert.ok(partials.length >= 1);
    assert.ok(partials.every((change) => change.explanation?.partial === true));
    // The final result says how its budget was spent.
    const sampling = result.explanation.sampling;
    assert.equal(sampling?.budget, 2000);
    assert.ok((sampling?.rounds.length ?? 0) >= 2);
    assert.ok((sampling?.stoppedBecause.length ?? 0) > 0);
  });

  it('takes the anytime options: a loose target R² stops sampling after two rounds', async () => {
    const result = await server.connection.sendRequest(ExplainTextRequest, {
      text: LONG,
      options: { budget: 2000, seed: 3, targetR2: 0.2 },
    });
    assert.deepEqual(
      result.explanation.sampling?.rounds.map((round) => round.masks),
      [250, 500],
    );
    assert.match(result.explanation.sampling?.stoppedBecause ?? '', /≥ 0\.2$/u);
    await assert.rejects(
      server.connection.sendRequest(ExplainTextRequest, { text: LONG, options: { targetR2: 1.5 } }),
      /options\.targetR2 must be a number above 0 and at most 1; got 1\.5/u,
    );
  });

  it('explains a chat message list as messages, and verifies a what-if through the same list', async () => {
    const text =
      '[\n  {"role": "system", "content": "Alpha opens. Beta follows."},\n  {"role": "user", "content": "Gamma joins. Delta waits."}\n]';
    const before = fake.requests.length;
    const { id, explanation } = await server.connection.sendRequest(ExplainTextRequest, { text });
    assert.deepEqual(explanation.chat, { syntax: 'json', roles: ['system', 'user'] });
    assert.deepEqual(
      explanation.features.map((feature) => text.slice(feature.start, feature.end)),
      ['Alpha opens.', 'Beta follows.', 'Gamma joins.', 'Delta waits.'],
    );
    assert.ok(Math.abs((termsByWord(explanation).get('beta+gamma') ?? 0) - 2) < 1e-6, 'the synergy across the two turns');
    const mask = [1, 1, 0, 1];
    const verified = await server.connection.sendRequest(VerifyMaskRequest, { explanationId: id, mask });
    assert.ok(Math.abs(verified.value - fake.value('Alpha opens. Beta follows. Delta waits.')) < 1e-9);
    const sent = fake.requests.slice(before);
    assert.ok(sent.length > 0 && sent.every((request) => request.path !== '/v1/completions'));
    for (const request of sent.filter((entry) => entry.path === '/v1/chat/completions')) {
      const roles = (request.body as { messages: { role: string }[] }).messages.map((message) => message.role);
      assert.deepEqual(roles.slice(0, 2), ['system', 'user']);
    }
    const asText = await server.connection.sendRequest(ExplainTextRequest, { text, options: { promptFormat: 'text' } });
    assert.equal(asText.explanation.chat, undefined);
    await assert.rejects(
      server.connection.sendRequest(ExplainTextRequest, { text: '[{"role": "user", "content": "Alpha"}, {"role": 3}]' }),
      /Message list, line 1, column 49: expected a string/u,
    );
  });

  it('verifies a what-if mask with the model and compares it to the surrogate', async () => {
    const { id, explanation } = await server.connection.sendRequest(ExplainTextRequest, { text: SHORT });
    const mask = explanation.features.map((feature) => (/Delta/u.test(feature.text) ? 0 : 1));
    const verified = await server.connection.sendRequest(VerifyMaskRequest, { explanationId: id, mask });
    const kept = explanation.features.filter((_, index) => mask[index] === 1).map((feature) => feature.text);
    assert.ok(Math.abs(verified.value - fake.value(kept.join(' '))) < 1e-9);
    assert.ok(Math.abs(verified.predicted - verified.value) < 1e-6);
    // The fake model answers every prompt alike, so the generated answer stays the explained one.
    assert.deepEqual(verified.answer, {
      text: PLANTED.answer,
      cut: false,
      original: explanation.target,
      originalCut: false,
      changed: false,
    });
    await assert.rejects(
      server.connection.sendRequest(VerifyMaskRequest, { explanationId: id, mask: [1, 2] }),
      /list of 6 zeros and ones/u,
    );
    await assert.rejects(server.connection.sendRequest(VerifyMaskRequest, { explanationId: 'nope', mask }), /No explanation "nope"/u);
  });

  it('says what the model now answers, and that the answer flips only where the generated answer changes', async () => {
    const graded = await startFakeModelServer({ ...PLANTED, similarityMode: true });
    try {
      const requests = (): number => graded.requests.length;
      const { id, explanation } = await server.connection.sendRequest(ExplainTextRequest, {
        text: SHORT,
        options: { endpoint: graded.openaiBaseURL },
      });
      const without = (word: string): number[] => explanation.features.map((feature) => (feature.text.startsWith(word) ? 0 : 1));
      // Alpha raises the answer's value alone: without it the graded model stops its answer early.
      const before = requests();
      const alpha = await server.connection.sendRequest(VerifyMaskRequest, { explanationId: id, mask: without('Alpha') });
      assert.equal(alpha.answer?.changed, true);
      assert.equal(alpha.answer?.original, explanation.target);
      const explained = explanation.target ?? '';
      assert.ok(explained.startsWith(alpha.answer?.text ?? '') && (alpha.answer?.text.length ?? 0) < explained.length, alpha.answer?.text);
      // The filler does nothing: the same answer, not a flip.
      const filler = await server.connection.sendRequest(VerifyMaskRequest, { explanationId: id, mask: without('Filler') });
      assert.equal(filler.answer?.changed, false);
      assert.equal(filler.answer?.text, explained);
      // Asked again, the answer is remembered: the value comes from the cache and nothing is generated.
      const asked = requests();
      const again = await server.connection.sendRequest(VerifyMaskRequest, { explanationId: id, mask: without('Alpha') });
      assert.deepEqual(again.answer, alpha.answer);
      assert.equal(again.cached, true);
      assert.equal(requests(), asked);
      assert.ok(asked > before);
    } finally {
      await graded.close();
    }
  });

  it('drills down from a kept explanation: the chosen span split, every coarse mask reused from the cache', async () => {
    const coarse = await server.connection.sendRequest(ExplainTextRequest, { text: SHORT });
    const beta = coarse.explanation.features.findIndex((feature) => feature.text.startsWith('Beta'));
    const drilled = await server.connection.sendRequest(ExplainTextRequest, {
      text: SHORT,
      refine: { explanationId: coarse.id, split: [beta], granularity: 'word' },
    });
    const { explanation } = drilled;
    assert.deepEqual(explanation.refinement, { from: 'sentence', to: 'word', split: [beta], unsplittable: [], lifted: 64, reused: 64 });
    assert.deepEqual(
      explanation.features.filter((feature) => feature.parent === beta).map((feature) => feature.text),
      ['Beta', 'follows.'],
    );
    // The planted synergy now reads word by word: the word "Beta" with the sentence "Gamma joins.".
    const betaWord = explanation.features.findIndex((feature) => feature.text === 'Beta');
    const gamma = explanation.features.findIndex((feature) => feature.text.startsWith('Gamma'));
    const pair = explanation.interactions.find((term) => term.features.join() === [betaWord, gamma].sort((a, b) => a - b).join());
    assert.ok(pair && Math.abs(pair.value - 2) < 1e-6, JSON.stringify(explanation.interactions));
    // Its own masks can be drilled into again, and a what-if on it verifies like any other.
    const verified = await server.connection.sendRequest(VerifyMaskRequest, {
      explanationId: drilled.id,
      mask: explanation.features.map((_, index) => (index === betaWord ? 0 : 1)),
    });
    assert.ok(Number.isFinite(verified.value));
    await assert.rejects(
      server.connection.sendRequest(ExplainTextRequest, {
        text: `${SHORT} More.`,
        refine: { explanationId: coarse.id, split: [beta], granularity: 'word' },
      }),
      /The text has changed since it was explained/u,
    );
    await assert.rejects(
      server.connection.sendRequest(ExplainTextRequest, {
        text: SHORT,
        refine: { explanationId: drilled.id, split: [betaWord], granularity: 'word' },
      }),
      /Nothing to drill into: \[\d\] is a single word already/u,
    );
    await assert.rejects(
      server.connection.sendRequest(ExplainTextRequest, {
        text: SHORT,
        refine: { explanationId: 'nope', split: [0], granularity: 'word' },
      }),
      /No explanation "nope" is kept/u,
    );
    await assert.rejects(
      server.connection.sendRequest(ExplainTextRequest, {
        text: SHORT,
        refine: { explanationId: coarse.id, split: [99], granularity: 'word' },
      }),
      /"refine.split" must list span indices of that explanation \(0 to 5\)/u,
    );
  });

  it('compares two versions over spex/compare: Omega dropped takes the redundancy with it; both explanations stay kept', async () => {
    const b = SHORT.replace(' Omega ends.', '');
    const result = await server.connection.sendRequest(CompareTextsRequest, { a: SHORT, b });
    const { comparison } = result;
    assert.equal(comparison.answers.differ, false);
    assert.equal(comparison.spans.find((span) => span.textA === 'Omega ends.')?.status, 'removed');
    const redundancy = comparison.interactions.find((term) => term.kind === 'redundancy');
    assert.ok(
      redundancy && redundancy.featuresB === undefined && Math.abs((redundancy.valueA ?? 0) + 1.8) < 1e-6,
      JSON.stringify(redundancy),
    );
    assert.notEqual(result.idA, result.idB);
    const verified = await server.connection.sendRequest(VerifyMaskRequest, {
      explanationId: result.idB,
      mask: comparison.b.features.map(() => 1),
    });
    assert.ok(Number.isFinite(verified.value));
    await assert.rejects(
      server.connection.sendRequest(CompareTextsRequest, { a: SHORT, b, modelB: '' }),
      /"modelB" must be the name of a model/u,
    );
    await assert.rejects(
      // A client that does not check types: the server does.
      server.connection.sendRequest(CompareTextsRequest.method, { a: SHORT, b: 42 }),
      /"b" must be a string: the second version/u,
    );
  });

  it('explains a template over its inputs over spex/batch, the template’s own spans the features', async () => {
    const template = 'Alpha opens. Beta follows. {{question}} Gamma joins. Filler one.';
    const inputs = ['Who built it?', 'When?', 'Was gamma there?'].map((question) => JSON.stringify({ question })).join('\n');
    const result = await server.connection.sendRequest(BatchTemplateRequest, { template, inputs: `${inputs}\nbroken` });
    assert.equal(result.inputs.length, 3);
    assert.deepEqual(
      result.skipped.map((entry) => entry.line),
      [4],
    );
    assert.deepEqual(
      result.aggregate.spans.map((span) => span.text),
      ['Alpha opens.', 'Beta follows.', 'Gamma joins.', 'Filler one.'],
    );
    assert.ok(Math.abs((result.aggregate.spans[0]?.mean ?? 0) - 1.5) < 1e-6);
    // A batch's inputs are not kept for Verify: 21 of them leave the explanation in the panel verifiable.
    const shown = await server.connection.sendRequest(ExplainTextRequest, { text: SHORT });
    const many = Array.from({ length: 21 }, (_, i) => JSON.stringify({ question: `Question ${i}?` })).join('\n');
    await server.connection.sendRequest(BatchTemplateRequest, { template, inputs: many });
    const verified = await server.connection.sendRequest(VerifyMaskRequest, {
      explanationId: shown.id,
      mask: shown.explanation.features.map(() => 1),
    });
    assert.ok(Number.isFinite(verified.value));
    await assert.rejects(
      server.connection.sendRequest(BatchTemplateRequest, { template: 'No slots.', inputs }),
      /The template has no \{\{placeholder\}\}/u,
    );
    await assert.rejects(
      server.connection.sendRequest(BatchTemplateRequest, { template, inputs: `${inputs}\nbroken`, onBroken: 'stop' }),
      /Inputs line 4: not JSON/u,
    );
  });

  it('marks an answer generated up to the token limit as cut, and the report shows it with an ellipsis', async () => {
    const cut = await server.connection.sendRequest(ExplainTextRequest, { text: SHORT, options: { maxAnswerTokens: 2 } });
    assert.equal(cut.explanation.target, ' The bridge');
    assert.equal(cut.explanation.targetCut, true);
    assert.match(formatMarkdown(cut.explanation), /Answer explained: “ ?The bridge…”/u);
    const whole = await server.connection.sendRequest(ExplainTextRequest, { text: SHORT });
    assert.equal(whole.explanation.target, PLANTED.answer);
    assert.equal(whole.explanation.targetCut, undefined);
    assert.match(formatMarkdown(whole.explanation), /Answer explained: “ ?The bridge opened in 1931\.”/u);
  });

  it('verifies through the link-scale surrogate where the value was declared bounded, as the panel predicts', async () => {
    const text = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const options = {
      backend: 'exec' as const,
      exec: 'node test/fixtures/scorers/saturatingScorer.mjs',
      granularity: 'word' as const,
      valueRange: '-1:1',
      budget: 400,
      maxOrder: 3,
    };
    const { id, explanation } = await server.connection.sendRequest(ExplainTextRequest, { text, options });
    assert.ok(explanation.linkScale, 'fit on the link scale');
    const mask = explanation.features.map((_, index) => (index % 3 === 0 ? 0 : 1));
    const verified = await server.connection.sendRequest(VerifyMaskRequest, { explanationId: id, mask });
    const panel = explanationSurrogate(explanation)?.evaluate(Uint8Array.from(mask));
    assert.ok(panel !== undefined && Math.abs(verified.predicted - panel) < 1e-12, `server ${verified.predicted}, panel ${panel}`);
    assert.ok(Math.abs(verified.predicted - verified.value) < 0.02, `predicted ${verified.predicted}, scored ${verified.value}`);
  });

  it('carries the correction near the full prompt, and verifies a what-if that removes one span through it', async () => {
    const text = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const options = {
      backend: 'exec' as const,
      exec: 'node test/fixtures/scorers/steppingScorer.mjs',
      granularity: 'word' as const,
      budget: 600,
    };
    const { id, explanation } = await server.connection.sendRequest(ExplainTextRequest, { text, options });
    assert.ok(explanation.localCorrection?.nearFull, 'the explanation carries its near-full correction');
    assert.equal(explanation.localCorrection.nearFull.removal.length, 40);
    // Removing w3 alone costs 0.5 + 0.9 (faded by 0.975^6) and its small trend term.
    const mask = explanation.features.map((feature) => (feature.text === 'w3' ? 0 : 1));
    const verified = await server.connection.sendRequest(VerifyMaskRequest, { explanationId: id, mask });
    const panel = explanationSurrogate(explanation)?.evaluate(Uint8Array.from(mask));
    assert.ok(panel !== undefined && Math.abs(verified.predicted - panel) < 1e-12, `server ${verified.predicted}, panel ${panel}`);
    assert.ok(Math.abs(verified.predicted - verified.value) < 0.25, `predicted ${verified.predicted}, scored ${verified.value}`);
    const expansionAlone = explanationSurrogate({ fourier: explanation.fourier })?.evaluate(Uint8Array.from(mask)) ?? Number.NaN;
    assert.ok(
      Math.abs(verified.predicted - verified.value) < 0.5 * Math.abs(expansionAlone - verified.value),
      `with the correction ${verified.predicted}, expansion alone ${expansionAlone}, scored ${verified.value}`,
    );
  });

  it('answers a cancel within a second with the partial result, marked cancelled', async () => {
    const source = new CancellationTokenSource();
    const pending = server.connection.sendRequest(
      ExplainTextRequest,
      { text: LONG, options: { endpoint: slow.openaiBaseURL, budget: 3000, seed: 9 } },
      source.token,
    );
    await waitFor('the run to be under way', () => (slow.requestCount('/v1/completions') > 80 ? true : undefined), 30_000);
    const cancelledAt = Date.now();
    source.cancel();
    const result = await pending;
    assert.ok(Date.now() - cancelledAt < 1000, `answered ${Date.now() - cancelledAt} ms after the cancel`);
    assert.equal(result.cancelled, true);
    assert.equal(result.explanation.partial, true);
    assert.ok(result.explanation.calls.masks > 20);
    assert.match(result.explanation.algorithm.reason, /cancelled after \d+ masks/u);
    // The sampling record says what the cancel left: every mask paid for, fit at once.
    const sampling = result.explanation.sampling;
    assert.match(sampling?.stoppedBecause ?? '', /^cancelled after \d+ masks$/u);
    assert.equal(sampling?.rounds.length, 1);
    assert.ok((sampling?.rounds[0]?.masks ?? 0) > 20);
  });

  it('runs two explanations at once without mixing them', async () => {
    const other = 'Gamma first. Beta second. Alpha third. Nothing fourth.';
    const [first, second] = await Promise.all([
      server.connection.sendRequest(ExplainTextRequest, { text: SHORT }),
      server.connection.sendRequest(ExplainTextRequest, { text: other }),
    ]);
    assert.notEqual(first.id, second.id);
    assert.deepEqual(
      first.explanation.features.map((feature) => feature.text),
      SHORT.split(/(?<=\.) /u),
    );
    assert.deepEqual(
      second.explanation.features.map((feature) => feature.text),
      other.split(/(?<=\.) /u),
    );
    assert.ok(
      Math.abs((termsByWord(second.explanation).get('gamma+beta') ?? termsByWord(second.explanation).get('beta+gamma') ?? 0) - 2) < 1e-6,
    );
  });

  it('previews the cost and lists the models', async () => {
    const estimate = await server.connection.sendRequest(EstimateCostRequest, { text: LONG, options: { budget: 500 } });
    assert.equal(estimate.features, 20);
    assert.equal(estimate.algorithm, 'proxyspex');
    assert.ok(estimate.plannedMasks <= 505 + 3);
    assert.equal(estimate.remote, false);
    const remote = await server.connection
      .sendRequest(EstimateCostRequest, { text: SHORT, options: { endpoint: 'http://model.example.invalid/v1', timeout: 500, retries: 0 } })
      .catch((error: unknown) => error);
    assert.ok(remote instanceof ResponseError);
    const models = await server.connection.sendRequest(ListModelsRequest, {});
    assert.deepEqual(
      models.models.map((model) => model.name),
      ['fake-llm:1b'],
    );
  });

  it('rejects bad requests with readable errors and keeps serving', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /"text" must be a string/u],
      [{ text: '   ' }, /empty/u],
      [{ text: 'Only pinned.', options: { pin: ['Only pinned\\.'] } }, /no features to ablate/u],
      [{ text: SHORT, options: { budgett: 10 } }, /Unknown option: budgett/u],
      [{ text: SHORT, options: { index: 'lime' } }, /options\.index must be fourier/u],
      [
        { text: SHORT, options: { budget: 5, algorithm: 'proxyspex' } },
        /budget of 5 model calls is too small; ProxySPEX needs at least 18 \(16 masks and 2 repeats of the full prompt/u,
      ],
    ];
    for (const [params, message] of cases) {
      await assert.rejects(server.connection.sendRequest(ExplainTextRequest.method, params), (error: unknown) => {
        assert.ok(error instanceof ResponseError);
        assert.equal(error.code, -32602);
        assert.match(error.message, message);
        return true;
      });
    }
    const version = await server.connection.sendRequest(GetVersionRequest);
    assert.equal(version.name, 'spex-server');
  });

  it('reports an unreachable endpoint as a failed request with what to do', async () => {
    const port = await closedPort();
    await assert.rejects(
      server.connection.sendRequest(ExplainTextRequest, {
        text: SHORT,
        options: { backend: 'ollama', endpoint: `http://127.0.0.1:${port}`, retries: 0 },
      }),
      (error: unknown) => {
        assert.ok(error instanceof ResponseError);
        assert.equal(error.code, -32803);
        assert.match(error.message, /ollama serve/u);
        return true;
      },
    );
  });

  it('never writes the API key to the cache or the log, and clears the cache on request', async () => {
    const secret = 'sk-test-0123456789abcdef';
    await server.connection.sendNotification(ApiKeyChangedNotification, { apiKey: secret });
    await server.connection.sendRequest(ExplainTextRequest, { text: `${SHORT} Extra words.` });
    for (const file of readdirSync(cacheDirectory))
      assert.ok(!readFileSync(path.join(cacheDirectory, file), 'utf8').includes(secret), file);
    assert.ok(!server.stderr().includes(secret));
    const { removed } = await server.connection.sendRequest(ClearCacheRequest);
    assert.ok(removed > 100);
  });
});
