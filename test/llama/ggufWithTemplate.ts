/**
 * Writes a copy of a GGUF file with one more metadata entry, `tokenizer.chat_template`, so that the
 * tiny completion model can stand in for a chat model. GGUF: a header (magic, version, tensor count,
 * metadata count), the metadata entries, the tensor infos (whose data offsets are relative to the data
 * section), padding to the alignment, then the tensor data. The entry goes after the last metadata
 * entry and the padding is recomputed; the tensor data is copied unchanged.
 */
import { writeFileSync } from 'node:fs';

const ALIGNMENT = 32;
const STRING = 8;
const ARRAY = 9;
/** Byte sizes of the fixed-size value types, by GGUF type id. */
const FIXED: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

class Reader {
  constructor(
    private readonly bytes: Buffer,
    public offset: number,
  ) {}

  u32(): number {
    const value = this.bytes.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  u64(): number {
    const value = Number(this.bytes.readBigUInt64LE(this.offset));
    this.offset += 8;
    return value;
  }

  string(): string {
    const length = this.u64();
    const value = this.bytes.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  skipValue(type: number): void {
    if (type === STRING) this.string();
    else if (type === ARRAY) {
      const itemType = this.u32();
      const count = this.u64();
      for (let i = 0; i < count; i += 1) this.skipValue(itemType);
    } else {
      const size = FIXED[type];
      if (size === undefined) throw new Error(`Unknown GGUF value type ${type}.`);
      this.offset += size;
    }
  }
}

function ggufString(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(body.length));
  return Buffer.concat([length, body]);
}

export function writeGgufWithChatTemplate(source: Buffer, target: string, template: string): void {
  const reader = new Reader(source, 8);
  const tensorCount = reader.u64();
  const metadataCount = reader.u64();
  for (let i = 0; i < metadataCount; i += 1) {
    const key = reader.string();
    if (key === 'general.alignment') throw new Error('This helper assumes the default alignment.');
    reader.skipValue(reader.u32());
  }
  const metadataEnd = reader.offset;
  for (let i = 0; i < tensorCount; i += 1) {
    reader.string();
    const dimensions = reader.u32();
    reader.offset += 8 * dimensions + 4 + 8;
  }
  const infoEnd = reader.offset;
  const dataStart = Math.ceil(infoEnd / ALIGNMENT) * ALIGNMENT;

  const header = Buffer.from(source.subarray(0, metadataEnd));
  header.writeBigUInt64LE(BigInt(metadataCount + 1), 16);
  const type = Buffer.alloc(4);
  type.writeUInt32LE(STRING);
  const entry = Buffer.concat([ggufString('tokenizer.chat_template'), type, ggufString(template)]);
  const infos = source.subarray(metadataEnd, infoEnd);
  const length = header.length + entry.length + infos.length;
  const padding = Buffer.alloc(Math.ceil(length / ALIGNMENT) * ALIGNMENT - length);
  writeFileSync(target, Buffer.concat([header, entry, infos, padding, source.subarray(dataStart)]));
}
