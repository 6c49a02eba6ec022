/**
 * The receptive-field types an op's `receptiveField` reads and returns (re-exported by ops/types.ts,
 * where the rest of an op's definition is typed).
 */
/**
 * Receptive field of one spatial axis of a tensor, relative to the network input, in the
 * parametrisation of Araujo et al. (Distill 2019): unit x covers input [x·j − p, x·j − p + r − 1].
 */
export interface AxisRF {
  /** size r */
  r: number;
  /** effective stride S ("jump") */
  j: number;
  /** effective left padding P */
  p: number;
  /**
   * Border b: input units the windows on the way lose beyond their strides (an unpadded 3×3 conv
   * loses 2, a stride-2 conv with "same" padding none), so a map of k units comes from an input of
   * k·j + b without a row dropped or padded over (structure.ts: r = k·2^n + b). Absent: 0.
   */
  b?: number;
}

/**
 * Receptive field of a tensor: one entry per spatial axis ([l] of N,C,L; [h, w] of N,C,H,W;
 * [d, h, w] of N,C,D,H,W), the positions of those axes in the tensor (dims[k] is axis k's; 2… in
 * the N,C,… layout; they move under transpose and reshape), and `global` once the spatial axes
 * are collapsed.
 */
export interface TensorRF {
  axes: AxisRF[];
  dims: number[];
  global: boolean;
  /**
   * A global field of a map that repeats one summary at every position (a 1×1 map upsampled or
   * expanded back to the map's size: DeepLabV3's image pooling): global context, as a
   * squeeze-excitation gate, which a merge leaves out (receptive-field.ts mergeRF).
   */
  broadcast?: boolean;
  /**
   * A strided slice's piece of one map (indexing.ts slice: x[..., 1::2, ::2]): `of` is that map's
   * field (the first sliced, through chained slices), `axes` the field the slices left. A concat of
   * pieces that are all phases of one map, their fields still the slices' (receptive-phases.ts
   * phaseGrid), is a space-to-depth by design, not misaligned paths.
   */
  phase?: { of: TensorRF; axes: readonly AxisRF[] };
}
