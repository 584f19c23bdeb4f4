import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Explanation } from '../protocol/explanation';
import type { Granularity } from '../protocol/features';
import { createLlamaValueSource } from '../server/backends/llama/llamaScorer';
import { CallCache } from '../server/cache/callCache';
import { drillDown } from '../server/engine/drillDownRun';
import { explainText, type ExplainRequest } from '../server/engine/explain';
import { STORY, TINY_MODEL_PATH } from '../test/llama/tinyModel';
import { markdownTable } from './recovery';

/**
 * What a drill-down saves: explain at a coarse granularity, split the strongest spans into words and
 * explain again reusing every scored mask (the call cache answers them), against a fresh word-level
 * run of the whole text at the same budget. The tiny TinyStories model scores both, in process, each
 * with its own empty in-memory cache so that neither borrows the other's calls.
 */

interface Workload {
  readonly name: string;
  readonly text: string;
  readonly coarse: Granularity;
  readonly pin: readonly string[];
  readonly top: number;
}

interface Row {
  readonly workload: Workload;
  readonly features: { readonly coarse: number; readonly drilled: number; readonly fresh: number };
  readonly calls: { readonly coarse: number; readonly added: number; readonly fresh: number };
  readonly reused: number;
  readonly lifted: number;
  readonly r2: { readonly drilled: number | null; readonly fresh: number | null };
}

const BUDGET = 1000;

/** Thirty sentences: the test story, and twenty more in its voice. */
function thirtySentences(): string {
  const more = [
    'Tom showed Lily how to hold the string.',
    'The wind was strong that day.',
    'The kite flew up over the trees.',
    'A bird flew next to the kite.',
    'Lily laughed and clapped her hands.',
    'Mom sat on a bench and read a book.',
    'Then the wind stopped.',
    'The kite fell into a big tree.',
    'Tom was sad.',
    'Lily had an idea.',
    'She asked a man with a long stick for help.',
    'The man got the kite down.',
    'Tom and Lily said thank you.',
    'They ran to the pond to see the ducks.',
    'The ducks were hungry.',
    'Lily gave them some bread.',
    'Soon it was time to go home.',
    'Tom gave Lily a hug.',
    'Lily smiled all the way home.',
    'At night she dreamed of kites.',
  ];
  return `${STORY} ${more.join(' ')}`;
}

async function explainWith(request: Omit<ExplainRequest, 'cache' | 'source'>, cache: CallCache): Promise<ExplainRequest> {
  const source = await createLlamaValueSource({
    model: TINY_MODEL_PATH,
    raw: false,
    value: 'auto',
    maxAnswerTokens: 16,
    concurrency: 4,
    threads: 0,
    prompt: request.text,
  });
  return { ...request, source, cache };
}

async function measure(workload: Workload, log: (line: string) => void): Promise<Row> {
  const base = {
    text: workload.text,
    pin: workload.pin,
    masking: { kind: 'remove' } as const,
    algorithm: 'auto' as const,
    budget: BUDGET,
    maxOrder: 5,
    index: 'fsii' as const,
    order: 2,
    top: 10,
    seed: 0,
    concurrency: 4,
  };
  log(`[drilldown] ${workload.name}: drill-down`);
  const drillRequest = await explainWith({ ...base, granularity: workload.coarse }, CallCache.inMemory());
  const levels: Explanation[] = await drillDown(drillRequest, [{ granularity: 'word', top: workload.top }]);
  const [coarse, drilled] = levels as [Explanation, Explanation];
  log(`[drilldown] ${workload.name}: fresh word-level run`);
  const freshRequest = await explainWith({ ...base, granularity: 'word' }, CallCache.inMemory());
  const fresh = await explainText(freshRequest);
  return {
    workload,
    features: { coarse: coarse.features.length, drilled: drilled.features.length, fresh: fresh.features.length },
    calls: { coarse: coarse.calls.model, added: drilled.calls.model, fresh: fresh.calls.model },
    reused: drilled.refinement?.reused ?? 0,
    lifted: drilled.refinement?.lifted ?? 0,
    r2: { drilled: drilled.faithfulness.r2, fresh: fresh.faithfulness.r2 },
  };
}

export async function drillDownBenchmark(options: { readonly log: (line: string) => void }): Promise<string> {
  const workloads: Workload[] = [
    {
      name: 'RAG context (examples/rag-context.md), paragraphs → words of the strongest',
      text: readFileSync(path.join(__dirname, '..', 'examples', 'rag-context.md'), 'utf8'),
      coarse: 'paragraph',
      pin: ['Question:.*'],
      top: 1,
    },
    { name: 'story of 30 sentences, sentences → words of the 2 strongest', text: thirtySentences(), coarse: 'sentence', pin: [], top: 2 },
  ];
  const rows: Row[] = [];
  for (const workload of workloads) rows.push(await measure(workload, options.log));
  const r2 = (value: number | null): string => (value === null ? 'exact' : value.toFixed(3));
  return [
    `Budget ${BUDGET} for every run; the tiny model in process, each approach with its own empty cache. "Added" is what the ` +
      'word-level step of the drill-down paid for; the coarser masks it lifted came back from the cache.',
    '',
    markdownTable(
      [
        'workload',
        'spans: coarse → drilled (fresh)',
        'coarse run calls',
        'drill-down added',
        'lifted (reused)',
        'fresh word-level calls',
        'saved vs. fresh',
        'held-out R²: drilled / fresh',
      ],
      rows.map((row) => [
        row.workload.name,
        `${row.features.coarse} → ${row.features.drilled} (${row.features.fresh})`,
        String(row.calls.coarse),
        String(row.calls.added),
        `${row.lifted} (${row.reused})`,
        String(row.calls.fresh),
        `${row.calls.fresh - row.calls.added} (${(100 * (1 - row.calls.added / row.calls.fresh)).toFixed(0)} %)`,
        `${r2(row.r2.drilled)} / ${r2(row.r2.fresh)}`,
      ]),
      1,
    ),
  ].join('\n');
}
