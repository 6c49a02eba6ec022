/**
 * Fuzzing ONNX constant folding: graphs written with test/graph/onnx-builder.ts whose shape
 * subgraphs (Shape, Gather, Concat, Unsqueeze, Squeeze, Slice, arithmetic, Cast, Reshape, Expand,
 * Tile, ConstantOfShape, Range) compute on constants with random values: huge (2^31, 2^53 + 1,
 * ±2^62, -2^63), negative, fractional (float constants: 2.5, 1e300, NaN, ∞), empty (dims [0]),
 * scalars and matrices; and Concat chains that double a constant at every step. Their results feed
 * Reshape, Expand, Tile, Slice, Pad, Resize, Split, Gather and ConstantOfShape of the input.
 * Properties:
 *   - import + analysis in a worker thread with a 256 MB heap: a report or a 4xx catalog error,
 *     within 1.5 s, never out of memory (folding is bounded in time and memory);
 *   - POST /v1/analyze with the file, and POST /v1/run with it and an input (the runtime evaluates
 *     the shape subgraph on tensors), through the pool: a 2xx or a catalog 4xx, never a 5xx. Half
 *     the models there are shaped like torch.onnx.export's (flatten, channel shuffle, a sliced
 *     shape), their constants mostly right and now and then odd, so most of them run.
 */
import { Worker } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { onnxModel } from '../graph/onnx-builder.js';
import type { InitSpec, NodeSpec } from '../graph/onnx-builder.js';
import { TIMEOUT, check, deadline, expectCatalogAnswer, fuzzApp, runs, surveySummary, violation } from './fuzz.js';

const FILE = 'test/fuzz/onnx-folding.test.ts';
const HEAP_MB = 256;
const FOLD_MS = 1_500;

// ---- graphs ----

/** An int64 value: decimal strings keep values beyond 2^53 exact (the builder writes them with BigInt). */
type Int = number | string;
const intValue: fc.Arbitrary<Int> = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: -3, max: 8 }) },
  { weight: 2, arbitrary: fc.constantFrom<Int>(0, -1, 64, 1000) },
  { weight: 2, arbitrary: fc.constantFrom<Int>(2 ** 31, 2 ** 32 + 1, '9007199254740993', '4611686018427387904', '-4611686018427387904', '-9223372036854775808', '9223372036854775807') },
);
const floatValue = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2, -1, 3) }, { weight: 3, arbitrary: fc.constantFrom(2.5, 0.5, -1.5, 1e300, -1e300, Number.NaN, Infinity, -Infinity, 1e-300) });

const constDims = fc.oneof({ weight: 6, arbitrary: fc.tuple(fc.integer({ min: 1, max: 4 })).map((d) => [...d]) }, { weight: 2, arbitrary: fc.constant<number[]>([]) }, { weight: 2, arbitrary: fc.constant([0]) }, { weight: 1, arbitrary: fc.constant([2, 2]) });

interface Const {
  dims: number[];
  type: 'int64' | 'float';
  data: (number | string)[];
}
const constant: fc.Arbitrary<Const> = fc.tuple(constDims, fc.boolean(), fc.nat()).chain(([d, float, k]) => {
  const dims = [...d];
  const n = dims.reduce((a, b) => a * b, 1);
  return (float && k % 3 === 0 ? fc.array(floatValue, { minLength: n, maxLength: n }) : fc.array(intValue, { minLength: n, maxLength: n })).map((data) => ({ dims, type: float && k % 3 === 0 ? ('float' as const) : ('int64' as const), data }));
});

/** A step of the shape subgraph: an op, which earlier values it reads (indices into the pool, mod its size), its attributes and constants. */
interface Step {
  op: string;
  reads: number[];
  consts: Const[];
  axis: number;
  to: number;
  arity: number;
}
const SHAPE_OPS = ['Gather', 'Concat', 'Unsqueeze', 'Squeeze', 'Slice', 'Add', 'Sub', 'Mul', 'Div', 'Cast', 'Expand', 'Reshape', 'Tile', 'ConstantOfShape', 'Range', 'Identity', 'Shape'] as const;
const step: fc.Arbitrary<Step> = fc.record({
  op: fc.constantFrom(...SHAPE_OPS),
  reads: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
  consts: fc.array(constant, { minLength: 4, maxLength: 4 }),
  axis: fc.constantFrom(0, 0, 0, -1, 1, 3, -9),
  to: fc.constantFrom(7, 7, 1, 6, 11, 9, 8, 0, 10),
  arity: fc.integer({ min: 1, max: 4 }),
});

/** What uses the folded value on the real input x: the value as a shape, starts, pads, sizes, splits or indices. */
const SINKS = ['Reshape', 'Expand', 'Tile', 'Slice', 'Pad', 'Resize', 'Split', 'Gather', 'ConstantOfShape'] as const;

interface GraphCase {
  x: number[];
  opset: number;
  shapeStart: number | null;
  steps: Step[];
  /** Concat(v, v) repeated: the constant's length doubles `depth` times. */
  doubling: { length: number; depth: number } | null;
  sink: (typeof SINKS)[number];
  sinkReads: number[];
  asNodes: boolean;
}

const graphCase = (maxDepth: number): fc.Arbitrary<GraphCase> =>
  fc.record({
    x: fc.tuple(fc.constant(1), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })).map((t) => [...t]),
    opset: fc.constantFrom(13, 13, 15, 18),
    shapeStart: fc.option(fc.integer({ min: -5, max: 5 }), { freq: 4 }),
    steps: fc.array(step, { minLength: 1, maxLength: 7 }),
    doubling: fc.option(fc.record({ length: fc.integer({ min: 1, max: 64 }), depth: fc.integer({ min: 1, max: maxDepth }) }), { freq: 4 }),
    sink: fc.constantFrom(...SINKS),
    sinkReads: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
    asNodes: fc.boolean(),
  });

/** The densest corner: one step reading Shape(x) and its constants, feeding a sink. */
const oneStep: fc.Arbitrary<GraphCase> = fc
  .record({ x: fc.tuple(fc.constant(1), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })), st: step, sink: fc.constantFrom(...SINKS) })
  .map(({ x, st, sink }) => ({ x: [...x], opset: 13, shapeStart: null, steps: [{ ...st, reads: [0] }], doubling: null, sink, sinkReads: [1, 1, 1], asNodes: false }));

/**
 * Shape subgraphs as torch.onnx.export writes them, their constants right or (one time in four) odd:
 *   flatten   Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1]))
 *   shuffle   Reshape(Transpose(Reshape(x, Concat(n, [g], [C/g], h, w)), perm), Shape(x))
 *   slice     Reshape(x, Concat([1, C], Slice(Shape(x), [2], [4])))
 */
const odd = <T>(right: T, wrong: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: fc.constant(right) }, { weight: 1, arbitrary: wrong });
const oddInt = fc.constantFrom<Int>(-1, -5, 0, 4, 7, 2 ** 31, '9223372036854775807', '-9223372036854775808');
const exportLike: fc.Arbitrary<{ bytes: Uint8Array; x: number[]; what: string }> = fc
  .record({
    kind: fc.constantFrom('flatten', 'shuffle', 'slice'),
    x: fc.tuple(fc.constant(1), fc.constantFrom(2, 4, 6), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
    index: odd<Int>(0, oddInt),
    rest: odd<Int>(-1, oddInt),
    groups: odd<Int>(2, oddInt),
    starts: odd<Int>(2, oddInt),
    ends: odd<Int>(4, oddInt),
    perm: odd<number[]>([0, 2, 1, 3, 4], fc.constantFrom<number[]>([0, 1, 2, 3], [4, 3, 2, 1, 0], [0, 0, 1, 2, 3], [0, 2, 1, 3, 9])),
    float: fc.constantFrom(false, false, false, true),
  })
  .map((p) => {
    const [n, c] = p.x;
    const int = (name: string, data: Int[], dims = [data.length]): InitSpec => ({ name, dims, type: p.float ? 'float' : 'int64', data: (p.float ? data.map((v) => Number(v) + 0.5) : data) as number[] });
    const nodes: NodeSpec[] = [{ op: 'Shape', inputs: ['x'], outputs: ['s'] }];
    const initializers: InitSpec[] = [];
    if (p.kind === 'flatten') {
      initializers.push(int('i', [p.index], []), int('ax', [0]), int('rest', [p.rest]));
      nodes.push(
        { op: 'Gather', inputs: ['s', 'i'], outputs: ['n'], attrs: { axis: { i: 0 } } },
        { op: 'Unsqueeze', inputs: ['n', 'ax'], outputs: ['nu'] },
        { op: 'Concat', inputs: ['nu', 'rest'], outputs: ['shape'], attrs: { axis: { i: 0 } } },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
      );
    } else if (p.kind === 'shuffle') {
      const g = Number(p.groups);
      initializers.push(int('i0', [p.index], []), int('i2', [2], []), int('i3', [3], []), int('ax', [0]), int('g', [p.groups]), int('cg', [Number.isFinite(g) && g !== 0 ? Math.trunc(c / g) : c]));
      nodes.push(
        { op: 'Gather', inputs: ['s', 'i0'], outputs: ['n'], attrs: { axis: { i: 0 } } },
        { op: 'Gather', inputs: ['s', 'i2'], outputs: ['h'], attrs: { axis: { i: 0 } } },
        { op: 'Gather', inputs: ['s', 'i3'], outputs: ['w'], attrs: { axis: { i: 0 } } },
        ...['n', 'h', 'w'].map((v) => ({ op: 'Unsqueeze', inputs: [v, 'ax'], outputs: [`${v}u`] })),
        { op: 'Concat', inputs: ['nu', 'g', 'cg', 'hu', 'wu'], outputs: ['shape5'], attrs: { axis: { i: 0 } } },
        { op: 'Reshape', inputs: ['x', 'shape5'], outputs: ['r5'] },
        { op: 'Transpose', inputs: ['r5'], outputs: ['t5'], attrs: { perm: { ints: p.perm } } },
        { op: 'Reshape', inputs: ['t5', 's'], outputs: ['y'] },
      );
    } else {
      initializers.push(int('st', [p.starts]), int('en', [p.ends]), int('ax', [0]), int('nc', [n, c]));
      nodes.push(
        { op: 'Slice', inputs: ['s', 'st', 'en', 'ax'], outputs: ['hw'] },
        { op: 'Concat', inputs: ['nc', 'hw'], outputs: ['shape'], attrs: { axis: { i: 0 } } },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
      );
    }
    nodes.push({ op: 'Relu', inputs: ['y'], outputs: ['out'] });
    const bytes = onnxModel({ inputs: [{ name: 'x', shape: [...p.x] }], outputs: ['out'], nodes, initializers, opset: 13 });
    return { bytes, x: [...p.x], what: JSON.stringify(p) };
  });

function build(c: GraphCase): Uint8Array {
  const nodes: NodeSpec[] = [];
  const initializers: InitSpec[] = [];
  let serial = 0;
  const fresh = (p: string) => `${p}${serial++}`;
  /** A constant, as an initializer or a Constant node. */
  const put = (k: Const): string => {
    const name = fresh('k');
    const spec = { dims: k.dims, data: k.data as number[], type: k.type };
    if (c.asNodes) nodes.push({ op: 'Constant', inputs: [], outputs: [name], attrs: { value: { t: spec } } });
    else initializers.push({ name, ...spec });
    return name;
  };
  const pool: string[] = [];
  const s0 = fresh('s');
  nodes.push({ op: 'Shape', inputs: ['x'], outputs: [s0], attrs: c.opset >= 15 && c.shapeStart !== null ? { start: { i: c.shapeStart } } : {} });
  pool.push(s0);
  if (c.doubling) {
    let v = put({ dims: [c.doubling.length], type: 'int64', data: Array.from({ length: c.doubling.length }, (_, i) => (i % 5) + 1) });
    for (let i = 0; i < c.doubling.depth; i++) {
      const out = fresh('d');
      nodes.push({ op: 'Concat', inputs: [v, v], outputs: [out], attrs: { axis: { i: 0 } } });
      v = out;
    }
    pool.push(v);
  }
  const pick = (i: number) => pool[i % pool.length];
  for (const st of c.steps) {
    const a = pick(st.reads[0]);
    const k = (i: number) => put(st.consts[i]);
    const out = fresh('v');
    const node = (inputs: string[], attrs: NodeSpec['attrs'] = {}) => nodes.push({ op: st.op, inputs, outputs: [out], attrs });
    switch (st.op) {
      case 'Gather':
        node([a, st.reads.length > 1 ? pick(st.reads[1]) : k(0)], { axis: { i: st.axis } });
        break;
      case 'Concat':
        node(Array.from({ length: st.arity }, (_, i) => (i < st.reads.length ? pick(st.reads[i]) : k(i))), { axis: { i: st.axis } });
        break;
      case 'Unsqueeze':
      case 'Squeeze':
        node([a, k(0)]);
        break;
      case 'Slice':
        node([a, k(0), k(1), ...(st.arity > 2 ? [k(2)] : []), ...(st.arity > 3 ? [k(3)] : [])]);
        break;
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
        node([a, st.reads.length > 1 ? pick(st.reads[1]) : k(0)]);
        break;
      case 'Cast':
        node([a], { to: { i: st.to } });
        break;
      case 'Expand':
      case 'Reshape':
      case 'Tile':
        node([a, st.reads.length > 1 ? pick(st.reads[1]) : k(0)]);
        break;
      case 'Range':
        node([k(0), k(1), k(2)]);
        break;
      default:
        node([a]);
    }
    pool.push(out);
  }
  const v = pool[pool.length - 1];
  const r = (i: number) => pick(c.sinkReads[i]);
  const sinkInputs: Record<(typeof SINKS)[number], string[]> = {
    Reshape: ['x', v],
    Expand: ['x', v],
    Tile: ['x', v],
    Slice: ['x', v, r(1), r(2)],
    Pad: ['x', v],
    Resize: ['x', '', '', v],
    Split: ['x', v],
    Gather: ['x', v],
    ConstantOfShape: [v],
  };
  nodes.push({ op: c.sink, inputs: sinkInputs[c.sink], outputs: ['y'] });
  nodes.push({ op: 'Relu', inputs: ['y'], outputs: ['out'] });
  return onnxModel({ inputs: [{ name: 'x', shape: c.x }], outputs: ['out'], nodes, initializers, opset: c.opset });
}

const describeCase = (c: GraphCase) => JSON.stringify(c, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));

// ---- the capped worker ----

interface FoldAnswer {
  outcome: 'ok' | 'catalog' | 'threw';
  ms: number;
  heapMB: number;
  code?: string;
  status?: number;
  name?: string;
  message?: string;
  stack?: string;
}

class Folder {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private serial = 0;

  private start(): Promise<void> {
    const w = new Worker(new URL('./onnx-fold-worker.mjs', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: HEAP_MB, maxYoungGenerationSizeMb: 32 } });
    this.worker = w;
    return new Promise((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
  }

  /** The worker's answer, or what became of it: out of memory, a crash, or no answer in time (then it is replaced). */
  async fold(bytes: Uint8Array, ms: number): Promise<FoldAnswer | { outcome: 'oom' | 'crash' | 'hang'; message: string }> {
    if (!this.worker) this.ready = this.start();
    await this.ready;
    const w = this.worker!;
    const id = ++this.serial;
    return new Promise((resolve) => {
      const done = (a: FoldAnswer | { outcome: 'oom' | 'crash' | 'hang'; message: string }) => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        resolve(a);
      };
      const replace = () => {
        this.worker = null;
        void w.terminate();
      };
      const onMessage = (m: FoldAnswer & { id: number }) => m.id === id && done(m);
      const onError = (e: Error & { code?: string }) => {
        replace();
        done({ outcome: e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'oom' : 'crash', message: `${e.code ?? ''} ${e.message}` });
      };
      const timer = setTimeout(() => {
        replace();
        done({ outcome: 'hang', message: `no answer in ${ms} ms` });
      }, ms);
      w.on('message', onMessage);
      w.once('error', onError);
      w.postMessage({ id, bytes });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}

const folder = new Folder();

/** A report or a 4xx catalog error, within FOLD_MS, in the capped worker. */
async function foldsWithinBounds(c: GraphCase): Promise<void> {
  const bytes = build(c);
  // the limit checked is FOLD_MS, measured in the worker; past twice that it is a hang
  const a = await folder.fold(bytes, 2 * FOLD_MS);
  const what = `${bytes.length}-byte model ${describeCase(c)}`;
  if (a.outcome === 'oom' || a.outcome === 'crash' || a.outcome === 'hang') {
    violation(`folding ${a.outcome}${c.doubling ? ` (doubling concat, depth ${c.doubling.depth > 20 ? '>20' : '≤20'})` : ''}`, `${a.outcome}: ${a.message}\n${what}`);
    return;
  }
  if (a.outcome === 'threw') violation(`threw ${a.name}: ${a.message?.slice(0, 80)}`, `${a.stack}\n${what}`);
  else if (a.outcome === 'catalog' && (a.status! < 400 || a.status! >= 500)) violation(`catalog ${a.code} ${a.status}`, `${a.code}: ${a.message}\n${what}`);
  if ('ms' in a && a.ms > FOLD_MS) violation(`slow folding (${c.doubling ? 'doubling concat' : c.sink})`, `${a.ms.toFixed(0)} ms, ${a.heapMB.toFixed(0)} MB: ${what}`);
}
afterAll(async () => {
  surveySummary(FILE);
  await folder.close();
});

describe('ONNX shape subgraphs with random constants', () => {
  it(`import and analysis in a ${HEAP_MB} MB worker: a report or a 4xx catalog error, within ${FOLD_MS} ms, never out of memory`, { timeout: TIMEOUT }, async () => {
    await check(
      fc.asyncProperty(graphCase(32), foldsWithinBounds),
      { numRuns: runs(300) },
      FILE,
    );
  });

  it('one op on Shape(x) and a constant (every op, every odd value): the same', { timeout: TIMEOUT }, async () => {
    await check(
      fc.asyncProperty(oneStep, foldsWithinBounds),
      { numRuns: runs(200) },
      FILE,
    );
  });
});

describe('ONNX shape subgraphs through POST /v1/analyze and POST /v1/run', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await fuzzApp({ BODY_LIMIT: String(4 << 20), TASK_TIMEOUT_MS: '5000' });
  });
  afterAll(async () => app.close());

  const B = 'onnxFuzzBoundary';
  /** /v1/run's form: the model file and an input of x's shape (the runtime evaluates the shape subgraph on tensors). */
  const runForm = (bytes: Uint8Array, x: number[]) =>
    Buffer.concat([
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="model"; filename="m.onnx"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      bytes,
      Buffer.from(`\r\n--${B}\r\nContent-Disposition: form-data; name="request"\r\n\r\n`),
      Buffer.from(JSON.stringify({ inputs: { x: { shape: x, data: Array.from({ length: x.reduce((a, b) => a * b, 1) }, (_, i) => (i % 7) - 3) } }, weightInit: 'seed' })),
      Buffer.from(`\r\n--${B}--\r\n`),
    ]);
  const model = fc.oneof(
    { weight: 2, arbitrary: fc.oneof(graphCase(10), oneStep).map((c) => ({ bytes: build(c), x: c.x, what: describeCase(c) })) },
    { weight: 3, arbitrary: exportLike },
  );

  it('a 2xx or a catalog 4xx, never a 5xx (models that fold within the capped worker: the pool has no heap cap)', { timeout: TIMEOUT }, async () => {
    await check(
      fc.asyncProperty(model, fc.constantFrom('analyze', 'run'), async (m, route) => {
        // a model whose folding runs away is the property above's finding; here it would exhaust the test process
        const alone = await folder.fold(m.bytes, 2 * FOLD_MS);
        fc.pre(alone.outcome === 'ok' || alone.outcome === 'catalog');
        const what = `POST /v1/${route} ${m.bytes.length}-byte model ${m.what}`;
        const req =
          route === 'analyze'
            ? { url: '/v1/analyze', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from(m.bytes) }
            : { url: '/v1/run', headers: { 'content-type': `multipart/form-data; boundary=${B}` }, payload: runForm(m.bytes, m.x) };
        const res = await deadline(app.inject({ method: 'POST', ...req }), 10_000, what);
        expectCatalogAnswer(res, what);
      }),
      { numRuns: runs(150), maxSkipsPerRun: 1000 },
      FILE,
    );
  });
});
