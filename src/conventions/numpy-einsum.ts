/**
 * What numpy's einsum_path prints as "Optimized FLOP count" for an einsum of one or two operands,
 * read back as the counting tools read it (fvcore's einsum_flop_jit, calflops' _einsum_flops_compute:
 * float(line.split(":")[-1])). numpy 1.24 numpy/core/einsumfunc.py: one contraction step costs
 * L·(max(1, operands − 1) + 1 if a label is summed) (_flop_count), L the product of every label
 * size; opt_cost = Σ costs + 1; the report writes it "%.3e" — four significant digits, Python's
 * correctly rounded formatting (an exact tie to the even digit). So maxvit_t's q·kᵀ at its first
 * block, 2·9,834,496 + 1 = 19,668,993, prints 1.967e+07: the tools read 19,670,000.
 */
import type { EinsumPlan } from '../ops/einsum.js';
import { numel } from '../ops/types.js';
import type { LayerFacts } from './types.js';

/** Python's `float("%.3e" % n)` for a non-negative integer n: n to four significant digits, ties to even. */
export function pythonSci3(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) return Number(n.toExponential(3));
  const digits = String(n);
  if (digits.length <= 4) return n;
  let keep = BigInt(digits.slice(0, 4));
  const rest = digits.slice(4);
  const half = '5'.padEnd(rest.length, '0');
  if (rest > half || (rest === half && keep % 2n === 1n)) keep += 1n;
  return Number(keep * 10n ** BigInt(rest.length));
}

/** The integer numpy computes (opt_cost) for one or two operands, before it is printed. */
export function numpyOptimalCost(f: LayerFacts): number {
  const p = f.plan as EinsumPlan;
  const ops = f.inputs.length;
  return numel(p.sizes) * (Math.max(1, ops - 1) + (p.labels.length > p.outRank ? 1 : 0)) + 1;
}

/** The "Optimized FLOP count" as the tools parse it back: the printed, rounded figure. */
export const numpyPrintedFlops = (f: LayerFacts): number => pythonSci3(numpyOptimalCost(f));

/** The equation with its letters renamed a, b, c … in order of first appearance, spaces removed (both tools do this). */
export function canonicalEquation(equation: string): string {
  const eq = equation.replace(/ /g, '');
  const order = new Map<string, string>();
  for (const ch of eq) if (/[A-Za-z]/.test(ch) && !order.has(ch)) order.set(ch, String.fromCharCode(97 + order.size));
  return eq.replace(/[A-Za-z]/g, (ch) => order.get(ch)!);
}
