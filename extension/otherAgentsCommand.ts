import * as vscode from 'vscode';
import {
  AGENT_LABELS,
  OTHER_AGENTS,
  agentSnippet,
  claudeAddJsonCommand,
  configTargets,
  mergeForTarget,
  planTarget,
  setupNotes,
  type AgentLocations,
  type ConfigTarget,
  type McpLaunchLine,
  type TargetPlan,
} from './otherAgents';

export interface AddToOtherAgentsDeps {
  /** The command line the editor starts the MCP server with (see otherAgentLaunchLine). */
  readonly launch: McpLaunchLine;
  /** The first workspace folder's path; without one, only files in the home directory are offered. */
  readonly workspaceFolder: string | undefined;
  readonly homeDirectory: string;
  /** `$CODEX_HOME` where set. */
  readonly codexHome?: string | undefined;
  readonly log: (message: string) => void;
}

type Action = { readonly kind: 'write'; readonly plan: TargetPlan } | { readonly kind: 'show' } | { readonly kind: 'copyClaudeCommand' };

/** The file's text, or undefined when there is no file. */
async function readText(path: string): Promise<string | undefined> {
  try {
    // ignoreBOM keeps a byte order mark in the text, so that a rewritten file keeps it too.
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(await vscode.workspace.fs.readFile(vscode.Uri.file(path)));
  } catch (error) {
    if (error instanceof vscode.FileSystemError && error.code === 'FileNotFound') return undefined;
    throw error;
  }
}

/** A few words on what writing the target would do, for the pick's description. */
function planSummary(plan: TargetPlan): string {
  if (plan.refusal !== undefined) return 'cannot be read: will not be written';
  if (!plan.exists) return 'new file';
  if (!plan.hasEntry) return 'adds "spex"';
  return plan.differs ? 'replaces the "spex" entry' : 'already up to date';
}

/**
 * SPEX: Add to Other Agents… — writes (after a modal confirmation) or shows the configuration that lets
 * Claude Code, Codex or Cursor start the same MCP server the editor registers. The API key is never
 * written: the entries refer to the environment variable the server reads it from.
 */
export async function addToOtherAgents(deps: AddToOtherAgentsDeps): Promise<void> {
  const locations: AgentLocations = { workspaceFolder: deps.workspaceFolder, homeDirectory: deps.homeDirectory, codexHome: deps.codexHome };
  const agent = await vscode.window.showQuickPick(
    OTHER_AGENTS.map((id) => {
      const targets = configTargets(id, locations);
      const detail =
        targets.length > 0 ? targets.map((target) => target.path).join(' · ') : 'No folder open: copy a claude mcp add-json command';
      return { label: AGENT_LABELS[id], detail, id };
    }),
    // Kept open while the person looks elsewhere (at the file it names, say): closing it would end the two-step choice.
    {
      title: 'SPEX: Add to Other Agents',
      placeHolder: 'Which agent should start the SPEX MCP server?',
      matchOnDetail: true,
      ignoreFocusOut: true,
    },
  );
  if (!agent) return;

  let plans: TargetPlan[];
  try {
    plans = await Promise.all(
      configTargets(agent.id, locations).map(async (target) => planTarget(target, deps.launch, await readText(target.path))),
    );
  } catch (error) {
    void vscode.window.showErrorMessage(`SPEX could not read ${AGENT_LABELS[agent.id]}'s configuration: ${String(error)}`);
    return;
  }
  const actions: (vscode.QuickPickItem & { action: Action })[] = [
    ...plans.map((plan) => ({
      label: `Write to ${plan.target.path}`,
      description: planSummary(plan),
      detail: plan.target.scope === 'project' ? 'This folder only' : 'Every project',
      action: { kind: 'write', plan } as const,
    })),
    { label: 'Show the snippet', description: 'in a new editor; writes nothing', action: { kind: 'show' } },
  ];
  if (agent.id === 'claudeCode') {
    actions.push({
      label: 'Copy the claude mcp add-json command',
      description: 'user scope: every project',
      action: { kind: 'copyClaudeCommand' },
    });
  }
  const picked = await vscode.window.showQuickPick(actions, { title: `SPEX: Add to ${AGENT_LABELS[agent.id]}`, ignoreFocusOut: true });
  if (!picked) return;

  const notes = setupNotes(agent.id, deps.launch).join(' ');
  switch (picked.action.kind) {
    case 'write':
      try {
        await writeTarget(picked.action.plan.target, deps, notes);
      } catch (error) {
        deps.log(`Add to other agents: ${String(error)}`);
        void vscode.window.showErrorMessage(`SPEX could not write ${picked.action.plan.target.path}: ${String(error)}`);
      }
      return;
    case 'show': {
      const snippet = agentSnippet(agent.id, deps.launch);
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: snippet.language, content: snippet.text }));
      void vscode.window.showInformationMessage(notes);
      return;
    }
    case 'copyClaudeCommand':
      // PowerShell is the terminal Windows users most likely paste into; single quotes keep ${…} literal in both shells.
      await vscode.env.clipboard.writeText(claudeAddJsonCommand(deps.launch, process.platform === 'win32' ? 'powershell' : 'posix'));
      void vscode.window.showInformationMessage(`Copied: run it in a terminal to add SPEX to Claude Code for every project. ${notes}`);
      return;
  }
}

/** Asks first, then merges the entry into the file as it is now and opens it. */
async function writeTarget(target: ConfigTarget, deps: AddToOtherAgentsDeps, notes: string): Promise<void> {
  const uri = vscode.Uri.file(target.path);
  // Writing under an editor with unsaved changes would make VS Code ask which version wins; let the user settle that first.
  if (vscode.workspace.textDocuments.some((document) => document.uri.fsPath === uri.fsPath && document.isDirty)) {
    void vscode.window.showErrorMessage(`${target.path} has unsaved changes in an editor: save or close it, then try again.`);
    return;
  }
  const before = await readText(target.path);
  const outcome = mergeForTarget(target, deps.launch, before);
  if (!outcome.ok) {
    deps.log(`Add to other agents: ${outcome.reason}`);
    void vscode.window.showErrorMessage(outcome.reason);
    return;
  }
  if (!outcome.changed) {
    await vscode.window.showTextDocument(uri);
    void vscode.window.showInformationMessage(`${target.path} already starts SPEX this way; nothing was written.`);
    return;
  }
  const what =
    outcome.before === 'noFile'
      ? 'The file does not exist yet and will be created.'
      : outcome.before === 'differentEntry'
        ? 'Its existing "spex" entry will be replaced; every other entry is kept.'
        : 'A "spex" entry will be added; every other entry is kept.';
  const shared = target.scope === 'project' ? ' Project files are often committed: the entry holds paths on this machine.' : '';
  const answer = await vscode.window.showWarningMessage(
    `Write the SPEX MCP server to ${target.path}?`,
    { modal: true, detail: `${what}${shared} No API key is written.` },
    'Write',
  );
  if (answer !== 'Write') return;
  // The file may have changed while the dialog was open: merge into what is there now, and refuse as before.
  const now = await readText(target.path);
  const fresh = now === before ? outcome : mergeForTarget(target, deps.launch, now);
  if (!fresh.ok) {
    void vscode.window.showErrorMessage(fresh.reason);
    return;
  }
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(fresh.text));
  deps.log(`Add to other agents: wrote the "spex" server to ${target.path}.`);
  await vscode.window.showTextDocument(uri);
  void vscode.window.showInformationMessage(`SPEX was added to ${target.path}. ${notes}`);
}
