/**
 * What --model names on the llama backend: a GGUF file, or an Ollama model name resolved in the local
 * Ollama store. Also the checks that turn a wrong file (not GGUF, cut short) into a clear error before
 * llama.cpp sees it.
 */
import { open, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { firstLine, LlamaBackendError, type LlamaModule } from './loader';
import { listOllamaModels, ollamaStoreDirectory, resolveOllamaModel } from './ollamaStore';

export interface ModelFile {
  /** The absolute path of the GGUF file that is loaded. */
  readonly path: string;
  /** How reports and cache keys name the model: the path, or the Ollama name. */
  readonly name: string;
  /** Identifies the file's content for the call cache: Ollama's sha256, else size and modification time. */
  readonly digest: string;
  readonly bytes: number;
}

/** A name that can only be a path: it ends in .gguf, or starts like a path does. */
function looksLikePath(model: string): boolean {
  return /\.gguf$/iu.test(model) || /^(\.{1,2}[\\/]|[\\/]|~[\\/]|[A-Za-z]:[\\/])/u.test(model);
}

/**
 * Resolves --model to a file. An existing file wins; a path-like name that does not exist fails as a
 * missing file; anything else is looked up in the Ollama store (`store`, default $OLLAMA_MODELS or
 * ~/.ollama/models), whose error lists the models that are there.
 */
export async function resolveModelFile(model: string | undefined, store: string = ollamaStoreDirectory()): Promise<ModelFile> {
  if (model === undefined || model.trim().length === 0) {
    const available = await listOllamaModels(store);
    throw new LlamaBackendError(
      'The llama backend needs --model: a GGUF file path, or the name of a model pulled with Ollama' +
        (available.length > 0 ? ` (here: ${available.join(', ')}).` : '.'),
    );
  }
  const expanded = model.startsWith('~/') || model.startsWith('~\\') ? path.join(homedir(), model.slice(2)) : model;
  const absolute = path.resolve(expanded);
  const found = await stat(absolute).catch(() => undefined);
  if (found?.isFile()) return { path: absolute, name: absolute, digest: `size ${found.size}, mtime ${found.mtimeMs}`, bytes: found.size };
  if (found?.isDirectory()) throw new LlamaBackendError(`${absolute} is a folder; --model takes a GGUF file or an Ollama model name.`);
  if (looksLikePath(model)) throw new LlamaBackendError(`No such GGUF file: ${absolute}.`);
  const resolved = await resolveOllamaModel(model, store);
  const blob = await stat(resolved.path);
  return { path: resolved.path, name: resolved.name, digest: resolved.digest, bytes: blob.size };
}

const GGUF_MAGIC = 'GGUF';

/**
 * Checks that `file` is a whole GGUF file: the magic bytes, a header node-llama-cpp can parse, and
 * tensor data that starts within the file. (A file cut inside its last tensor passes here; llama.cpp
 * then reports the tensor out of bounds, which the loader turns into the same kind of message.)
 */
export async function checkGgufFile(module: LlamaModule, file: ModelFile): Promise<void> {
  const handle = await open(file.path, 'r');
  let magic: string;
  try {
    const buffer = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buffer, 0, 4, 0);
    magic = buffer.toString('latin1', 0, bytesRead);
  } finally {
    await handle.close();
  }
  if (magic !== GGUF_MAGIC) {
    throw new LlamaBackendError(
      `${file.path} is not a GGUF model file (it starts with ${JSON.stringify(magic)}, not "GGUF"). ` +
        'The llama backend loads GGUF files, the format of llama.cpp and Ollama.',
    );
  }
  let info: Awaited<ReturnType<LlamaModule['readGgufFileInfo']>>;
  try {
    info = await module.readGgufFileInfo(file.path, { sourceType: 'filesystem', spliceSplitFiles: false, logWarnings: false });
  } catch (error) {
    throw new LlamaBackendError(`${file.path} is not a readable GGUF file: ${firstLine(error)}.`);
  }
  const needed = Math.max(
    info.infoEndOffset ?? 0,
    ...(info.tensorInfo ?? []).map((tensor) => Number(tensor.fileOffset) + (tensorHasData(tensor.dimensions) ? 1 : 0)),
  );
  if (needed > file.bytes) {
    throw new LlamaBackendError(
      `${file.path} is truncated: its header describes data up to byte ${needed}, but the file has only ${file.bytes} bytes. ` +
        'Download or copy the model again.',
    );
  }
}

function tensorHasData(dimensions: readonly (number | bigint)[]): boolean {
  return dimensions.every((size) => Number(size) > 0);
}
