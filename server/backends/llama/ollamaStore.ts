/**
 * Finds the GGUF file behind an Ollama model name in the local Ollama model store, so that models a
 * user has pulled run in the llama backend without the Ollama server: name → manifest → the layer
 * whose media type is the model → its blob. Read-only: nothing is ever pulled or written here.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { LlamaBackendError } from './loader';

const DEFAULT_HOST = 'registry.ollama.ai';
const DEFAULT_NAMESPACE = 'library';
const DEFAULT_TAG = 'latest';
const MODEL_MEDIA_TYPE = 'application/vnd.ollama.image.model';

/** Where Ollama keeps its models: $OLLAMA_MODELS, else ~/.ollama/models. */
export function ollamaStoreDirectory(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const configured = env['OLLAMA_MODELS'];
  return configured && configured.trim().length > 0 ? configured : path.join(home, '.ollama', 'models');
}

/** The parts of a model name, as Ollama lays out its manifests: `[host/][namespace/]repository[:tag]`. */
export interface OllamaModelName {
  readonly host: string;
  readonly namespace: string;
  readonly repository: string;
  readonly tag: string;
}

/** Parses `llama3.2:1b`, `user/model`, `hf.co/user/repo:Q4_K_M`; undefined for what cannot be a name. */
export function parseOllamaName(name: string): OllamaModelName | undefined {
  const trimmed = name.trim();
  const slash = trimmed.lastIndexOf('/');
  const colon = trimmed.lastIndexOf(':');
  const base = colon > slash ? trimmed.slice(0, colon) : trimmed;
  const tag = colon > slash ? trimmed.slice(colon + 1) : DEFAULT_TAG;
  const parts = base.split('/');
  const valid = (part: string): boolean => /^[A-Za-z0-9][A-Za-z0-9._-]*$/u.test(part);
  if (parts.length > 3 || !parts.every(valid) || !valid(tag)) return undefined;
  const repository = parts[parts.length - 1] as string;
  const namespace = parts.length >= 2 ? (parts[parts.length - 2] as string) : DEFAULT_NAMESPACE;
  const host = parts.length === 3 ? (parts[0] as string) : DEFAULT_HOST;
  return { host, namespace, repository, tag };
}

/** The short name Ollama itself prints (`llama3.2:1b` for the default registry's library). */
export function displayOllamaName(name: OllamaModelName): string {
  const prefix =
    name.host === DEFAULT_HOST ? (name.namespace === DEFAULT_NAMESPACE ? '' : `${name.namespace}/`) : `${name.host}/${name.namespace}/`;
  return `${prefix}${name.repository}:${name.tag}`;
}

export interface OllamaModelFile {
  /** The GGUF blob's path. */
  readonly path: string;
  /** The model layer's content digest, e.g. `sha256:…` (Ollama checks the blob against it). */
  readonly digest: string;
  readonly name: string;
}

/**
 * Resolves an Ollama model name to its GGUF blob in `store`. A name with no manifest fails with the
 * list of models that are there; a manifest without a model layer or a missing blob fails saying so.
 */
export async function resolveOllamaModel(name: string, store: string): Promise<OllamaModelFile> {
  const parsed = parseOllamaName(name);
  if (!parsed) throw new LlamaBackendError(`"${name}" is neither a GGUF file nor an Ollama model name (like llama3.2:1b).`);
  const manifestPath = path.join(store, 'manifests', parsed.host, parsed.namespace, parsed.repository, parsed.tag);
  let manifestText: string;
  try {
    manifestText = await readFile(manifestPath, 'utf8');
  } catch {
    const available = await listOllamaModels(store);
    throw new LlamaBackendError(
      `No file "${name}" exists and the Ollama model store at ${store} has no model "${displayOllamaName(parsed)}". ` +
        (available.length > 0
          ? `Pulled models there: ${available.join(', ')}. Give --model a GGUF file path or one of those names.`
          : 'It holds no models (set OLLAMA_MODELS if your models live elsewhere); give --model a GGUF file path.') +
        ' SPEX never pulls a model by itself ("ollama pull NAME" does).',
    );
  }
  const digest = modelLayerDigest(manifestText, manifestPath);
  const hex = digest.replace(/^sha256:/u, '');
  // Ollama names blobs sha256-<hex>; versions before 0.1.34 used sha256:<hex>.
  for (const candidate of [`sha256-${hex}`, `sha256:${hex}`]) {
    const blob = path.join(store, 'blobs', candidate);
    const found = await stat(blob).catch(() => undefined);
    if (found?.isFile()) return { path: blob, digest: `sha256:${hex}`, name: displayOllamaName(parsed) };
  }
  throw new LlamaBackendError(
    `The Ollama manifest of "${displayOllamaName(parsed)}" names the model blob sha256-${hex}, which is missing from ${path.join(store, 'blobs')}; ` +
      'pull the model again with Ollama.',
  );
}

function modelLayerDigest(manifestText: string, manifestPath: string): string {
  let manifest: unknown;
  try {
    manifest = JSON.parse(manifestText);
  } catch {
    throw new LlamaBackendError(`The Ollama manifest ${manifestPath} is not valid JSON.`);
  }
  const layers = (manifest as { layers?: unknown }).layers;
  const layer = Array.isArray(layers)
    ? (layers as { mediaType?: unknown; digest?: unknown }[]).find((entry) => entry.mediaType === MODEL_MEDIA_TYPE)
    : undefined;
  if (typeof layer?.digest !== 'string' || !/^sha256[:-][0-9a-f]{64}$/u.test(layer.digest)) {
    throw new LlamaBackendError(`The Ollama manifest ${manifestPath} has no model layer (${MODEL_MEDIA_TYPE}) with a sha256 digest.`);
  }
  return layer.digest.replace(/^sha256-/u, 'sha256:');
}

/** Every model with a manifest in `store`, by the names Ollama prints, sorted; empty when there is no store. */
export async function listOllamaModels(store: string): Promise<string[]> {
  const root = path.join(store, 'manifests');
  const names: string[] = [];
  const entries = async (folder: string): Promise<string[]> => readdir(folder).catch(() => []);
  for (const host of await entries(root)) {
    for (const namespace of await entries(path.join(root, host))) {
      for (const repository of await entries(path.join(root, host, namespace))) {
        for (const tag of await entries(path.join(root, host, namespace, repository))) {
          const file = await stat(path.join(root, host, namespace, repository, tag)).catch(() => undefined);
          if (file?.isFile()) names.push(displayOllamaName({ host, namespace, repository, tag }));
        }
      }
    }
  }
  return names.sort();
}
