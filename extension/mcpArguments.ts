import type { Settings } from './settings';

/** The environment variable the registered MCP server reads the API key from (set from SecretStorage, never from settings). */
export const MCP_API_KEY_VARIABLE = 'SPEX_API_KEY';

/**
 * The `spex mcp` command line that gives every tool call the user's settings as its defaults, and
 * shares the editor's call cache. No secret is ever an argument: the key, where there is one, goes
 * into the process's environment and the server is told only the variable's name.
 */
export function mcpArguments(
  settings: Settings,
  cacheDirectory: string,
  hasApiKey: boolean,
  allowedOrigins: readonly string[] = [],
): string[] {
  const args = ['mcp', '--quiet', '--cache', cacheDirectory, '--backend', settings.backend];
  const endpoints = typeof settings.endpoint === 'string' ? [settings.endpoint] : settings.endpoint;
  if (settings.backend === 'ollama' || settings.backend === 'openai') for (const url of endpoints) if (url) args.push('--endpoint', url);
  if (settings.model) args.push('--model', settings.model);
  if (settings.backend === 'openai') args.push('--api', settings.api);
  if (settings.backend === 'exec' && settings.execCommand) args.push('--exec', settings.execCommand);
  args.push(
    '--prompt-format',
    settings.promptFormat,
    '--granularity',
    settings.granularity,
    '--value',
    settings.value,
    '--mask',
    settings.masking,
    '--algorithm',
    settings.algorithm,
    '--budget',
    String(settings.budget),
    '--max-order',
    String(settings.maxOrder),
    '--index',
    settings.index,
    '--order',
    String(settings.order),
    '--concurrency',
    String(settings.concurrency),
    '--timeout',
    String(settings.timeout),
    '--max-budget',
    String(settings.mcpMaxBudget),
  );
  for (const pattern of settings.pin) args.push('--pin', pattern);
  if (settings.valueRange) args.push('--value-range', settings.valueRange);
  // The endpoints the user agreed to from the editor; the server refuses to send prompts anywhere else off this machine.
  for (const origin of allowedOrigins) args.push('--allow-remote', origin);
  if (hasApiKey) args.push('--api-key-env', MCP_API_KEY_VARIABLE);
  return args;
}
