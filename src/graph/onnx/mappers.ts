/**
 * ONNX node mappers kept beside their operator family (map-<family>.ts), merged into one table
 * that map-node.ts consults before its own switch. A family file exports a
 * Record<opType, NodeMapper>; add it to the list below.
 */
import type { NodeMapper } from './mapping.js';
import { QUANT_MAPPERS } from './map-quant.js';
import { DETECTION_MAPPERS } from './map-detection.js';
import { MATH_MAPPERS } from './map-math.js';
import { INDEX_MAPPERS } from './map-index.js';
import { NORM_MAPPERS } from './map-norm.js';
import { ACTIVATION_MAPPERS } from './map-activation.js';
import { GEMM_MAPPERS } from './map-gemm.js';
import { RESIZE_MAPPERS } from './map-resize.js';
import { POSITION_MAPPERS } from './map-position.js';
import { ATTENTION_MAPPERS } from './map-attention.js';

const FAMILIES: readonly Record<string, NodeMapper>[] = [MATH_MAPPERS, INDEX_MAPPERS, NORM_MAPPERS, ACTIVATION_MAPPERS, QUANT_MAPPERS, DETECTION_MAPPERS, GEMM_MAPPERS, RESIZE_MAPPERS, POSITION_MAPPERS, ATTENTION_MAPPERS];

export const FAMILY_MAPPERS: Readonly<Record<string, NodeMapper>> = Object.assign(Object.create(null), ...FAMILIES);
