/**
 * The presets' rules for resampling over 1 or 3 axes (family resampleNd): upsample1d and upsample3d
 * (nn.Upsample / F.interpolate on 3-D and 5-D tensors), and an ONNX Resize of a 3-D or 5-D tensor
 * (families.ts), which is what torch.onnx writes for them and is counted as the nn.Upsample it was
 * exported from. What each tool does, read from its source at the commit the presets cite and
 * checked against its output (test/fixtures/conventions/ops.json, models resample1d, resample3d,
 * nearest_exact1d, nearest_exact3d):
 *
 *   thop         count_upsample (nn.Upsample's hook): per output element by mode, nearest and
 *                nearest-exact 0, linear 5, trilinear 31; a mode without an entry 0. F.interpolate is
 *                not seen.
 *   ptflops      upsample_flops_counter_hook (output elements) + the patched F.interpolate it calls:
 *                given a size, N·C·prod(size) (the output elements); given a scale factor s,
 *                N·C·ΠI·s^d (a float: ×1.5 on 5 is 7.5 per plane where the output has 7; ptflops
 *                truncates only its total, pytorch_engine.py l. 93: the preset's printedTotal), a
 *                per-axis tuple N·C·ΠI·Π⌊sᵢ⌋ (np.prod with dtype int64 truncates each factor).
 *   ptflops-aten aten.convolution, mm, matmul, addmm, bmm only: 0 (no rule).
 *   fvcore       aten::upsample_nearest1d/3d, upsample_linear1d, upsample_trilinear3d and
 *                _upsample_nearest_exact1d/3d are neither in _DEFAULT_SUPPORTED_OPS (which has the 2-D
 *                nearest and bilinear only) nor in _IGNORED_OPS: skipped as unsupported, 0 (no rule).
 *   torchinfo    nn.Upsample has no parameters: 0 (no rule).
 *   calflops     the patched F.interpolate: given a size, prod(size) if a tuple or list, the int itself
 *                if not (no N·C, no power); given a scale factor, the input elements (its products
 *                with the scale are discarded, l. 246-250). A per-axis scale tuple whose length is
 *                not the batch size raises TypeError there (tuple ** int): calflops prints nothing.
 *   onnx-tool    ResizeNode: nearest 0, linear 4, cubic 8 per output element, whatever the rank.
 *                torch.onnx writes linear and trilinear as mode linear; nearest-exact can only be
 *                mode nearest (torch 1.13 refuses to export it).
 *
 * ptflops' and calflops' F.interpolate readings (ptflopsInterpolate, calflopsInterpolate) are rank-free:
 * their 2-D rules (ptflops.ts, calflops.ts) call them too, on upsample and a 4-D Resize.
 *
 * What an ONNX Resize tells of its F.interpolate call: linear is linear on a 3-D tensor and
 * trilinear on a 5-D one; cubic has no 1-D or 3-D PyTorch mode (bicubic takes 4-D input only); sizes
 * are the output's spatial sizes (a tuple: F.interpolate(size=12) on 1-D reads as (12,) here), scales
 * one factor when the spatial ones are equal (nn.Upsample(scale_factor=s)), else a tuple. Sizes are
 * read from the layer's output, so a Resize given them as an input tensor (torch.onnx writes
 * Concat(Shape(x)[:2], sizes)) reads as one given them as an attribute.
 */
import { inElements, outElements } from './families.js';
import { RESIZE_CUBIC, RESIZE_LINEAR } from './onnx-tool-costs.js';
import { moduleHook, upsampleHook } from './ptflops-hooks.js';
import { resize } from '../ops/resize.js';
import type { ResamplePlan } from '../ops/upsample-plan.js';
import type { LayerFacts, Rule } from './types.js';

const HOOKS = 'thop/vision/basic_hooks.py';
const PT = 'ptflops/pytorch_ops.py';
const CF = 'calflops/pytorch_ops.py';

/** The PyTorch mode of the layer (Resize's linear by rank; its cubic has none: 'cubic'). */
export function torchMode(f: LayerFacts): string {
  const mode = String(f.attrs.mode ?? 'nearest');
  if (f.op !== resize || mode !== 'linear') return mode;
  return f.inputs[0].length === 5 ? 'trilinear' : 'linear';
}

/** What F.interpolate receives: a size (an int, or one per axis) or a scale factor (a float, or a tuple). */
export function interpolateArgs(f: LayerFacts): { size: number | number[] } | { scale: number | number[] } {
  if (f.op === resize) {
    if (f.fixedSize) return { size: f.outputs[0].slice(2) };
    const p = f.plan as ResamplePlan;
    const scales = f.inputs[0].slice(2).map((_, a) => {
      const k = p.dims.indexOf(a + 2);
      return k < 0 ? 1 : p.scale[k];
    });
    return scales.every((s) => s === scales[0]) ? { scale: scales[0] } : { scale: scales };
  }
  if (f.attrs.size !== undefined) return { size: f.attrs.size as number | number[] };
  return { scale: f.attrs.scaleFactor as number | number[] };
}

const product = (v: readonly number[]) => v.reduce((p, d) => p * d, 1);

/** ptflops' _interpolate_functional_flops_hook (l. 351-382), over any number of axes (the 2-D rule in ptflops.ts too). */
export function ptflopsInterpolate(f: LayerFacts): number {
  const x = f.inputs[0];
  const nc = x[0] * x[1];
  const d = x.length - 2;
  const a = interpolateArgs(f);
  if ('size' in a) return (typeof a.size === 'number' ? a.size ** d : product(a.size)) * nc;
  return inElements(f) * (typeof a.scale === 'number' ? a.scale ** d : product(a.scale.map(Math.floor)));
}

/** calflops' _upsample_flops_compute (l. 229-251), over any number of axes (the 2-D rule in calflops.ts too). */
export function calflopsInterpolate(f: LayerFacts): number {
  const a = interpolateArgs(f);
  if ('size' in a) return typeof a.size === 'number' ? a.size : product(a.size);
  return inElements(f);
}

/**
 * Whether calflops raises on the call, printing nothing (l. 247-250): a per-axis scale tuple (nn.Upsample
 * stores a list as a tuple) whose length is not len(input), the batch N, reaches `scale_factor ** len(input)`,
 * tuple ** int: TypeError. At N equal to its length the tuple passes (its product discarded).
 */
export function calflopsRaises(f: LayerFacts): boolean {
  const a = interpolateArgs(f);
  return 'scale' in a && Array.isArray(a.scale) && a.scale.length !== f.inputs[0][0];
}

/** calflops' MACs figure: F.interpolate has FLOPs, no MACs (0), and where calflops raises no figure. */
export function calflopsMacsResample(family: string): Rule {
  return {
    count: () => 0,
    unsupported: calflopsRaises,
    why: `F.interpolate (${family}) has FLOPs, no MACs: 0; a per-axis scale tuple whose length is not the batch size makes calflops raise TypeError: no figure`,
    source: `${CF} _upsample_flops_compute l. 229-251 (returns MACs 0; raises l. 250), patched l. 496-497`,
  };
}

const THOP_PER_OUTPUT: Readonly<Record<string, number>> = { nearest: 0, 'nearest-exact': 0, linear: 5, trilinear: 31 };
const ONNX_TOOL_PER_OUTPUT: Readonly<Record<string, number>> = { nearest: 0, 'nearest-exact': 0, linear: RESIZE_LINEAR, trilinear: RESIZE_LINEAR, cubic: RESIZE_CUBIC };

export const RESAMPLE_ND: Readonly<Record<'thop' | 'ptflops' | 'calflops' | 'onnx-tool', Rule>> = {
  thop: {
    count: (f) => (f.functional ? 0 : (THOP_PER_OUTPUT[torchMode(f)] ?? 0) * outElements(f)),
    why: 'nn.Upsample on 1 or 3 axes: nearest and nearest-exact 0, linear 5, trilinear 31 per output element (a Resize\'s cubic: no such mode, 0); F.interpolate is not seen: 0',
    source: `${HOOKS} count_upsample l. 152-166 (modes l. 154-161, a mode without an entry 0 l. 162-164); thop/profile.py l. 86`,
  },
  ptflops: {
    hook: moduleHook(upsampleHook),
    count: ptflopsInterpolate,
    why: 'nn.Upsample on 1 or 3 axes: its hook 1 per output element of one sample (output[0]) + the patched F.interpolate: N·C·prod(size), or N·C·ΠI·s^d for a scale factor s (×1.5 on 5: 7.5 per plane, the output 7), N·C·ΠI·Π⌊sᵢ⌋ for a per-axis tuple; F.interpolate alone: the function only',
    source: `${PT} upsample_flops_counter_hook l. 21-27, MODULES_MAPPING l. 308; _interpolate_functional_flops_hook l. 351-382, FUNCTIONAL_MAPPING l. 445-446`,
  },
  calflops: {
    count: calflopsInterpolate,
    unsupported: calflopsRaises,
    why: 'F.interpolate on 1 or 3 axes: prod(size) given a tuple size, the int itself given one int (no N·C); the input elements given a scale factor (a per-axis scale tuple whose length is not the batch size makes calflops raise TypeError)',
    source: `${CF} _upsample_flops_compute l. 229-251 (tuple ** len(input), the batch, l. 247-250), patched l. 496-497`,
  },
  'onnx-tool': {
    count: (f) => (ONNX_TOOL_PER_OUTPUT[torchMode(f)] ?? 0) * outElements(f),
    why: 'Resize: nearest (nearest-exact exports as nearest) 0, linear (trilinear exports as linear) 4, cubic 8 per output element',
    source: `onnx_tool/node.py ResizeNode._profile_core l. 1369-1379, RESIZE_LINEAR_MACS, RESIZE_CUBIC_MACS l. 36-37`,
  },
};
