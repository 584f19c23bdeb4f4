/** Every command the extension contributes; package.json's contributes.commands must list exactly these (a unit test checks). */
export const COMMAND_IDS = {
  explainSelection: 'spex.explainSelection',
  explainDocument: 'spex.explainDocument',
  cancel: 'spex.cancel',
  selectModel: 'spex.selectModel',
  setApiKey: 'spex.setApiKey',
  clearApiKey: 'spex.clearApiKey',
  showLastExplanation: 'spex.showLastExplanation',
  /** The editor hover's link: the panel with one span selected (arguments: [span index]); not in the palette. */
  showSpanInPanel: 'spex.showSpanInPanel',
  exportExplanation: 'spex.exportExplanation',
  clearCache: 'spex.clearCache',
  compareInteractions: 'spex.compareInteractions',
  explainTemplate: 'spex.explainTemplate',
  /** Writes or shows the MCP server's configuration for Claude Code, Codex and Cursor. */
  addToOtherAgents: 'spex.addToOtherAgents',
} as const;

export type CommandId = (typeof COMMAND_IDS)[keyof typeof COMMAND_IDS];
