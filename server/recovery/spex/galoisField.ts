/**
 * Arithmetic in the binary extension fields GF(2^m), 2 ≤ m ≤ 14, for the BCH code of SPEX. Elements
 * are integers in [0, 2^m) whose bit d is the coefficient of x^d in the polynomial basis. Products
 * go through log/antilog tables built once per m from a fixed primitive polynomial, so a
 * multiplication is two lookups and an addition, which keeps BCH decoding cheap in hot loops.
 */

/** The largest extension degree supported; 2^14 − 1 covers BCH codes for n ≤ 4,096 with t ≤ 8 comfortably. */
export const MAX_FIELD_DEGREE = 14;

/**
 * One primitive polynomial per degree m (bit d = coefficient of x^d). Any primitive polynomial gives an
 * equally good BCH code; these are the usual textbook choices, and the table builder checks that each
 * really is primitive.
 */
const PRIMITIVE_POLYNOMIALS: Readonly<Record<number, number>> = {
  2: 0x7, // x^2 + x + 1
  3: 0xb, // x^3 + x + 1
  4: 0x13, // x^4 + x + 1
  5: 0x25, // x^5 + x^2 + 1
  6: 0x43, // x^6 + x + 1
  7: 0x89, // x^7 + x^3 + 1
  8: 0x11d, // x^8 + x^4 + x^3 + x^2 + 1
  9: 0x211, // x^9 + x^4 + 1
  10: 0x409, // x^10 + x^3 + 1
  11: 0x805, // x^11 + x^2 + 1
  12: 0x1053, // x^12 + x^6 + x^4 + x + 1
  13: 0x201b, // x^13 + x^4 + x^3 + x + 1
  14: 0x4443, // x^14 + x^10 + x^6 + x + 1
};

export interface GaloisField {
  /** The extension degree: the field has 2^m elements. */
  readonly m: number;
  /** The multiplicative order 2^m − 1 of the primitive element α (also the primitive BCH code length). */
  readonly order: number;
  /** The primitive polynomial the field was built from (bit d = coefficient of x^d). */
  readonly primitivePolynomial: number;
  /**
   * Antilogarithms: exp[i] = α^i for 0 ≤ i < 2·order. The table is doubled so that the sum of two
   * logarithms indexes it without a modulo.
   */
  readonly exp: Uint16Array;
  /** Logarithms: log[α^i] = i for non-zero elements; log[0] is −1 and must never be used. */
  readonly log: Int32Array;
}

const fieldCache = new Map<number, GaloisField>();

/** The field GF(2^m), built on first use and cached, since the tables never change. */
export function galoisField(m: number): GaloisField {
  if (!Number.isInteger(m) || m < 2 || m > MAX_FIELD_DEGREE) {
    throw new RangeError(`GF(2^m) is supported for integer m from 2 to ${MAX_FIELD_DEGREE}; got m = ${m}.`);
  }
  const cached = fieldCache.get(m);
  if (cached !== undefined) return cached;
  const field = buildField(m, PRIMITIVE_POLYNOMIALS[m] as number);
  fieldCache.set(m, field);
  return field;
}

function buildField(m: number, primitivePolynomial: number): GaloisField {
  const size = 1 << m;
  const order = size - 1;
  const exp = new Uint16Array(2 * order);
  const log = new Int32Array(size).fill(-1);
  let element = 1;
  for (let i = 0; i < order; i += 1) {
    // A repeated element before 2^m − 1 steps means x does not generate the group: not primitive.
    if (log[element] !== -1) throw new Error(`The polynomial 0x${primitivePolynomial.toString(16)} is not primitive for m = ${m}.`);
    exp[i] = element;
    log[element] = i;
    element <<= 1;
    if (element & size) element ^= primitivePolynomial;
  }
  if (element !== 1) throw new Error(`The polynomial 0x${primitivePolynomial.toString(16)} is not primitive for m = ${m}.`);
  for (let i = order; i < 2 * order; i += 1) exp[i] = exp[i - order] as number;
  return { m, order, primitivePolynomial, exp, log };
}

/** The product a·b. */
export function gfMultiply(field: GaloisField, a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return field.exp[(field.log[a] as number) + (field.log[b] as number)] as number;
}

/** The quotient a / b; dividing by zero is a programming error, so it throws. */
export function gfDivide(field: GaloisField, a: number, b: number): number {
  if (b === 0) throw new RangeError('Division by zero in GF(2^m).');
  if (a === 0) return 0;
  return field.exp[(field.log[a] as number) - (field.log[b] as number) + field.order] as number;
}

/** The multiplicative inverse of a non-zero element. */
export function gfInverse(field: GaloisField, a: number): number {
  return gfDivide(field, 1, a);
}

/** α^e for any integer e (negative exponents included). */
export function gfAlphaPower(field: GaloisField, exponent: number): number {
  const reduced = ((exponent % field.order) + field.order) % field.order;
  return field.exp[reduced] as number;
}

/** The element a^e for a non-negative integer e (0^0 is 1, as for polynomials). */
export function gfPower(field: GaloisField, a: number, exponent: number): number {
  if (!Number.isInteger(exponent) || exponent < 0) throw new RangeError(`Exponents must be non-negative integers; got ${exponent}.`);
  if (exponent === 0) return 1;
  if (a === 0) return 0;
  return field.exp[((field.log[a] as number) * exponent) % field.order] as number;
}

/** The 2-cyclotomic coset of i modulo 2^m − 1: {i·2^j mod (2^m − 1)}, sorted ascending. */
export function cyclotomicCoset(m: number, i: number): number[] {
  const order = (1 << m) - 1;
  const start = ((i % order) + order) % order;
  const coset: number[] = [];
  let member = start;
  do {
    coset.push(member);
    member = (member * 2) % order;
  } while (member !== start);
  return coset.sort((a, b) => a - b);
}

/**
 * The minimal polynomial over GF(2) of α^i: the product of (x − α^j) over the cyclotomic coset of i.
 * Returned as a bit mask (bit d = coefficient of x^d); its degree is the coset's size, at most m.
 */
export function minimalPolynomial(field: GaloisField, i: number): number {
  const coset = cyclotomicCoset(field.m, i);
  // Coefficients in GF(2^m), lowest degree first; multiplying by (x + α^j) one root at a time.
  let coefficients = [1];
  for (const j of coset) {
    const root = gfAlphaPower(field, j);
    const next = new Array<number>(coefficients.length + 1).fill(0);
    for (let d = 0; d < coefficients.length; d += 1) {
      const c = coefficients[d] as number;
      next[d + 1] = (next[d + 1] as number) ^ c;
      next[d] = (next[d] as number) ^ gfMultiply(field, c, root);
    }
    coefficients = next;
  }
  let bits = 0;
  coefficients.forEach((c, d) => {
    // The product over a whole coset is fixed by squaring, so every coefficient lies in GF(2).
    if (c > 1) throw new Error(`Internal error: the minimal polynomial of α^${i} is not binary.`);
    if (c === 1) bits |= 1 << d;
  });
  return bits;
}
