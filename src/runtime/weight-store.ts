/**
 * A model's weight values as the executor reads them, without a second copy of the file.
 *
 * - A float32 initializer whose bytes lie 4-byte aligned in the file is read as a view into the
 *   file's buffer: no copy at all. Kernels never write to their weights (runInPlace writes only the
 *   chain's activation buffer), so the view is safe to share.
 * - An unaligned float32 initializer of at least MOVE_MIN_BYTES (protobuf does not align raw_data,
 *   so most of a PyTorch export's are) whose importer vouches for the bytes before it
 *   (GraphConstant.rawHeader: its own field's tag and length) is moved down over up to 3 of them,
 *   onto a 4-byte boundary, and read in place for the step; `endStep` moves it back and puts the
 *   header's bytes back (`endRun` too, when a step threw), so the file is as it came once the step
 *   is over and nothing outside the step ever reads it moved. No copy of the largest weights at
 *   all: MobileNetV2's 5 MB classifier was decoded into a new scratch buffer at the run's last
 *   step, its peak RSS (measured 2026-11-30 22:13 UTC). Moving down and back costs two memmoves
 *   of the weight where a copy into warm scratch costs one, so a weight that a batch norm is
 *   folded into at once is still decoded into scratch (`values`' inPlace: the fold then writes
 *   that scratch in place, so moving would save no memory): moving those too made first runs of
 *   ResNet-18, MobileNetV2 and ResNet-50 3.5–4.5 % slower (2026-11-30 23:20 UTC).
 * - Any other initializer (smaller, or without the header: float16, int8, typed fields) and a
 *   host's weights with its batch norms folded in are produced per step into scratch buffers from
 *   a pool: a step's buffers go back to the pool when the step has run (`endStep`), so a run holds
 *   the file, the widest layer's weights and its activations, never a decoded or folded copy of
 *   the whole model. A run without a team folds one batch norm into a conv as the conv packs its
 *   weight (runtime/fuse.ts foldGroup's scale): that weight is read in place, no folded copy.
 * - A kept store (`keep: true`, the worker's model cache, runtime/model-cache.ts) keeps the folded
 *   weights instead (the originals are not kept beside them), so a second run of the same model
 *   decodes and folds nothing for its fused convs; `bytes` counts them. A weight a later run
 *   decodes again (its layer has no fold: a classifier's, a linear's in an MLP) is kept decoded
 *   from then on, so steady runs copy no weights at all (MobileNetV2's 5 MB classifier: about
 *   1 ms of copying and page faults a run); a folded conv's original is read by one run only, so
 *   it is never kept beside its fold. Weights drawn from the seed (a zoo model's, a spec's) are
 *   kept likewise when two runs in a row draw them with one seed (`seeded`). Folds and seeded
 *   weights, and what is kept decoded or transposed, only within `keepLimit` (the cache's budget).
 *
 * Folding computes exactly ops/norm.ts foldBatchNorm (k = γ/√(σ² + ε) in float64, w·k and
 * (b − μ)·k + β rounded to float32), so fused outputs do not move by a bit.
 */
import { decodeToFloat32 } from '../tensor/dtype.js';
import type { GraphConstant } from '../graph/graph.js';
import { InPlaceMoves, movable } from './weight-moves.js';
import { transpose2d } from '../tensor/nd.js';
import { numel, tensor } from '../tensor/tensor.js';
import { AskedBefore } from './asked-before.js';
import { BufferPool } from './buffer-pool.js';
import { noteSharedDropped } from './collect.js';
import { lastingShared } from './team-weights.js';
import type { Tensor } from '../tensor/tensor.js';

export interface FoldedWeights {
  /** Where the weights came from (`file` or `seed:<n>`): a kept fold is reused only for the same. */
  key: string;
  /** The host's weights by role, weight and bias folded. */
  weights: Record<string, Tensor>;
  folded: number;
}

/** A constant whose values are its file's aligned float32 bytes: read in place, no copy. */
function readInPlace(c: GraphConstant): boolean {
  const n = numel(c.shape);
  const raw = c.raw;
  const plain = !(c.value && c.value.data.length === n) && !(c.typed && c.typed.length === n);
  return plain && raw !== null && raw !== undefined && c.dataType === 'float32' && raw.byteOffset % 4 === 0 && raw.byteLength >= n * 4;
}

export { MOVE_MIN_BYTES } from './weight-moves.js';

export class WeightStore {
  private readonly pool = new BufferPool();
  /** Buffers handed out for the current step (not kept). */
  private lent: Float32Array[] = [];
  /** Weights moved in their file for this step. */
  private readonly moved = new InPlaceMoves();
  private readonly foldedByHost = new Map<string, FoldedWeights>();
  /** Bytes this store keeps beyond the file (decoded, folded, transposed and seeded copies; 0 unless kept). */
  bytes = 0;
  /**
   * What the store keeps (folds, decoded, transposed and seeded weights) stays within this (the
   * model cache's budget less the entry's file and graph): a model over it keeps what fits and makes
   * the rest per step, as a store that keeps nothing, instead of holding it all for a run and then
   * being dropped from the cache (with the entries trimmed before it).
   */
  keepLimit = Number.POSITIVE_INFINITY;
  /**
   * Bytes the model cache has free (runtime/model-cache.ts): seeded weights are kept only within it,
   * never at the cost of another model's entry (they are cheap to draw again: ViT-B/16's 86 M in
   * about 0.35 s).
   */
  seededRoom: () => number = () => Number.POSITIVE_INFINITY;
  /** Kept stores: constants decoded by runs (a second decode keeps them), and those kept decoded. */
  private readonly decodes = new AskedBefore<GraphConstant>();
  private readonly decoded = new Map<GraphConstant, Float32Array>();
  /**
   * The buffers of what a kept store keeps (decoded, folded, transposed, seeded) and the bytes each
   * counts, so `holds` is one lookup (the executor asks it for every tensor that dies) and the model
   * cache counts a buffer two entries keep once (`kept`).
   */
  private readonly keptBuffers = new Map<ArrayBufferLike, number>();
  /**
   * The stores of the model cache's other entries of this model (the same zoo model at another
   * resolution, the same file at other input shapes: runtime/model-cache.ts familyKey). Their seeded
   * weights and folds are this model's values too: adopted (the same arrays) rather than drawn or
   * folded again, when the variant, the fold's source and the weight's shape are the same.
   */
  siblings: () => readonly WeightStore[] = () => [];
  /** Kept stores: 2-D constants transposed by runs, and those kept transposed (transposed). */
  private readonly transposing = new AskedBefore<GraphConstant>();
  private readonly transposes = new Map<GraphConstant, Float32Array>();
  /**
   * Kept stores: each seeded weight (`<layer>.<role>`) by the variant (seed, shape, init) runs drew
   * (the last run's that drew it), and those kept (one variant each): one entry a weight, however
   * many seeds requests use.
   */
  private readonly seeds = new AskedBefore<string, string>();
  private readonly seededKept = new Map<string, { variant: string; data: Float32Array }>();

  /**
   * `keep`: the model cache's store (see the header). `shareKept`: what it keeps lives in
   * SharedArrayBuffers, so the worker's partner threads read a split conv's weights in place instead
   * of a copy per layer (runtime/team.ts); a worker with a team sets it (runtime/model-cache.ts).
   */
  constructor(
    readonly keep = false,
    readonly shareKept = false,
  ) {}

  /** A buffer for this step, from the pool and back at endStep; `lasting`: its own (a value that outlives the step). */
  scratch(n: number, lasting = false): Float32Array {
    if (lasting) return new Float32Array(n);
    const a = this.pool.acquire(n);
    this.lent.push(a);
    return a;
  }

  /** Whether the store holds this buffer (pooled, lent or kept): never a run's to free. */
  holds(buffer: ArrayBufferLike): boolean {
    return this.keptBuffers.has(buffer) || this.lent.some((a) => a.buffer === buffer) || this.pool.has(buffer);
  }

  /** No later step needs a weight over `n` floats: the pool lets larger buffers go; their bytes. */
  trimPool(n: number): number {
    return this.pool.trim(n);
  }

  /** The run is over: the pool's free buffers go (a kept store keeps its folds), and every moved weight goes back. */
  endRun(): void {
    this.endStep();
    this.pool.clear();
    this.decodes.endRun();
    this.transposing.endRun();
    this.seeds.endRun();
  }

  /** Whether `a` is scratch of this step (the caller may write it: nothing else reads it). */
  isScratch(a: Float32Array): boolean {
    return this.lent.includes(a);
  }

  /** The step has run: its scratch buffers go back to the pool, except any a result still holds; moved weights go back where they were. */
  endStep(held: readonly Float32Array[] = []): void {
    if (this.moved.size > 0) this.moved.back(held);
    if (this.lent.length === 0) return;
    const holding = new Set(held.map((t) => t.buffer));
    for (const a of this.lent) if (!holding.has(a.buffer)) this.pool.release(a);
    this.lent = [];
  }

  /**
   * A constant's float32 values, null when the file carries none (stripped): a view into the file
   * where it can be, else decoded into scratch for this step, or into its own array when
   * `lasting` (a tensor the run keeps live across steps). A kept store keeps a weight's decoded
   * values from the second run that decodes it (a fold is kept instead for a folded conv's), unless
   * `track` is false (the values are read for a copy the store keeps instead: `transposed`).
   * `inPlace` false: a large unaligned weight is decoded into scratch rather than moved in the file
   * (a conv weight folded at once: the fold writes that scratch in place, runtime/fuse.ts).
   */
  values(c: GraphConstant, lasting = false, track = true, inPlace = true): Float32Array | null {
    const n = numel(c.shape);
    const raw = c.raw;
    if (readInPlace(c)) return new Float32Array(raw!.buffer, raw!.byteOffset, n);
    // `track` false: read for a copy the store keeps instead (a transpose), never kept itself
    const tracked = this.keep && !lasting && track;
    if (tracked) {
      const kept = this.decoded.get(c);
      if (kept) return kept;
    }
    // a kept store keeps what an earlier run decoded too (the layer is not folded): its own array
    const keepIt = tracked && this.decodes.earlier(c) === true && this.bytes + n * 4 <= this.keepLimit;
    const own = lasting || keepIt;
    let out: Float32Array | null;
    if (c.value && c.value.data.length === n) out = this.filled(n, c.value.data, own);
    else if (c.typed && c.typed.length === n) out = this.filled(n, c.typed, own);
    else if (!raw) out = n === 0 ? new Float32Array(0) : null;
    else if (c.dataType === 'other' || raw.byteLength < n * (c.dataType === 'float32' ? 4 : 1)) out = null;
    else if (c.dataType === 'float32') {
      // unaligned float32: read in place when its header lets it move (see the header; once moved,
      // read where it moved to), else its bytes copied as they are (little-endian, as every supported host)
      const moved = this.moved.find(raw);
      out = own ? null : (moved ?? (inPlace ? this.moved.move(c, raw, n) : null));
      if (!out) {
        out = this.scratch(n, own);
        if (moved) out.set(moved);
        else new Uint8Array(out.buffer, out.byteOffset, n * 4).set(raw.subarray(0, n * 4));
      }
    } else {
      // float16, bfloat16, float64, integers: widened or converted as constantData does
      const d = decodeToFloat32(c.dataType, raw, n);
      out = d === null ? null : this.filled(n, d, own);
    }
    if (out && tracked) {
      if (keepIt) {
        if (this.shareKept) out = sharedCopy(out);
        this.decoded.set(c, out);
        this.keptBuffers.set(out.buffer, out.byteLength);
        this.bytes += out.byteLength;
      } else this.decodes.ask(c, true);
    }
    return out;
  }

  /**
   * Whether reading `c` for a layer allocates nothing (runtime/run-memory.ts counts the rest): its
   * float32 bytes read in place from the file, or a copy this store keeps (decoded; `transposed`:
   * the transposed copy `transposed` reads).
   */
  keeps(c: GraphConstant, transposed: boolean): boolean {
    if (transposed) return this.keep && this.transposes.has(c);
    return readInPlace(c) || (this.keep && this.decoded.has(c));
  }

  /** Bytes `values(c, true)` allocates (runtime/run-memory.ts): a layer's constant input, decoded into its own array unless read in place. */
  lastingBytes(c: GraphConstant): number {
    return readInPlace(c) ? 0 : numel(c.shape) * 4;
  }

  /** Bytes `transposed(c)` allocates (runtime/weights.ts weightAllocation): its copy unless kept, and the values it reads unless in place (or moved there). */
  transposedBytes(c: GraphConstant): number {
    if (this.keep && this.transposes.has(c)) return 0;
    return numel(c.shape) * 4 * (readInPlace(c) || movable(c) ? 1 : 2);
  }

  /** Whether the seeded weight `weight` as `variant` is kept (`seeded` then draws nothing). */
  keepsSeeded(weight: string, variant: string): boolean {
    return this.keep && this.seededKept.get(weight)?.variant === variant;
  }

  /**
   * A 2-D constant's values transposed ([rows, cols] read as [cols, rows]: an ONNX MatMul's weight
   * bound to a linear layer, runtime/weights.ts), null when the file carries none: into scratch for
   * this step. A kept store keeps the transposed copy from the second run that reads it, as it keeps
   * a decoded weight (shared under shareKept, so a team's partners read it in place: a ConvNeXt
   * block's MLP, runtime/split.ts splitMlp), instead of transposing afresh every run; its bytes are
   * counted. A layer whose weight is read only by its first run (a fold replaces it) keeps none.
   */
  transposed(c: GraphConstant): Float32Array | null {
    const hit = this.keep ? this.transposes.get(c) : undefined;
    if (hit) return hit;
    // the original is read for this copy only: a kept store never keeps it beside the transpose
    const data = this.values(c, false, false);
    if (!data) return null;
    const [rows, cols] = c.shape;
    const keepIt = this.keep && this.transposing.earlier(c) === true && this.bytes + rows * cols * 4 <= this.keepLimit;
    const t = keepIt && this.shareKept ? new Float32Array(lastingShared(new SharedArrayBuffer(rows * cols * 4))) : this.scratch(rows * cols, keepIt);
    transpose2d(data, rows, cols, t);
    if (keepIt) {
      this.transposes.set(c, t);
      this.keptBuffers.set(t.buffer, t.byteLength);
      this.bytes += t.byteLength;
    } else if (this.keep) this.transposing.ask(c, true);
    return t;
  }

  /**
   * A weight of `n` floats initialised from the seed (runtime/weights.ts), `draw` making it afresh;
   * `variant` names what its values depend on besides the weight: the seed, the shape and the init
   * rule (a staged run may size a weight, and its fan-in, by its data). A kept store keeps it when
   * the run before drew it as the same variant (so a client changing seeds every request keeps
   * nothing), as a decoded weight (shared under shareKept, so a team's partners read it in place),
   * within keepLimit and the cache's free room: a zoo model or spec run again with one seed draws
   * nothing from its third run. One variant a weight: another replaces it, bytes not counted twice.
   */
  seeded(weight: string, variant: string, n: number, draw: () => Float32Array): Float32Array {
    if (!this.keep) return draw();
    const hit = this.seededKept.get(weight);
    this.seeds.ask(weight, variant);
    if (hit && hit.variant === variant && hit.data.length === n) return hit.data;
    // another entry of this model keeps it as this variant: the same values, shared
    const theirs = this.siblings().find((s) => s.shareKept === this.shareKept && s.seededKept.get(weight)?.variant === variant)?.seededKept.get(weight)!.data;
    const adopt = theirs?.length === n && this.bytes + n * 4 - (hit?.data.byteLength ?? 0) <= this.keepLimit;
    let out = adopt ? theirs : draw();
    const grows = out.byteLength - (hit?.data.byteLength ?? 0);
    if (!adopt && (this.seeds.earlier(weight) !== variant || this.bytes + grows > this.keepLimit || grows > this.seededRoom())) return out;
    if (!adopt && this.shareKept) out = sharedCopy(out);
    if (hit) this.dropKept(hit.data);
    this.seededKept.set(weight, { variant, data: out });
    this.keptBuffers.set(out.buffer, out.byteLength);
    this.bytes += grows;
    return out;
  }

  private filled(n: number, from: ArrayLike<number>, lasting: boolean): Float32Array {
    const out = this.scratch(n, lasting);
    for (let i = 0; i < n; i++) out[i] = from[i];
    return out;
  }

  /** A kept buffer no longer kept: shared ones are counted for this thread's next collection (runtime/collect.ts). */
  private dropKept(data: Float32Array): void {
    this.keptBuffers.delete(data.buffer);
    // a sibling keeping the same array keeps it alive: nothing is freed
    if (data.buffer instanceof SharedArrayBuffer && !this.siblings().some((s) => s.keptBuffers.has(data.buffer))) noteSharedDropped(data.byteLength);
  }

  /** The buffers this store keeps and the bytes each counts (the model cache sums them over its entries, each buffer once). */
  kept(): ReadonlyMap<ArrayBufferLike, number> {
    return this.keptBuffers;
  }

  /** Bytes of shared weights this store keeps (what evicting it drops without V8 counting it). */
  get sharedBytes(): number {
    let n = 0;
    for (const b of this.keptBuffers.keys()) if (b instanceof SharedArrayBuffer) n += b.byteLength;
    return n;
  }

  /**
   * A kept fold of this host's weights, when one was made from the same source; else a sibling's
   * (another entry of this model) whose weight has `shape` and `folds` batch norms folded in, adopted within keepLimit.
   */
  foldedOf(host: string, key: string, shape?: readonly number[], folds?: number): FoldedWeights | undefined {
    const hit = this.foldedByHost.get(host);
    if (hit && hit.key === key && (folds === undefined || hit.folded === folds)) return hit;
    if (!this.keep || !shape || folds === undefined) return undefined;
    // the same source, weight shape and number of batch norms folded in (a capture can leave one unfolded)
    const same = (f: FoldedWeights | undefined): f is FoldedWeights => f?.key === key && f.folded === folds && f.weights.weight.shape.length === shape.length && f.weights.weight.shape.every((d, i) => d === shape[i]);
    const theirs = this.siblings().find((s) => s.shareKept === this.shareKept && same(s.foldedByHost.get(host)))?.foldedByHost.get(host);
    if (theirs) this.keepFolded(host, theirs, false);
    return this.foldedByHost.get(host) === theirs ? theirs : undefined;
  }

  /** Keeps a fold (kept stores only), its bytes counted: its buffers leave this step's scratch, or with shareKept shared copies of them are kept. */
  keepFolded(host: string, f: FoldedWeights, fresh = true): void {
    const size = (w: FoldedWeights) => w.weights.weight.data.byteLength + (w.weights.bias?.data.byteLength ?? 0);
    const before = this.foldedByHost.get(host);
    // over keepLimit the fold stays this step's scratch, as in a store that keeps nothing
    if (!this.keep || this.bytes + size(f) - (before ? size(before) : 0) > this.keepLimit) return;
    if (!fresh) {
      // a sibling's fold (foldedOf): its arrays, kept as they are
    } else if (this.shareKept) {
      // kept as shared copies; this step's scratch goes back to the pool as usual
      f = { ...f, weights: Object.fromEntries(Object.entries(f.weights).map(([role, t]) => [role, tensor(t.shape, sharedCopy(t.data))])) };
    } else {
      // a fold in a pooled buffer larger than it (BufferPool hands out a view of a free buffer up to
      // 1.5× as large) is kept as an exact copy, its scratch back to the pool: kept as the view, the
      // cache counted its bytes and held the whole buffer (resnet18.onnx's 256×128 downsample fold
      // in a 64×64×3×3 buffer: 16 KB held, not counted)
      if (Object.values(f.weights).some((t) => t.data.byteLength !== t.data.buffer.byteLength)) {
        f = { ...f, weights: Object.fromEntries(Object.entries(f.weights).map(([role, t]) => [role, t.data.byteLength === t.data.buffer.byteLength ? t : tensor(t.shape, t.data.slice())])) };
      }
      const mine = new Set(Object.values(f.weights).map((t) => t.data));
      this.lent = this.lent.filter((a) => !mine.has(a));
    }
    // a fold from another source (another seed) replaces the one kept
    if (before) {
      this.bytes -= size(before);
      for (const t of Object.values(before.weights)) this.dropKept(t.data);
    }
    this.foldedByHost.set(host, f);
    for (const t of Object.values(f.weights)) this.keptBuffers.set(t.data.buffer, t.data.byteLength);
    this.bytes += size(f);
  }
}

/** `a`'s values in a SharedArrayBuffer of their own, kept across jobs (a team's partners hold it by one id: runtime/team-weights.ts). */
function sharedCopy(a: Float32Array): Float32Array {
  const out = new Float32Array(lastingShared(new SharedArrayBuffer(a.byteLength)));
  out.set(a);
  return out;
}
