/**
 * Where a layer's weights come from, in order: tensors given in the request (named
 * `<layer>.<role>`, like a PyTorch state_dict), the ONNX file's initializers, or a seeded
 * initialisation by the rule each op states beside its weight spec (ops/types.ts WeightInitRule:
 * PyTorch's default distributions).
 */
import { ConvlensError, fmtShape } from '../errors.js';
import type { WeightSpec } from '../ops/types.js';
import { boundWeight, missingWeight } from '../graph/bound-weights.js';
import type { GraphConstant, GraphLayer } from '../graph/graph.js';
import type { GraphSource } from '../graph/load.js';
import { fillSymmetric, hash32 } from '../tensor/random.js';
import { numel, tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { dict, own } from '../records.js';
import type { WeightStore } from './weight-store.js';

export type WeightInit = 'file' | 'seed';

/**
 * Where a run's or a gradient's weights come from: the request's weightInit, else the file for an ONNX
 * file and the seed otherwise. "file" on a spec or zoo model, which have no file, is refused at
 * `$.weightInit` (it was run with seeded weights, silently); the CLI refuses it first, naming its
 * target and --weight-init, and takes the default here, as the report's ERF section does.
 */
export function weightInitFor(given: WeightInit | undefined, source: GraphSource): WeightInit {
  if (given === 'file' && source.kind !== 'onnx') {
    const what = source.kind === 'model' ? 'a built-in model' : 'a spec';
    throw new ConvlensError('INVALID_OPTION', `weightInit "file" reads an ONNX file's weights; ${what} has none: its weights are seeded (weightInit "seed", with seed)`, { path: '$.weightInit' });
  }
  return given ?? (source.kind === 'onnx' ? 'file' : 'seed');
}


/** A weight neither given nor in the file, initialised by the rule its op states beside its spec. */
function seeded(layer: string, spec: WeightSpec, seed: number): Float32Array {
  const n = numel(spec.shape);
  const rule = spec.init;
  if (rule.kind === 'constant') return new Float32Array(n).fill(rule.value);
  // fan_in 0 (a linear over 0 features): bound 0, as nn.Linear.reset_parameters sets it (1/√0 gave NaN)
  return fillSymmetric(new Float32Array(n), seed ^ hash32(`${layer}.${spec.name}`), rule.fanIn > 0 ? 1 / Math.sqrt(rule.fanIn) : 0);
}

/** A weight given in the request has the shape its layer needs (SHAPE_MISMATCH at $.weights["<layer>.<role>"] otherwise). */
export function checkWeightShape(key: string, given: Tensor, want: readonly number[], layer: string): void {
  if (given.shape.length !== want.length || given.shape.some((d, i) => d !== want[i])) {
    throw new ConvlensError('SHAPE_MISMATCH', `weight '${key}' must be ${fmtShape(want)}, got ${fmtShape(given.shape)}`, {
      path: `$.weights[${JSON.stringify(key)}]`,
      layer,
      shapes: { expected: [...want], given: given.shape },
    });
  }
}

export function layerWeights(
  layer: GraphLayer,
  specs: WeightSpec[],
  constants: Map<string, GraphConstant>,
  given: Record<string, Tensor>,
  init: WeightInit,
  seed: number,
  /** Reads the file's weights without copies where it can (runtime/weight-store.ts); else each is decoded afresh. */
  store?: WeightStore,
  /** Whether a large unaligned weight may be read in place (WeightStore.values): false when it is folded at once into a copy anyway. */
  inPlace = true,
): Record<string, Tensor> {
  const out = dict<Tensor>();
  for (const spec of specs) {
    const key = `${layer.name}.${spec.name}`;
    const want = [...spec.shape];
    const request = own(given, key);
    if (request) {
      checkWeightShape(key, request, want, layer.name);
      out[spec.name] = request;
      continue;
    }
    // a buffer no kernel reads (BN's num_batches_tracked, WeightSpec.unread): not drawn
    if (spec.unread) continue;
    const bound = own(layer.weights, spec.name);
    const c = bound ? constants.get(bound.constant) : undefined;
    if (c && init === 'file' && store) {
      // a MatMul's weight read as a linear's: the store transposes it (a kept store once)
      const data = bound!.transpose ? store.transposed(c) : store.values(c, false, true, inPlace);
      if (data) {
        out[spec.name] = tensor(want, data);
        continue;
      }
    }
    const data = c && init === 'file' && !store ? boundWeight(layer, spec, constants) : null;
    if (data) {
      out[spec.name] = data;
      continue;
    }
    if (c && init === 'file') throw missingWeight(layer, spec, c);
    // a kept store (the model cache's) keeps them when a run draws them as the run before did: the
    // same seed, shape and rule (a staged run sizes some weights, and their fan-in, by its data); the
    // seed even for a constant rule, so that runs with seeds in turn (each folding afresh) keep none
    // of a fold's inputs beside its fold
    out[spec.name] = tensor(want, store ? store.seeded(key, seededVariant(spec, seed), numel(want), () => seeded(layer.name, spec, seed)) : seeded(layer.name, spec, seed));
  }
  return out;
}

/** What a seeded weight's values depend on besides its name: the seed, the shape and the init rule (WeightStore.seeded). */
const seededVariant = (spec: WeightSpec, seed: number): string => `${seed}:${spec.shape.join(',')}:${spec.init.kind === 'fanIn' ? `fanIn ${spec.init.fanIn}` : `constant ${spec.init.value}`}`;

/**
 * Bytes reading one of a layer's weights allocates, by layerWeights's rules (runtime/run-memory.ts):
 * none for one the request gives (its body's), one read in place from the file or kept by `store`
 * (the model cache's), or a seeded one `store` keeps as drawn; a MatMul's weight read transposed,
 * its transposed copy and the values decoded for it (WeightStore.transposedBytes); else its float32 copy.
 */
export function weightAllocation(layer: GraphLayer, spec: WeightSpec, constants: Map<string, GraphConstant>, given: Record<string, Tensor>, init: WeightInit, seed: number, store?: WeightStore): number {
  const bytes = numel(spec.shape) * 4;
  if (own(given, `${layer.name}.${spec.name}`)) return 0;
  const bound = own(layer.weights, spec.name);
  const c = bound ? constants.get(bound.constant) : undefined;
  // transposed: the copy and, unless read in place, the values it is made from (both this step's scratch)
  if (c && init === 'file' && bound!.transpose) return store ? store.transposedBytes(c) : 2 * bytes;
  if (c && init === 'file') return store?.keeps(c, false) ? 0 : bytes;
  return store?.keepsSeeded(`${layer.name}.${spec.name}`, seededVariant(spec, seed)) ? 0 : bytes;
}
