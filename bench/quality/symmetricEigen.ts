/**
 * Eigendecomposition of a dense real symmetric matrix: Householder reduction to tridiagonal form,
 * then the implicit QL algorithm with Wilkinson-style shifts on the tridiagonal matrix. This costs
 * about 9·n³ flops with eigenvectors, several times less than cyclic Jacobi, which matters for the
 * ridge refit of the published ProxySPEX baseline (Gram matrices of a few hundred to a thousand rows).
 *
 * Matrices are Float64Array in row-major order. Eigenvectors are returned one per row (row j is the
 * eigenvector of values[j]), because every consumer reads a whole eigenvector at a time and rows are
 * contiguous.
 */

export interface SymmetricEigen {
  /** Eigenvalues in ascending order. */
  readonly values: Float64Array;
  /** Row-major n × n: row j is the unit eigenvector of values[j]. */
  readonly vectors: Float64Array;
}

/** QL sweeps allowed per eigenvalue before giving up; convergence normally takes two or three. */
const MAX_QL_ITERATIONS = 60;

/**
 * The eigenvalues and eigenvectors of the symmetric n × n matrix `matrix` (row-major; only
 * symmetry-consistent input is meaningful, and the input is left untouched).
 */
export function symmetricEigen(matrix: Float64Array, n: number): SymmetricEigen {
  if (!Number.isInteger(n) || n < 0 || matrix.length !== n * n)
    throw new RangeError(`symmetricEigen needs an n × n matrix; got ${matrix.length} entries for n = ${n}.`);
  if (n === 0) return { values: new Float64Array(0), vectors: new Float64Array(0) };
  const work = Float64Array.from(matrix);
  const diagonal = new Float64Array(n);
  const offDiagonal = new Float64Array(n);
  const basis = tridiagonalize(work, n, diagonal, offDiagonal);
  // The QL rotations act on columns of the Householder basis Q; holding Qᵀ makes them act on rows,
  // which are contiguous.
  const transposed = transpose(basis, n);
  tridiagonalQl(diagonal, offDiagonal, transposed, n);
  return sortAscending(diagonal, transposed, n);
}

/**
 * Reduces `a` (overwritten) to tridiagonal T = Qᵀ·A·Q by n − 2 Householder reflections and returns
 * Q (row-major). T's diagonal goes to `diagonal` and its subdiagonal to offDiagonal[0..n−2], with
 * offDiagonal[i] = T[i + 1][i].
 */
function tridiagonalize(a: Float64Array, n: number, diagonal: Float64Array, offDiagonal: Float64Array): Float64Array {
  const reflectors: { readonly start: number; readonly v: Float64Array; readonly beta: number }[] = [];
  const p = new Float64Array(n);
  for (let k = 0; k + 2 < n; k += 1) {
    const start = k + 1;
    const m = n - start;
    // x is column k below the diagonal; the reflection H = I − β·v·vᵀ maps it onto α·e₁.
    let tail = 0;
    for (let i = 1; i < m; i += 1) tail += (a[(start + i) * n + k] as number) ** 2;
    diagonal[k] = a[k * n + k] as number;
    const x0 = a[start * n + k] as number;
    if (tail === 0) {
      // Already tridiagonal in this column: no reflection is needed.
      offDiagonal[k] = x0;
      continue;
    }
    const squared = tail + x0 * x0;
    const norm = Math.sqrt(squared);
    const alpha = x0 >= 0 ? -norm : norm;
    const v = new Float64Array(m);
    for (let i = 0; i < m; i += 1) v[i] = a[(start + i) * n + k] as number;
    v[0] = x0 - alpha;
    const beta = 1 / (squared - x0 * alpha);
    // The trailing block A₂₂ becomes H·A₂₂·H = A₂₂ − v·qᵀ − q·vᵀ with p = β·A₂₂·v and q = p − (β·vᵀp/2)·v.
    let vp = 0;
    for (let i = 0; i < m; i += 1) {
      const row = (start + i) * n + start;
      let sum = 0;
      for (let j = 0; j < m; j += 1) sum += (a[row + j] as number) * (v[j] as number);
      p[i] = beta * sum;
      vp += (v[i] as number) * (p[i] as number);
    }
    const half = (beta * vp) / 2;
    for (let i = 0; i < m; i += 1) p[i] = (p[i] as number) - half * (v[i] as number);
    for (let i = 0; i < m; i += 1) {
      const row = (start + i) * n + start;
      const vi = v[i] as number;
      const qi = p[i] as number;
      for (let j = 0; j < m; j += 1) a[row + j] = (a[row + j] as number) - vi * (p[j] as number) - qi * (v[j] as number);
    }
    offDiagonal[k] = alpha;
    reflectors.push({ start, v, beta });
  }
  if (n >= 2) {
    diagonal[n - 2] = a[(n - 2) * n + (n - 2)] as number;
    offDiagonal[n - 2] = a[(n - 1) * n + (n - 2)] as number;
  }
  diagonal[n - 1] = a[(n - 1) * n + (n - 1)] as number;
  offDiagonal[n - 1] = 0;

  // Q = H₀·H₁·…, accumulated from the last reflection backwards so each step only touches the
  // trailing block where Q still differs from the identity.
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) q[i * n + i] = 1;
  const sums = new Float64Array(n);
  for (let r = reflectors.length - 1; r >= 0; r -= 1) {
    const { start, v, beta } = reflectors[r] as (typeof reflectors)[number];
    const m = n - start;
    sums.fill(0, start, n);
    for (let i = 0; i < m; i += 1) {
      const row = (start + i) * n;
      const vi = v[i] as number;
      if (vi === 0) continue;
      for (let c = start; c < n; c += 1) sums[c] = (sums[c] as number) + vi * (q[row + c] as number);
    }
    for (let i = 0; i < m; i += 1) {
      const row = (start + i) * n;
      const scaled = beta * (v[i] as number);
      if (scaled === 0) continue;
      for (let c = start; c < n; c += 1) q[row + c] = (q[row + c] as number) - scaled * (sums[c] as number);
    }
  }
  return q;
}

function transpose(matrix: Float64Array, n: number): Float64Array {
  const result = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) for (let j = 0; j < n; j += 1) result[j * n + i] = matrix[i * n + j] as number;
  return result;
}

/**
 * Diagonalises the symmetric tridiagonal matrix (diagonal, offDiagonal) in place by implicit QL
 * sweeps, applying every plane rotation to the rows of `vectors` (which start as Qᵀ), so that on
 * return row j of `vectors` is the eigenvector of diagonal[j] of the original matrix.
 */
function tridiagonalQl(diagonal: Float64Array, offDiagonal: Float64Array, vectors: Float64Array, n: number): void {
  // Off-diagonal entries are negligible relative to the whole matrix's norm, not to their diagonal
  // neighbours: a Gram matrix of low rank has a cluster of (near) zero eigenvalues whose neighbours
  // are zero too, and a relative test would never deflate them.
  let norm = 0;
  for (let i = 0; i < n; i += 1) norm = Math.max(norm, Math.abs(diagonal[i] as number) + Math.abs(offDiagonal[i] as number));
  const negligible = Number.EPSILON * norm;
  for (let l = 0; l < n; l += 1) {
    for (let iteration = 0; ; iteration += 1) {
      // Find the first negligible off-diagonal entry at or after l: the block l..m is unreduced.
      let m = l;
      for (; m + 1 < n; m += 1) if (Math.abs(offDiagonal[m] as number) <= negligible) break;
      if (m === l) break;
      if (iteration >= MAX_QL_ITERATIONS) throw new Error(`symmetricEigen: no convergence for eigenvalue ${l} of ${n}.`);
      // The shift is the eigenvalue of the leading 2 × 2 block closer to diagonal[l].
      const dl = diagonal[l] as number;
      const el = offDiagonal[l] as number;
      let g = ((diagonal[l + 1] as number) - dl) / (2 * el);
      let r = Math.sqrt(g * g + 1);
      g = (diagonal[m] as number) - dl + el / (g + (g >= 0 ? r : -r));
      let sine = 1;
      let cosine = 1;
      let p = 0;
      let deflated = false;
      for (let i = m - 1; i >= l; i -= 1) {
        const f = sine * (offDiagonal[i] as number);
        const b = cosine * (offDiagonal[i] as number);
        r = Math.sqrt(f * f + g * g);
        offDiagonal[i + 1] = r;
        if (r === 0) {
          // An exact zero split the block: undo the pending shift and restart on the smaller block.
          diagonal[i + 1] = (diagonal[i + 1] as number) - p;
          offDiagonal[m] = 0;
          deflated = true;
          break;
        }
        sine = f / r;
        cosine = g / r;
        g = (diagonal[i + 1] as number) - p;
        r = ((diagonal[i] as number) - g) * sine + 2 * cosine * b;
        p = sine * r;
        diagonal[i + 1] = g + p;
        g = cosine * r - b;
        rotateRows(vectors, n, i, sine, cosine);
      }
      if (deflated) continue;
      diagonal[l] = (diagonal[l] as number) - p;
      offDiagonal[l] = g;
      offDiagonal[m] = 0;
    }
  }
}

/** Applies the plane rotation (i, i + 1) of one QL step to rows i and i + 1. */
function rotateRows(vectors: Float64Array, n: number, i: number, sine: number, cosine: number): void {
  const upper = i * n;
  const lower = upper + n;
  for (let k = 0; k < n; k += 1) {
    const a = vectors[upper + k] as number;
    const b = vectors[lower + k] as number;
    vectors[lower + k] = sine * a + cosine * b;
    vectors[upper + k] = cosine * a - sine * b;
  }
}

function sortAscending(values: Float64Array, vectors: Float64Array, n: number): SymmetricEigen {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number) || a - b);
  const sortedValues = new Float64Array(n);
  const sortedVectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    sortedValues[to] = values[from] as number;
    sortedVectors.set(vectors.subarray(from * n, from * n + n), to * n);
  });
  return { values: sortedValues, vectors: sortedVectors };
}
