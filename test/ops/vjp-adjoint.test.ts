/**
 * The dot-product test of every vector-Jacobian product, PyTorch or not: for random v and g,
 *
 *   ⟨vjp(g), v⟩ = ⟨g, J·v⟩,   J·v ≈ (f(x + εv) − f(x − εv)) / 2ε   (central difference)
 *
 * on the instances of the forward goldens and the VJP goldens (their attributes, shapes, weights
 * and index inputs), the differentiable inputs moved off kinks by a little noise. Only inputs the
 * vjp gives a gradient for are perturbed; a null gradient is checked to leave f unchanged.
 */
import { describe, expect, it } from 'vitest';
import { OPS } from '../../src/ops/registry.js';
import { runOperator } from '../../src/runtime/operator.js';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { GOLDEN_CASES, type Wire } from './golden-cases.js';
import { VJP_CASES } from './vjp-cases.js';

/** Cases per op: enough for its attribute variety, few enough to stay light. */
const PER_OP = 6;
const MAX_ELEMENTS = 20_000;
const EPS = 1e-3;
/** Draws of noise, g and v a case may take to find a segment x ± EPS·v on which the forward is smooth. */
const KINK_DRAWS = 4;

/** FNV-1a of the text: a seed that stays with its case. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function random(seed: number): () => number {
  // mulberry32, then Box–Muller: a reproducible normal sample
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

interface Instance {
  name: string;
  op: string;
  attributes: Record<string, unknown>;
  training: boolean;
  inputs: Wire[];
  weights: Record<string, Wire>;
}

const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));
const size = (c: Instance) => c.inputs.reduce((n, w) => n + w.data.length, 0);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/**
 * Instances whose vjp is by design not the derivative of the forward: a table lookup without
 * interpolation is a step function (derivative 0 almost everywhere); its vjp is the exact
 * sigmoid's derivative, the gradient the table approximates (activation.ts, checked against
 * PyTorch's sigmoid in test/fixtures/vjp/activation.json).
 */
const SURROGATE = (c: Instance) => c.op === 'sigmoidLut' && c.attributes.interpolate !== true;

/**
 * sin and cos at a position code's arguments (thousands of radians, a forward golden): float32's
 * spacing there (2.4e-4 at 4,000) is coarser than EPS, so a difference quotient says nothing; their
 * vjps are checked at N(0, 1) inputs here and against PyTorch (test/fixtures/vjp/math.json).
 */
const COARSE = (c: Instance) => (c.op === 'sin' || c.op === 'cos') && c.inputs.some((x) => x.data.some((v) => Math.abs(v) > 100));

/**
 * Inputs held still, by op: gridSample's grid is piecewise bilinear in its coordinates with a kink
 * at every pixel line (≈ 0.6 % of coordinates within ε of one here), so central differences
 * straddle kinks; its gradient is checked against PyTorch's in the VJP goldens instead.
 */
const HELD: Record<string, number[]> = { gridSample: [1] };
/** Cases whose outputs are indices, booleans or integers: no input has a gradient (PyTorch: not differentiable). */
const NO_GRADIENT = new Set(['nonMaxSuppression', 'shape', 'argMax', 'argMin', 'equal', 'less', 'greater', 'lessOrEqual', 'greaterOrEqual', 'logicalAnd', 'logicalOr', 'logicalXor', 'logicalNot', 'nonZero']);
const noGradient = (c: { op: string; attributes: Record<string, unknown> }) => NO_GRADIENT.has(c.op) || (c.op === 'cast' && /^(u?int|bool)/.test(String(c.attributes.to)));

/** Attribute combinations PyTorch has no analogue for (ONNX-only coordinate and rounding modes), on a seeded input. */
const onnxOnly = (name: string, op: string, attributes: Record<string, unknown>, shape: number[]): Instance => {
  const normal = random(name.length * 7919);
  return { name, op, attributes, training: false, weights: {}, inputs: [{ shape, data: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, normal) }] };
};
/** An instance of several inputs, random but where `data` gives one (index inputs). */
const several = (name: string, op: string, attributes: Record<string, unknown>, shapes: number[][], data: (number[] | undefined)[] = []): Instance => {
  const normal = random(name.length * 7919);
  return { name, op, attributes, training: false, weights: {}, inputs: shapes.map((shape, i) => ({ shape, data: data[i] ?? Array.from({ length: shape.reduce((a, b) => a * b, 1) }, normal) })) };
};
const EXTRA: Instance[] = [
  // ONNX RotaryEmbedding and Attention (opset 23): no PyTorch op of torch 1.13 to take goldens from
  several('rotaryEmbedding 4-D (1, 2, 3, 8), caches (1, 3, 4)', 'rotaryEmbedding', {}, [[1, 2, 3, 8], [1, 3, 4], [1, 3, 4]]),
  several('rotaryEmbedding 3-D numHeads 2, R 4 of 8, interleaved, positionIds', 'rotaryEmbedding', { numHeads: 2, rotaryEmbeddingDim: 4, interleaved: true }, [[2, 3, 16], [5, 2], [5, 2], [2, 3]], [undefined, undefined, undefined, [0, 1, 2, 4, 3, 0]]),
  several('scaledDotProductAttention 4-D grouped-query (4 query heads, 2 key/value), Sq 3, Sk 5, Dv 3', 'scaledDotProductAttention', {}, [[1, 4, 3, 4], [1, 2, 5, 4], [1, 2, 5, 3]]),
  several('scaledDotProductAttention 4-D with an added mask (Sq, Sk)', 'scaledDotProductAttention', {}, [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4], [3, 3]]),
  several('scaledDotProductAttention 3-D 2 heads, causal, scale 0.5', 'scaledDotProductAttention', { qNumHeads: 2, kvNumHeads: 2, isCausal: true, scale: 0.5 }, [[2, 4, 6], [2, 4, 6], [2, 4, 6]]),
  onnxOnly('resize linear pytorch_half_pixel to [1,2,1,7] (a one-row output)', 'resize', { mode: 'linear', coordinateTransformationMode: 'pytorch_half_pixel', sizes: [1, 2, 1, 7] }, [1, 2, 4, 5]),
  onnxOnly('resize nearest tf_half_pixel_for_nn round_prefer_ceil ×[1.5, 2.5]', 'resize', { mode: 'nearest', coordinateTransformationMode: 'tf_half_pixel_for_nn', nearestMode: 'round_prefer_ceil', scales: [1, 1, 1.5, 2.5] }, [1, 2, 4, 3]),
  onnxOnly('resize nearest half_pixel round_prefer_floor down to [1,1,3,2]', 'resize', { mode: 'nearest', sizes: [1, 1, 3, 2] }, [1, 1, 7, 5]),
  onnxOnly('resize cubic half_pixel ×[2, 0.5]', 'resize', { mode: 'cubic', scales: [1, 1, 2, 0.5] }, [1, 2, 4, 6]),
  onnxOnly('resize linear asymmetric ×[1.7, 3]', 'resize', { mode: 'linear', coordinateTransformationMode: 'asymmetric', scales: [1, 1, 1.7, 3] }, [1, 1, 5, 3]),
  onnxOnly('resize cubic antialias a −0.5 exclude_outside ×[0.5, 0.7]', 'resize', { mode: 'cubic', antialias: true, cubicCoeffA: -0.5, excludeOutside: true, scales: [1, 1, 0.5, 0.7] }, [1, 2, 8, 9]),
  onnxOnly('resize linear tf_crop_and_resize roi past the edges, extrapolation 7', 'resize', { mode: 'linear', coordinateTransformationMode: 'tf_crop_and_resize', extrapolationValue: 7, roi: [0, 0, -0.3, 0.1, 1, 1, 0.8, 1.3], sizes: [1, 2, 5, 6] }, [1, 2, 6, 7]),
  onnxOnly('resize linear axes [3, 2] keep_aspect_ratio_policy not_larger sizes [9, 4]', 'resize', { mode: 'linear', axes: [3, 2], keepAspectRatioPolicy: 'not_larger', sizes: [9, 4] }, [1, 2, 6, 7]),
  // the separable kernel (resample-kernels.ts): rank 3 and 5, and a batch or channel axis resampled
  onnxOnly('resize rank 3 cubic antialias exclude_outside ×0.6', 'resize', { mode: 'cubic', antialias: true, excludeOutside: true, scales: [1, 1, 0.6] }, [1, 2, 9]),
  onnxOnly('resize rank 5 trilinear align_corners to [1,2,4,5,3]', 'resize', { mode: 'linear', coordinateTransformationMode: 'align_corners', sizes: [1, 2, 4, 5, 3] }, [1, 2, 3, 3, 4]),
  onnxOnly('resize rank 5 linear tf_crop_and_resize roi past the edges, extrapolation −2', 'resize', { mode: 'linear', coordinateTransformationMode: 'tf_crop_and_resize', extrapolationValue: -2, axes: [2, 3, 4], roi: [-0.3, 0.1, 0, 0.8, 1.2, 1], sizes: [4, 3, 5] }, [1, 1, 4, 3, 5]),
  onnxOnly('resize rank 4 linear over batch and channels ×[1.5, 2, 2, 1]', 'resize', { mode: 'linear', scales: [1.5, 2, 2, 1] }, [2, 3, 3, 4]),
];

const differentiable = OPS.filter((op) => op.vjp);
const instances = new Map<string, Instance[]>(differentiable.map((op) => [op.name, []]));
for (const c of EXTRA) instances.get(c.op)?.push(c);
for (const c of [...VJP_CASES, ...GOLDEN_CASES]) {
  const list = instances.get(c.op);
  if (list && !SURROGATE(c) && !COARSE(c) && list.length < PER_OP && size(c) <= MAX_ELEMENTS && !list.some((i) => i.name === c.name)) list.push(c);
}
// batchNorm1d and batchNorm3d (ONNX BatchNormalization by rank) have batchNorm2d's kernel and no golden of their own:
// batchNorm2d's instances read as (N, C, H·W) and, those of rank 4, as (N, C, 1, H, W)
for (const c of instances.get('batchNorm2d') ?? []) {
  const [n, ch, ...rest] = c.inputs[0].shape;
  const as = (op: string, shape: number[]): Instance => ({ ...c, name: `${c.name}, as ${op} [${shape.join(', ')}]`, op, inputs: [{ ...c.inputs[0], shape }, ...c.inputs.slice(1)] });
  instances.get('batchNorm1d')?.push(as('batchNorm1d', [n, ch, rest.reduce((a, b) => a * b, 1)]));
  if (rest.length === 2) instances.get('batchNorm3d')?.push(as('batchNorm3d', [n, ch, 1, ...rest]));
}

describe('⟨vjp(g), v⟩ = ⟨g, J·v⟩ by central differences, for every operator with a vjp', () => {
  it.each(differentiable.map((op) => [op.name] as const))('%s has instances to check', (name) => {
    expect(instances.get(name)!.length, `${name} has a vjp but no golden case gives it attributes and shapes`).toBeGreaterThan(0);
  });

  const all = [...instances.values()].flat();
  it.each(all.map((c) => [`${c.op}: ${c.name}`, c] as const))('%s', (title, c) => {
    // seeded by the case's title, not its place in the list: a case added elsewhere moved every
    // later case's draws (abs's noise then put an input within EPS of its kink)
    const normal = random(fnv1a(title));
    const base = {
      name: c.op,
      attributes: c.attributes,
      weights: Object.fromEntries(Object.entries(c.weights).map(([r, w]) => [r, t(w)])),
      training: c.training,
      seed: 7,
      maxElements: 1 << 22,
    };
    const forward = (inputs: Tensor[]) => runOperator({ ...base, inputs }).outputs;
    // which inputs carry a gradient: ask once with zero output gradients
    const x0 = c.inputs.map(t);
    const y0 = forward(x0);
    const probe = vjpOperator({ ...base, inputs: x0, gradOutputs: y0.map(() => null) });
    const moves = probe.gradInputs.map((gi) => gi !== null);
    // off the kinks (relu at 0, ties of a max, a grid point on the border): a little noise on each
    // differentiable input, unless it leaves the function's domain (a power's exponent at a negative base)
    const finite = (ts: Tensor[]) => ts.every((yk) => yk.data.every(Number.isFinite));
    // one draw of noise, g and v; a draw whose segment x ± EPS·v crosses a kink of the forward (a
    // sort order that flips, |x| through 0) has one-sided quotients that disagree, and says nothing
    // about the vjp (which the forward alone decides): the next draw is taken, up to KINK_DRAWS
    const draw = () => {
      const x = [...x0];
      x0.forEach((xi, i) => {
        if (!moves[i]) return;
        const moved = [...x];
        moved[i] = tensor(xi.shape, xi.data.map((a) => a + 0.05 * normal()));
        if (!finite(y0) || finite(forward(moved))) x[i] = moved[i];
      });
      const y = forward(x);
      const g = y.map((yk) => tensor(yk.shape, yk.data.map(() => normal())));
      const { gradInputs } = vjpOperator({ ...base, inputs: x, gradOutputs: g });
      // an input whose gradient is not finite (a power's exponent at a negative base, as PyTorch) is held
      const held = HELD[c.op] ?? [];
      const v = x.map((xi, i) => (moves[i] && !held.includes(i) && gradInputs[i]!.data.every(Number.isFinite) ? xi.data.map(() => normal()) : null));
      const shifted = (sign: number) => x.map((xi, i) => (v[i] ? tensor(xi.shape, xi.data.map((a, j) => a + sign * EPS * v[i]![j])) : xi));
      const [plus, minus] = [forward(shifted(1)), forward(shifted(-1))];
      let jvp = 0;
      let right = 0;
      let left = 0;
      // what rounding alone can move the difference quotient by: the forwards are float32 sums
      let rounding = 0;
      y.forEach((yk, o) => {
        for (let j = 0; j < yk.data.length; j++) {
          jvp += (g[o].data[j] * (plus[o].data[j] - minus[o].data[j])) / (2 * EPS);
          right += (g[o].data[j] * (plus[o].data[j] - yk.data[j])) / EPS;
          left += (g[o].data[j] * (yk.data[j] - minus[o].data[j])) / EPS;
          rounding += (Math.abs(g[o].data[j]) * (Math.abs(plus[o].data[j]) + Math.abs(minus[o].data[j]))) / (2 * EPS);
        }
      });
      let adjoint = 0;
      gradInputs.forEach((gi, i) => {
        if (gi && v[i]) adjoint += dot(gi.data, v[i]!);
      });
      // 1e-3 relative (a wrong divisor or a missed tap is off by far more), plus 64 float32 ulps of every output
      const tolerance = 1e-3 * Math.abs(jvp) + 64 * 2 ** -24 * rounding;
      // a smooth forward's one-sided quotients differ by EPS·curvature; a kink's by the jump in slope
      const kink = Math.abs(right - left) > 0.1 * (Math.abs(right) + Math.abs(left)) + 64 * 2 ** -24 * rounding * 4;
      return { adjoint, jvp, tolerance, kink, checked: v.filter((vi) => vi !== null).length };
    };
    let d = draw();
    for (let k = 1; k < KINK_DRAWS && d.kink; k++) d = draw();
    const { adjoint, jvp, tolerance, checked } = d;
    // with no input checked both sides are 0 and the test held for any vjp (one giving every input null
    // or NaN too): only an op whose outputs are indices, booleans or integers has none
    if (noGradient(c)) expect(checked, `${c.op} gives no input a gradient`).toBe(0);
    else expect(checked, 'inputs checked (moving, not held, a finite gradient)').toBeGreaterThan(0);
    expect(Math.abs(adjoint - jvp), `⟨vjp(g), v⟩ = ${adjoint}, ⟨g, Jv⟩ = ${jvp}`).toBeLessThanOrEqual(tolerance);
  });
});
