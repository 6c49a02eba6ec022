/**
 * Walks over the graph form: who produces each tensor, a topological order, the declared (or
 * implied) outputs and the layers an inference actually executes. All linear in layers + edges (the
 * order: times the log of the layers ready at once).
 */
import { ConvlensError } from '../errors.js';
import type { Graph, GraphLayer } from './graph.js';

/** The layer that writes each tensor. */
export function producers(graph: Graph): Map<string, GraphLayer> {
  const out = new Map<string, GraphLayer>();
  for (const l of graph.layers) for (const o of l.outputs) out.set(o, l);
  return out;
}

/**
 * Kahn's algorithm taking, of the layers whose inputs are all written, the earliest in the spec: the
 * spec's own order when it is one (a JSON spec's, an ONNX file's nodes: their order is topological),
 * else each layer as early as its inputs allow. A leftover layer is on a cycle.
 */
export function topologicalOrder(graph: Graph): GraphLayer[] {
  const producer = producers(graph);
  const pending = new Map<GraphLayer, number>();
  const readers = new Map<GraphLayer, GraphLayer[]>();
  for (const l of graph.layers) {
    const deps = new Set<GraphLayer>();
    for (const r of l.inputs) {
      const p = producer.get(r);
      if (p) deps.add(p);
    }
    for (const d of deps) {
      const list = readers.get(d);
      if (list) list.push(l);
      else readers.set(d, [l]);
    }
    pending.set(l, deps.size);
  }
  // the ready layer earliest in the spec next (a heap of spec indices), not the earliest made ready:
  // a queue listed ResNet's layer2.0 as conv1, downsample.0, bn1, downsample.1 … (both branches a
  // step each, breadth first), and ran it so; a spec already in order is now kept as it is
  const index = new Map(graph.layers.map((l, i) => [l, i]));
  const ready = new IndexHeap();
  graph.layers.forEach((l, i) => pending.get(l) === 0 && ready.push(i));
  const order: GraphLayer[] = [];
  while (ready.size > 0) {
    const l = graph.layers[ready.pop()];
    order.push(l);
    for (const r of readers.get(l) ?? []) {
      const left = pending.get(r)! - 1;
      pending.set(r, left);
      if (left === 0) ready.push(index.get(r)!);
    }
  }
  if (order.length !== graph.layers.length) {
    const stuck = new Set(graph.layers.filter((l) => pending.get(l)! > 0));
    const cycle = findCycle(stuck, producer);
    throw new ConvlensError('CYCLE', `layers form a cycle: ${cycle.map((l) => l.name).join(' → ')}`, {
      path: cycle[0].path,
      layer: cycle[0].name,
      cycle: cycle.map((l) => l.name),
    });
  }
  return order;
}

/**
 * Each layer's depth by name, over `order` (topological): 1 + the deepest layer it reads, 0 for a
 * tensor no layer in `order` writes; the longest path from the inputs, in layers. The final
 * feature map's tie between maps of one stride goes to the deeper (structure.ts, erf-task.ts,
 * warnings.ts), whatever the order the branches are listed in (DeepLabV3 lists its auxiliary head,
 * off layer3, after the classifier).
 */
export function layerDepths(order: readonly GraphLayer[]): Map<string, number> {
  const ofTensor = new Map<string, number>();
  const depths = new Map<string, number>();
  for (const l of order) {
    let before = 0;
    for (const r of l.inputs) before = Math.max(before, ofTensor.get(r) ?? 0);
    depths.set(l.name, before + 1);
    for (const o of l.outputs) ofTensor.set(o, before + 1);
  }
  return depths;
}

function findCycle(stuck: Set<GraphLayer>, producer: Map<string, GraphLayer>): GraphLayer[] {
  let cur = stuck.values().next().value as GraphLayer;
  const seen = new Map<GraphLayer, number>();
  const walk: GraphLayer[] = [];
  while (!seen.has(cur)) {
    seen.set(cur, walk.length);
    walk.push(cur);
    cur = cur.inputs.map((r) => producer.get(r)).find((p): p is GraphLayer => p !== undefined && stuck.has(p))!;
  }
  const loop = walk.slice(seen.get(cur)!).reverse();
  return [...loop, loop[0]];
}

/** The declared outputs, or else the first output of every layer nobody reads. */
export function graphOutputs(graph: Graph): string[] {
  if (graph.outputs) return graph.outputs;
  const consumed = new Set(graph.layers.flatMap((l) => l.inputs));
  return graph.layers.flatMap((l) => (consumed.has(l.outputs[0]) ? [] : [l.outputs[0]]));
}

/**
 * Layers some declared output depends on. The rest (a training-only auxiliary head) do not run at
 * inference: their parameters exist and count, their MACs and memory traffic do not.
 */
export function executedLayers(graph: Graph): Set<string> {
  if (!graph.outputs) return new Set(graph.layers.map((l) => l.name));
  const producer = producers(graph);
  const seen = new Set<string>();
  const stack = graph.outputs.map((o) => producer.get(o)).filter((l): l is GraphLayer => l !== undefined);
  while (stack.length) {
    const l = stack.pop()!;
    if (seen.has(l.name)) continue;
    seen.add(l.name);
    for (const r of l.inputs) {
      const p = producer.get(r);
      if (p && !seen.has(p.name)) stack.push(p);
    }
  }
  return seen;
}

/** A binary min-heap of indices (topologicalOrder's ready layers). */
class IndexHeap {
  private readonly a: number[] = [];

  get size(): number {
    return this.a.length;
  }

  push(v: number): void {
    const a = this.a;
    let i = a.push(v) - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (a[up] <= v) break;
      a[i] = a[up];
      i = up;
    }
    a[i] = v;
  }

  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length === 0) return top;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= a.length) break;
      if (c + 1 < a.length && a[c + 1] < a[c]) c++;
      if (a[c] >= last) break;
      a[i] = a[c];
      i = c;
    }
    a[i] = last;
    return top;
  }
}
