/**
 * What a recognised attention module holds that both readers of it take: nn.MultiheadAttention's
 * facts (onnx-attention.ts) and Swin's window attention's (onnx-window-attention.ts). A module of its
 * own so that neither file imports the other's types back.
 */
export interface AttentionCore {
  /** embed_dim C (the output projection's features) */
  c: number;
  /** query tokens per sequence */
  t: number;
  /** sequences (the batch, or the batch's windows) */
  s: number;
  heads: number;
  /** the input projections have biases */
  inBias: boolean;
  /** the output projection has a bias */
  outBias: boolean;
  /** convlens's MACs of the linears and matmuls of the module */
  macs: number;
}

/**
 * nn.MultiheadAttention other than self-attention over one tensor of embed_dim channels: query from
 * one tensor, key and value from another (cross-attention), kdim or vdim ≠ embed_dim, add_bias_kv,
 * add_zero_attn (onnx-attention-variants.ts). What the tools' counts of the module read beyond the
 * core (attention-variant-counts.ts).
 */
export interface MhaVariant {
  /** key (and value) tokens per sequence, as the module's key input has them */
  keys: number;
  /** positions each query attends: keys + 1 for bias_k + 1 for add_zero_attn */
  attended: number;
  kdim: number;
  vdim: number;
  biasKv: boolean;
  zeroAttn: boolean;
  /** MACs of the four projections (the score products apart) */
  linearMacs: number;
  /** bias elements of the input projections whose input is no strided 3-D view (aten::linear takes addmm) */
  addmmBias: number;
}
