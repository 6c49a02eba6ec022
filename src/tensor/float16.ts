/**
 * IEEE 754 binary16 (float16, NumPy's `<f2`, ONNX FLOAT16) rounding, which Node 20 lacks
 * (no Math.f16round, no Float16Array). binary16: 1 sign bit, 5 exponent bits (bias 15), 10
 * mantissa bits; the largest finite value 65504 = (2 − 2^−10)·2^15, the smallest normal 2^−14,
 * subnormals k·2^−24 for k = 1 … 1023.
 *
 *   f16round(v)   v rounded to the nearest binary16, ties to even, as a number: 2049 → 2048 (a tie
 *                 between 2048 and 2050, whose mantissas end in 0 and 1), 65519 → 65504, from 65520
 *                 on (the tie between 65504 and 2^16) → +∞, 2^−25 → 0 (a tie: 0 is even), 3·2^−26
 *                 → 2^−24; NaN stays NaN, −0 stays −0. Rounded once from the double, as
 *                 Math.f16round; a float32 argument (every tensor element) gives what C's
 *                 (_Float16)x, c10::Half(x) and numpy.float16(x) give.
 *   halfBits(v)   the binary16 bits of f16round(v) (NaN: the quiet NaN 0x7e00)
 *   roundToFloat16(data)  each float32 element of an array rounded so, in place, on its bits
 *   float16Bytes(data)    the elements' binary16 bits, little-endian, two bytes each (.npy `<f2`)
 *
 * Adding, multiplying or dividing two float16 values in float32 and rounding the result to float16
 * gives the correctly rounded float16 result: float32's 24-bit significand is at least 2·11 + 2
 * bits, so the double rounding is innocuous (Figueroa, "When is double rounding innocuous?", 1995);
 * PyTorch's CPU kernels for float16 add, sub, mul, div and sum compute so (runtime/float16-run.ts).
 */

const f64 = new Float64Array(1);
const hi32 = new Uint32Array(f64.buffer);
/** Index of the high word of a double in hi32 (little-endian hosts: 1). */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** 2^52: (t + 2^52) − 2^52 rounds a double 0 ≤ t < 2^52 to an integer, ties to even (the FPU's own rounding). */
const TWO52 = 2 ** 52;
const roundEven = (t: number) => t + TWO52 - TWO52;

/** The smallest normal binary16, 2^−14; below it the spacing is 2^−24. */
const MIN_NORMAL = 2 ** -14;
/** Values from here on round to ∞: the midpoint of 65504 and 2^16, a tie that goes to 2^16 (even). */
const OVERFLOW = 65520;

/** v rounded to the nearest binary16 value, ties to even (see the header). */
export function f16round(v: number): number {
  const a = Math.abs(v);
  // NaN, ±∞ and ±0 are their own binary16
  if (!(a > 0) || a === Infinity) return v;
  let r: number;
  if (a >= OVERFLOW) r = Infinity;
  else if (a < MIN_NORMAL) r = roundEven(a * 2 ** 24) * 2 ** -24;
  else {
    f64[0] = a;
    const e = ((hi32[HI] >>> 20) & 0x7ff) - 1023;
    // 11 significant bits: the spacing of [2^e, 2^(e+1)) is 2^(e − 10); scaling by powers of 2 is exact
    const ulp = 2 ** (e - 10);
    r = roundEven(a / ulp) * ulp;
  }
  return v < 0 ? -r : r;
}

/** The binary16 bits of f16round(v): sign, 5 exponent bits, 10 mantissa bits. */
export function halfBits(v: number): number {
  // a number's NaN has no sign JavaScript keeps
  if (Number.isNaN(v)) return 0x7e00;
  const r = f16round(v);
  const sign = r < 0 || Object.is(r, -0) ? 0x8000 : 0;
  const a = Math.abs(r);
  if (a === Infinity) return sign | 0x7c00;
  // subnormal (and 0): the mantissa counts 2^−24
  if (a < MIN_NORMAL) return sign | (a * 2 ** 24);
  f64[0] = a;
  const e = ((hi32[HI] >>> 20) & 0x7ff) - 1023;
  return sign | ((e + 15) << 10) | (a / 2 ** (e - 10) - 1024);
}

/**
 * Each element of a float32 array rounded to binary16 in place, on its bits (a few ns an element);
 * returns how many changed. Only a changed element is written: an array already of float16 values
 * (a view of the caller's bytes, a weight in the file) is only read.
 */
export function roundToFloat16(data: Float32Array): number {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let changed = 0;
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const exp = (x >>> 23) & 0xff;
    let y: number;
    if (exp >= 113) {
      // normal binary16 range or beyond (2^−14 ≤ |v|): NaN and ±∞ (exp 255) stay; from 2^16 on, ±∞;
      // else keep 10 of the 23 mantissa bits, rounding at bit 13 to nearest even (a carry moves
      // into the exponent: from 65520 on that is 2^16, so ±∞ too)
      if (exp === 255) continue;
      if (exp < 143) {
        if ((x & 0x1fff) === 0) continue;
        y = (x + 0xfff + ((x >>> 13) & 1)) & ~0x1fff;
      } else y = x;
      if (((y >>> 23) & 0xff) >= 143) y = (x & 0x80000000) | 0x7f800000;
    } else {
      // below 2^−14: a multiple of 2^−24, so the float32 value times 2^24 (exact) rounded to an
      // integer; 0 keeps its sign
      const v = data[i];
      if (v === 0) continue;
      const r = roundEven(Math.abs(v) * 2 ** 24) * 2 ** -24;
      const out = v < 0 ? -r : r;
      if (out === v) continue;
      data[i] = out;
      changed++;
      continue;
    }
    if (y >>> 0 !== x) {
      bits[i] = y >>> 0;
      changed++;
    }
  }
  return changed;
}

/**
 * The elements as binary16 bits, little-endian (the .npy `<f2` layout), each rounded first: a new
 * buffer of 2 bytes an element. Read on the float32 bits as roundToFloat16 rounds (a few ns an
 * element): halfBits on each element took 80–500 ns, and the answer of a float16 run is encoded on
 * the event loop (http/tensors.ts), so a 1 M-element answer held it 0.1–0.5 s. The same bits as
 * halfBits (test/tensor/float16.test.ts compares every float32 exponent and rounding case), but for a
 * NaN's sign, which the float32 bits keep and a JavaScript number does not: −NaN is 0xfe00, as PyTorch's.
 */
export function float16Bytes(data: Float32Array): Uint8Array {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let h: number;
    // NaN: the quiet NaN with its sign, payload dropped (PyTorch's Tensor.half(): 0xffc00000 → 0xfe00)
    if (exp === 255) h = sign | ((x & 0x7fffff) !== 0 ? 0x7e00 : 0x7c00);
    else if (exp >= 113) {
      // 2^−14 ≤ |v|: 10 of the 23 mantissa bits, rounded at bit 13 to nearest even; a carry moves into
      // the exponent (from 65520 on: 2^16, which is ±∞ in binary16)
      const y = (x & 0x7fffffff) + 0xfff + ((x >>> 13) & 1);
      const e = y >>> 23;
      h = e >= 143 ? sign | 0x7c00 : sign | ((e - 112) << 10) | ((y >>> 13) & 0x3ff);
    } else {
      // below 2^−14: a multiple of 2^−24, |v|·2^24 rounded to even (1024 is 2^−14, the smallest normal's bits)
      h = sign | roundEven(Math.abs(data[i]) * 2 ** 24);
    }
    out[i] = h;
  }
  // Uint16Array elements are in the host's order: low byte first on little-endian hosts (x64, arm64)
  return LITTLE_ENDIAN ? new Uint8Array(out.buffer) : swapPairs(new Uint8Array(out.buffer));
}

/** Whether this host stores a Uint16's low byte first. */
const LITTLE_ENDIAN = HI === 1;

function swapPairs(b: Uint8Array): Uint8Array {
  for (let i = 0; i < b.length; i += 2) [b[i], b[i + 1]] = [b[i + 1], b[i]];
  return b;
}
