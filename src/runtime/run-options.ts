/**
 * What a run is given (RunOptions) and gives back (RunResult), and the contract of the split hook
 * a worker passes (runtime/split.ts): runtime/execute.ts runs with them.
 */
import type { GraphLayer } from '../graph/graph.js';
import type { MemoryCharge } from '../memory-budget.js';
import type { OpDef, RunContext, TeamHeads, TeamLinear } from '../ops/types.js';
import type { Tensor } from '../tensor/tensor.js';
import type { WeightInit } from './weights.js';
import type { WeightStore } from './weight-store.js';
import type { MlpSplit } from './fuse-mlp.js';
import type { AnswerLimit } from './answer-bound.js';

export interface RunOptions {
  training: boolean;
  seed: number;
  weightInit: WeightInit;
  /** Weights by `<layer>.<role>`. */
  weights: Record<string, Tensor>;
  /** Intermediate tensors (layer names or tensor names) to return besides the outputs. */
  capture: string[];
  maxElements: number;
  /** Most work the run may cost (MAX_RUN_WORK); from the environment when absent. */
  maxWork?: number;
  /**
   * Inference-time fusion (runtime/fuse.ts: BN folded into the conv before it, add and activation
   * in place on its output); default true, ignored in training. false runs every layer's own kernel.
   */
  fuse?: boolean;
  /**
   * A fused activation applied in the host's GEMM as it copies its outputs out (tensor/gemm.ts
   * withEpilogue); default true. false applies it in a pass of its own over the host's output, the
   * same values (specs and benchmarks compare the two).
   */
  epilogue?: boolean;
  /**
   * Runs a layer's kernel across a worker team when that gains (runtime/split*.ts); null runs
   * op.run as usual. Given in the worker (functions never travel in task payloads); the result
   * must be op.run's, bit for bit. `keep`: the output must not be a region of `shared` (it outlives
   * the run: a graph output, a capture; or the run has no `shared` to give it back to). `epilogue`:
   * what the fusion group applies after the layer (its activation, or a residual add and the
   * activation after it), which the hook may apply to the output as it writes it (then `mapped`:
   * the same values as the members' own passes after it).
   */
  split?: (op: OpDef, ctx: RunContext<any>, keep: boolean, epilogue?: SplitEpilogue) => SplitResult | null;
  /**
   * Runs a ConvNeXt block's fused MLP (runtime/fuse-mlp.ts) across the worker's team when that
   * gains (runtime/split.ts splitMlp), its output a fresh array with the one-thread kernel's bits;
   * null runs it on this thread.
   */
  splitMlp?: MlpSplit;
  /**
   * Runs a linear layer inside an op's kernel (RunContext.teamLinear: attention's projections)
   * across the worker's team when that gains (runtime/split.ts splitLinear), with linearColumns'
   * bits; null runs it on this thread.
   */
  splitLinear?: TeamLinear;
  /** Runs one sequence's attention heads (RunContext.teamHeads) across the team by heads (runtime/split.ts splitHeads); null runs them here. */
  splitHeads?: TeamHeads;
  /**
   * Where `split` puts the outputs it computes (runtime/split.ts teamActivations: the team's shared
   * memory, which its partners read the next split layer's input from without a copy): the run
   * gives a region back when its last reader has run and no live tensor views it, copies results
   * out of it, and gives back what it still holds when it ends.
   */
  shared?: SharedRegions;
  /**
   * The model's weight store (runtime/weight-store.ts): a kept one from the worker's model cache
   * keeps folded weights across runs; absent, the run reads the file without copies and folds
   * into scratch that goes back to a pool after each step.
   */
  store?: WeightStore;
  /**
   * The answer the run's outputs and captures are for (REST's encoding, or a GraphQL selection) and
   * its limit: checked once the shapes are inferred, before any kernel runs (runtime/answer-bound.ts);
   * absent, no check (the CLI, tests, a Loop body's sub-run, a stage of a staged run).
   */
  answer?: AnswerLimit;
  /** Called after each executed layer with its kernel's wall time (benchmarks: time by op type). */
  onLayer?: (layer: GraphLayer, opName: string, ms: number) => void;
  /**
   * Asks the request's memory grant for the run's peak (runtime/run-memory.ts) before any kernel
   * runs; its refusal (OVERLOADED, GRAPH_TOO_LARGE) stops the run there. A task gives it
   * (runtime/memory-grant.ts chargeRun); absent, nothing is asked (the CLI, tests, benchmarks).
   */
  chargeMemory?: MemoryCharge;
  /** Bytes of the request the run keeps alive besides its tensors, asked with its peak: an ONNX file its constants are read from, when no model cache holds it. */
  heldBytes?: number;
  /**
   * A sub-graph's run (an ONNX Loop body's iteration): the bytes the run around it holds at the
   * step running it, its request's tensors and file among them; the sub-run asks its peak on top
   * of them (runtime/run-memory.ts askRunMemory), not beside them.
   */
  enclosingBytes?: number;
}

/**
 * What a split hook may apply to a layer's output as it writes it, for the fusion group's members
 * after the host: a point-wise activation with an in-place kernel (`op`, `attrs`), and a residual
 * added before it (the same shape as the output).
 */
export interface SplitEpilogue {
  op?: OpDef;
  attrs?: unknown;
  residual?: Tensor;
}

export interface SplitResult {
  outputs: Tensor[];
  /** Everything the epilogue offered was applied to outputs[0], whole. */
  mapped: boolean;
}

/** Regions of shared memory a split hook allocates outputs in (runtime/shared-arena.ts). */
export interface SharedRegions {
  /**
   * The live region `data` lies in, as [start, end) byte offsets of its buffer, or null when it is
   * not one, or was allocated before `since` (a run's mark: a run gives back only what it took, never
   * its caller's, e.g. an ONNX Loop body's inputs, which are the outer run's tensors).
   */
  regionOf(data: Float32Array, since?: number): [number, number] | null;
  release(data: Float32Array): void;
  /** A mark before a run; endRun gives back every region allocated since (nested runs mark later). */
  mark(): number;
  endRun(mark: number): void;
}

export interface RunResult {
  /** By output name; no prototype, so any name (`constructor`, `__proto__`) is an entry. */
  outputs: Record<string, Tensor>;
  captured: Record<string, Tensor>;
}
