/**
 * The JSON network spec: named NCHW inputs and a DAG of layers whose attributes follow PyTorch's
 * names (camelCase) and defaults. Parsed here into the graph form, with a JSONPath on every error.
 */
import { z } from 'zod';
import { ConvlensError, jsonPath, movePaths } from '../errors.js';
import { OPS, OPS_BY_NAME } from '../ops/registry.js';
import { MAX_DIM } from '../ops/geometry.js';
import { attributeError, issuesError, unknownOpError } from './attribute-errors.js';
import type { Graph, GraphLayer } from './graph.js';

const Name = z.string().min(1).max(256);
const Dim = z.number().int().positive().max(MAX_DIM);

export const InputSpec = z.strictObject({
  name: Name,
  shape: z.array(Dim).min(1).max(8).describe('Shape with batch: [N, C, H, W] for images'),
});

const LayerCommon = {
  name: Name.describe('Unique layer name'),
  inputs: z
    .union([Name, z.array(Name).min(1)])
    .optional()
    .describe('Tensors the layer reads (graph inputs, layer names, or `layer:k` for output k of a multi-output layer); default: the previous layer, or the first input'),
};

/** Only the common fields; attributes are checked against the op's own schema afterwards. */
const LayerEnvelope = z.looseObject({ ...LayerCommon, op: z.string().min(1).describe('the operator, e.g. conv2d; GET /v1/operators lists them') });

export const NetworkEnvelope = z.strictObject({
  name: Name.default('network'),
  description: z.string().max(10_000).optional(),
  inputs: z.array(InputSpec).min(1),
  layers: z.array(LayerEnvelope).min(1).max(100_000),
  outputs: z.array(Name).min(1).optional(),
  functional: z
    .array(Name)
    .optional()
    .describe('layers the PyTorch source computes by a function call (F.relu, F.interpolate …), not a module: the conventions of module-hook tools (ptflops, thop) count them as those tools see them'),
  subclassed: z
    .array(Name)
    .optional()
    .describe("layers whose module in the PyTorch source is a subclass of the class their op names (torchvision's Conv3DSimple(nn.Conv3d)): the conventions of tools that look their hooks up by exact type (ptflops) count them as those tools see them"),
});

/** The full schema, one variant per op, for documentation (GET /v1/schema/network). */
export function networkSpecSchema() {
  const layer = z.discriminatedUnion(
    'op',
    OPS.map((op) => (op.attrs as z.ZodObject).safeExtend({ ...LayerCommon, op: z.literal(op.name) }).describe(`${op.summary} (${op.pytorch})`)) as unknown as [
      z.ZodObject,
      ...z.ZodObject[],
    ],
  );
  return NetworkEnvelope.extend({ layers: z.array(layer).min(1) }).describe('convlens network spec');
}

/** The envelope failed: a missing or misspelt field is named (`layer 'c1' needs op`), zod's words otherwise. */
function envelopeError(raw: unknown, issues: z.core.$ZodIssue[]): ConvlensError {
  const owner = (path: (string | number)[]) => {
    if (path.length === 0) return 'the spec';
    const name = (raw as { layers?: { name?: unknown }[] } | null)?.layers?.[path[1] as number]?.name;
    return path.length === 2 && path[0] === 'layers' && typeof name === 'string' ? `layer '${name}'` : jsonPath(path);
  };
  return issuesError({ schema: NetworkEnvelope, value: raw, issues, prefix: [], owner, attributes: false, where: '' });
}

/**
 * The graph of a spec. `at`: where the request holds the spec (`$.spec` in `{ spec, options }`,
 * `$.models[2].spec` in a batch); the layers' and inputs' paths, and the paths of the errors found
 * here, are the request's then, so that every error about a layer (here, in inference, before a
 * run) points at the field the client sent. `$` (a spec that is the whole body) changes nothing.
 */
export function parseNetworkSpec(raw: unknown, at = '$'): Graph {
  if (at === '$') return specGraph(raw);
  const under = (path: string) => (path === '$' ? at : path.startsWith('$.') || path.startsWith('$[') ? at + path.slice(1) : path);
  let graph: Graph;
  try {
    graph = specGraph(raw);
  } catch (e) {
    if (!(e instanceof ConvlensError)) throw e;
    throw movePaths(e, under);
  }
  for (const i of graph.inputs) i.path = under(i.path);
  for (const l of graph.layers) l.path = under(l.path);
  return graph;
}

function specGraph(raw: unknown): Graph {
  const env = NetworkEnvelope.safeParse(raw);
  if (!env.success) throw envelopeError(raw, env.error.issues);
  const spec = env.data;

  const seen = new Map<string, string>();
  const claim = (name: string, path: string) => {
    const prior = seen.get(name);
    if (prior) throw new ConvlensError('DUPLICATE_NAME', `the name '${name}' is used twice (first at ${prior})`, { path, layer: name });
    seen.set(name, path);
  };
  const inputs = spec.inputs.map((inp, i) => {
    const path = jsonPath(['inputs', i]);
    claim(inp.name, jsonPath(['inputs', i, 'name']));
    return { name: inp.name, shape: inp.shape, path };
  });

  const layers: GraphLayer[] = spec.layers.map((l, i) => {
    const path = jsonPath(['layers', i]);
    claim(l.name, jsonPath(['layers', i, 'name']));
    const op = OPS_BY_NAME.get(l.op);
    if (!op) throw unknownOpError('UNKNOWN_OP', l.op, `layer '${l.name}': unknown op`, { path: jsonPath(['layers', i, 'op']), layer: l.name });
    const { name, inputs: refs } = l;
    // the attributes from the request's own object: zod's copy drops an own `__proto__` key, which must be refused like any unknown one
    const { name: _name, op: _op, inputs: _inputs, ...rest } = (raw as { layers: Record<string, unknown>[] }).layers[i];
    const parsed = op.attrs.safeParse(rest);
    if (!parsed.success) throw attributeError(op, rest, parsed.error.issues, { prefix: ['layers', i], layer: name, layerKeys: Object.keys(LayerEnvelope.shape).filter((k) => !(k in l)) });
    const prev = i === 0 ? spec.inputs[0].name : spec.layers[i - 1].name;
    const inputNames = refs === undefined ? [prev] : typeof refs === 'string' ? [refs] : refs;
    const max = op.variadic ? Infinity : op.inputNames.length;
    if (inputNames.length < op.minInputs || inputNames.length > max) {
      const want = op.variadic ? `at least ${op.minInputs}` : op.minInputs === max ? `${max}` : `${op.minInputs} to ${max}`;
      throw new ConvlensError(
        'SPEC_INVALID',
        `layer '${name}': ${op.name} takes ${want} inputs (${op.inputNames.join(', ')}), got ${inputNames.length}`,
        { path: jsonPath(['layers', i, 'inputs']), layer: name },
      );
    }
    const count = op.outputCount?.(parsed.data) ?? 1;
    const outputs = Array.from({ length: count }, (_, k) => (k === 0 ? name : `${name}:${k}`));
    for (const o of outputs.slice(1)) claim(o, jsonPath(['layers', i, 'name']));
    return { name, op: op.name, inputs: inputNames, outputs, attrs: parsed.data as Record<string, unknown>, path };
  });

  layers.forEach((l, i) => {
    l.inputs.forEach((ref, k) => {
      if (!seen.has(ref)) {
        const refPath = typeof spec.layers[i].inputs === 'string' || spec.layers[i].inputs === undefined ? ['layers', i, 'inputs'] : ['layers', i, 'inputs', k];
        throw new ConvlensError('UNKNOWN_INPUT', `layer '${l.name}': input '${ref}' is neither a graph input nor a layer`, {
          path: jsonPath(refPath),
          layer: l.name,
        });
      }
    });
  });
  spec.outputs?.forEach((o, k) => {
    if (!seen.has(o)) throw new ConvlensError('UNKNOWN_INPUT', `output '${o}' is neither a graph input nor a layer`, { path: jsonPath(['outputs', k]) });
  });

  for (const field of ['functional', 'subclassed'] as const) {
    (spec[field] ?? []).forEach((f, k) => {
      if (!layers.some((l) => l.name === f)) throw new ConvlensError('UNKNOWN_INPUT', `${field} names '${f}', which is no layer`, { path: jsonPath([field, k]) });
    });
  }
  // a function call has no module, so no class to subclass
  (spec.subclassed ?? []).forEach((f, k) => {
    if (spec.functional?.includes(f)) throw new ConvlensError('SPEC_INVALID', `subclassed names '${f}', which functional names too: a function call has no module class`, { path: jsonPath(['subclassed', k]), layer: f });
  });
  return {
    name: spec.name,
    inputs,
    layers,
    outputs: spec.outputs ?? null,
    constants: new Map(),
    ...(spec.functional?.length && { functional: [...spec.functional] }),
    ...(spec.subclassed?.length && { subclassed: [...spec.subclassed] }),
  };
}
