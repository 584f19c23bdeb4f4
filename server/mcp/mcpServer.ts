import { readFile } from 'node:fs/promises';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { z } from 'zod';
import { describeEstimate } from '../../protocol/costEstimate';
import { describeRefinement } from '../../protocol/refinement';
import type { ExplainOptions } from '../../protocol/server';
import type { ExplainProgress } from '../engine/explain';
import { splittingGranularity, strongestSpans } from '../engine/drillDown';
import { explanationSurrogate } from '../recovery/surrogate';
import { formatMarkdown } from '../report/markdown';
import type { ExplainService } from '../lsp/explainService';
import { SPEX_VERSION } from '../version';
import { summarizeExplanation, summaryMarkdown, type ExplanationSummary } from './explanationSummary';
import { EXPLANATION_META_KEY, EXPLANATION_VIEW_URI, explanationResourceUri } from '../../protocol/mcpView';
import { mcpViewHtml } from './viewHtml';
import { refusedForBudget, refuseUnconsentedRemote } from './callLimits';
import { comparisonSummary, comparisonText } from './comparisonSummary';
import { guarded, structured, ToolError } from './toolResults';
import { COMPARISON_SHAPE, ESTIMATE_SHAPE, PROMPT_SHAPE, RUN_SHAPE, SUMMARY_SHAPE, WHAT_IF_SHAPE, type WhatIfShape } from './toolShapes';
import type { Explanation } from '../../protocol/explanation';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface McpOptions {
  /** The most masks one tool call may ask for; above it the call is refused with the estimate. */
  readonly maxBudget: number;
  /** The budget a call that names none gets (the server's settings, or the CLI's default). */
  readonly defaultBudget: number;
  /** Origins of endpoints off this machine the user agreed to send prompts to ('*': any); see refuseUnconsentedRemote. */
  readonly allowRemote: readonly string[];
}

/**
 * The SPEX MCP server: the same explanations as the editor and the CLI (an ExplainService: settings,
 * call cache, kept explanations), offered to agents as tools with schemas for their input and output,
 * and each explanation as a resource. Failures are tool errors with the message a person would get.
 */
export function createMcpServer(service: ExplainService, options: McpOptions): McpServer {
  const server = new McpServer({ name: 'spex', version: SPEX_VERSION }, { capabilities: { logging: {} } });
  /** Each explanation's text and choices, so that refine explains the same prompt the same way, only finer. */
  const runs = new Map<string, { readonly text: string; readonly options: ExplainOptions }>();
  /** Keeps a run's text and choices for as long as the service keeps its explanation (the last twenty), no longer. */
  const remember = (id: string, run: { readonly text: string; readonly options: ExplainOptions }): void => {
    runs.set(id, run);
    for (const kept of runs.keys()) if (!service.keptExplanation(kept)) runs.delete(kept);
  };
  const progressOf = (extra: Extra) => {
    const progressToken = extra._meta?.progressToken;
    return (progress: ExplainProgress): void => {
      if (progressToken === undefined) return;
      void extra
        .sendNotification({
          method: 'notifications/progress',
          params: {
            progressToken,
            progress: progress.done,
            total: progress.planned,
            message: `${progress.done} of at most ${progress.planned} masks scored (${progress.cached} from the cache)`,
          },
        })
        .catch(() => undefined);
    };
  };

  server.registerTool(
    'explain_interactions',
    {
      title: 'Explain interactions',
      description:
        'Finds which spans of a prompt drive the model’s answer, alone and together: ablates spans, scores the model on each mask, and fits a sparse interaction model. ' +
        'Returns the verdict (trust the findings only when it fits), the answer explained, the spans with the largest total effect and the strongest interactions ' +
        '(synergy: spans that matter only together; redundancy: spans that stand in for each other), with their text, and an id for what_if. ' +
        'Costs up to `budget` model calls (see estimate_cost).',
      inputSchema: {
        ...PROMPT_SHAPE,
        ...RUN_SHAPE,
        top: z.number().int().min(1).max(50).optional().describe('How many spans and interactions to return (default 8).'),
      },
      outputSchema: SUMMARY_SHAPE,
      annotations: { readOnlyHint: false, openWorldHint: true, idempotentHint: true },
      _meta: VIEW_TOOL_META,
    },
    async (args, extra) =>
      guarded(async () => {
        const text = await promptText(args);
        const explainOptions = optionsOf(args);
        refuseUnconsentedRemote(service, explainOptions, options.allowRemote);
        const budget = args.budget ?? options.defaultBudget;
        if (budget > options.maxBudget) return refusedForBudget(service, text, explainOptions, budget, options.maxBudget, extra.signal);
        const result = await service.explain(text, explainOptions, { signal: extra.signal, onProgress: progressOf(extra) });
        remember(result.id, { text, options: explainOptions });
        const summary = summarizeExplanation(result.id, result.explanation, args.top ?? 8, result.cancelled);
        return withView(structured(summary, summaryMarkdown(summary)), result.explanation);
      }),
  );

  server.registerTool(
    'estimate_cost',
    {
      title: 'Estimate the cost of an explanation',
      description:
        'How many spans, masks and model calls explain_interactions would take for this prompt and these choices, and about how long: scores a few of the run’s first masks (kept in the cache, so the run pays for them once).',
      inputSchema: { ...PROMPT_SHAPE, ...RUN_SHAPE },
      outputSchema: ESTIMATE_SHAPE,
      annotations: { readOnlyHint: true, openWorldHint: true, idempotentHint: true },
    },
    async (args, extra) =>
      guarded(async () => {
        refuseUnconsentedRemote(service, optionsOf(args), options.allowRemote);
        const estimate = await service.estimate(await promptText(args), optionsOf(args), extra.signal);
        const shaped = {
          spans: estimate.features,
          plannedMasks: estimate.plannedMasks,
          plannedCalls: estimate.plannedCalls,
          estimatedSeconds: Math.round(estimate.estimatedMs / 100) / 10,
          valueFunction: estimate.valueFunction.name,
          remote: estimate.remote,
        };
        return structured(shaped, describeEstimate(estimate));
      }),
  );

  server.registerTool(
    'what_if',
    {
      title: 'What if these spans were removed?',
      description:
        'For an explanation id from explain_interactions and the 0-based indices of spans to remove: the value its surrogate predicts at once, and with verify the model’s real value and answer (one or two model calls).',
      inputSchema: {
        explanationId: z.string(),
        remove: z.array(z.number().int().min(0)).describe('0-based span indices (the spans[].index of explain_interactions).'),
        verify: z.boolean().optional().describe('Also ask the model (costs a call or two).'),
      },
      outputSchema: WHAT_IF_SHAPE,
      annotations: { readOnlyHint: true, openWorldHint: true, idempotentHint: true },
    },
    async (args, extra) =>
      guarded(async () => {
        const explanation = service.keptExplanation(args.explanationId);
        if (!explanation)
          throw new ToolError(`No explanation "${args.explanationId}" is kept (the last twenty are); run explain_interactions again.`);
        const count = explanation.features.length;
        const outside = args.remove.filter((index) => index >= count);
        if (outside.length > 0)
          throw new ToolError(
            `The explanation has spans 0 to ${count - 1}; ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not among them.`,
          );
        const mask = Array.from({ length: count }, (_, index) => (args.remove.includes(index) ? 0 : 1));
        const surrogate = explanationSurrogate(explanation);
        const predicted = surrogate?.evaluate(Uint8Array.from(mask)) ?? 0;
        const result: WhatIfShape = { predicted, full: explanation.fullValue };
        if (args.verify) {
          const verified = await service.verify(args.explanationId, mask, extra.signal);
          Object.assign(result, {
            value: verified.value,
            ...(verified.answer
              ? {
                  answer: verified.answer.text,
                  answerCut: verified.answer.cut,
                  originalAnswer: verified.answer.original,
                  originalAnswerCut: verified.answer.originalCut,
                  answerChanged: verified.answer.changed,
                }
              : {}),
          });
        }
        const removed = args.remove.map((index) => `[${index + 1}]`).join(', ') || 'nothing';
        return structured(
          result,
          `Without ${removed}: predicted ${predicted.toFixed(3)} (with every span: ${explanation.fullValue.toFixed(3)})` +
            (result.value === undefined ? '.' : `; the model gives ${result.value.toFixed(3)}`) +
            (result.answer === undefined
              ? ''
              : `, answering “${result.answer}”${result.answerChanged ? ' (the answer changes)' : ' (the same answer)'}.`),
        );
      }),
  );

  server.registerTool(
    'refine',
    {
      title: 'Drill into spans',
      description:
        'Splits spans of an explanation into a finer unit (paragraph → sentence → word) and explains again, reusing every model call of the coarser run: the words inside the passage that matters. ' +
        'By default the strongest span, at the first finer unit that splits it.',
      inputSchema: {
        explanationId: z.string(),
        spans: z
          .array(z.number().int().min(0))
          .optional()
          .describe('0-based spans to split (default: the one with the largest total effect).'),
        granularity: z.string().optional().describe('The finer unit (default: the first that splits them).'),
        top: z.number().int().min(1).max(50).optional(),
      },
      outputSchema: SUMMARY_SHAPE,
      annotations: { readOnlyHint: false, openWorldHint: true, idempotentHint: true },
      _meta: VIEW_TOOL_META,
    },
    async (args, extra) =>
      guarded(async () => {
        const run = runs.get(args.explanationId);
        const explanation = service.keptExplanation(args.explanationId);
        if (!run || !explanation)
          throw new ToolError(
            `No explanation "${args.explanationId}" from this server is kept (the last twenty are); run explain_interactions again.`,
          );
        const split = args.spans ?? strongestSpans(explanation, 1);
        const first = explanation.features[split[0] ?? -1];
        const granularity = args.granularity ?? (first ? splittingGranularity(first.text, explanation.granularity) : undefined);
        if (granularity === undefined) throw new ToolError('Nothing to drill into: the spans cannot be split any finer.');
        const result = await service.explain(run.text, run.options, {
          signal: extra.signal,
          onProgress: progressOf(extra),
          refine: { explanationId: args.explanationId, split, granularity },
        });
        remember(result.id, run);
        const summary = summarizeExplanation(result.id, result.explanation, args.top ?? 8, result.cancelled);
        const refinement = result.explanation.refinement ? `${describeRefinement(result.explanation)}\n\n` : '';
        return withView(structured(summary, `${refinement}${summaryMarkdown(summary)}`), result.explanation);
      }),
  );

  server.registerTool(
    'compare_prompts',
    {
      title: 'Compare two versions of a prompt',
      description:
        'Explains two versions of a prompt with the same choices (B with modelB where given), lines their spans up by text, and says first whether the answers differ, then which spans and interactions changed, largest change first.',
      inputSchema: {
        a: z.string().describe('The first version (the one you started from).'),
        b: z.string().describe('The second version.'),
        modelB: z.string().optional().describe('Explain B with this model instead (the same text under two models).'),
        ...RUN_SHAPE,
        top: z.number().int().min(1).max(50).optional(),
      },
      outputSchema: COMPARISON_SHAPE,
      annotations: { readOnlyHint: false, openWorldHint: true, idempotentHint: true },
    },
    async (args, extra) =>
      guarded(async () => {
        const compareOptions = optionsOf(args);
        refuseUnconsentedRemote(service, compareOptions, options.allowRemote);
        const budget = args.budget ?? options.defaultBudget;
        if (budget * 2 > options.maxBudget)
          return refusedForBudget(service, args.a, compareOptions, budget * 2, options.maxBudget, extra.signal);
        const result = await service.compare(args.a, args.b, compareOptions, args.modelB, {
          signal: extra.signal,
          onProgress: progressOf(extra),
        });
        remember(result.idA, { text: args.a, options: compareOptions });
        remember(result.idB, { text: args.b, options: args.modelB ? { ...compareOptions, model: args.modelB } : compareOptions });
        const shaped = comparisonSummary(result.comparison, result.idA, result.idB, args.top ?? 8);
        return structured(shaped, comparisonText(shaped));
      }),
  );

  /**
   * Hosts that draw MCP Apps get the whole explanation in the result's _meta, which they hand to the
   * view and not to the model; other clients get the summary alone (the view, where one is drawn
   * anyway, reads the explanation's resource instead).
   */
  const withView = (result: CallToolResult, explanation: Explanation): CallToolResult => {
    const extensions = (server.server.getClientCapabilities() as { extensions?: Record<string, unknown> } | undefined)?.extensions;
    return extensions?.[MCP_APPS_EXTENSION] === undefined ? result : { ...result, _meta: { [EXPLANATION_META_KEY]: explanation } };
  };

  server.registerResource(
    'explanation-view',
    EXPLANATION_VIEW_URI,
    {
      title: 'SPEX explanation view',
      description:
        'The explanation drawn on its text, as in the editor’s panel: spans tinted by effect, the strongest interactions drawn, what-if toggles (MCP Apps).',
      mimeType: MCP_APP_MIME_TYPE,
      _meta: VIEW_RESOURCE_META,
    },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: MCP_APP_MIME_TYPE, text: await mcpViewHtml(), _meta: VIEW_RESOURCE_META }],
    }),
  );

  server.registerResource(
    'explanation',
    new ResourceTemplate('spex://explanation/{id}', {
      list: () => ({
        resources: service.keptIds().map((id) => ({ uri: explanationResourceUri(id), name: id, mimeType: 'application/json' })),
      }),
    }),
    { title: 'A kept explanation', description: 'An explanation from explain_interactions, as JSON and as Markdown.' },
    (uri, variables) => {
      const id = String(variables['id']);
      const explanation = service.keptExplanation(id);
      if (!explanation) throw new Error(`No explanation "${id}" is kept (the last twenty are).`);
      return {
        contents: [
          { uri: uri.href, mimeType: 'application/json', text: JSON.stringify(explanation, null, 2) },
          { uri: uri.href, mimeType: 'text/markdown', text: formatMarkdown(explanation) },
        ],
      };
    },
  );
  return server;
}

/** MCP Apps (the io.modelcontextprotocol/ui extension): what a client that draws views declares, and the view's type. */
const MCP_APPS_EXTENSION = 'io.modelcontextprotocol/ui';
const MCP_APP_MIME_TYPE = 'text/html;profile=mcp-app';

/** The tools that return an explanation name the view that draws it (both spellings hosts read). */
const VIEW_TOOL_META = { ui: { resourceUri: EXPLANATION_VIEW_URI }, 'ui/resourceUri': EXPLANATION_VIEW_URI };

/** The view fetches nothing and connects nowhere: every request goes through the host to this server's tools. */
const VIEW_RESOURCE_META = { ui: { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true } };

async function promptText(args: {
  text?: string | undefined;
  file?: string | undefined;
  startLine?: number | undefined;
  endLine?: number | undefined;
}): Promise<string> {
  if ((args.text === undefined) === (args.file === undefined)) throw new ToolError('Give the prompt as text or as file, one of the two.');
  if (args.text !== undefined) return args.text;
  let content: string;
  try {
    content = await readFile(args.file as string, 'utf8');
  } catch (error) {
    throw new ToolError(`Cannot read ${args.file as string}: ${(error as Error).message}`);
  }
  if (args.startLine === undefined && args.endLine === undefined) return content;
  const lines = content.split(/(?<=\n)/u);
  const start = (args.startLine ?? 1) - 1;
  const end = args.endLine ?? lines.length;
  if (start >= lines.length || end < start + 1)
    throw new ToolError(`${args.file as string} has ${lines.length} lines; lines ${start + 1}–${end} are not among them.`);
  return lines.slice(start, end).join('');
}

/** The run's choices as the server's explain options (unset ones come from the configuration). */
function optionsOf(args: Partial<Record<keyof typeof RUN_SHAPE, unknown>>): ExplainOptions {
  const options: Record<string, unknown> = {};
  for (const key of Object.keys(RUN_SHAPE))
    if (args[key as keyof typeof RUN_SHAPE] !== undefined) options[key] = args[key as keyof typeof RUN_SHAPE];
  return options;
}

export type { ExplanationSummary };
