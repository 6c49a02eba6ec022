/**
 * A value converted to an element type, as torch.Tensor.to gives it on x86 (the CPU this service
 * and PyTorch's reference runs use; C++ and ONNX leave out-of-range conversions undefined):
 *
 *   float32            rounded to nearest, ties to even (Math.fround)
 *   float64            unchanged (a double already)
 *   float16            to nearest binary16, ties to even: 70000 → +∞ (the largest finite is 65504,
 *                      and from 65520 on a value rounds to ∞), 0.1 → 0.0999755859375
 *   bfloat16           the upper 16 bits of the binary32, rounded to nearest, ties to even
 *   int32, int64       truncated toward zero; outside the type's range, NaN and ±∞ give its
 *                      minimum, −2^31 or −2^63 (x86's cvttss2si "integer indefinite")
 *   int8 … uint16      the int32 conversion, wrapped modulo 2^bits (two's complement):
 *                      uint8(300) = 44, uint8(−3) = 253, int8(200) = −56; NaN, ±∞ and values
 *                      outside int32 give 0 (−2^31's low bits)
 *   uint32, uint64     the int64 conversion, wrapped modulo 2^bits
 *   bool               1 for any non-zero value, NaN included (bool(nan) is True), else 0
 *
 * Values stay JavaScript numbers: a tensor holds them as float32 (tensor/tensor.ts), so an int64
 * beyond 2^24 is as exact as float32 allows.
 */
import { f16round } from './float16.js';
import type { DtypeName } from './dtype.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function toBfloat16(v: number): number {
  if (Number.isNaN(v)) return NaN;
  f32[0] = v;
  const x = u32[0];
  u32[0] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) << 16;
  return f32[0];
}

const indefinite = (bits: number) => (v: number) => {
  const t = Math.trunc(v) + 0; // + 0: an integer has no −0
  return Number.isFinite(t) && t >= -(2 ** (bits - 1)) && t < 2 ** (bits - 1) ? t : -(2 ** (bits - 1));
};
/** The conversion to a `via`-bit signed integer, then its low `bits` bits. */
const wrap = (bits: number, signed: boolean, via: number) => {
  const whole = indefinite(via);
  const m = 2 ** bits;
  return (v: number) => {
    let r = ((whole(v) % m) + m) % m;
    if (signed && r >= m / 2) r -= m;
    return r;
  };
};

const CONVERT: Record<DtypeName, (v: number) => number> = {
  float32: Math.fround,
  float64: (v) => v,
  // through float32 first, as c10::Half(float) converts a double
  float16: (v) => f16round(Math.fround(v)),
  bfloat16: toBfloat16,
  int8: wrap(8, true, 32),
  int16: wrap(16, true, 32),
  int32: indefinite(32),
  int64: indefinite(64),
  uint8: wrap(8, false, 32),
  uint16: wrap(16, false, 32),
  uint32: wrap(32, false, 64),
  uint64: wrap(64, false, 64),
  bool: (v) => (v !== 0 ? 1 : 0),
};

/** The conversion of a value to `d`, as in the header. */
export function converter(d: DtypeName): (v: number) => number {
  return CONVERT[d];
}
