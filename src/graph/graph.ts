import type { TensorValue } from '../ops/types.js';
import { isFloat } from '../tensor/dtype.js';
import type { DataType } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';
import { ConvlensError, jsonPath } from '../errors.js';
import { closest } from '../suggest.js';
import type { OnnxFields } from './onnx/file-fields.js';

/** The one graph form every importer (JSON spec, ONNX, model zoo) produces and the analyzer reads. */
export interface GraphInput {
  name: string;
  shape: number[];
  /** JSONPath of the input in the request, for errors. */
  path: string;
}

/** A constant tensor (ONNX initializer or Constant node). */
export interface GraphConstant {
  name: string;
  shape: number[];
  dataType: DataType;
  /** Decoded values of a small constant (shapes, axes, scales); large weights are never decoded here. */
  value: TensorValue | null;
  /** The stored bytes, when present: a view into the uploaded file, never a copy. */
  raw: Uint8Array | null;
  /**
   * How many bytes right before `raw` are its own field's header (an ONNX file's raw_data: its
   * protobuf tag and length), which nothing reads once the file is parsed: a weight store may move
   * unaligned bytes down over up to 3 of them for a step, to read them in place (the runtime's weight-store.ts).
   * Absent: the bytes before `raw` may be anything's.
   */
  rawHeader?: number;
  /** Values decoded from typed fields (float_data, int64_data, …) when the file stores them there. */
  typed: ArrayLike<number> | null;
  /** An initializer (a stored tensor: weights and folded constants), not an ONNX Constant node. */
  initializer: boolean;
  /**
   * A view of another constant (graph/onnx/constant-views.ts: Unsqueeze, Squeeze): its parameters
   * are that constant's, counted once however many views read it. Absent: it counts as itself.
   */
  countsAs?: string;
  /** Its data is in a file beside the model (ONNX external data, `location`), which an upload does not carry. */
  external?: string;
  /** Its data is in an element type convlens does not decode (dataType `other`): ONNX's name and number, `FLOAT8E4M3FN (ONNX element type 17)`. */
  undecoded?: string;
  /**
   * Computed at import from other constants by the graph's own nodes (graph/fold-constants.ts: a
   * standardised conv weight). `from`: the float initializers of more than one element it derives
   * from, which count as the parameters of a layer it is bound to (the raw weight and a gain, as
   * PyTorch's parameters() counts them); `unheld`: why its values were not computed (stripped
   * weights, the folding limits), when they were not.
   */
  folded?: { from: string[]; unheld?: string };
}

export interface GraphLayer {
  name: string;
  op: string;
  /** Names of the tensors it reads: graph inputs, constants or layer outputs. */
  inputs: string[];
  /** Names of the tensors it writes; a JSON spec layer writes one tensor named after the layer. */
  outputs: string[];
  /** Attributes parsed by the op's schema (defaults filled in). */
  attrs: Record<string, unknown>;
  /** JSONPath of the layer in the request, for errors. */
  path: string;
  /**
   * Where the layer came from when imported: its ONNX op type, for the report, and where its fields
   * are in the file (graph/onnx/file-fields.ts), for errors; the report gives format and opType only.
   */
  source?: { format: 'onnx'; opType: string } & OnnxFields;
  /** Weight roles (weight, bias, runningMean, …) bound to graph constants, for imported models. */
  weights?: Record<string, { constant: string; transpose?: boolean }>;
}

/**
 * An ai.onnx node its model's opset does not define: an operator the opset predates (Range at 7), with
 * the first opset that defines it, by which it is read (since); or one the opset has deprecated
 * (Upsample at 10 or later), with the opset that did (deprecated), the last definition before, by
 * which it is read (readAs), and the operator that replaces it (successor: Resize). onnxruntime
 * refuses either file.
 */
export type OnnxOperatorOpsetNote = { layer: string; opType: string } & ({ since: number } | { deprecated: number; readAs: number; successor?: string });

export interface Graph {
  name: string;
  inputs: GraphInput[];
  layers: GraphLayer[];
  /** Declared outputs; when absent, the tensors nobody reads. */
  outputs: string[] | null;
  constants: Map<string, GraphConstant>;
  /** An imported ONNX model's ai.onnx opset (graph/onnx/opsets.ts); a later one than the importer follows is warned of. */
  onnxOpset?: number;
  /** An imported model's ai.onnx nodes its opset does not define (graph/onnx/operator-names.ts), warned of: an operator the opset predates, or one it has deprecated. */
  onnxOperatorOpsetNotes?: OnnxOperatorOpsetNote[];
  /** Imported nodes evaluated at import into the weights they compute (graph/fold-constants.ts), left out of the layers. */
  foldedAtImport?: string[];
  /** Layers the PyTorch source computes by a function call, not a module (a spec's `functional`): for the conventions. */
  functional?: string[];
  /** Layers whose PyTorch module subclasses the class their op names (a spec's `subclassed`): for the conventions. */
  subclassed?: string[];
}

/** Why a layer is not analysed: the importer's reason (graph/onnx/import.ts), else that convlens has no such operator. */
export function unsupportedReason(layer: GraphLayer): string {
  const reason = layer.attrs.reason;
  return typeof reason === 'string' && reason !== '' ? reason : `convlens does not model ${layer.source ? `ONNX ${layer.source.opType}` : `'${layer.op}'`}`;
}

/**
 * The initializers whose parameters a constant holds: itself (a view, the constant it views) when
 * it is a float initializer of more than one element (a scalar is a literal, not a weight), or
 * those it was folded from at import (graph/fold-constants.ts).
 */
export function parameterSources(c: GraphConstant): readonly string[] {
  if (c.folded) return c.folded.from;
  return c.initializer && isFloat(c.dataType) && numel(c.shape) > 1 ? [c.countsAs ?? c.name] : [];
}

/**
 * A run's tensor under a name the network has no input for: INVALID_TENSOR at `$.inputs.<name>` with
 * the closest input (a spec's, a zoo model's or an ONNX file's run alike).
 */
export function noSuchInput(name: string, inputs: readonly string[]): ConvlensError {
  const suggestion = closest(name, inputs);
  const alias = inputs.length === 1 ? ` ("" or "input" stands for the only one)` : '';
  return new ConvlensError('INVALID_TENSOR', `the network has no input '${name}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; its inputs are ${inputs.map((k) => `'${k}'`).join(', ')}${alias}`, {
    path: jsonPath(['inputs', name]),
    ...(suggestion ? { suggestion } : {}),
  });
}
