/**
 * tensor/float16.ts against an oracle built from the 65,536 binary16 bit patterns themselves
 * (decoded by dtype.ts halfToFloat: s·2^(e−15)·(1 + f/1024)): a value's float16 is the nearest
 * finite half, the one whose bits are even on a tie, and ±∞ from 65520 on (the midpoint of 65504
 * and 2^16). NumPy's bytes for a few values (np.array([...], '<f2').tobytes()) check the layout.
 */
import { describe, expect, it } from 'vitest';
import { halfToFloat } from '../../src/tensor/dtype.js';
import { f16round, float16Bytes, halfBits, roundToFloat16 } from '../../src/tensor/float16.js';
import { converter } from '../../src/tensor/cast.js';

const ALL = Array.from({ length: 65536 }, (_, h) => h);
const isNaNBits = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
/** The non-negative finite halves in order, bits 0x0000 … 0x7bff, then 2^16 standing for +∞ (its bits 0x7c00 are even). */
const POSITIVE = Array.from({ length: 0x7c00 }, (_, h) => halfToFloat(h)).concat(65536);

/** The oracle: nearest of POSITIVE by binary search, ties to the even bit pattern, 2^16 read as +∞. */
function oracle(v: number): number {
  if (Number.isNaN(v)) return NaN;
  const a = Math.abs(v);
  let lo = 0;
  let hi = POSITIVE.length - 1;
  if (a >= POSITIVE[hi]) return v < 0 ? -Infinity : Infinity;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (POSITIVE[mid] <= a) lo = mid;
    else hi = mid;
  }
  const [below, above] = [a - POSITIVE[lo], POSITIVE[hi] - a];
  const k = below < above ? lo : above < below ? hi : lo % 2 === 0 ? lo : hi;
  const r = k === 0x7c00 ? Infinity : POSITIVE[k];
  return v < 0 || Object.is(v, -0) ? -r : r;
}

const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

/** Midpoints of consecutive non-negative halves (0 and 2^−24 … 65504 and 2^16), each a float32. */
const MIDPOINTS = POSITIVE.slice(1).map((v, i) => (POSITIVE[i] + v) / 2);

describe('float16 rounding (Node 20 has no Math.f16round)', () => {
  it('all 65,536 bit patterns: the 63,490 non-NaN ones round-trip bits → value → bits unchanged (±0, subnormals, 65504, ±∞); the 2,046 NaNs give NaN and the quiet NaN 0x7e00', () => {
    let roundTrips = 0;
    let nans = 0;
    for (const h of ALL) {
      const v = halfToFloat(h);
      if (isNaNBits(h)) {
        expect(Number.isNaN(f16round(v)) && halfBits(v) === 0x7e00).toBe(true);
        nans++;
        continue;
      }
      if (!same(f16round(v), v) || halfBits(v) !== h) throw new Error(`bits 0x${h.toString(16)} (${v}): f16round ${f16round(v)}, halfBits 0x${halfBits(v).toString(16)}`);
      roundTrips++;
    }
    expect([roundTrips, nans]).toEqual([63_490, 2_046]);
  });

  it('every tie (the 31,744 midpoints of consecutive halves, both signs) goes to the even pattern; a float32 ulp either side goes to the nearer one', () => {
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const next = (v: number, d: 1 | -1) => {
      f32[0] = v;
      u32[0] += d;
      return f32[0];
    };
    let checked = 0;
    MIDPOINTS.forEach((m, i) => {
      expect(Math.fround(m)).toBe(m);
      const even = i % 2 === 0 ? POSITIVE[i] : i + 1 === 0x7c00 ? Infinity : POSITIVE[i + 1];
      for (const s of [1, -1]) {
        const want = [s * even, s * POSITIVE[i], s * (i + 1 === 0x7c00 ? Infinity : POSITIVE[i + 1])];
        const got = [f16round(s * m), f16round(s * next(m, -1)), f16round(s * next(m, 1))];
        if (!got.every((g, k) => same(g, want[k]))) throw new Error(`midpoint ${s * m}: got ${got}, want ${want}`);
        checked++;
      }
    });
    expect(checked).toBe(2 * 0x7c00);
  });

  it('by hand: 2049 → 2048 and 2051 → 2052 (ties), 65519 → 65504, ±65520 → ±∞, 0.1 → 0.0999755859375, 2^−25 → 0 (a tie), 3·2^−26 → 2^−24, −2^−26 → −0', () => {
    expect([2049, 2051, 65519, 65520, -65520, 0.1, 2 ** -25, 3 * 2 ** -26].map(f16round)).toEqual([2048, 2052, 65504, Infinity, -Infinity, 0.0999755859375, 0, 2 ** -24]);
    expect(Object.is(f16round(-(2 ** -26)), -0)).toBe(true);
    expect(Object.is(f16round(-0), -0)).toBe(true);
  });

  it('f16round agrees with the oracle on 200,000 doubles spread over the whole range (log-uniform magnitudes 2^−30 … 2^17, both signs)', () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 200_000; i++) {
      const v = (rand() < 0.5 ? -1 : 1) * 2 ** (rand() * 47 - 30);
      if (!same(f16round(v), oracle(v))) throw new Error(`${v}: f16round ${f16round(v)}, oracle ${oracle(v)}`);
    }
  });

  it('roundToFloat16 (on float32 bits) equals f16round on every 251st float32 bit pattern (17 million: every exponent, NaN and ±∞ included), and counts what it changed', () => {
    const n = 1 << 20;
    const bits = new Uint32Array(n);
    const data = new Float32Array(bits.buffer);
    let x = 0;
    let done = false;
    while (!done) {
      let k = 0;
      for (; k < n && !done; k++) {
        bits[k] = x;
        x += 251;
        if (x > 0xffffffff) done = true;
      }
      const view = data.subarray(0, k);
      const before = Float32Array.from(view);
      const changed = roundToFloat16(view);
      let count = 0;
      for (let i = 0; i < k; i++) {
        const want = f16round(before[i]);
        if (!same(view[i], want)) throw new Error(`bits 0x${new Uint32Array(before.buffer)[i].toString(16)} (${before[i]}): ${view[i]}, want ${want}`);
        if (!same(view[i], before[i])) count++;
      }
      expect(changed).toBe(count);
    }
  });

  it('roundToFloat16 leaves an array of halves unwritten (0 changed) and rounds the midpoints to even in place', () => {
    const halves = Float32Array.from(ALL.filter((h) => !isNaNBits(h)), halfToFloat);
    expect(roundToFloat16(halves)).toBe(0);
    const mids = Float32Array.from(MIDPOINTS);
    expect(roundToFloat16(mids)).toBe(mids.length);
    expect(Array.from(mids)).toEqual(MIDPOINTS.map(oracle));
  });

  it("float16Bytes: NumPy's <f2 bytes, np.array([1, -2, 65504, inf, 2**-24, -0.0, 2049], '<f2').tobytes()", () => {
    const bytes = float16Bytes(Float32Array.of(1, -2, 65504, Infinity, 2 ** -24, -0, 2049));
    expect(Buffer.from(bytes).toString('hex')).toBe('003c00c0ff7b007c0100008000' + '68');
  });

  it('float16Bytes (read on the float32 bits) gives the oracle\'s bits for every half, every midpoint and its float32 neighbours, both signs, NaNs, ±∞ and float32 values past 2^16', () => {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    const next = (v: number, d: 1 | -1) => {
      f[0] = v;
      u[0] += d;
      return f[0];
    };
    const halves = ALL.filter((h) => !isNaNBits(h)).map(halfToFloat);
    const mids = MIDPOINTS.flatMap((m) => [m, next(m, 1), ...(m > 0 ? [next(m, -1)] : [])]);
    const wide = Array.from({ length: 254 }, (_, e) => [2 ** (e - 126), 1.75 * 2 ** (e - 126)]).flat();
    const values = [...halves, ...mids, ...wide, 3.4e38, 2 ** -149, 65519.99, 65520].flatMap((v) => [v, -v]);
    values.push(NaN, -NaN, new Float32Array(new Uint32Array([0xffc00001]).buffer)[0]);
    const data = Float32Array.from(values);
    const got = new DataView(float16Bytes(data).buffer);
    const bad: string[] = [];
    for (let i = 0; i < data.length && bad.length < 5; i++) {
      const want = Number.isNaN(data[i]) ? ((new Uint32Array(data.buffer, 4 * i, 1)[0] >>> 16) & 0x8000) | 0x7e00 : halfBits(oracle(data[i]));
      if (got.getUint16(2 * i, true) !== want) bad.push(`${data[i]}: 0x${got.getUint16(2 * i, true).toString(16)} against 0x${want.toString(16)}`);
    }
    expect({ checked: data.length, bad }).toEqual({ checked: data.length, bad: [] });
    expect(data.length).toBeGreaterThan(250_000);
  });

  it('float16Bytes of NaNs keeps the sign and drops the payload, as PyTorch 1.13 Tensor.half(): bits ffc00000 7fc00000 ff800001 7f800001 ffffffff 7fa00000 → fe00 7e00 fe00 7e00 fe00 7e00 (NumPy keeps payload bits: fc01, 7c01, …)', () => {
    const bits = Uint32Array.from([0xffc00000, 0x7fc00000, 0xff800001, 0x7f800001, 0xffffffff, 0x7fa00000]);
    const bytes = float16Bytes(new Float32Array(bits.buffer));
    expect(Array.from(new Uint16Array(bytes.buffer, bytes.byteOffset, 6), (h) => h.toString(16))).toEqual(['fe00', '7e00', 'fe00', '7e00', 'fe00', '7e00']);
  });

  it("the cast operator's float16 conversion is f16round of the float32 value", () => {
    const toHalf = converter('float16');
    for (const m of MIDPOINTS.slice(0, 5000)) expect(toHalf(m)).toBe(f16round(m));
  });
});
