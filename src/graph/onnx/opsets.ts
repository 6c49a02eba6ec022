/**
 * The ai.onnx opsets the importer reads. Its mappers follow the operator specs from opset 7 (NumPy
 * broadcasting; opsets 1–6 broadcast by attribute, BatchNormalization took is_test and spatial,
 * consumed_inputs everywhere) to opset 27 (GroupNormalization's per-channel scale, QuantizeLinear's
 * output_dtype at 21; Gelu and GridSample's renamed modes at 20; dilated AveragePool at 19). What
 * opsets 22 to 27 changed (onnx docs/Changelog.md at v1.22.0, each operator's definition diffed with
 * its previous one), and how the importer reads it:
 *   22 (onnx 1.17)  bfloat16 added, nothing else, to Acos … Atanh, Cos/Cosh/Sin/Sinh/Tan, Bernoulli,
 *                   Conv, ConvTranspose, DeformConv, Det, Elu, EyeLike, GRU/LSTM/RNN, GlobalAverage/
 *                   Lp/MaxPool, GridSample, HardSigmoid, HardSwish, InstanceNormalization,
 *                   LpNormalization, LpPool, MaxRoiPool, MaxUnpool, Mish, Multinomial,
 *                   NegativeLogLikelihoodLoss, Random*, RoiAlign, Round, Selu, Softplus, Softsign,
 *                   ThresholdedRelu; Dropout also float8. bfloat16 tensors are decoded
 *                   (tensor/dtype.ts). AveragePool and MaxPool: bfloat16, and the text now says a
 *                   ceil-mode window that would start in the right padding is dropped, which
 *                   convlens's windows (as PyTorch's, onnxruntime's) already do.
 *   23 (onnx 1.18)  FLOAT4E2M1 added to Cast, CastLike, Constant, ConstantOfShape, Flatten, Identity,
 *                   If, Loop, Pad, Reshape, Scan, Shape, Size, Squeeze, Transpose, Unsqueeze,
 *                   QuantizeLinear, DequantizeLinear (types only, not decoded). DequantizeLinear: output_dtype (the output's type; node-types.ts, qdq.ts);
 *                   QuantizeLinear: precision (the division's type; FLOAT read, others Unsupported:
 *                   map-quant.ts). New: RMSNormalization (→ rmsNorm, map-norm.ts), RotaryEmbedding
 *                   (→ rotaryEmbedding, map-position.ts), Attention (→ scaledDotProductAttention,
 *                   map-attention.ts: Q, K, V, attn_mask, is_causal, scale, grouped-query heads;
 *                   past_key/value, softcap and the extra outputs Unsupported).
 *   24 (onnx 1.19)  FLOAT8E8M0 added to the ops 23 widened; Cast and CastLike: round_mode, for casts
 *                   to FLOAT8E8M0 only (a cast convlens refuses: no such type); TopK, SplitToSequence:
 *                   bfloat16. Attention: nonpad_kv_seqlen (Unsupported). New: Swish (→ swish where alpha is 1,
 *                   map-activation.ts), TensorScatter (not modelled).
 *   25 (onnx 1.20)  UINT2 and INT2 added to the ops 23 widened and to QuantizeLinear/DequantizeLinear
 *                   (types only; not decoded: tensor/dtype.ts packedRawBytes checks their size).
 *   26 (onnx 1.21)  New: BitCast, CumProd (not modelled). Nothing changed.
 *   27 (onnx 1.22)  Range: float16, bfloat16 and stash_type (FLOAT read, a half-precision
 *                   accumulation Unsupported: map-index.ts). New: CausalConvWithState,
 *                   LinearAttention (not modelled).
 * A model of a later opset (onnx's main branch has 28: Celu-28, SwiGLU; Attention gains window
 * sizes) is read by these definitions, with a warning (analysis/import-warnings.ts): ONNX releases a
 * new opset about twice a year, and most of its operators stay as they were, so a newer exporter's
 * file is read rather than refused. One before 7 is refused: its operators broadcast by attribute.
 * This file imports nothing, so analysis and import may share it.
 */

/** The first ai.onnx opset the importer reads. */
export const OLDEST_READ_OPSET = 7;
/** The last ai.onnx opset whose operator changes the importer's mappers follow. */
export const NEWEST_READ_OPSET = 27;

/** Why a model's ai.onnx opset cannot be read, or null when it can (perhaps with a warning). */
export function opsetRefusal(opset: number): string | null {
  if (opset < OLDEST_READ_OPSET) {
    return `the model declares ai.onnx opset ${opset}; convlens reads opsets from ${OLDEST_READ_OPSET} (before opset 7, Add, Mul and the like broadcast by attribute and BatchNormalization's attributes differ): convert it first, e.g. onnx.version_converter.convert_version(model, 13)`;
  }
  return null;
}
