import type { EndpointError } from './modelEndpoint';

/** What to do when nothing answers at the model endpoint: one paragraph, every way forward. */
export function unreachableHelp(error: EndpointError): string {
  return `${error.message}
SPEX explains prompts with a language model. By default it uses Ollama (0.12.11 or later, for log-probabilities) at
http://127.0.0.1:11434: start it with "ollama serve" and pull a small instruct model with "ollama pull llama3.2:1b".
Or point the endpoint at another Ollama host; use the openai backend with the URL of an OpenAI-compatible server (vLLM,
llama.cpp server, LiteLLM); or try SPEX without any model: the exec backend with "node examples/offline-scorer.mjs".`;
}
