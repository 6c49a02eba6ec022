/**
 * MAX_RUN_WORK's charge for rounding a layer's FLOAT16 outputs to float16 (runtime/float16-run.ts),
 * apart from the run checks (runtime/checks.ts layerWork) so that a Loop kept whole
 * (graph/onnx/loop-body.ts), whose body layers a run rounds as any graph's (the body runs through
 * runGraph), charges it for them too. Here, beside element-types.ts which tells a FLOAT16 output,
 * so that the importer reads it without importing the runtime.
 */
import type { GraphLayer } from '../graph.js';
import { outputElementType } from './element-types.js';
import { numel } from '../../ops/types.js';
import type { Shape } from '../../ops/types.js';

/**
 * Units an element of a layer output the ONNX graph types FLOAT16 costs besides its kernel's: the
 * pass that rounds it to float16 after the layer (tensor/float16.ts roundToFloat16, a read and,
 * where the value changes, a write of its bits). A chain of 8 same-shape Adds (2 units an element
 * each) in a float16 graph ran 6.6–13 ns an element a layer more than the same chain in float32
 * (bench/op-rates.ts `onnx add ×8`: 7.5 against 0.9 over [1, 16, 64, 64], 8.9–13.8 against 0.7
 * over [1, 64, 112, 112]; 2026-12-06, the 2-vCPU VM, load 10), the rounding loop alone 2.2–3.0
 * ns. Uncounted, those adds ran at 3.5–7 ns a unit, where the unit is ~0.3 ns; at 40 (42 units an
 * element) 0.18–0.33 ns, as relu and sigmoid (0.19–0.24 in the same runs). A Loop body's FLOAT16
 * outputs cost the same: 4 iterations of Slice → ReduceSum → Add over [256, 1024] (the body of
 * scripts/export_float16_loop.py) ran 15–16 ns an element rounded more in float16 than in float32
 * (medians of 40 warm runs, load 20–22; 3.3 ns at the fastest runs).
 */
export const FLOAT16_ROUND_WORK = 40;

/** FLOAT16_ROUND_WORK an element of each output of `layer` (of these shapes) the ONNX graph types FLOAT16. */
export function float16OutputWork(layer: GraphLayer, outputs: readonly Shape[]): number {
  let work = 0;
  outputs.forEach((o, k) => {
    if (outputElementType(layer, k) === 'float16' && layer.outputs[k] !== '') work += FLOAT16_ROUND_WORK * numel(o);
  });
  return work;
}
