/**
 * topologicalOrder (graph/walks.ts): of the layers whose inputs all exist, the earliest in the spec
 * runs next. A queue of the layers made ready (breadth first) listed and ran ResNet's downsampling
 * block as conv1, downsample.0, bn1, downsample.1, relu1, conv2 …; torchinfo, fvcore and the
 * ONNX file list it in the model's order, as the report now does.
 */
import { describe, expect, it } from 'vitest';
import type { Graph, GraphLayer } from '../../src/graph/graph.js';
import { topologicalOrder } from '../../src/graph/walks.js';
import { loadGraph } from '../../src/graph/load.js';
import { analyzeGraph } from '../../src/analysis/analyze.js';

const layer = (name: string, inputs: string[]): GraphLayer => ({ name, op: 'relu', inputs, outputs: [name], attrs: {}, path: `$.layers.${name}` });
const graph = (...layers: GraphLayer[]): Graph => ({ name: 'g', inputs: [{ name: 'x', shape: [1, 1, 4, 4], path: '$.inputs[0]' }], layers, outputs: null, constants: new Map() });
const order = (g: Graph) => topologicalOrder(g).map((l) => l.name);

describe('topologicalOrder', () => {
  it('a spec already in order is kept: a(x), b(a), c(x), d(b, c) runs a b c d (it ran a c b d, both branches a step each)', () => {
    expect(order(graph(layer('a', ['x']), layer('b', ['a']), layer('c', ['x']), layer('d', ['b', 'c'])))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a layer listed before its input runs right after it, the rest in the listed order: d(b, c), c(x), b(a), a(x) runs c a b d', () => {
    expect(order(graph(layer('d', ['b', 'c']), layer('c', ['x']), layer('b', ['a']), layer('a', ['x'])))).toEqual(['c', 'a', 'b', 'd']);
  });

  it('a chain of 20,000 layers listed backwards runs forwards (a heap of the ready layers: no recursion, no quadratic scan)', () => {
    const layers = Array.from({ length: 20_000 }, (_, i) => layer(`l${i}`, [i === 0 ? 'x' : `l${i - 1}`])).reverse();
    const names = order(graph(...layers));
    expect(names[0]).toBe('l0');
    expect(names.at(-1)).toBe('l19999');
    expect(names.every((n, i) => n === `l${i}`)).toBe(true);
  });

  it("ResNet-18's report lists layer2.0 as torchvision runs it: conv1 bn1 relu1 conv2 bn2, then downsample.0 downsample.1, add, relu", () => {
    const g = loadGraph({ kind: 'model', name: 'resnet18' }).graph;
    const names = analyzeGraph(g, { dtype: 'float32', flops: '2macs', includeBias: false }).layers.map((l) => l.name);
    expect(names).toEqual(g.layers.map((l) => l.name));
    const at = names.indexOf('layer2.0.conv1');
    expect(names.slice(at, at + 9).map((n) => n.slice('layer2.0.'.length))).toEqual(['conv1', 'bn1', 'relu1', 'conv2', 'bn2', 'downsample.0', 'downsample.1', 'add', 'relu']);
  });
});
