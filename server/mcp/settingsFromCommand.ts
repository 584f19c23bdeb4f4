import type { ExplainConfig } from '../lsp/explainConfig';

/**
 * The command line's choices (`spex mcp --backend … --model …`) as the settings an ExplainService
 * reads, under the settings' names: what every tool call gets unless its arguments say otherwise.
 * The API key is never a setting; it reaches the service on its own (setApiKey).
 */
export function settingsFromCommand(config: ExplainConfig): Record<string, unknown> {
  return {
    backend: config.backend,
    endpoint: config.endpoints,
    ...(config.model === undefined ? {} : { model: config.model }),
    api: config.api,
    raw: config.raw,
    promptFormat: config.promptFormat,
    ...(config.exec === undefined ? {} : { execCommand: config.exec }),
    granularity: config.granularity,
    pin: config.pin,
    ...(config.target === undefined ? {} : { target: config.target }),
    value: config.value,
    maxAnswerTokens: config.maxAnswerTokens,
    masking: config.masking.kind === 'remove' ? 'remove' : `placeholder:${config.masking.text}`,
    algorithm: config.algorithm,
    budget: config.budget,
    maxOrder: config.maxOrder,
    targetR2: config.targetR2,
    plateau: config.plateau,
    valueRange: config.valueRange ? `${config.valueRange.min}:${config.valueRange.max}` : '',
    order: config.order,
    index: config.index,
    top: config.top,
    seed: config.seed,
    concurrency: config.concurrency,
    threads: config.threads,
    gpu: config.gpu,
    timeout: config.timeoutMs,
    retries: config.retries,
  };
}
