/**
 * Typed GraphQL results of runOperator, run and foldBatchNorm: tensors stay raw (float32 arrays
 * from the workers) until a client selects `data` or `base64`, so each encoding is computed only
 * when asked for. Statistics are the REST responses' (tensor/encoding.ts `stats`).
 */
import { answerDtype, encodedBytesBound, encodeTensor } from '../../tensor/encoding.js';
import type { GraphQLResolveInfo } from 'graphql';
import { chargeAnswer, chargedSoFar } from './answer-budget.js';
import { selectedUnder } from './selection.js';
import type { AnswerLimit, TensorFields } from '../../runtime/answer-bound.js';
import { stats } from '../../tensor/stats.js';
import type { Tensor } from '../../tensor/tensor.js';
import { OPS_BY_NAME } from '../../ops/registry.js';
import type { OperatorResult } from '../../runtime/operator.js';
import type { RunTaskResult } from '../../runtime/tasks.js';

export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

/** JSON has no NaN or ±Infinity: those values become null (GraphQL's Float cannot carry them either). */
export const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** Named tensors in the given order (never the record's key order: integer-like names enumerate first). */
const namedTensors = (names: string[], tensors: Record<string, Tensor>): NamedTensor[] => names.map((name) => ({ name, tensor: tensors[name] }));

/**
 * The GraphQL answer a run or operator call is for: the `data` and `base64` its outputs' and
 * captures' tensors select, against what the operation may still charge (MAX_RESPONSE_BYTES, at
 * most GRAPHQL_MAX_ANSWER_BYTES, less its fields charged so far). The worker refuses the field
 * before any kernel runs when those alone are over it (runtime/answer-bound.ts), by the bounds the
 * Tensor resolvers below charge.
 */
export function graphqlAnswer(info: GraphQLResolveInfo, ctx: object | undefined, maxBytes: number): AnswerLimit {
  const fields = (list: 'outputs' | 'captured'): TensorFields => {
    const selected = selectedUnder(info, [list, 'tensor']);
    return { data: selected.includes('data'), base64: selected.includes('base64') };
  };
  return { kind: 'graphql', maxBytes, charged: chargedSoFar(ctx), outputs: fields('outputs'), captured: fields('captured') };
}

export function operatorResult(name: string, result: OperatorResult) {
  return {
    operator: name,
    pytorch: OPS_BY_NAME.get(name)?.pytorch ?? '',
    // the one-layer graph names its outputs y, y1, y2 … (runtime/operator.ts)
    outputs: result.outputs.map((tensor, i): NamedTensor => ({ name: i === 0 ? 'y' : `y${i}`, tensor })),
    cost: result.layer,
    facts: Object.keys(result.extra).length > 0 ? result.extra : null,
  };
}

export function runResult(result: RunTaskResult) {
  // as the REST runResponse: graph outputs in graph order, captured tensors in the order asked
  return { source: result.source, outputs: namedTensors(result.order.outputs, result.outputs), captured: namedTensors(result.order.captured, result.captured) };
}

type Parent = Record<string, any>;

/** The report's `2macs` key is not a GraphQL name: twoMacs. */
export const byConvention = (f: Parent) => ({ twoMacs: f['2macs'], macs: f.macs, exact: f.exact, seed: f.exact });
/** The report's `{ elements: { inputs, outputs, weights, total }, bytes }`, flattened. */
export const memoryAccess = (m: Parent) => ({ ...m.elements, elements: m.elements.total, bytes: m.bytes });

/** The result types' resolvers; `maxAnswerBytes`: the budget of the tensors' data one answer carries (graphql/answer-budget.ts). */
export const tensorResolvers = (maxAnswerBytes: number) => ({
  Tensor: {
    dtype: (t: Tensor) => answerDtype(t),
    data: (t: Tensor, _: unknown, ctx: object | undefined) => {
      chargeAnswer(ctx, encodedBytesBound(t.shape, 'flat'), maxAnswerBytes, `the data of a ${t.shape.join('×')} tensor as JSON`, 'select base64 (about 5 times smaller) or stats, or ask REST (its answers are streamed, up to MAX_RESPONSE_BYTES)');
      return Array.from(t.data, finite);
    },
    base64: (t: Tensor, _: unknown, ctx: object | undefined) => {
      chargeAnswer(ctx, encodedBytesBound(t.shape, 'base64'), maxAnswerBytes, `the base64 of a ${t.shape.join('×')} tensor`, 'select stats, or ask REST for it as .npy (streamed, up to MAX_RESPONSE_BYTES)');
      return encodeTensor(t, 'base64', true, answerDtype(t)).base64;
    },
    stats: (t: Tensor) => {
      const s = stats(t);
      return { min: finite(s.min), max: finite(s.max), mean: finite(s.mean), std: finite(s.std), nonFinite: s.nonFinite };
    },
  },
  LayerCost: {
    flopsByConvention: (p: Parent) => byConvention(p.flopsByConvention),
    memoryAccess: (p: Parent) => memoryAccess(p.memoryAccess),
  },
});
