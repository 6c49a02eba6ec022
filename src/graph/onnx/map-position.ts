/**
 * ONNX position encodings → convlens ops: RotaryEmbedding (opset 23) → rotaryEmbedding
 * (src/ops/rotary-embedding.ts) with interleaved (0), num_heads (0: a 4-D input) and
 * rotary_embedding_dim (0: the head size), inputs X, cos_cache, sin_cache and position_ids
 * (optional) as they are.
 */
import type { NodeMapper } from './mapping.js';

export const POSITION_MAPPERS: Record<string, NodeMapper> = {
  RotaryEmbedding: ({ a, same }) =>
    same(
      'rotaryEmbedding',
      { interleaved: a.flag('interleaved', false), numHeads: a.int('num_heads', 0), rotaryEmbeddingDim: a.int('rotary_embedding_dim', 0) },
      { interleaved: 'interleaved', numHeads: 'num_heads', rotaryEmbeddingDim: 'rotary_embedding_dim' },
    ),
};
