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
/** The GGUF versions llama.cpp reads (version 1, from 2023, is no longer supported). */
const GGUF_VERSIONS: readonly number[] = [2, 3];
/** magic (4 bytes), version (4), tensor count (8), metadata entry count (8). */
const FIXED_HEADER_BYTES = 24;
/** The fewest bytes one tensor description takes: name length (8), dimension count (4), type (4), offset (8). */
const MIN_TENSOR_INFO_BYTES = 24;
/** The fewest bytes one metadata entry takes: key length (8), value type (4), a one-byte value. */
const MIN_METADATA_ENTRY_BYTES = 13;

/**
 * Checks that `file` is a whole GGUF file: the magic bytes, a version llama.cpp reads, counts its
 * size can hold, a header node-llama-cpp can parse that names an architecture, and tensor data that
 * starts within the file. Garbage after a valid magic fails one of these with a message that says the
 * file is damaged, instead of whatever arithmetic on random numbers happened to throw. (A file cut
 * inside its last tensor passes here; llama.cpp then reports the tensor out of bounds, which the
 * loader turns into the same kind of message.)
 */
export async function checkGgufFile(module: LlamaModule, file: ModelFile): Promise<void> {
  const header = await readFixedHeader(file.path);
  const magic = header.toString('latin1', 0, Math.min(4, header.length));
  if (magic !== GGUF_MAGIC) {
    throw new LlamaBackendError(
      `${file.path} is not a GGUF model file (it starts with ${JSON.stringify(magic)}, not "GGUF"). ` +
        'The llama backend loads GGUF files, the format of llama.cpp and Ollama.',
    );
  }
  const damaged = (what: string): LlamaBackendError =>
    new LlamaBackendError(`${file.path} is truncated or damaged: ${what}. Download or copy the model again.`);
  if (header.length < FIXED_HEADER_BYTES) throw damaged(`it has only ${header.length} bytes, fewer than a GGUF header`);
  const version = header.readUInt32LE(4);
  if (!GGUF_VERSIONS.includes(version)) {
    throw damaged(`its header says GGUF version ${version}; llama.cpp reads versions ${GGUF_VERSIONS.join(' and ')}`);
  }
  const tensors = header.readBigUInt64LE(8);
  const entries = header.readBigUInt64LE(16);
  const least = tensors * BigInt(MIN_TENSOR_INFO_BYTES) + entries * BigInt(MIN_METADATA_ENTRY_BYTES) + BigInt(FIXED_HEADER_BYTES);
  if (least > BigInt(file.bytes)) {
    throw damaged(`its header lists ${tensors} tensors and ${entries} metadata entries, more than its ${file.bytes} bytes can hold`);
  }
  let info: Awaited<ReturnType<LlamaModule['readGgufFileInfo']>>;
  try {
    info = await module.readGgufFileInfo(file.path, { sourceType: 'filesystem', spliceSplitFiles: false, logWarnings: false });
  } catch (error) {
    throw damaged(`its header cannot be read (${firstLine(error)})`);
  }
  const architecture = (info.metadata as { general?: { architecture?: unknown } } | undefined)?.general?.architecture;
  if (typeof architecture !== 'string' || architecture.length === 0) {
    throw damaged('its metadata names no model architecture (general.architecture), so it is not a model llama.cpp can load');
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

/** The first bytes of the file: as many of the fixed GGUF header as it has. */
async function readFixedHeader(filePath: string): Promise<Buffer> {
  const handle = await open(filePath, 'r');
  try {
    const buffer = Buffer.alloc(FIXED_HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, FIXED_HEADER_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function tensorHasData(dimensions: readonly (number | bigint)[]): boolean {
  return dimensions.every((size) => Number(size) > 0);
}
