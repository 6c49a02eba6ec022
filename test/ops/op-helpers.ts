/** Calling one operator's rules directly (infer) or through the runtime (run), for the op-family tests. */
import { ConvlensError, jsonPath } from '../../src/errors.js';
import type { ErrorCode, ErrorDetails } from '../../src/errors.js';
import { runOperator } from '../../src/runtime/operator.js';
import type { InferContext, Inferred, OpDef, Shape, TensorValue } from '../../src/ops/types.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** An InferContext as the analyzer builds one: `fail` throws a ConvlensError with the field's path. */
export function inferContext<A>(inputs: Shape[], attrs: A, values: (TensorValue | null)[] = []): InferContext<A> {
  return {
    layer: 'l',
    inputs,
    values: inputs.map((_, i) => values[i] ?? null),
    attrs,
    fail(code: ErrorCode, message: string, field?: string | (string | number)[], details: ErrorDetails = {}): never {
      const parts = field === undefined ? [] : Array.isArray(field) ? field : [field];
      throw new ConvlensError(code, message, { path: jsonPath(parts), ...details });
    },
  };
}

/** op.infer on these input shapes (and known input values), the attributes parsed with their defaults. */
export function inferOf<A, P>(op: OpDef<A, P>, inputs: Shape[], attributes: Record<string, unknown> = {}, values: (TensorValue | null)[] = []): Inferred<P> {
  return op.infer(inferContext(inputs, op.attrs.parse(attributes), values));
}

/** A known integer value, as the analyzer folds shape arithmetic. */
export const ints = (...data: number[]): TensorValue => ({ data, integer: true });

/** Runs an operator on tensors (and weights by role) given as [shape, values] pairs; returns the outputs' shapes and values. */
export function run(
  name: string,
  inputs: [number[], number[]][],
  attributes: Record<string, unknown> = {},
  weights: Record<string, [number[], number[]]> = {},
): { shape: number[]; data: number[] }[] {
  const t = ([shape, data]: [number[], number[]]) => tensor(shape, Float32Array.from(data));
  const res = runOperator({
    name,
    inputs: inputs.map(t),
    attributes,
    weights: Object.fromEntries(Object.entries(weights).map(([role, w]) => [role, t(w)])),
    training: false,
    seed: 0,
    maxElements: 1 << 16,
  });
  return res.outputs.map((t: Tensor) => ({ shape: t.shape, data: Array.from(t.data) }));
}

/** 0, 1, …, n − 1: inputs whose every value says where it came from. */
export const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A number as the golden scripts write one to JSON: itself, or 'nan', 'inf', '-inf' (JSON has none of them). */
export type GoldenNumber = number | string;
/** The value a GoldenNumber stands for. */
export const goldenNumber = (v: GoldenNumber): number => (typeof v === 'number' ? v : v === 'nan' ? NaN : v === 'inf' ? Infinity : -Infinity);

/** A max-pooling edge case of a golden script (NaN, ±∞, ties): the input, PyTorch's values and its argmax indices. */
export interface MaxPoolEdge {
  name: string;
  op: string;
  attributes: Record<string, unknown>;
  input: { shape: number[]; data: GoldenNumber[] };
  values: { shape: number[]; data: GoldenNumber[] };
  indices: number[];
}
