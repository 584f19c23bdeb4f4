/** Every command the extension contributes; package.json's contributes.commands must list exactly these (a unit test checks). */
export const COMMAND_IDS = {
  explainSelection: 'spex.explainSelection',
  explainDocument: 'spex.explainDocument',
  cancel: 'spex.cancel',
} as const;

export type CommandId = (typeof COMMAND_IDS)[keyof typeof COMMAND_IDS];
