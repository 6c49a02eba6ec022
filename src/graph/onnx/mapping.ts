/** The shape of an ONNX node mapping: what a mapper returns, what it is given, how it refuses. */
import type { GraphConstant, GraphLayer } from '../graph.js';
import type { Attributes } from './attributes.js';
import type { NodeProto } from './proto.js';
import type { DataType } from '../../tensor/dtype.js';
import type { NotFoldable } from '../fold-constants.js';
import type { FieldSource } from './file-fields.js';

export interface Mapped {
  op: string;
  inputs: string[];
  attrs: Record<string, unknown>;
  weights?: GraphLayer['weights'];
  /** What this layer writes, when not the node's outputs (an `after` layer then writes those). */
  outputs?: string[];
  /** Layers a node adds before this one (Gemm's transpose of A): this one reads their outputs. */
  before?: ExtraLayer[];
  /** Layers a node adds after this one (Gemm's add of a per-row C): the last writes the node's output. */
  after?: ExtraLayer[];
  /**
   * What each of `attrs` is read from in the node (graph/onnx/file-fields.ts), so that an error
   * about it names that field of the file: `{ stride: 'strides', padding: ['pads', 'auto_pad'] }`,
   * a node input's index for one read from an input (`{ starts: 1 }`). An attribute left out is
   * one convlens derives or defaults: its errors name the node.
   */
  from?: Readonly<Record<string, FieldSource>>;
}

/** One more layer of a node that maps to a chain: named `<node>:<suffix>`, writing `output`. */
export interface ExtraLayer {
  suffix: string;
  op: string;
  inputs: string[];
  attrs: Record<string, unknown>;
  output: string;
}

/** A node convlens does not map, and why; `field`: what the refusal is about (Mapped.from's form), where a run's UNSUPPORTED_OPERATOR points. */
export class Unsupported extends Error {
  constructor(
    message: string,
    readonly field?: FieldSource,
  ) {
    super(message);
  }
}

/** Float constant folding at import (graph/fold-constants.ts ConstantFolder), as the mappers use it. */
export interface WeightFolder {
  /** The constant a tensor computed from constants alone stands for (registered among the graph's constants), or why it cannot be one. */
  fold(name: string): GraphConstant | NotFoldable;
  /** A convlens op applied to constants by its own kernel (a Gemm's α·B): a new constant named after `base`, or why not. */
  apply(op: string, attrs: Record<string, unknown>, inputs: readonly GraphConstant[], base: string): GraphConstant | NotFoldable;
}

/** What a family mapper (src/graph/onnx/map-*.ts) is given: the node, its typed attributes and its constant inputs. */
export interface MapContext {
  node: NodeProto;
  a: Attributes;
  opset: number;
  constants: Map<string, GraphConstant>;
  /** The constant behind input i, or null when the input is absent or computed. */
  constOf(i: number): GraphConstant | null;
  /**
   * The constant behind input i, read as a weight (a Conv's W, a Gemm's B and C, a norm's scale or
   * statistics): when the graph computes it from constants alone (weight standardisation), the
   * computation folded into one (graph/fold-constants.ts). Null when the input is absent;
   * Unsupported naming `role` and why when it is computed and cannot be folded.
   */
  weightOf(i: number, role: string): GraphConstant | null;
  /** Folds constants with a convlens op's own kernel (a Gemm's α·B); absent when the import folds nothing (a Loop body's probe). */
  folder?: WeightFolder;
  /** Input i as a scalar constant (undefined when absent); Unsupported when it is computed. */
  scalarOf(i: number): number | undefined;
  /** The element type of input i as ONNX's type inference gives it (graph/onnx/node-types.ts nodeOutputType), undefined when not known. */
  typeOf(i: number): DataType | undefined;
  /** The node's inputs and these attributes under a convlens op, each read from what `from` says (Mapped.from). */
  same(op: string, attrs?: Record<string, unknown>, from?: Mapped['from']): Mapped;
}

export type NodeMapper = (ctx: MapContext) => Mapped;
