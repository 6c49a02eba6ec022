/**
 * Walks over the graph form: who produces each tensor, a topological order, the declared (or
 * implied) outputs and the layers an inference actually executes. All linear in layers + edges.
 */
import { ConvlensError } from '../errors.js';
import type { Graph, GraphLayer } from './graph.js';

/** The layer that writes each tensor. */
export function producers(graph: Graph): Map<string, GraphLayer> {
  const out = new Map<string, GraphLayer>();
  for (const l of graph.layers) for (const o of l.outputs) out.set(o, l);
  return out;
}

/** Kahn's algorithm in spec order; a leftover layer is on a cycle. */
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
  const ready = graph.layers.filter((l) => pending.get(l) === 0);
  const order: GraphLayer[] = [];
  for (let i = 0; i < ready.length; i++) {
    const l = ready[i];
    order.push(l);
    for (const r of readers.get(l) ?? []) {
      const left = pending.get(r)! - 1;
      pending.set(r, left);
      if (left === 0) ready.push(r);
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
