/**
 * ONNX If and Loop, inlined: the importer sees one flat list of nodes. Subgraph tensors are
 * renamed `<node>/then/<name>`, `<node>/else/<name>`, `<node>/<iteration>/<name>` so they cannot
 * collide; names a subgraph reads from the enclosing graphs keep resolving there.
 *
 *   If     a condition that is a constant (initializer or Constant node) inlines the branch it
 *          picks, its outputs renamed to the If's by Identity nodes: exact. Any other condition
 *          inlines both branches and an ifSelect (ops/control.ts) that picks at run time; the
 *          analysis then counts both (an upper bound) and says so.
 *   Loop   a constant trip count M (≤ MAX_UNROLL) unrolls the body M times: iteration i reads
 *          iteration i − 1's loop-carried values, its iteration number as a constant, and its
 *          scan outputs are stacked on a new first axis (Unsqueeze, Concat). An M ≤ 0 (a constant,
 *          or folded from shapes) or a constant false condition runs no iteration (ONNX Runtime: while (i < M && cond)):
 *          the loop-carried outputs are the initial values (Identity); with a scan output, the
 *          loop is kept whole with M = 0 (ops/loop.ts), its scan [0, …] of the body's shape for
 *          the initial values, as ONNX Runtime gives it. A body that
 *          computes its own condition may stop early: the unrolled loop is its upper bound and
 *          loopContinue guards carry the values between iterations (a DATA_DEPENDENT_SHAPE
 *          warning; a run that would stop early refuses). A trip count computed from shapes
 *          (Gather(Shape(boxes), 0)) is unrolled once the analysis has folded it (import.ts
 *          imports again with the value), with a DATA_DEPENDENT_SHAPE warning: a shape may be the
 *          bound of a data-dependent size. Any other computed trip count, or a loop without one
 *          (a while loop), cannot be unrolled: the node stays unsupported with the reason, and
 *          the report is incomplete rather than failed.
 * Sequences that the inlined graph builds by constant steps (an unrolled Loop's SequenceInserts:
 * torch's tensor_split) are then resolved to their tensors (sequences.ts).
 * Other nodes carrying subgraphs (Scan, SequenceMap) stay as they are: unsupported.
 */
import type { AttributeProto, GraphProto, NodeProto, TensorProto } from './proto.js';
import { toConstant } from './constants.js';
import { checkIfArity, checkLoopArity, checkTripCount } from './node-checks.js';
import { resolveSequences } from './sequences.js';
import { nodeOutputType } from './node-types.js';
import type { FieldSource } from './file-fields.js';
import { dtypeOfOnnx } from '../../tensor/dtype.js';
import type { DataType } from '../../tensor/dtype.js';

/** Most iterations a Loop is unrolled to, and most nodes inlining may add in all. */
export const MAX_UNROLL = 256;
export const MAX_INLINED_NODES = 20_000;

export interface FlatNode {
  node: NodeProto;
  /** JSONPath of the node in the file: a branch's or body's node is under its AttributeProto's g ($.graph.node[3].attribute[0].g.node[0]) */
  path: string;
  /**
   * The file's node at `path` (its inputs and outputs renamed as here) when `node` is one the import
   * writes in its place: an If's output Identity and IfSelect, an unrolled Loop's guards, final
   * Identity, scan Unsqueeze and Concat, a Loop run whole, a resolved sequence's Split, Concat or
   * Identity (sequences.ts). Errors name that node's fields (file-fields.ts), never `node`'s own.
   */
  file?: NodeProto;
  /** a node left as it is, and why (a Loop convlens cannot unroll) */
  unsupported?: string;
  /** the field of the node that reason is about (a computed trip count: input 0), where a run refuses it; absent: the node */
  unsupportedAt?: FieldSource;
  /** a Loop kept whole to run iteration by iteration (ops/loop.ts): its body, and what the body reads from the enclosing graphs */
  loop?: LoopNode;
  /** an If's selection (IfSelect): the nodes each branch inlined, by name */
  branches?: { then: string[]; else: string[] };
}

/** A Loop run at run time: the body, the names it reads from outside (its inputs after the carried values) and their element types. */
export interface LoopNode {
  body: GraphProto;
  /** names as the body reads them; the node's inputs after [M, cond, v₁ … vₖ] are their names outside */
  captured: string[];
  capturedTypes: DataType[];
  /** constants the body reads from outside (initializers, Constant nodes), under the body's names */
  constants: TensorProto[];
}

export interface Flattened {
  nodes: FlatNode[];
  /** trip-count tensors of Loops left unsupported because M is computed (their final names) */
  computedTripCounts: string[];
  /** initializers of the inlined subgraphs (renamed), and constants made here (iteration numbers, axes) */
  initializers: TensorProto[];
  /** Loops unrolled: their node names (their layers are `<name>/<iteration>/…`) and trip-count tensors */
  unrolled: { name: string; tripCount: string }[];
  /** Element types by final name, as ONNX's type inference gives them for the ops that change types (node-types.ts nodeOutputType) */
  types: ReadonlyMap<string, DataType>;
}

/** The subgraph of an attribute (protobufjs decodes AttributeProto.g; proto.ts does not declare it). */
function subgraph(node: NodeProto, name: string): GraphProto | undefined {
  return (node.attribute.find((a) => a.name === name) as (AttributeProto & { g?: GraphProto }) | undefined)?.g ?? undefined;
}

/** Where the file holds that subgraph, under the node's path: the AttributeProto's field g (`.attribute[1].g`), as onnx.proto writes it. */
export const subgraphPath = (node: NodeProto, name: string, path: string) => `${path}.attribute[${node.attribute.findIndex((a) => a.name === name)}].g`;

const isDefault = (d: string | null | undefined) => !d || d === 'ai.onnx';

function int64Tensor(name: string, dims: number[], values: number[]): TensorProto {
  const raw = new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
  return { name, dims, dataType: 7, rawData: raw, floatData: [], int32Data: [], int64Data: [], doubleData: [] } as unknown as TensorProto;
}

function boolTensor(name: string, value: boolean): TensorProto {
  return { name, dims: [], dataType: 9, rawData: new Uint8Array([value ? 1 : 0]), floatData: [], int32Data: [], int64Data: [], doubleData: [] } as unknown as TensorProto;
}

const node = (opType: string, input: string[], output: string[], name: string, domain = '', attribute: AttributeProto[] = []): NodeProto =>
  ({ opType, input, output, name, domain, attribute }) as NodeProto;

/**
 * `tripCounts`: values of computed trip counts that the analysis folded from shapes (a second
 * import pass, import.ts); such loops are unrolled to that count, and say so.
 */
export function flattenControlFlow(
  g: GraphProto,
  opset: number,
  tripCounts: ReadonlyMap<string, number> = new Map(),
  runtime: ReadonlySet<string> = new Set(),
  refused: ReadonlyMap<string, string> = new Map(),
): Flattened {
  const types = new Map<string, DataType>();
  const out: Flattened = { nodes: [], initializers: [], computedTripCounts: [], unrolled: [], types };
  // the values of constants seen so far (initializers and Constant nodes), by their final name
  const tensors = new Map<string, TensorProto>();
  for (const t of g.initializer) tensors.set(t.name, t);
  // element types by final name: the loops' enclosing tensors (loop-body.ts folds integers), integer Div (map-node.ts)
  for (const v of g.input) types.set(v.name, dtypeOfOnnx(v.type?.tensorType?.elemType ?? 1));
  for (const t of g.initializer) types.set(t.name, dtypeOfOnnx(t.dataType));
  // the types the file declares for the graph's outputs and intermediate tensors (value_info), which outrank nodeOutputType's
  const declared = new Map<string, DataType>();
  for (const v of [...(g.valueInfo ?? []), ...g.output]) if (v.type?.tensorType?.elemType) declared.set(v.name, dtypeOfOnnx(v.type.tensorType.elemType));
  let added = 0;

  const scalar = (name: string): number | undefined => {
    const t = tensors.get(name);
    if (!t) return undefined;
    const c = toConstant(t, name, true, { left: 16 });
    return c.value && c.value.data.length === 1 ? c.value.data[0] : undefined;
  };

  const ints = (name: string): { values: number[]; rank: number } | undefined => {
    const t = tensors.get(name);
    if (!t || t.dims.length > 1) return undefined;
    const c = toConstant(t, name, true, { left: 1024 });
    return c.value?.integer ? { values: [...c.value.data], rank: t.dims.length } : undefined;
  };

  function walk(graph: GraphProto, scope: Map<string, string>, prefix: string, base: string): Map<string, string> {
    const local = new Map(scope);
    const rename = (n: string) => (n === '' ? '' : (local.get(n) ?? n));
    const fresh = (n: string) => {
      const r = prefix ? `${prefix}/${n}` : n;
      local.set(n, r);
      return r;
    };
    if (prefix) {
      for (const t of graph.initializer) {
        const renamed = { ...t, name: fresh(t.name) } as TensorProto;
        out.initializers.push(renamed);
        tensors.set(renamed.name, renamed);
      }
    }
    graph.node.forEach((n, i) => {
      const path = `${base}.node[${i}]`;
      const ins = n.input.map(rename);
      const name = prefix ? `${prefix}/${n.name || `${n.opType}_${i}`}` : n.name;
      if (++added > MAX_INLINED_NODES) throw new RangeError('inlining limit');
      if (isDefault(n.domain) && n.opType === 'If') return expandIf(n, ins, name || `If_${i}`, path, local, fresh);
      if (isDefault(n.domain) && n.opType === 'Loop') return expandLoop(n, ins, name || `Loop_${i}`, path, local, fresh);
      const outs = n.output.map((o) => (o === '' ? '' : fresh(o)));
      outs.forEach((o, k) => o && types.set(o, (!prefix && declared.get(o)) || nodeOutputType(n, k, ins.map((r) => types.get(r)))));
      const flat = node(n.opType, ins, outs, name, n.domain, n.attribute);
      if (n.opType === 'Constant' && isDefault(n.domain)) {
        const t = n.attribute.find((a) => a.name === 'value')?.t;
        if (t) tensors.set(outs[0], t);
      }
      out.nodes.push({ node: flat, path });
    });
    return local;
  }

  function expandIf(n: NodeProto, ins: string[], name: string, path: string, scope: Map<string, string>, fresh: (o: string) => string): void {
    const thenG = subgraph(n, 'then_branch');
    const elseG = subgraph(n, 'else_branch');
    const outs = n.output.map((o) => fresh(o));
    const file = node(n.opType, ins, outs, name, n.domain, n.attribute);
    if (!thenG || !elseG) {
      out.nodes.push({ node: file, path, unsupported: 'an If without both branches' });
      return;
    }
    checkIfArity(n, { then: thenG, else: elseG }, name, path);
    const inlined: Record<string, string[]> = { then: [], else: [] };
    const branch = (g: GraphProto, tag: 'then' | 'else') => {
      const from = out.nodes.length;
      const s = walk(g, scope, `${name}/${tag}`, subgraphPath(n, `${tag}_branch`, path));
      inlined[tag] = out.nodes.slice(from).map((f) => f.node.name);
      return g.output.map((o) => s.get(o.name) ?? o.name);
    };
    const cond = scalar(ins[0]);
    if (cond !== undefined) {
      const res = branch(cond !== 0 ? thenG : elseG, cond !== 0 ? 'then' : 'else');
      outs.forEach((o, k) => out.nodes.push({ node: node('Identity', [res[k]], [o], `${name}/output${k}`), path, file }));
      return;
    }
    const t = branch(thenG, 'then');
    const e = branch(elseG, 'else');
    out.nodes.push({ node: node('IfSelect', [ins[0], ...t, ...e], outs, name, 'convlens'), path, file, branches: { then: inlined.then, else: inlined.else } });
  }

  function expandLoop(n: NodeProto, ins: string[], name: string, path: string, scope: Map<string, string>, fresh: (o: string) => string): void {
    const body = subgraph(n, 'body');
    const outs = n.output.map((o) => (o === '' ? '' : fresh(o)));
    const file = node(n.opType, ins, outs, name, n.domain, n.attribute);
    // `at`: the input the reason is about (0 the trip count M, 1 the condition)
    const keep = (why: string, at?: number): void => void out.nodes.push({ node: file, path, unsupported: why, ...(at !== undefined && { unsupportedAt: at }) });
    // run no iteration (M ≤ 0, or a false initial condition): each loop-carried output is its initial
    // value; a scan output is empty, [0, …] of the body's scan output as one iteration would give it
    // (ONNX Runtime's): the loop is kept whole with a trip count of 0 (ops/loop.ts), which infers it
    const noIteration = (m: number | undefined): void => {
      const k = ins.length - 2;
      if (n.output.slice(k).some((o) => o !== '')) {
        // its trip count the file's M ≤ 0; a false condition's, 0
        if (m !== undefined && m < 1) return runtimeLoop(body!, file, name, path, scope);
        const zero = int64Tensor(`${name}/no_iteration`, [], [0]);
        out.initializers.push(zero);
        return runtimeLoop(body!, node(n.opType, [zero.name, ...ins.slice(1)], outs, name, n.domain, n.attribute), name, path, scope);
      }
      outs.slice(0, k).forEach((o, j) => o && out.nodes.push({ node: node('Identity', [ins[2 + j]], [o], `${name}/final${j}`), path, file }));
    };
    if (!body) return keep('a Loop without a body');
    checkLoopArity(n, body, name, path);
    if (ins[0] && refused.has(ins[0])) return keep(refused.get(ins[0])!, 0);
    if (ins[0] && runtime.has(ins[0])) return runtimeLoop(body, file, name, path, scope);
    const initialCond = ins[1] ? scalar(ins[1]) : 1;
    const constant = ins[0] ? scalar(ins[0]) : undefined;
    const fromShapes = constant === undefined && ins[0] ? tripCounts.get(ins[0]) : undefined;
    const m = constant ?? fromShapes;
    if (m !== undefined) checkTripCount(m, name, path);
    // no iteration (ONNX Runtime: while (i < M && cond)), with any M or none: the loop-carried values pass through as given;
    // so too an M folded from shapes to 0 or below (Gather(Shape(x), 0) − Gather(Shape(x), 1))
    if ((m !== undefined && m < 1) || initialCond === 0) return noIteration(m);
    if (m === undefined) {
      if (ins[0]) out.computedTripCounts.push(ins[0]);
      return ins[0] ? keep('its trip count M is computed, and not from shapes convlens can fold: the loop cannot be unrolled', 0) : keep('a loop without a trip count (a while loop) cannot be unrolled');
    }
    if (m > MAX_UNROLL) return keep(`a trip count of ${m}, over the ${MAX_UNROLL} iterations convlens unrolls`, 0);
    if (ins[1] && initialCond === undefined) return keep('its initial condition is computed, not a constant', 1);
    if (ins[0]) out.unrolled.push({ name, tripCount: ins[0] });
    const bodyPath = subgraphPath(n, 'body', path);
    const carried = ins.slice(2);
    const k = carried.length;
    const bodyIn = body.input.map((v) => v.name);
    const bodyOut = body.output.map((v) => v.name);
    // the body decides to stop when its condition output is anything but its condition input passed through
    const condPassed = (cOut: string, s: Map<string, string>) => cOut === bodyIn[1] || scalar(s.get(cOut) ?? cOut) === 1;
    let values = carried;
    const scans: string[][] = bodyOut.slice(1 + k).map(() => []);
    let cond = ins[1] ?? '';
    for (let it = 0; it < m; it++) {
      const prefix = `${name}/${it}`;
      const iter = int64Tensor(`${prefix}/iteration`, [], [it]);
      out.initializers.push(iter);
      tensors.set(iter.name, iter);
      let condIn = cond;
      if (!condIn) {
        const t = boolTensor(`${prefix}/cond`, true);
        out.initializers.push(t);
        tensors.set(t.name, t);
        condIn = t.name;
      }
      const s = new Map(scope);
      s.set(bodyIn[0], iter.name);
      if (bodyIn[1]) s.set(bodyIn[1], condIn);
      bodyIn.slice(2).forEach((v, j) => s.set(v, values[j]));
      const res = walk(body, s, prefix, bodyPath);
      const got = bodyOut.map((o) => res.get(o) ?? o);
      let next = got.slice(1, 1 + k);
      got.slice(1 + k).forEach((v, j) => scans[j].push(v));
      if (fromShapes !== undefined && it === 0 && next.length + scans.length > 0) {
        // a trip count folded from shapes (maybe the bound of a data-dependent size): a guard that says so
        const pass = next.length > 0 ? next : scans.map((sc) => sc[0]);
        const guarded = pass.map((v) => `${prefix}/shapes/${v}`);
        let condName = got[0];
        if (!condName || condPassed(bodyOut[0], res)) {
          const t = boolTensor(`${prefix}/true`, true);
          out.initializers.push(t);
          tensors.set(t.name, t);
          condName = t.name;
        }
        const attrs = [
          { name: 'outputs', type: 2, i: pass.length },
          { name: 'iteration', type: 2, i: 0 },
          { name: 'tripCount', type: 2, i: m },
          { name: 'fromShapes', type: 2, i: 1 },
        ] as unknown as AttributeProto[];
        out.nodes.push({ node: node('LoopContinue', [condName, ...pass], guarded, `${prefix}/trip-count`, 'convlens', attrs), path, file });
        if (next.length > 0) next = guarded;
        else scans.forEach((sc, j) => (sc[0] = guarded[j]));
      } else if (!condPassed(bodyOut[0], res) && it < m - 1 && next.length > 0) {
        // may stop early: the next iteration reads the values through a guard that refuses a false condition
        const guarded = next.map((v) => `${prefix}/continue/${v}`);
        const attrs = [
          { name: 'outputs', type: 2, i: next.length },
          { name: 'iteration', type: 2, i: it },
          { name: 'tripCount', type: 2, i: m },
        ] as unknown as AttributeProto[];
        out.nodes.push({ node: node('LoopContinue', [got[0], ...next], guarded, `${prefix}/continue`, 'convlens', attrs), path, file });
        next = guarded;
      }
      values = next;
      cond = got[0];
    }
    // final loop-carried values, then the scan outputs stacked on a new axis 0
    outs.slice(0, k).forEach((o, j) => o && out.nodes.push({ node: node('Identity', [values[j]], [o], `${name}/final${j}`), path, file }));
    outs.slice(k).forEach((o, j) => {
      if (!o) return;
      const axes = int64Tensor(`${name}/scan${j}/axes`, [1], [0]);
      out.initializers.push(axes);
      const parts = scans[j].map((v, it) => {
        const u = `${name}/scan${j}/${it}`;
        const attr = opset >= 13 ? [] : ([{ name: 'axes', type: 7, ints: [0] }] as unknown as AttributeProto[]);
        out.nodes.push({ node: node('Unsqueeze', opset >= 13 ? [v, axes.name] : [v], [u], u, '', attr), path, file });
        return u;
      });
      out.nodes.push({ node: node('Concat', parts, [o], `${name}/scan${j}`, '', [{ name: 'axis', type: 2, i: 0 } as unknown as AttributeProto]), path, file });
    });
  }

  /** The Loop kept whole (ops/loop.ts): its inputs, then the tensors its body reads from outside, constants handed over as they are. */
  function runtimeLoop(body: GraphProto, file: NodeProto, name: string, path: string, scope: Map<string, string>): void {
    const { input: ins, output: outs } = file;
    const carried = ins.slice(2);
    let cond = ins[1] ?? '';
    if (!cond) {
      const t = boolTensor(`${name}/cond`, true);
      out.initializers.push(t);
      cond = t.name;
    }
    const loop: LoopNode = { body, captured: [], capturedTypes: [], constants: [] };
    const outer: string[] = [];
    for (const free of freeNames(body)) {
      const renamed = scope.get(free) ?? free;
      const t = tensors.get(renamed);
      if (t) loop.constants.push({ ...t, name: free } as TensorProto);
      else {
        loop.captured.push(free);
        loop.capturedTypes.push(types.get(renamed) ?? 'float32');
        outer.push(renamed);
      }
    }
    // its outputs (the carried values' last, then the scans) have the body's outputs' types, after the
    // condition: a FLOAT16 body makes a FLOAT16 loop output, rounded and answered as float16 as any layer's
    outs.forEach((o, k) => {
      const declared = body.output[1 + k]?.type?.tensorType?.elemType;
      if (o) types.set(o, declared ? dtypeOfOnnx(declared) : (types.get(carried[k]) ?? 'float32'));
    });
    out.nodes.push({ node: node('RuntimeLoop', [ins[0], cond, ...carried, ...outer], outs, name, 'convlens'), path, file, loop });
  }

  try {
    walk(g, new Map(), '', '$.graph');
    // sequences built by constant steps (an unrolled loop's SequenceInserts) become lists of tensors
    resolveSequences({ nodes: out.nodes, initializers: out.initializers, types, opset, scalar, ints, outputs: g.output.map((o) => o.name), int64: int64Tensor, nodeBudget: { limit: MAX_INLINED_NODES, left: MAX_INLINED_NODES - added } });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    // too much to inline: the file's own nodes, control flow left unsupported
    return { nodes: g.node.map((n, i) => ({ node: n, path: `$.graph.node[${i}]`, ...(n.opType === 'If' || n.opType === 'Loop' ? { unsupported: `inlining its subgraphs would pass ${MAX_INLINED_NODES} nodes` } : {}) })), initializers: [], computedTripCounts: [], unrolled: [], types: new Map() };
  }
  return out;
}

/** Names a graph reads that neither it nor a subgraph in it defines (what a body reads from the enclosing graphs), in first-read order. */
export function freeNames(g: GraphProto): string[] {
  const defined = new Set<string>();
  const read: string[] = [];
  const visit = (h: GraphProto) => {
    for (const v of h.input) defined.add(v.name);
    for (const t of h.initializer) defined.add(t.name);
    for (const n of h.node) for (const o of n.output) defined.add(o);
    for (const n of h.node) {
      for (const r of n.input) if (r) read.push(r);
      for (const a of n.attribute) {
        const sub = (a as AttributeProto & { g?: GraphProto }).g;
        if (sub) visit(sub);
      }
    }
    for (const o of h.output) read.push(o.name);
  };
  visit(g);
  return [...new Set(read.filter((r) => !defined.has(r)))];
}
