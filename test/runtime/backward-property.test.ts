/**
 * Properties of input gradients over random conv stacks (fast-check): the gradient's support lies
 * within the unit's theoretical field (any weights, ReLUs, dilation, padding); and for positive
 * weights, identity activations and no holes in the field (dilation 1, kernel ≥ stride) every pixel
 * of the theoretical field has a non-zero gradient and no other does, for units whose field lies
 * inside the input. (A field that reaches past the input may cover input pixels no path reads: rows
 * a strided conv drops at the bottom are in the field of a later layer's padding.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { theoreticalBox } from '../../src/analysis/erf.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { backward, forwardForBackward, resolveTarget } from '../../src/runtime/backward.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';

interface Layer {
  k: number;
  s: number;
  d: number;
  p: number;
  c: number;
}

const SIZE = 20;

function gradientAndBox(layers: Layer[], positive: boolean, relu: boolean, seed: number, pick: [number, number]) {
  const spec = {
    inputs: [{ name: 'x', shape: [1, 2, SIZE, SIZE] }],
    layers: layers.flatMap((l, i) => [
      { name: `c${i}`, op: 'conv2d', outChannels: l.c, kernelSize: l.k, stride: l.s, dilation: l.d, padding: l.p, bias: false },
      ...(relu ? [{ name: `r${i}`, op: 'relu' }] : []),
    ]),
  };
  const graph = parseNetworkSpec(spec);
  const inference = inferGraph(graph);
  const random = rng(seed);
  const weights: Record<string, Tensor> = {};
  let cin = 2;
  layers.forEach((l, i) => {
    const n = l.c * cin * l.k * l.k;
    weights[`c${i}.weight`] = tensor([l.c, cin, l.k, l.k], Float32Array.from({ length: n }, () => (positive ? 0.25 + random() : random() * 2 - 1)));
    cin = l.c;
  });
  const x = tensor([1, 2, SIZE, SIZE], Float32Array.from({ length: 2 * SIZE * SIZE }, () => (positive ? 0.5 + random() : random() * 2 - 1)));
  const last = graph.layers[graph.layers.length - 1].name;
  const shape = inference.tensors.get(last)!.shape!;
  const target = resolveTarget(graph, inference, { layer: last, channels: null, position: [pick[0] % shape[2], pick[1] % shape[3]] });
  const state = forwardForBackward(graph, { x }, { training: false, seed: 0, weightInit: 'seed', weights, capture: [], maxElements: 1 << 24 }, inference, [target]);
  const g = backward(state, target).x;
  const rf = inference.tensors.get(target.tensor)!.rf!;
  const { box } = theoreticalBox({ axes: rf.axes, global: rf.global, position: target.position as [number, number] }, [SIZE, SIZE]);
  const nonZero = (y: number, xx: number) => g.data[y * SIZE + xx] !== 0 || g.data[SIZE * SIZE + y * SIZE + xx] !== 0;
  return { box, nonZero };
}

/** A stack whose output is at least 1×1 on a 20×20 input. */
const stack = (holes: boolean) =>
  fc
    .array(
      fc.record({ k: fc.integer({ min: 1, max: 5 }), s: fc.integer({ min: 1, max: 2 }), d: fc.integer({ min: 1, max: holes ? 2 : 1 }), p: fc.integer({ min: 0, max: 2 }), c: fc.integer({ min: 1, max: 2 }) }),
      { minLength: 1, maxLength: 4 },
    )
    .map((ls) => (holes ? ls : ls.map((l) => ({ ...l, s: Math.min(l.s, l.k) }))))
    .filter((ls) => {
      let n = SIZE;
      for (const l of ls) {
        n = Math.floor((n + 2 * l.p - l.d * (l.k - 1) - 1) / l.s) + 1;
        if (n < 1 || l.p > (l.d * (l.k - 1)) / 2) return false;
      }
      return true;
    });

const pixels = (f: (y: number, x: number) => boolean) => {
  const out: string[] = [];
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) if (f(y, x)) out.push(`${y},${x}`);
  return out;
};

describe('input gradients of random conv stacks', () => {
  it('the support lies within the theoretical field (signed weights, ReLUs, dilation, padding)', () => {
    fc.assert(
      fc.property(stack(true), fc.integer({ min: 0, max: 2 ** 31 }), fc.tuple(fc.nat(30), fc.nat(30)), (layers, seed, pick) => {
        const { box, nonZero } = gradientAndBox(layers, false, true, seed, pick);
        const outside = pixels((y, x) => nonZero(y, x) && (y < box.top || y > box.bottom || x < box.left || x > box.right));
        expect(outside).toEqual([]);
      }),
      { numRuns: 40, seed: 13 },
    );
  });

  it('positive weights, identity activations, no holes: the support is exactly the theoretical field inside the input', () => {
    fc.assert(
      fc.property(stack(false), fc.integer({ min: 0, max: 2 ** 31 }), fc.tuple(fc.nat(30), fc.nat(30)), (layers, seed, pick) => {
        const { box, nonZero } = gradientAndBox(layers, true, false, seed, pick);
        fc.pre(box.top >= 0 && box.left >= 0 && box.bottom < SIZE && box.right < SIZE);
        const inBox = (y: number, x: number) => y >= box.top && y <= box.bottom && x >= box.left && x <= box.right;
        expect(pixels(nonZero)).toEqual(pixels(inBox));
      }),
      { numRuns: 40, seed: 7, maxSkipsPerRun: 200 },
    );
  });
});
