/**
 * erf to float32 accuracy, for the run kernels of erf and exact GELU (issue 12: ConvNeXt's GELU is
 * Div → Erf → Add → Mul → Mul in ONNX, and the fdlibm port in special.ts, double-precise with two
 * Math.exp calls and a typed-array bit split per element past |x| 0.84, took 100 ms per million
 * elements, 9 % of the block stack's forward).
 *
 *   erf(x) ≈ x·P(x²)/Q(x²) on (−4, 4), ±1 beyond (|erf(4)| rounds to 1 in float32),
 *   P of degree 6 and Q of degree 4 in x²: the rational minimax fit Eigen's and XLA's float erf
 *   use (Eigen generic_fast_erf_float; XLA ErfImpl32), evaluated here in double.
 *
 * Measured against special.ts's erf on [−6, 6] in steps of 1e-5: max absolute error 6.5e-8 (about
 * half a float32 ulp at 1; two ulps of the [0.5, 1) binade next to ±1), max relative error 6.5e-8
 * near 0 (test/ops/erf32.test.ts). No branch but the saturation, no
 * transcendental: one loop of it runs at a few ns per element. NaN stays NaN (the saturation's
 * comparisons are false); −0 gives −0.
 */

const A13 = -2.72614225801306e-10;
const A11 = 2.77068142495902e-8;
const A9 = -2.10102402082508e-6;
const A7 = -5.69250639462346e-5;
const A5 = -7.34990630326855e-4;
const A3 = -2.95459980854025e-3;
const A1 = -1.60960333262415e-2;
const B8 = -1.45660718464996e-5;
const B6 = -2.13374055278905e-4;
const B4 = -1.68282697438203e-3;
const B2 = -7.37332916720468e-3;
const B0 = -1.42647390514189e-2;

export function erf32(v: number): number {
  // from ±4 on erf is ±1 in float32; the fit at 4 gives ±(1 − 4.9e-8), a residue that GELU's
  // 0.5·x would magnify without bound (gelu(−1e10) was +247, not 0)
  if (v >= 4) return 1;
  if (v <= -4) return -1;
  const x = v;
  const x2 = x * x;
  const p = ((((((A13 * x2 + A11) * x2 + A9) * x2 + A7) * x2 + A5) * x2 + A3) * x2 + A1) * x;
  const q = (((B8 * x2 + B6) * x2 + B4) * x2 + B2) * x2 + B0;
  return p / q;
}
