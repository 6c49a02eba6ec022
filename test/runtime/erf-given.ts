/** The ERF of one unit of a spec network with its inputs and weights given (one sample, no stages, no heat map): the golden ERF specs' request. */
import { computeErf, inlineRunner } from '../../src/runtime/erf.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { Wire } from '../ops/golden-cases.js';

/** A golden ERF case (scripts/erf_goldens_*.py): its unit, and PyTorch autograd's gradient at the input. */
export interface GoldenErfCase {
  name: string;
  layer: string;
  channels: number[] | null;
  position: number[];
  gradient: Wire;
}

export interface GivenUnit {
  layer: string;
  channels?: number[] | null;
  position?: number[] | null;
}

export function givenErf(spec: unknown, inputs: Record<string, Tensor>, weights: Record<string, Tensor>, unit: GivenUnit, more: { inputName?: string; maxElements?: number } = {}) {
  return computeErf(inlineRunner, {
    source: { kind: 'spec', spec },
    mode: 'given',
    samples: 1,
    inputs,
    ...(more.inputName !== undefined && { inputName: more.inputName }),
    weights,
    weightInit: 'seed',
    seed: 0,
    target: { layer: unit.layer, channels: unit.channels ?? null, position: unit.position ?? null },
    stages: false,
    heatmap: false,
    maxElements: more.maxElements ?? 1 << 20,
  });
}
