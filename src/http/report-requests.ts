/**
 * POST /v1/compare and POST /v1/sweep requests into worker tasks (runtime/tasks.ts), checked the
 * same way on the event loop and, for a large JSON body, in a worker (offload-worker.ts).
 *
 * A network is a built-in model's name, a spec (bare, or `{ spec }`), `{ model, resolution }` or
 * `{ onnxBase64, inputShapes }`; in a multipart form an ONNX file is a file part (`old` and `new`
 * for a comparison, `model` for a sweep) and the JSON goes in the `request` field, where the same
 * key may give its `{ inputShapes }`. Errors name the path in the request (`$.old.model`).
 */
import { parseGates } from '../analysis/compare.js';
import type { CompareMetric } from '../analysis/compare.js';
import { planExtras } from '../analysis/extras.js';
import { AnalyzeOptionsSchema } from '../analysis/report.js';
import { ConvlensError, movePaths } from '../errors.js';
import { checkModel, requestSource } from '../graph/load.js';
import type { GraphSource } from '../graph/load.js';
import type { CompareTask, SweepTask } from '../runtime/tasks.js';
import { onnxFromBase64, transferable } from './body.js';
import { CompareOptions, CompareRequest, parseRequest, SweepRequest } from './requests.js';
import type { NetworkRef } from './requests.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/** A bare spec: it has inputs or layers, and none of the network keys. */
const isBareSpec = (v: unknown) => isObject(v) && ('inputs' in v || 'layers' in v) && !['spec', 'model', 'onnxBase64'].some((k) => k in v);


/** The paths of requestSource's errors are relative to the network's object: put them under `at`. */
function under<T>(at: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConvlensError) throw movePaths(e, (path) => (path.startsWith('$') ? at + path.slice(1) : path));
    throw e;
  }
}

/** One network from its JSON (`ref`, at `at`) and its file part, if any. */
function networkSource(ref: NetworkRef | undefined, file: Uint8Array | undefined, at: string, part: string, bare = false, fileName?: string): GraphSource {
  if (file) {
    const extra = isObject(ref) ? Object.keys(ref).find((k) => k !== 'inputShapes') : typeof ref === 'string' ? '' : undefined;
    if (extra !== undefined) {
      throw new ConvlensError('SPEC_INVALID', `give one network for ${at}: the file part '${part}' or ${at} in the request, not both (with the file, ${at} may only give { inputShapes })`, {
        path: extra ? `${at}.${extra}` : at,
      });
    }
    return { kind: 'onnx', bytes: transferable(file), inputShapes: (isObject(ref) ? ref.inputShapes : undefined) ?? {}, at: part, shapesAt: `${at}.inputShapes`, ...(fileName !== undefined && { fileName }) };
  }
  if (ref === undefined) throw new ConvlensError('SPEC_INVALID', `${at} is required: a built-in model's name, a spec, { model, resolution }, { onnxBase64 }, or a file part '${part}'`, { path: at });
  if (typeof ref === 'string') {
    checkModel(ref, at);
    return { kind: 'model', name: ref };
  }
  if (ref.model !== undefined) checkModel(ref.model, `${at}.model`);
  if (ref.inputShapes !== undefined && ref.onnxBase64 === undefined) {
    throw new ConvlensError('INVALID_OPTION', 'inputShapes applies to an ONNX file (onnxBase64 or a file part); a spec or built-in model has its own input shapes', { path: `${at}.inputShapes` });
  }
  const onnx = ref.onnxBase64 === undefined ? undefined : onnxFromBase64(ref.onnxBase64, `${at}.onnxBase64`);
  return under(at, () =>
    requestSource({ spec: ref.spec, specAt: bare ? at : `${at}.spec`, model: ref.model, resolution: ref.resolution, onnx, onnxAt: `${at}.onnxBase64`, inputShapes: ref.inputShapes, inputShapesAt: `${at}.inputShapes` }, `spec, model (a zoo name), onnxBase64, or a file part '${part}'`),
  );
}

/** File parts nobody reads: a 400 naming them. */
function onlyParts(files: Map<string, Uint8Array>, known: string[]): void {
  const stray = [...files.keys()].find((k) => !known.includes(k));
  if (stray !== undefined) {
    throw new ConvlensError('INVALID_OPTION', `file part '${stray}' not read: the file parts here are ${known.map((k) => `'${k}'`).join(' and ')}`, { path: stray, known });
  }
}

/** An ONNX source's shapes: its own, else the query's (`?input=`, both networks of a comparison). */
function withShapes(source: GraphSource, shapes: Record<string, number[]>): GraphSource {
  return source.kind === 'onnx' && Object.keys(source.inputShapes).length === 0 ? { ...source, inputShapes: shapes, shapesAt: 'query.input' } : source;
}

/** `?input` that no network here reads (no ONNX file, or each has its own inputShapes) is refused, not ignored. */
function shapesRead(shapes: Record<string, number[]>, sources: GraphSource[]): void {
  const keys = Object.keys(shapes);
  if (keys.length === 0 || sources.some((s) => s.kind === 'onnx' && s.inputShapes === shapes)) return;
  const key = keys[0] === '' ? 'input' : `input.${keys[0]}`;
  const why = sources.some((s) => s.kind === 'onnx') ? 'each ONNX file here has its own inputShapes' : 'a spec or built-in model has its own input shapes';
  throw new ConvlensError('INVALID_OPTION', `?${key} applies to an ONNX file without inputShapes; ${why}`, { path: `query.${key}` });
}

export function compareRequest(fields: Record<string, unknown>, files: Map<string, Uint8Array>, shapes: Record<string, number[]> = {}, fileNames: ReadonlyMap<string, string> = new Map()): CompareTask {
  onlyParts(files, ['old', 'new']);
  // a bare spec is read as { spec }, its errors at its own place: $.new.layers[0], not $.new.spec.layers[0]
  const bare = { old: isBareSpec(fields.old), new: isBareSpec(fields.new) };
  const wrapped = { ...fields, ...(bare.old && { old: { spec: fields.old } }), ...(bare.new && { new: { spec: fields.new } }) };
  const unwrap = (path: string) => path.replace(/^\$\.(old|new)\.spec(?=$|[.[])/, (whole, side: 'old' | 'new') => (bare[side] ? `$.${side}` : whole));
  let f: CompareRequest;
  try {
    f = parseRequest(CompareRequest, wrapped, { in: 'body' });
  } catch (e) {
    throw e instanceof ConvlensError ? movePaths(e, unwrap) : e;
  }
  const before = withShapes(networkSource(f.old, files.get('old'), '$.old', 'old', bare.old, fileNames.get('old')), shapes);
  const after = withShapes(networkSource(f.new, files.get('new'), '$.new', 'new', bare.new, fileNames.get('new')), shapes);
  shapesRead(shapes, [before, after]);
  const { memory, device, ...counting } = f.options ?? CompareOptions.parse({});
  // an unknown device is a 400 now, before two analyses run
  if (device !== undefined) planExtras({ device }, (k) => `$.options.${k}`);
  const limits = Object.fromEntries(Object.entries(f.gates ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])) as Partial<Record<CompareMetric, string>>;
  const gates = parseGates(limits, '$.gates');
  if (limits.latencySeconds !== undefined) latencyGateDevice(device !== undefined, 'options.device', '$.gates.latencySeconds');
  return { before, after, options: counting, memory: memory ?? false, ...(device !== undefined && { device }), gates, allowIncomplete: f.allowIncomplete };
}

export function sweepRequest(fields: Record<string, unknown>, files: Map<string, Uint8Array>, shapes: Record<string, number[]> = {}, fileNames: ReadonlyMap<string, string> = new Map()): SweepTask {
  onlyParts(files, ['model']);
  const f = parseRequest(SweepRequest, fields, { in: 'body' });
  const { sizes, input, device, inPlace, options, ...network } = f;
  const file = files.get('model');
  const given = Object.keys(network).filter((k) => (network as Record<string, unknown>)[k] !== undefined);
  const source = withShapes(networkSource(file && !given.length ? undefined : (network as NetworkRef), file, '$', 'model', false, fileNames.get('model')), shapes);
  shapesRead(shapes, [source]);
  if (device !== undefined) planExtras({ device }, (k) => `$.${k}`);
  return { source, options: options ?? AnalyzeOptionsSchema.parse({}), sweep: { sizes, ...(input !== undefined && { input }), ...(device !== undefined && { device }), inPlace } };
}

/**
 * A latency gate needs a device: without one neither report has a latency, and the gate could
 * only be unknown. REST and GraphQL refuse it alike (`device` names the field that gives one).
 */
export function latencyGateDevice(hasDevice: boolean, device: string, path: string): void {
  if (!hasDevice) throw new ConvlensError('INVALID_OPTION', `a latency gate needs ${device} (the latency is a roofline lower bound on a device: GET /v1/devices)`, { path });
}
