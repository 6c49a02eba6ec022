/**
 * Layers that do not run at inference, at a size they cannot run at.
 *
 * A training-only head (Inception-v3's AuxLogits: avg pool 5/3, then a 5×5 conv) needs a map of at
 * least 17×17 where it branches off; torchvision's inception_v3 accepts 75×75 and up because its
 * eval-mode forward skips the head. Its parameters still exist and count (torchvision's
 * 27,161,264). So a layer no declared output depends on, whose inference fails, is inferred
 * again with every spatial axis of its resolution-dependent inputs scaled up, twice:
 *
 *   A: each such axis × 64, B: × 65; the layers after it follow from those.
 *
 * Scaled, not set to one size, so that maps which can never meet (16×16 and 8×8) still do not: a
 * branch that cannot run at any size keeps its error. A map of 1 becomes 64, room for a few more
 * windows (AuxLogits' 5/3 pool and 5×5 conv need 17).
 *
 * Its weights count only when they come out the same at both sizes: a conv's or BN's depend on
 * channels alone, a linear's over a flattened map (or a position embedding) on the size, and then
 * the layer's first error stands. Anything else the stand-in cannot pass (a channel mismatch, a
 * fixed reshape) also leaves the first error standing. The report gives such layers' parameters
 * and no shapes or costs (they have none at this size), and one warning per layer that failed.
 */
import type { ConvlensError } from '../errors.js';
import { numel } from '../ops/types.js';
import type { Inferred, Shape, Warning } from '../ops/types.js';

const STAND_IN_A = 64;
const STAND_IN_B = 65;

/** What a tensor inferred at the stand-in sizes carries: its shape at B (`shape` holds A's) and the error that started it. */
export interface StandIn {
  alt: Shape;
  cause: ConvlensError;
}

interface TensorAt {
  shape: Shape | null;
  inputDependent: boolean;
  standIn?: StandIn;
}

/** The inputs at stand-in size A (`alt` false) or B: tensors already at a stand-in keep theirs, resolution-dependent maps scale. */
export function standInInputs<T extends TensorAt>(ins: readonly (T | null)[], alt: boolean): (T | null)[] {
  const factor = alt ? STAND_IN_B : STAND_IN_A;
  return ins.map((t) => {
    if (!t || !t.shape) return t;
    if (t.standIn) return alt ? { ...t, shape: t.standIn.alt } : t;
    if (!t.inputDependent || t.shape.length < 3) return t;
    return { ...t, shape: [...t.shape.slice(0, 2), ...t.shape.slice(2).map((d) => d * factor)] };
  });
}

/** The weights are the same at both stand-in sizes: they do not depend on the size, so they count. */
export function sizeFreeWeights(a: Inferred, b: Inferred): boolean {
  return a.weights.length === b.weights.length && a.weights.every((w, i) => w.name === b.weights[i].name && numel(w.shape) === numel(b.weights[i].shape));
}

export function notRunAtThisSize(layer: string, cause: ConvlensError): Warning & { severity: 'info' } {
  return {
    code: 'NOT_RUN_AT_THIS_SIZE',
    severity: 'info',
    layer,
    message: `layer '${layer}' does not run at inference (no declared output depends on it) and could not at this input size: ${cause.message.replace(`layer '${layer}': `, '')}. Its parameters count, as PyTorch's do; it and the layers after it have no shapes or costs here`,
  };
}
