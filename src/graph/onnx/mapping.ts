/** The shape of an ONNX node mapping: what a mapper returns, what it is given, how it refuses. */
import type { GraphConstant, GraphLayer } from '../graph.js';
import type { Attributes } from './attributes.js';
import type { NodeProto } from './proto.js';
import type { DataType } from '../../tensor/dtype.js';

export interface Mapped {
  op: string;
  inputs: string[];
  attrs: Record<string, unknown>;
  weights?: GraphLayer['weights'];
}

export class Unsupported extends Error {}

/** What a family mapper (src/graph/onnx/map-*.ts) is given: the node, its typed attributes and its constant inputs. */
export interface MapContext {
  node: NodeProto;
  a: Attributes;
  opset: number;
  constants: Map<string, GraphConstant>;
  /** The constant behind input i, or null when the input is absent or computed. */
  constOf(i: number): GraphConstant | null;
  /** Input i as a scalar constant (undefined when absent); Unsupported when it is computed. */
  scalarOf(i: number): number | undefined;
  /** The element type of input i as ONNX's type inference gives it (graph/onnx/control-flow.ts outputType), undefined when not known. */
  typeOf(i: number): DataType | undefined;
  /** The node's inputs and these attributes under a convlens op. */
  same(op: string, attrs?: Record<string, unknown>): Mapped;
}

export type NodeMapper = (ctx: MapContext) => Mapped;
