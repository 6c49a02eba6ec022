/**
 * Every PyTorch autograd golden of every operator's vector-Jacobian product: each JSON file in
 * test/fixtures/vjp/ (scripts/vjp_goldens.py for most families, scripts/vjp_goldens_<family>.py
 * for the rest), read in file-name order. A case is the forward's (op, attributes, inputs,
 * weights) plus the output gradients given and the input gradients PyTorch returned (null where
 * an input has no gradient: indices, shape tensors).
 */
import { loadCases, type Wire } from './golden-cases.js';

export interface VjpCase {
  name: string;
  op: string;
  attributes: Record<string, unknown>;
  training: boolean;
  inputs: Wire[];
  weights: Record<string, Wire>;
  gradOutputs: (Wire | null)[];
  gradInputs: (Wire | null)[];
  /** Where the case came from (its fixture file). */
  file: string;
}

export const VJP_CASES: readonly VjpCase[] = loadCases<VjpCase>(new URL('../fixtures/vjp/', import.meta.url));
