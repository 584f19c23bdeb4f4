/**
 * Rows packed eight features to a byte (bit b of byte q is feature 8q + b), for Xᵀw sums: the
 * hierarchical search computes one per scanned set, so this is its hot loop.
 */
export class ByteRows {
  readonly rowCount: number;
  readonly featureCount: number;
  readonly bytesPerRow: number;
  readonly data: Uint8Array;

  constructor(masks: readonly Uint8Array[], featureCount: number) {
    this.rowCount = masks.length;
    this.featureCount = featureCount;
    this.bytesPerRow = Math.ceil(featureCount / 8);
    this.data = new Uint8Array(this.rowCount * this.bytesPerRow);
    masks.forEach((mask, row) => {
      const base = row * this.bytesPerRow;
      for (let i = 0; i < featureCount; i += 1) {
        if (mask[i] === 1) this.data[base + (i >> 3)] = (this.data[base + (i >> 3)] as number) | (1 << (i & 7));
      }
    });
  }
}

/**
 * For every feature j, Σ_{i : mask_i[j] = 1} w_i over the given rows: Xᵀw for a 0/1 design X. The
 * sum goes through a 256-bin histogram per byte (one add per row and byte, an eighth of the naive
 * cost), then each bin is spread to the features whose bit it has set.
 */
export function keptFeatureSums(rows: ByteRows, rowList: Int32Array, weights: Float64Array): Float64Array {
  const width = rows.bytesPerRow;
  const histogram = new Float64Array(width * 256);
  const data = rows.data;
  for (let i = 0; i < rowList.length; i += 1) {
    const w = weights[i] as number;
    if (w === 0) continue;
    const base = (rowList[i] as number) * width;
    for (let q = 0, offset = 0; q < width; q += 1, offset += 256) {
      const slot = offset + (data[base + q] as number);
      histogram[slot] = (histogram[slot] as number) + w;
    }
  }
  const sums = new Float64Array(rows.featureCount);
  const halves = new Float64Array(16);
  for (let q = 0; q < width; q += 1) {
    // Fold the 256 bins in two stages: by the low nibble and by the high nibble.
    halves.fill(0);
    const offset = q * 256;
    for (let value = 0; value < 256; value += 1) {
      const bin = histogram[offset + value] as number;
      if (bin === 0) continue;
      halves[value & 15] = (halves[value & 15] as number) + bin;
    }
    const high = new Float64Array(16);
    for (let value = 0; value < 256; value += 1) high[value >> 4] = (high[value >> 4] as number) + (histogram[offset + value] as number);
    for (let bit = 0; bit < 8; bit += 1) {
      const feature = q * 8 + bit;
      if (feature >= rows.featureCount) break;
      const source = bit < 4 ? halves : high;
      const shift = bit & 3;
      let sum = 0;
      for (let nibble = 0; nibble < 16; nibble += 1) if ((nibble >> shift) & 1) sum += source[nibble] as number;
      sums[feature] = sum;
    }
  }
  return sums;
}
