/**
 * The note a product of two activations states when it makes their local fields global: self-attention
 * written out as torch.onnx exports nn.MultiheadAttention and TransformerEncoderLayer (MatMul q·kᵀ,
 * Softmax, MatMul attn·v), or as einsum. The scores q·kᵀ pair every position with every other (unit
 * (l, m) reads around l and around m), attn·v and a Gram matrix F·Fᵀ sum over the positions: either
 * way every output unit reads every position, as the built-in multiHeadAttention's global attention,
 * and the same ATTENTION_RECEPTIVE_FIELD note says so, once, where the field turns global (attn·v
 * after global scores states none). A product by a constant (x·W over the positions, an MLP-Mixer's
 * token mixing) mixes by fixed weights, not attention: no note, though its field is global too.
 */
import type { RFContext, TensorRF } from './types.js';

/** States ATTENTION_RECEPTIVE_FIELD when both operands carry local fields (activations) and their product's is global. */
export function noteGlobalProduct(ctx: Pick<RFContext<unknown>, 'layer' | 'warn'>, operands: readonly (TensorRF | null | undefined)[], product: TensorRF | null): void {
  if (!product?.global || operands.length < 2 || !operands.every((f) => f && !f.global)) return;
  ctx.warn({
    code: 'ATTENTION_RECEPTIVE_FIELD',
    severity: 'info',
    message: `layer '${ctx.layer}': a product of two activations that pairs their positions (attention scores q·kᵀ) or sums over them (attention·v, a Gram matrix): every output unit reads every position, so the receptive field is global, as global self-attention's`,
    window: null,
  });
}
