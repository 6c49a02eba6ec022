/**
 * Request → graph, the one way in for REST, GraphQL, /v1/run and the CLI: a request names its
 * network as exactly one of a JSON spec, a zoo model (at an optional resolution) or ONNX bytes
 * (with shapes for dynamic inputs); the CLI reads a file path or names a zoo model (cli/target.ts).
 */
import { ConvlensError } from '../errors.js';
import { closest } from '../suggest.js';
import { sides } from '../zoo/builder.js';
import type { NetworkSpec, Resolution } from '../zoo/builder.js';
import { ZOO, ZOO_BY_NAME } from '../zoo/index.js';
import type { Graph } from './graph.js';
import { parseNetworkSpec } from './network.js';
import { importOnnx } from './onnx/import.js';
import type { OnnxImportOptions } from './onnx/import.js';

/** Largest zoo resolution a request may ask for (a 8192² input is already ~200 M activations). */
export const MAX_RESOLUTION = 8192;

export type GraphSource =
  /** `at`: where the request holds the spec (`$.spec`, `$.models[2].spec`): the paths of its layers and errors; `$` or none: the spec is the whole body */
  | { kind: 'spec'; spec: unknown; at?: string }
  /**
   * `resolutionAt`: where the request gives the resolution (`query.resolution` for `?resolution=`); default `$.resolution`;
   * `modelAt`: where it names the model, the path of its layers' errors (a weight over the run limits); default `$.model`
   */
  | { kind: 'model'; name: string; resolution?: number; resolutionAt?: string; modelAt?: string }
  /**
   * `at`: where the request holds the file (`body`, a form part, `$.onnxBase64`, the CLI's file path): the path of an error in the file itself;
   * `shapesAt`: where it holds inputShapes (`$.inputShapes`, the default; `query.input` for `?input.<name>=`): the path of a key that names no input;
   * `fileName`: the file's name (the CLI's path, a form part's filename), which names the report when the graph's name is an exporter's default
   */
  | { kind: 'onnx'; bytes: Uint8Array; inputShapes: Record<string, number[]>; at?: string; shapesAt?: string; fileName?: string };

/** Graph names torch.onnx.export gives every model (torch_jit from torch 1.10, torch-jit-export before, main_graph from the dynamo exporter): they name no model. */
const EXPORTER_GRAPH_NAMES = new Set(['torch_jit', 'torch-jit-export', 'main_graph']);

/** `resnet18` of `models/resnet18.onnx` (a client's filename: at most a spec name's 256 characters). */
const fileStem = (file: string) => ((file.split(/[\\/]/).pop() ?? file).replace(/\.onnx$/i, '') || file).slice(0, 256);

/** Where a report's graph came from (the report's `source`). */
export type GraphOrigin =
  | { format: 'spec' }
  | { format: 'zoo'; model: string }
  | { format: 'onnx'; opset: number; irVersion: number; producer: string; bytes: number };

/** The network fields of a request body or GraphQL arguments (already decoded from base64). */
export interface NetworkRequest {
  spec?: unknown;
  model?: string;
  resolution?: number;
  /** Where the request gives `resolution` (GraphSource's `resolutionAt`); default `$.resolution`. */
  resolutionAt?: string;
  /** Where the request names `model` (GraphSource's `modelAt`); default `$.model`. */
  modelAt?: string;
  onnx?: Uint8Array;
  /** Where the request holds `onnx` (GraphSource's `at`); default `$.onnxBase64`. */
  onnxAt?: string;
  inputShapes?: Record<string, number[]>;
  /** Where the request holds `inputShapes` (GraphSource's `shapesAt`); default `$.inputShapes`. */
  inputShapesAt?: string;
  /** Where the request holds `spec` (GraphSource's `at`); default: the spec's paths as they are. */
  specAt?: string;
  /** The ONNX file's name as the client gave it (a form's filename): GraphSource's `fileName`. */
  fileName?: string;
}

/** The one source a request names; zero or several is a SPEC_INVALID naming the choices. */
export function requestSource(req: NetworkRequest, choices = 'spec, model (a zoo name) or an ONNX file'): GraphSource {
  const given = [req.spec !== undefined && 'spec', req.model !== undefined && 'model', req.onnx !== undefined && 'onnx'].filter(Boolean);
  if (given.length === 0) throw new ConvlensError('SPEC_INVALID', `give the network: ${choices}`, { path: '$' });
  if (given.length > 1) {
    // the ONNX file as the request gives it: onnxBase64 (a path relative to the network's object, as
    // `$.model` is), or a file part, named as it is; `$.onnx` named a field no request has
    const part = req.onnxAt !== undefined && !req.onnxAt.startsWith('$') ? req.onnxAt : undefined;
    const named = (g: string) => (g !== 'onnx' ? g : part === undefined ? 'onnxBase64' : `an ONNX file part '${part}'`);
    const path = given[1] !== 'onnx' ? `$.${given[1]}` : (part ?? '$.onnxBase64');
    throw new ConvlensError('SPEC_INVALID', `give one network, not ${given.map((g) => named(g as string)).join(' and ')}`, { path });
  }
  if (req.resolution !== undefined && req.model === undefined) {
    throw new ConvlensError('INVALID_OPTION', `resolution applies to a zoo model only; a ${given[0]} has its own input shape`, { path: req.resolutionAt ?? '$.resolution' });
  }
  // an unknown key is refused, never ignored: shapes for a network that has its own would be dropped
  if (req.inputShapes !== undefined && req.onnx === undefined) {
    throw new ConvlensError('INVALID_OPTION', `inputShapes applies to an ONNX file; a ${given[0]} has its own input shapes`, { path: '$.inputShapes' });
  }
  if (req.onnx !== undefined) return { kind: 'onnx', bytes: req.onnx, inputShapes: req.inputShapes ?? {}, at: req.onnxAt ?? '$.onnxBase64', ...(req.inputShapesAt !== undefined && { shapesAt: req.inputShapesAt }), ...(req.fileName !== undefined && { fileName: req.fileName }) };
  if (req.model !== undefined) return { kind: 'model', name: req.model, resolution: req.resolution, ...(req.resolutionAt !== undefined && { resolutionAt: req.resolutionAt }), ...(req.modelAt !== undefined && { modelAt: req.modelAt }) };
  return { kind: 'spec', spec: req.spec, ...(req.specAt !== undefined && { at: req.specAt }) };
}

/** The longest model name checkModel looks up (the zoo's are under 40 characters). */
export const MAX_MODEL_NAME = 256;

/** UNKNOWN_MODEL at `path` unless `name` is a zoo model, with the closest name when one is close; a name over MAX_MODEL_NAME without either. */
export function checkModel(name: string, path: string): void {
  if (ZOO_BY_NAME.has(name)) return;
  // no model's name is near this long: refused before a suggestion is sought or the name is copied into the error
  // (a 30 MB name took 0.9 s and made a 30 MB message)
  if (name.length > MAX_MODEL_NAME) {
    throw new ConvlensError('UNKNOWN_MODEL', `no built-in model has a name of ${name.length} characters (more than ${MAX_MODEL_NAME}); available: ${ZOO.map((m) => m.name).join(', ')}`, {
      path,
      length: name.length,
      limit: MAX_MODEL_NAME,
    });
  }
  const suggestion = closest(name, ZOO.map((m) => m.name));
  throw new ConvlensError('UNKNOWN_MODEL', `no built-in model '${name}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; available: ${ZOO.map((m) => m.name).join(', ')}`, {
    path,
    model: name,
    ...(suggestion ? { suggestion } : {}),
  });
}

/** The spec of a zoo model at a resolution (default: the one its published numbers use); its errors at `resolutionAt`, where the request gives it. */
export function modelSpec(name: string, resolution?: Resolution, resolutionAt = '$.resolution'): NetworkSpec {
  checkModel(name, '$.model');
  const entry = ZOO_BY_NAME.get(name)!;
  if (resolution !== undefined && !sides(resolution).every((n) => Number.isInteger(n) && n >= 1 && n <= MAX_RESOLUTION)) {
    throw new ConvlensError('INVALID_OPTION', `resolution must be an integer from 1 to ${MAX_RESOLUTION}, got ${JSON.stringify(resolution)}`, { path: resolutionAt });
  }
  const at = resolution ?? entry.resolution;
  try {
    return entry.build(at);
  } catch (e) {
    // a resolution too small for the model: the layer where it breaks, as a 400 on the resolution
    if (!(e instanceof ConvlensError)) throw e;
    throw new ConvlensError(e.code, `${name} at resolution ${typeof at === 'number' ? at : at.join('×')}: ${e.message}`, { ...e.details, path: resolutionAt, model: name });
  }
}

/** MAX_FOLDED_ELEMENTS for an ONNX file's decoded constants (default: the configuration's default). */
export interface LoadOptions {
  maxFolded?: number;
  /** False for an analysis: weights an ONNX file computes from its weights keep their shapes, their values not folded (OnnxImportOptions.values). */
  values?: boolean;
  /** MAX_TENSOR_ELEMENTS as configured: no weight an ONNX file folds at import is larger (OnnxImportOptions.maxElements). */
  maxElements?: number;
  /** Charges the memory of an ONNX file's folds before they run (OnnxImportOptions.chargeFold; a run: runtime/memory-grant.ts chargeFold). */
  chargeFold?: OnnxImportOptions['chargeFold'];
}

/**
 * A zoo model's layers at the field that named it: the request holds no layers, so an error at one
 * (classifier.0's weight over the run limits) is at `$.model`, `query.model` …, not `$.layers[33]`.
 * Set again on a graph the model cache kept, which may have been built for another route's request.
 */
export function placeAtModel(graph: Graph, source: { modelAt?: string }): void {
  const at = source.modelAt ?? '$.model';
  for (const layer of graph.layers) layer.path = at;
}

export function loadGraph(source: GraphSource, options: LoadOptions = {}): { graph: Graph; origin: GraphOrigin } {
  switch (source.kind) {
    case 'spec':
      return { graph: parseNetworkSpec(source.spec, source.at), origin: { format: 'spec' } };
    case 'model': {
      const graph = parseNetworkSpec(modelSpec(source.name, source.resolution, source.resolutionAt));
      placeAtModel(graph, source);
      return { graph, origin: { format: 'zoo', model: source.name } };
    }
    case 'onnx': {
      try {
        const { graph, info } = importOnnx(source.bytes, { inputShapes: source.inputShapes, shapesAt: source.shapesAt, maxFolded: options.maxFolded, values: options.values, maxElements: options.maxElements, chargeFold: options.chargeFold });
        // every PyTorch export is 'torch_jit': a comparison of two read `torch_jit` → `torch_jit`
        if (source.fileName !== undefined && EXPORTER_GRAPH_NAMES.has(graph.name)) graph.name = fileStem(source.fileName);
        return { graph, origin: { format: 'onnx', ...info, bytes: source.bytes.byteLength } };
      } catch (e) {
        // the file itself at fault (it does not decode, a tensor's data is cut short or its dims are over 2^53): its place in the request is the path
        if (e instanceof ConvlensError && (e.code === 'ONNX_INVALID' || e.code === 'INVALID_TENSOR' || e.code === 'SIZE_TOO_LARGE') && e.details.path === undefined && source.at !== undefined) {
          throw new ConvlensError(e.code, e.message, { ...e.details, path: source.at });
        }
        throw e;
      }
    }
  }
}
