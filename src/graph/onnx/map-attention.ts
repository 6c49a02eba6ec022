/**
 * ONNX Attention (opsets 23, 24) → scaledDotProductAttention (src/ops/sdpa.ts): Q, K, V, 4-D or 3-D
 * with q_num_heads and kv_num_heads, grouped-query heads, is_causal, scale (1/√head size by default);
 * softmax_precision is moot (convlens computes the softmax in float64); attn_mask (3), boolean (by
 * the type the graph gives it) or added, a last dim shorter than the keys (1 too) padded with −∞ as
 * onnx/reference/ops/op_attention.py does (padMask). Not modelled, Unsupported at the input or attribute:
 * past_key and past_value (4, 5), nonpad_kv_seqlen (6, opset 24), the present_key, present_value and
 * qk_matmul_output outputs, a softcap other than 0.
 */
import { Unsupported } from './mapping.js';
import type { NodeMapper } from './mapping.js';

const INPUTS = ['past_key', 'past_value', 'nonpad_kv_seqlen'];
const OUTPUTS = ['present_key', 'present_value', 'qk_matmul_output'];

/** Attention-23/24's attributes: a later opset's file is read by 24's definition, so an attribute beyond these (a window) is refused, not left unread. */
const ATTRIBUTES = new Set(['is_causal', 'kv_num_heads', 'q_num_heads', 'qk_matmul_output_mode', 'scale', 'softcap', 'softmax_precision']);

export const ATTENTION_MAPPERS: Record<string, NodeMapper> = {
  Attention: ({ node, a, typeOf, opset }) => {
    const later = opset > 24 ? (node.attribute ?? []).find((p) => !ATTRIBUTES.has(p.name)) : undefined;
    if (later) throw new Unsupported(`the attribute ${later.name} (opset ${opset}; convlens reads Attention as opset 24 defines it)`, later.name);
    INPUTS.forEach((name, k) => {
      if (node.input[4 + k]) throw new Unsupported(`the input ${name} (convlens attends Q, K and V, with a mask, alone)`, 4 + k);
    });
    const mask = node.input[3] ? [node.input[3]] : [];
    const extra = node.output.findIndex((o, k) => k > 0 && o !== '');
    if (extra > 0) throw new Unsupported(`the output ${OUTPUTS[extra - 1]} (convlens writes Y alone)`);
    const softcap = a.float('softcap', 0);
    if (softcap !== 0) throw new Unsupported(`softcap ${softcap} (softcap·tanh(scores/softcap))`, 'softcap');
    const scale = a.float('scale');
    return {
      op: 'scaledDotProductAttention',
      inputs: [...node.input.slice(0, 3), ...mask],
      attrs: { qNumHeads: a.int('q_num_heads', 0), kvNumHeads: a.int('kv_num_heads', 0), isCausal: a.flag('is_causal', false), ...(scale !== undefined && { scale }), ...(mask.length && { padMask: true }), ...(mask.length && typeOf(3) === 'bool' && { boolMask: true }) },
      from: { qNumHeads: 'q_num_heads', kvNumHeads: 'kv_num_heads', isCausal: 'is_causal', scale: 'scale' },
    };
  },
};
