/**
 * What an op declares about its weights (parameters and buffers): name, shape, whether it trains,
 * how it is initialised, and its element type where PyTorch keeps it in another than the analysis
 * dtype. Re-exported by ops/types.ts; imports nothing of src/ops (Shape is `readonly number[]`).
 */
import type { DtypeName } from '../tensor/dtype.js';

/**
 * How a weight is initialised when neither the request nor the model file gives it, as PyTorch's
 * module constructors do: `fanIn` is U(−1/√fan_in, 1/√fan_in) (kaiming_uniform_ with a = √5 for
 * conv and linear weights, and their biases); `constant` fills one value (BN's γ = 1, β = 0,
 * running mean 0, running variance 1).
 */
export type WeightInitRule = { kind: 'fanIn'; fanIn: number } | { kind: 'constant'; value: number };

export interface WeightSpec {
  name: string;
  shape: readonly number[];
  /** Trainable parameters count in `params`; buffers (BN running stats) do not. */
  trainable: boolean;
  init: WeightInitRule;
  /**
   * The element type PyTorch stores it in when that is fixed whatever the model's dtype (an index
   * buffer: Swin's relative_position_index is int64, 8 bytes an element). Absent: the analysis
   * dtype. Weights memory counts its bytes at this type (analysis/memory.ts); the kernels read
   * every weight as float32 still.
   */
  dtype?: DtypeName;
  /**
   * A buffer no forward pass reads (BN's num_batches_tracked, which only training's update of the
   * running statistics counts): it is held, so `buffers` and weights memory count it, but the
   * layer's memory access does not, and no kernel reads it.
   */
  unread?: boolean;
}
