/**
 * Gradient-boosted regression trees specialised for binary features (squared loss). Every split
 * tests one feature bit (left: removed, right: kept), so a split search needs, per node and
 * feature, only the sum of residuals and the count of the node's rows whose bit is 1. Rows are
 * packed four features to a byte ("nibbles"), and a node's statistics come from a 16-bin histogram
 * per nibble: one add per row and nibble instead of one per row and feature. The larger child's
 * histogram is the parent's minus the smaller child's. Early stopping on a validation split replaces
 * the published grid search over tree counts.
 */

export interface BoostingOptions {
  /** Deepest tree: the highest interaction order the trees can express. */
  readonly maxDepth: number;
  /** Shrinkage applied to every leaf. */
  readonly learningRate: number;
  readonly maxTrees: number;
  /** Rows a leaf needs at least; keeps leaves from fitting single masks. */
  readonly minRowsPerLeaf: number;
  /** L2 penalty on leaf values (in rows). */
  readonly l2: number;
  /** Stop after this many trees without a better validation error. */
  readonly patience: number;
}

/**
 * The trees only propose terms (the sparse refit sizes them), so they are grown briskly: a higher
 * learning rate and fewer trees than a stand-alone model would use.
 */
export const DEFAULT_BOOSTING: BoostingOptions = {
  maxDepth: 5,
  learningRate: 0.15,
  maxTrees: 250,
  minRowsPerLeaf: 4,
  l2: 1,
  patience: 20,
};

/** A tree in flat arrays; node 0 is the root; feature −1 marks a leaf. */
export interface RegressionTree {
  readonly feature: Int32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
}

export interface BoostedTrees {
  /** The initial constant (mean of the training target). */
  readonly base: number;
  readonly trees: readonly RegressionTree[];
  /** Validation mean squared error after each tree (empty without validation rows). */
  readonly validationErrors: readonly number[];
  readonly stoppedBecause: string;
}

/** Rows packed four features to a byte: byte q of row r holds features 4q..4q+3 in its low bits. */
export class PackedRows {
  readonly rowCount: number;
  readonly featureCount: number;
  readonly nibblesPerRow: number;
  readonly data: Uint8Array;

  constructor(masks: readonly Uint8Array[], featureCount: number) {
    this.rowCount = masks.length;
    this.featureCount = featureCount;
    this.nibblesPerRow = Math.ceil(featureCount / 4);
    this.data = new Uint8Array(this.rowCount * this.nibblesPerRow);
    masks.forEach((mask, row) => {
      const base = row * this.nibblesPerRow;
      for (let i = 0; i < featureCount; i += 1) {
        if (mask[i] === 1) this.data[base + (i >> 2)] = (this.data[base + (i >> 2)] as number) | (1 << (i & 3));
      }
    });
  }

  bit(row: number, feature: number): number {
    return ((this.data[row * this.nibblesPerRow + (feature >> 2)] as number) >> (feature & 3)) & 1;
  }
}

export function validateBoostingOptions(options: BoostingOptions): void {
  const check = (ok: boolean, message: string): void => {
    if (!ok) throw new RangeError(message);
  };
  check(
    Number.isInteger(options.maxDepth) && options.maxDepth >= 1 && options.maxDepth <= 12,
    `maxDepth must be a whole number from 1 to 12; got ${options.maxDepth}.`,
  );
  check(options.learningRate > 0 && options.learningRate <= 1, `learningRate must be in (0, 1]; got ${options.learningRate}.`);
  check(Number.isInteger(options.maxTrees) && options.maxTrees >= 1, `maxTrees must be a positive whole number; got ${options.maxTrees}.`);
  check(
    Number.isInteger(options.minRowsPerLeaf) && options.minRowsPerLeaf >= 1,
    `minRowsPerLeaf must be a positive whole number; got ${options.minRowsPerLeaf}.`,
  );
  check(options.l2 >= 0, `l2 must be ≥ 0; got ${options.l2}.`);
  check(Number.isInteger(options.patience) && options.patience >= 1, `patience must be a positive whole number; got ${options.patience}.`);
}

/**
 * Fits boosted trees to `target` on the training rows, stopping early on the validation rows.
 * Predictions start from the training mean, so the trees model the target's variation.
 */
export function fitBoostedTrees(
  train: PackedRows,
  trainTarget: Float64Array,
  validation: PackedRows | undefined,
  validationTarget: Float64Array | undefined,
  options: BoostingOptions,
): BoostedTrees {
  validateBoostingOptions(options);
  const rowCount = train.rowCount;
  let base = 0;
  for (let r = 0; r < rowCount; r += 1) base += trainTarget[r] as number;
  base = rowCount > 0 ? base / rowCount : 0;
  const residual = new Float64Array(rowCount);
  for (let r = 0; r < rowCount; r += 1) residual[r] = (trainTarget[r] as number) - base;
  const validationRows = validation?.rowCount ?? 0;
  const validationResidual = new Float64Array(validationRows);
  for (let r = 0; r < validationRows; r += 1) validationResidual[r] = (validationTarget?.[r] as number) - base;

  const builder = new TreeBuilder(train, options);
  const trees: RegressionTree[] = [];
  const validationErrors: number[] = [];
  let best = Number.POSITIVE_INFINITY;
  let bestCount = 0;
  let stoppedBecause = `reached ${options.maxTrees} trees`;
  const targetScale = meanSquare(residual);
  for (let t = 0; t < options.maxTrees; t += 1) {
    const tree = builder.build(residual);
    if (tree === undefined) {
      stoppedBecause = 'no split improves the fit';
      break;
    }
    trees.push(tree);
    if (validation && validationRows > 0) {
      for (let r = 0; r < validationRows; r += 1)
        validationResidual[r] = (validationResidual[r] as number) - predictTree(tree, validation, r);
      const error = meanSquare(validationResidual);
      validationErrors.push(error);
      if (error < best * (1 - 1e-9)) {
        best = error;
        bestCount = trees.length;
      } else if (trees.length - bestCount >= options.patience) {
        stoppedBecause = `validation error stopped improving after ${bestCount} trees`;
        break;
      }
      if (error <= targetScale * 1e-14) {
        stoppedBecause = 'validation error is zero';
        break;
      }
    } else if (meanSquare(residual) <= targetScale * 1e-14) {
      stoppedBecause = 'training error is zero';
      break;
    }
  }
  const kept = validation && validationRows > 0 ? trees.slice(0, bestCount) : trees;
  return { base, trees: kept, validationErrors, stoppedBecause };
}

export function predictTree(tree: RegressionTree, rows: PackedRows, row: number): number {
  let node = 0;
  for (;;) {
    const feature = tree.feature[node] as number;
    if (feature < 0) return tree.value[node] as number;
    node = rows.bit(row, feature) === 1 ? (tree.right[node] as number) : (tree.left[node] as number);
  }
}

export function predictBoosted(model: BoostedTrees, rows: PackedRows): Float64Array {
  const predictions = new Float64Array(rows.rowCount).fill(model.base);
  for (const tree of model.trees)
    for (let r = 0; r < rows.rowCount; r += 1) predictions[r] = (predictions[r] as number) + predictTree(tree, rows, r);
  return predictions;
}

function meanSquare(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) sum += (values[i] as number) ** 2;
  return values.length > 0 ? sum / values.length : 0;
}

/**
 * For one nibble's 16 bins of (sum, count) pairs starting at `offset`, the sum and count of the bins
 * whose bit b is set, for b = 0..3, written to out[2b] and out[2b + 1]. Written out by hand: this is
 * the inner loop of every split search.
 */
function nibbleBitSums(h: Float64Array, offset: number, out: Float64Array): void {
  for (let part = 0; part < 2; part += 1) {
    // part 0 sums residuals (even slots), part 1 counts (odd slots).
    const o = offset + part;
    const v1 = (h[o + 2] as number) + (h[o + 6] as number) + (h[o + 10] as number) + (h[o + 14] as number);
    const v9 = (h[o + 18] as number) + (h[o + 22] as number) + (h[o + 26] as number) + (h[o + 30] as number);
    const v2 = (h[o + 4] as number) + (h[o + 6] as number) + (h[o + 12] as number) + (h[o + 14] as number);
    const v10 = (h[o + 20] as number) + (h[o + 22] as number) + (h[o + 28] as number) + (h[o + 30] as number);
    const v4 = (h[o + 8] as number) + (h[o + 10] as number) + (h[o + 12] as number) + (h[o + 14] as number);
    const v12 = (h[o + 24] as number) + (h[o + 26] as number) + (h[o + 28] as number) + (h[o + 30] as number);
    const v8 = (h[o + 16] as number) + (h[o + 18] as number) + (h[o + 20] as number) + (h[o + 22] as number);
    out[part] = v1 + v9;
    out[2 + part] = v2 + v10;
    out[4 + part] = v4 + v12;
    out[6 + part] = v8 + v12;
  }
}

/** A node under construction: its rows are order[start, end). */
interface PendingNode {
  readonly id: number;
  readonly start: number;
  readonly end: number;
  readonly depth: number;
  readonly histogram: Float64Array;
  readonly sum: number;
}

/** Builds one tree at a time, reusing its buffers across trees. */
class TreeBuilder {
  private readonly order: Int32Array;
  private readonly scratch: Int32Array;
  /** Per nibble, 16 bins of (residual sum, row count): 32 numbers. */
  private readonly histogramLength: number;

  constructor(
    private readonly rows: PackedRows,
    private readonly options: BoostingOptions,
  ) {
    this.order = new Int32Array(rows.rowCount);
    this.scratch = new Int32Array(rows.rowCount);
    this.histogramLength = rows.nibblesPerRow * 32;
  }

  build(residual: Float64Array): RegressionTree | undefined {
    const { rows, options, order } = this;
    for (let r = 0; r < rows.rowCount; r += 1) order[r] = r;
    const feature: number[] = [];
    const left: number[] = [];
    const right: number[] = [];
    const value: number[] = [];
    const newNode = (): number => {
      feature.push(-1);
      left.push(-1);
      right.push(-1);
      value.push(0);
      return feature.length - 1;
    };
    const rootHistogram = this.histogram(0, rows.rowCount, residual);
    let rootSum = 0;
    for (let r = 0; r < rows.rowCount; r += 1) rootSum += residual[r] as number;
    let level: PendingNode[] = [{ id: newNode(), start: 0, end: rows.rowCount, depth: 0, histogram: rootHistogram, sum: rootSum }];
    let splits = 0;
    while (level.length > 0) {
      const next: PendingNode[] = [];
      for (const node of level) {
        const count = node.end - node.start;
        const split = node.depth < options.maxDepth ? this.bestSplit(node.histogram, node.sum, count) : undefined;
        if (split === undefined) {
          value[node.id] = (options.learningRate * node.sum) / (count + options.l2);
          continue;
        }
        splits += 1;
        const middle = this.partition(node.start, node.end, split.feature);
        const leftId = newNode();
        const rightId = newNode();
        feature[node.id] = split.feature;
        left[node.id] = leftId;
        right[node.id] = rightId;
        // The smaller child gets a fresh histogram; the larger one is the parent's minus it.
        const leftCount = middle - node.start;
        const rightCount = node.end - middle;
        const smallIsLeft = leftCount <= rightCount;
        const small = smallIsLeft ? this.histogram(node.start, middle, residual) : this.histogram(middle, node.end, residual);
        const large = node.histogram;
        for (let i = 0; i < large.length; i += 1) large[i] = (large[i] as number) - (small[i] as number);
        const leftHistogram = smallIsLeft ? small : large;
        const rightHistogram = smallIsLeft ? large : small;
        next.push(
          { id: leftId, start: node.start, end: middle, depth: node.depth + 1, histogram: leftHistogram, sum: node.sum - split.onesSum },
          { id: rightId, start: middle, end: node.end, depth: node.depth + 1, histogram: rightHistogram, sum: split.onesSum },
        );
      }
      level = next;
    }
    if (splits === 0) return undefined;
    const tree: RegressionTree = {
      feature: Int32Array.from(feature),
      left: Int32Array.from(left),
      right: Int32Array.from(right),
      value: Float64Array.from(value),
    };
    this.applyLeaves(tree, residual);
    return tree;
  }

  /** Subtracts each leaf's value from the residuals of its rows, using the final partition. */
  private applyLeaves(tree: RegressionTree, residual: Float64Array): void {
    const { rows, order } = this;
    for (let i = 0; i < rows.rowCount; i += 1) {
      const row = order[i] as number;
      residual[row] = (residual[row] as number) - predictTree(tree, rows, row);
    }
  }

  private histogram(start: number, end: number, residual: Float64Array): Float64Array {
    const { rows, order } = this;
    const histogram = new Float64Array(this.histogramLength);
    const nibbles = rows.nibblesPerRow;
    const data = rows.data;
    for (let i = start; i < end; i += 1) {
      const row = order[i] as number;
      const g = residual[row] as number;
      const base = row * nibbles;
      for (let q = 0, offset = 0; q < nibbles; q += 1, offset += 32) {
        const slot = offset + ((data[base + q] as number) << 1);
        histogram[slot] = (histogram[slot] as number) + g;
        histogram[slot + 1] = (histogram[slot + 1] as number) + 1;
      }
    }
    return histogram;
  }

  /** The feature whose split most reduces squared error, with the residual sum of its kept side. */
  private bestSplit(histogram: Float64Array, sum: number, count: number): { feature: number; onesSum: number } | undefined {
    const { rows, options } = this;
    const lambda = options.l2;
    const minRows = options.minRowsPerLeaf;
    if (count < 2 * minRows) return undefined;
    const parentScore = (sum * sum) / (count + lambda);
    let bestGain = 1e-12 * Math.max(1, parentScore);
    let best: { feature: number; onesSum: number } | undefined;
    const ones = new Float64Array(8);
    for (let q = 0; q < rows.nibblesPerRow; q += 1) {
      nibbleBitSums(histogram, q * 32, ones);
      for (let bit = 0; bit < 4; bit += 1) {
        const feature = q * 4 + bit;
        if (feature >= rows.featureCount) break;
        const onesSum = ones[bit * 2] as number;
        const onesCount = ones[bit * 2 + 1] as number;
        const zerosCount = count - onesCount;
        if (onesCount < minRows || zerosCount < minRows) continue;
        const zerosSum = sum - onesSum;
        const gain = (onesSum * onesSum) / (onesCount + lambda) + (zerosSum * zerosSum) / (zerosCount + lambda) - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          best = { feature, onesSum };
        }
      }
    }
    return best;
  }

  /** Reorders order[start, end) so rows with the feature removed come first; returns the boundary. */
  private partition(start: number, end: number, feature: number): number {
    const { rows, order, scratch } = this;
    let zeros = start;
    let ones = 0;
    for (let i = start; i < end; i += 1) {
      const row = order[i] as number;
      if (rows.bit(row, feature) === 1) scratch[ones++] = row;
      else order[zeros++] = row;
    }
    for (let i = 0; i < ones; i += 1) order[zeros + i] = scratch[i] as number;
    return zeros;
  }
}
