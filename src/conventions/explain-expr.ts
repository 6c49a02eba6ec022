/**
 * The small expression language of explain.ts: a named value (one or more numbers multiplied), a
 * literal, a product, a sum or a difference; evaluated, and rendered with the values substituted
 * ("N 1 · Cout 64 · H'W' 56·56").
 */
import type { Shape } from '../ops/types.js';

/** A small expression: a named value (one or more numbers multiplied), a literal, a product, a sum or a difference. */
export type Expr =
  | { k: 'v'; label: string; v: readonly number[] }
  | { k: 'lit'; v: number }
  | { k: 'mul'; p: Expr[] }
  | { k: 'add'; p: Expr[] }
  | { k: 'sub'; a: Expr; b: Expr };

export const V = (label: string, ...v: number[]): Expr => ({ k: 'v', label, v });
export const L = (v: number): Expr => ({ k: 'lit', v });
export const mul = (...p: Expr[]): Expr => ({ k: 'mul', p });
export const add = (...p: Expr[]): Expr => ({ k: 'add', p });
export const sub = (a: Expr, b: Expr): Expr => ({ k: 'sub', a, b });
export const ZERO = L(0);

export function evaluate(e: Expr): number {
  switch (e.k) {
    case 'v':
      return e.v.reduce((p, x) => p * x, 1);
    case 'lit':
      return e.v;
    case 'mul':
      return e.p.reduce((p, x) => p * evaluate(x), 1);
    case 'add':
      return e.p.reduce((s, x) => s + evaluate(x), 0);
    case 'sub':
      return evaluate(e.a) - evaluate(e.b);
  }
}

/** One formatter for every number: toLocaleString with options builds one per call (60 µs; 11 of the 13 s 20,000 layers' explanations took). */
const GROUPED = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });
export const fmt = (n: number) => GROUPED.format(n);
/** Factors stay bare (56·56); large sub-totals get thousands separators. */
const num = (n: number) => (Math.abs(n) >= 10_000 ? fmt(n) : String(n));

export function render(e: Expr): string {
  switch (e.k) {
    case 'v':
      return `${e.label} ${e.v.map(num).join('·')}`;
    case 'lit':
      return num(e.v);
    case 'mul':
      return e.p.map((x) => (x.k === 'add' || x.k === 'sub' ? `(${render(x)})` : render(x))).join(' · ');
    case 'add':
      return e.p.map(render).join(' + ');
    case 'sub':
      return `${render(e.a)} − ${e.b.k === 'add' || e.b.k === 'sub' ? `(${render(e.b)})` : render(e.b)}`;
  }
}

/** A shape as one named value: "outputs 1·8·4·4". */
export const dims = (label: string, s: Shape): Expr => V(label, ...s);

/** What the op headers say one layer costs, as expressions over its shapes and attributes. */
export interface Parts {
  macs: Expr;
  exact: Expr;
  bias: Expr;
  elementwise: Expr;
  params: Expr;
}
