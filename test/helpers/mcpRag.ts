import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ExplanationSummary } from '../../server/mcp/explanationSummary';
import { repoPath } from './paths';

/** The example RAG context, whose exec scorer (examples/offline-scorer.mjs) plants the interactions checked below. */
export const RAG = repoPath('examples', 'rag-context.md');

/** A tool result's text blocks, joined. */
export function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}

/**
 * Calls explain_interactions on the RAG example (question pinned, the top three terms) through any
 * transport, and checks what every transport must deliver: an exact fit of the 6 documents with the
 * example's planted terms strongest first ([2]+[4] stand in for each other, −2.5; [1]+[3] matter
 * together, +2.4), and progress notifications on the way. The SDK's client has already checked
 * structuredContent against the tool's outputSchema (a mismatch throws).
 */
export async function explainRagExample(
  client: Client,
): Promise<{ result: CallToolResult; summary: ExplanationSummary; progress: number[] }> {
  const progress: number[] = [];
  const result = (await client.callTool(
    { name: 'explain_interactions', arguments: { file: RAG, pin: ['Question:[^\\n]*'], top: 3 } },
    undefined,
    { onprogress: (update) => progress.push(update.progress) },
  )) as CallToolResult;
  assert.notEqual(result.isError, true, textOf(result));
  const summary = result.structuredContent as unknown as ExplanationSummary;
  assert.equal(summary.verdict.level, 'exact');
  assert.equal(summary.spanCount, 6);
  assert.deepEqual(
    summary.interactions.map((term) => [term.tags, term.kind, Math.round(term.value * 10) / 10]),
    [
      ['[2]+[4]', 'redundancy', -2.5],
      ['[1]+[3]', 'synergy', 2.4],
      ['[3]+[5]', 'redundancy', -0.8],
    ],
  );
  assert.ok(progress.length > 0, 'progress notifications');
  return { result, summary, progress };
}
