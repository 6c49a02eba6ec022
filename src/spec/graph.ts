/** The one graph form every importer (JSON spec, ONNX, model zoo) produces and the analyzer reads. */
export interface GraphInput {
  name: string;
  shape: number[];
  /** JSONPath of the input in the request, for errors. */
  path: string;
}

export interface GraphLayer {
  name: string;
  op: string;
  /** Names of the tensors it reads: graph inputs or other layers (their first output). */
  inputs: string[];
  /** Attributes parsed by the op's schema (defaults filled in). */
  attrs: Record<string, unknown>;
  /** JSONPath of the layer in the request, for errors. */
  path: string;
  /** Where the layer came from when imported (ONNX op type), for the report. */
  source?: { format: 'onnx'; opType: string };
}

export interface Graph {
  name: string;
  inputs: GraphInput[];
  layers: GraphLayer[];
  /** Declared outputs; when absent, the layers nobody reads. */
  outputs: string[] | null;
}
