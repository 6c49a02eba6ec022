/**
 * A run's weights as the request names them, bound to the `<layer>.<role>` keys the runtime reads
 * (runtime/weights.ts layerWeights, runtime/checks.ts checkGivenWeights). A key is, in this order:
 *
 *  1. `<layer>.<role>`: a role as convlens names it (`bn1.runningMean`, `/c1/Conv.weight`);
 *  2. `<layer>.<role in snake_case>`: the role as PyTorch's state_dict names it (`bn1.running_mean`,
 *     `attn.in_proj_weight`, `bn1.num_batches_tracked`); `<layer>.num_batches_tracked` of a norm
 *     imported from ONNX, which declares none (the file has none), is ignored;
 *  3. the name of a constant an ONNX file binds as a layer's weight, directly or through a
 *     Squeeze/Unsqueeze view: its initializer's name, which is the state_dict key in a
 *     `torch.onnx.export` (`c1.weight` for the node `/c1/Conv`). The tensor has the initializer's
 *     shape and layout; it binds every layer that reads that initializer (a MatMul's transposed).
 *
 * The first form that names a weight wins (an initializer named like another layer's
 * `<layer>.<role>` is given by that layer's key). Two keys for one weight are refused, as is a key
 * that is none of these (INVALID_TENSOR at `$.weights["<key>"]`, with the closest name): it was
 * refused with a suggestion of the camelCase role (`bn1.running_mean`: "did you mean
 * 'bn1.runningMean'"), and an ONNX file's `c1.weight` had to be given as `/c1/Conv.weight`.
 */
import { ConvlensError, fmtShape, jsonPath } from '../errors.js';
import { dict, own } from '../records.js';
import { closest, toCamelCase, toSnakeCase } from '../suggest.js';
import { transpose2d } from '../tensor/nd.js';
import { numel, tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Graph, GraphLayer } from './graph.js';

/** A layer and the weights its analysis found it needs (analysis/infer.ts AnalysedLayer), null where it has none known. */
export interface WeighedLayer {
  layer: GraphLayer;
  inferred: { weights: readonly { name: string; shape: readonly number[] }[] } | null;
}

/** PyTorch's buffer of a batch norm that no forward pass in convlens reads. */
const IGNORED = 'num_batches_tracked';
/** The role whose presence says a layer keeps running statistics (and so a PyTorch num_batches_tracked). */
const RUNNING = 'runningMean';

/** Where a key lands: the runtime's key, and how the given tensor becomes the weight. */
interface Binding {
  key: string;
  layer: string;
  /** The shape the layer reads; null where its analysis is unknown (the runtime checks it then). */
  shape: readonly number[] | null;
  /** Through an ONNX constant: the given tensor has its shape (`given`); `transpose` of `bound`, the 2-D constant the layer reads. */
  file?: { given: readonly number[]; bound: readonly number[]; transpose: boolean };
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function shapeError(key: string, given: Tensor, want: readonly number[], layer: string, what = ''): ConvlensError {
  return new ConvlensError('SHAPE_MISMATCH', `weight '${key}'${what} must be ${fmtShape(want)}, got ${fmtShape(given.shape)}`, {
    path: jsonPath(['weights', key]),
    layer,
    shapes: { expected: [...want], given: given.shape },
  });
}

/**
 * The weights given by any of the names above, keyed `<layer>.<role>` for the runtime; `given` itself when it needs no renaming.
 * `asGiven`, when passed, receives each renamed one's runtime key → the key the request gave it (atGivenWeightKey).
 */
export function runtimeWeights(graph: Graph, analysed: readonly WeighedLayer[], given: Readonly<Record<string, Tensor>>, asGiven?: Map<string, string>): Record<string, Tensor> {
  const keys = Object.keys(given);
  if (keys.length === 0) return given as Record<string, Tensor>;
  const roles = new Map<string, { layer: string; shape: readonly number[] }>();
  const unknown = new Set<string>();
  for (const a of analysed) {
    if (!a.inferred) unknown.add(a.layer.name);
    for (const w of a.inferred?.weights ?? []) roles.set(`${a.layer.name}.${w.name}`, { layer: a.layer.name, shape: w.shape });
  }
  // layers with one weight, which a module holding a bare parameter names by the module alone
  const single = new Map<string, Binding>();
  for (const a of analysed) {
    const ws = a.inferred?.weights ?? [];
    if (ws.length === 1) single.set(a.layer.name, { key: `${a.layer.name}.${ws[0].name}`, layer: a.layer.name, shape: ws[0].shape });
  }
  // the keys the request may use for each weight the file binds: the constant's name, and the initializer it views
  const byConstant = new Map<string, Binding[]>();
  for (const layer of graph.layers) {
    for (const [role, w] of Object.entries(layer.weights ?? {})) {
      const c = graph.constants.get(w.constant);
      if (!c) continue;
      const key = `${layer.name}.${role}`;
      const shape = roles.get(key)?.shape ?? null;
      for (const name of new Set([c.name, ...(c.countsAs !== undefined ? [c.countsAs] : [])])) {
        const stored = graph.constants.get(name)?.shape ?? c.shape;
        const list = byConstant.get(name) ?? [];
        list.push({ key, layer: layer.name, shape, file: { given: stored, bound: c.shape, transpose: w.transpose === true } });
        byConstant.set(name, list);
      }
    }
  }
  const bindings = (key: string): Binding[] | 'ignored' | null => {
    const role = roles.get(key);
    if (role) return [{ key, ...role }];
    const dot = key.lastIndexOf('.');
    const [layer, suffix] = dot < 0 ? ['', key] : [key.slice(0, dot), key.slice(dot + 1)];
    const camel = `${layer}.${toCamelCase(suffix)}`;
    if (dot >= 0 && camel !== key && roles.has(camel)) return [{ key: camel, ...roles.get(camel)! }];
    // a norm imported from ONNX declares no numBatchesTracked (the file has none): a state_dict's is ignored there
    if (dot >= 0 && suffix === IGNORED && roles.has(`${layer}.${RUNNING}`)) return 'ignored';
    // a parameter of a module the op holds inside: `attn.out_proj.weight` is attn's outProjWeight
    const inner = layer.lastIndexOf('.');
    const joined = inner < 0 ? null : `${layer.slice(0, inner)}.${toCamelCase(`${layer.slice(inner + 1)}_${suffix}`)}`;
    if (joined !== null && roles.has(joined)) return [{ key: joined, ...roles.get(joined)! }];
    // a module that is a parameter (ViT's class_token, ConvNeXt's layer_scale): its layer's one weight
    const only = single.get(key);
    if (only) return [only];
    const file = byConstant.get(key);
    if (file) return file;
    // a layer whose weights are known only as the run goes (a stage after a data-dependent size, runtime/run-staged.ts): the runtime checks it
    if (dot >= 0 && unknown.has(layer)) return [{ key: camel, layer, shape: null }];
    return null;
  };
  const out = dict<Tensor>();
  const from = new Map<string, string>();
  for (const key of keys) {
    // an own entry: a weight may be named `constructor` or `__proto__` (a structured clone gives the record a prototype)
    const t = own(given, key)!;
    const found = bindings(key);
    if (found === 'ignored') continue;
    if (found === null) throw unknownWeight(graph, roles, byConstant, key);
    for (const b of found) {
      const before = from.get(b.key);
      if (before !== undefined) {
        throw new ConvlensError('INVALID_TENSOR', `weight '${b.key}' is given twice, as '${before}' and as '${key}'`, { path: jsonPath(['weights', key]), layer: b.layer });
      }
      from.set(b.key, key);
      if (b.key !== key) asGiven?.set(b.key, key);
      out[b.key] = b.file ? fromFile(key, t, b) : checked(key, t, b);
    }
  }
  return out;
}

/**
 * An error the run's checks found at a renamed weight's runtime key (`$.weights["attn.relativePositionIndex"]`:
 * runtime/checks.ts checkGivenWeights) put at the key the request gave it (`$.weights["attn.relative_position_index"]`);
 * any other error as it is.
 */
export function atGivenWeightKey(e: unknown, asGiven: ReadonlyMap<string, string>): unknown {
  if (!(e instanceof ConvlensError) || typeof e.details.path !== 'string') return e;
  const path = e.details.path;
  for (const [key, as] of asGiven) {
    const at = jsonPath(['weights', key]);
    if (path === at || path.startsWith(`${at}[`) || path.startsWith(`${at}.`)) return new ConvlensError(e.code, e.message, { ...e.details, path: jsonPath(['weights', as]) + path.slice(at.length) });
  }
  return e;
}

/** A weight given by its runtime key or PyTorch role: at the layer's shape (a renamed one checked here, at the key as given). */
function checked(key: string, t: Tensor, b: Binding): Tensor {
  if (b.key === key || !b.shape || sameShape(t.shape, b.shape)) return t;
  // PyTorch's shape with axes of size 1 the op leaves out (ConvNeXt's layer_scale [C, 1, 1] for a [C] weight), or adds
  if (!sameShape(squeezed(t.shape), squeezed(b.shape))) throw shapeError(key, t, b.shape, b.layer);
  return tensor(b.shape, t.data);
}

const squeezed = (shape: readonly number[]) => shape.filter((d) => d !== 1);

/** A weight given by its ONNX constant's name: at that constant's shape and layout, read as the layer reads it. */
function fromFile(key: string, t: Tensor, b: Binding): Tensor {
  const f = b.file!;
  if (!sameShape(t.shape, f.given)) throw shapeError(key, t, f.given, b.layer, ` (the model file's tensor '${key}', bound to '${b.key}')`);
  const shape = b.shape ?? (f.transpose ? [...f.bound].reverse() : f.given);
  if (numel(shape) !== t.data.length) throw shapeError(key, t, f.given, b.layer);
  return tensor(shape, f.transpose ? transpose2d(t.data, f.bound[0], f.bound[1]) : t.data);
}

/** INVALID_TENSOR at a key that names no weight, with the closest name, or what the constant it names is instead. */
function unknownWeight(graph: Graph, roles: ReadonlyMap<string, unknown>, byConstant: ReadonlyMap<string, unknown>, key: string): ConvlensError {
  const path = jsonPath(['weights', key]);
  const c = graph.constants.get(key);
  if (c) {
    const folded = [...graph.constants.values()].find((f) => f.folded?.from.includes(key));
    const into = folded && graph.layers.flatMap((l) => Object.entries(l.weights ?? {}).filter(([, w]) => w.constant === folded.name).map(([role]) => `${l.name}.${role}`))[0];
    const why = into ? `the model computes '${into}' from it at import; give '${into}' instead` : 'the model reads it as a constant, not as a weight of a layer';
    return new ConvlensError('INVALID_TENSOR', `weight '${key}' is a tensor of the model file that binds no layer's weight: ${why}`, { path });
  }
  const names = [...roles.keys()];
  const candidates = [...names, ...names.map((n) => n.replace(/[^.]*$/, toSnakeCase)), ...byConstant.keys()];
  const suggestion = closest(key, candidates);
  return new ConvlensError(
    'INVALID_TENSOR',
    `weight '${key}' is no layer's weight (names are <layer>.<role>, the role as PyTorch's state_dict spells it too, or an ONNX file's initializer name)${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
    { path, ...(suggestion ? { suggestion } : {}) },
  );
}
