/**
 * What constant folding at import may compute, per graph (graph/fold-constants.ts asks before each
 * kernel runs). A hostile file must not make the import compute forever or hold unbounded memory,
 * and a real one must fold its weights: ResNet-50 with timm's StdConv2d standardises weights of up to
 * 2,359,296 values, 25.5 M in all, far past the generic caps. So a value computed from the file's
 * float initializers (of more than one element: GraphConstant.folded.from, transitively) is bounded
 * by what those initializers hold, the rest by the generic caps (src/limits.ts):
 *
 * - one value: at most MAX_FOLDED_TENSOR elements, or as many as the largest float initializer it
 *   is computed from (folding never makes a value larger than one the file stores), and never over
 *   MAX_TENSOR_ELEMENTS as the service is configured (the largest tensor a run takes; its default
 *   when the import is not told), so a file cannot fold past an operator's lower limit;
 * - work: at most MAX_FOLD_WORK operations for one value not computed from float initializers, and
 *   for all the graph's folds MAX_FOLD_WORK + FOLD_WORK_PER_ELEMENT per element of the float
 *   initializers they read (each once), so a chain of 10,000 Adds over a weight stops folding after
 *   a few nodes instead of taking the import minutes;
 * - memory: all the values folding holds at once within the graph's MAX_FOLDED_ELEMENTS budget,
 *   which grows by the elements of each float initializer the folds read (the run holds those
 *   anyway), and which one fold computed from them may overdraw by FOLD_IN_FLIGHT × the largest of
 *   them (a weight's transposed copy, centred values and squares in flight). Folding thus holds at
 *   most MAX_FOLDED_ELEMENTS + (1 + FOLD_IN_FLIGHT) × the file's float weights.
 *
 * That bound past MAX_FOLDED_ELEMENTS (the float initializers read so far, plus FOLD_IN_FLIGHT × the
 * largest of them) is told to `reserve` each time it grows, before the fold that grows it runs: a
 * run charges it to its request's memory grant (runtime/memory-grant.ts chargeFold), so a first
 * run of a heavy file is admitted within the memory budget or refused before folding.
 *
 * Work is counted by the cost (ops/common.ts kernelWork: MACs, element-wise FLOPs, or an op's own
 * kernelWork) and elements written; not at a run's own rates (runWork, which MAX_RUN_WORK reads).
 */
import { DEFAULT_MAX_TENSOR_ELEMENTS, FOLD_IN_FLIGHT, FOLD_WORK_PER_ELEMENT, MAX_FOLD_WORK, MAX_FOLDED_TENSOR } from '../limits.js';

/** What is left of the graph's folding budget, in elements (graph/onnx/constants.ts DecodeBudget draws on it too). */
export interface FoldBudget {
  left: number;
}

/** One value's fold, as the folder asks for it. */
export interface FoldAsk {
  /** `node 'name' (OpType)`, for the reasons. */
  what: string;
  /** The elements of each output. */
  sizes: readonly number[];
  /** MACs + element-wise FLOPs + elements written. */
  work: number;
  /** Elements the fold would hold that are not held yet: inputs to decode, weights, outputs. */
  need: number;
  /** The float initializers (of more than one element) the value is computed from, by name. */
  sources: readonly string[];
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Told the elements the graph's folds may hold past MAX_FOLDED_ELEMENTS, in all, each time that grows, before the fold runs; throws to refuse it (the error ends the import). */
export type FoldReserve = (elements: number, what: string) => void;

export class FoldLimits {
  /** The float initializers the folds have read: the budgets have grown by their elements, once each. */
  private readonly read = new Set<string>();
  private workLeft = MAX_FOLD_WORK;
  private workAll = MAX_FOLD_WORK;
  /** The elements of the float initializers read, and the largest in-flight allowance a fold has had: their sum is the bound told to `reserve`. */
  private readElements = 0;
  private inFlightMax = 0;

  constructor(
    private readonly held: FoldBudget,
    /** The elements of a constant of the graph, by name. */
    private readonly size: (name: string) => number,
    /** MAX_TENSOR_ELEMENTS as configured: no folded value is larger. */
    private readonly maxElements = DEFAULT_MAX_TENSOR_ELEMENTS,
    private readonly reserve?: FoldReserve,
  ) {}

  /** The graph's folding work left to a fold computed from no float initializer (an integer value's: fold-constants.ts asks before computing one). */
  get work(): number {
    return this.workLeft;
  }

  /**
   * Work charged without asking: shape arithmetic of a few values (graph/fold-constants.ts
   * SHAPE_ARITHMETIC) always folds, as the analyzer's does (analysis/infer.ts ALWAYS_FOLDED), and
   * draws on the work left all the same.
   */
  spend(work: number): void {
    this.workLeft -= work;
  }

  /** Why this fold may not run, or null: then its work is charged, and the initializers it is the first to read grow the budgets. */
  admit(ask: FoldAsk): string | null {
    const { what, sizes, work, need, sources } = ask;
    const fresh = sources.filter((s) => !this.read.has(s));
    const credit = fresh.reduce((n, s) => n + this.size(s), 0);
    let largest: { name: string; n: number } | null = null;
    for (const s of sources) if (!largest || this.size(s) > largest.n) largest = { name: s, n: this.size(s) };
    const big = sizes.find((n) => n > this.maxElements || (n > MAX_FOLDED_TENSOR && (largest === null || n > largest.n)));
    if (big !== undefined) {
      if (big > MAX_FOLDED_TENSOR && (largest === null || largest.n <= MAX_FOLDED_TENSOR)) return `${what} computes ${fmt(big)} values, more than one folded value may hold (${fmt(MAX_FOLDED_TENSOR)}, MAX_FOLDED_TENSOR, or as many as the largest float initializer it is computed from${largest ? `: '${largest.name}', ${fmt(largest.n)}` : ': none'})`;
      if (big > this.maxElements) return `${what} computes ${fmt(big)} values, more than a tensor may hold (${fmt(this.maxElements)}, MAX_TENSOR_ELEMENTS${this.maxElements === DEFAULT_MAX_TENSOR_ELEMENTS ? "' default" : ''})`;
      // here big > MAX_FOLDED_TENSOR with a larger initializer than that (the first case took the rest)
      return `${what} computes ${fmt(big)} values, more than the largest float initializer it is computed from ('${largest!.name}', ${fmt(largest!.n)}), which bounds a folded value over ${fmt(MAX_FOLDED_TENSOR)} (MAX_FOLDED_TENSOR)`;
    }
    if (largest === null && work > MAX_FOLD_WORK) return `${what} takes ${fmt(work)} operations, more than one folded value may take (${fmt(MAX_FOLD_WORK)})`;
    const workLeft = this.workLeft + FOLD_WORK_PER_ELEMENT * credit;
    if (work > workLeft) {
      const all = this.workAll + FOLD_WORK_PER_ELEMENT * credit;
      return `${what} takes ${fmt(work)} operations, and ${fmt(Math.max(0, workLeft))} are left of the graph's folding work (${fmt(all)}: ${fmt(MAX_FOLD_WORK)} + ${FOLD_WORK_PER_ELEMENT} per element of the float initializers folded)`;
    }
    const inFlight = largest ? FOLD_IN_FLIGHT * largest.n : 0;
    const left = this.held.left + credit + inFlight;
    if (need > left) {
      const grown = largest ? ` grown by the float initializers folded, and ${fmt(inFlight)} in flight (${FOLD_IN_FLIGHT} × '${largest.name}')` : '';
      return `folding it needs up to ${fmt(need)} more values at ${what}, and ${fmt(Math.max(0, left))} are left of MAX_FOLDED_ELEMENTS (the graph's folding budget${grown})`;
    }
    // the bound past MAX_FOLDED_ELEMENTS grows: reserved before anything is committed or computed
    const bound = this.readElements + credit + Math.max(this.inFlightMax, inFlight);
    if (this.reserve && bound > this.readElements + this.inFlightMax) this.reserve(bound, what);
    this.readElements += credit;
    this.inFlightMax = Math.max(this.inFlightMax, inFlight);
    for (const s of fresh) this.read.add(s);
    this.held.left += credit;
    this.workAll += FOLD_WORK_PER_ELEMENT * credit;
    this.workLeft = workLeft - work;
    return null;
  }
}
