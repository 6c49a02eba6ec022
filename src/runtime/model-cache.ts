/**
 * The model cache (issue 12): a second /v1/run of the same ONNX file skips its decode, import,
 * shape inference and BN folding; a spec or zoo model run again skips its build, its analysis and
 * its folds, and from its third run with one seed drawing its seeded weights (runtime/weight-store.ts
 * seeded). One per thread: every piscina worker has its own (module state is per thread), so a
 * model run on two workers is cached twice, and a worker that restarts starts empty.
 *
 * An ONNX file is keyed by the SHA-256 of its bytes (hashed by the route as the file arrived and
 * sent with the task, else here: runtime/file-digest.ts), with the input shapes the run gives (dynamic
 * dimensions are resolved at import); a spec by the SHA-256 of its JSON; a zoo model by name and
 * resolution (the zoo's default when none is given); each with MAX_FOLDED_ELEMENTS (folding
 * depends on it), a file with MAX_TENSOR_ELEMENTS too (a weight folds within it). An entry holds the graph (an ONNX file's initializers are views into its bytes,
 * which it keeps), the analysis, and a kept WeightStore: the convs' weights with their batch norms
 * folded in, made by the first fused run and reused by the next, and weights decoded, transposed or
 * drawn from the seed again by later runs (runtime/weight-store.ts), within the budget.
 *
 * One model at several input sizes (a zoo model's resolutions, a file's input shapes) is one
 * family (familyKey): its entries hold the file once and share the folds and seeded weights they
 * keep (runtime/weight-store.ts siblings), and the cache counts each shared buffer once.
 *
 * Bounded by bytes (MODEL_CACHE_BYTES per worker; 0 turns it off), least recently used first
 * out. An entry counts the file's buffer, the weights folded at import, the weights its store keeps, and an estimate of the
 * graph and analysis objects (PER_LAYER_BYTES a layer). Those bytes are outside the per-request
 * admission budget: `modelCacheReserve` is what the workers' caches may hold in all, for the
 * server to take off MEMORY_BUDGET_BYTES so the two are not spent twice.
 */
import { createHash } from 'node:crypto';
import type { Inference } from '../analysis/infer.js';
import { ConfigSchema } from '../config.js';
import { DEFAULT_MAX_TENSOR_ELEMENTS, memoryBudgetBytes } from '../limits.js';
import type { Graph } from '../graph/graph.js';
import type { GraphOrigin } from '../graph/load.js';
import { WeightStore } from './weight-store.js';
import { fileDigest } from './file-digest.js';
import { noteSharedDropped } from './collect.js';
import { ZOO_BY_NAME } from '../zoo/index.js';

/** Heap bytes a cached layer's graph and analysis objects take, roughly (measured: 1–3 KB). */
export const PER_LAYER_BYTES = 4096;

export interface CachedModel {
  graph: Graph;
  origin: GraphOrigin;
  inference: Inference;
  store: WeightStore;
  /** Bytes of the file's buffer the graph keeps. */
  fileBytes: number;
  /** Bytes of the weights the import folded from constants (graph/fold-constants.ts: a standardised ResNet-50's are 94 MB), held by the graph. */
  foldedBytes: number;
  /** The file's bytes the graph views (an ONNX file's): another entry of the same file imports from these, so they are held once. */
  file?: Uint8Array;
  /** The model this entry is one size of (familyKey): entries of one family share their kept weights. */
  family?: string;
}

/** Bytes of the values folded at import that the graph's constants hold, each array once. */
export function foldedBytes(graph: Graph): number {
  const arrays = new Set<ArrayBufferView>();
  for (const c of graph.constants.values()) if (c.folded && c.typed && ArrayBuffer.isView(c.typed)) arrays.add(c.typed);
  let n = 0;
  for (const a of arrays) n += a.byteLength;
  return n;
}

/**
 * The cache key of a spec (the SHA-256 of its JSON) or a zoo model (its name and resolution) under
 * this folding budget: a spec or zoo model run again reuses its graph, its analysis and the
 * weights its runs keep (folds; seeded weights from the second run that draws them).
 */
export function builtKey(source: { kind: 'spec'; spec: unknown; at?: string } | { kind: 'model'; name: string; resolution?: number }, maxFolded: number): string {
  // the zoo's default resolution when none is given: the same graph as that resolution given
  if (source.kind === 'model') return `model:${source.name}:${source.resolution ?? ZOO_BY_NAME.get(source.name)?.resolution ?? ''}:${maxFolded}`;
  // where the request held it too: the graph's layer paths (its errors' paths) are the request's
  return `spec:${source.at ?? '$'}:${createHash('sha256').update(JSON.stringify(source.spec)).digest('hex')}:${maxFolded}`;
}

/** The cache key of a file with these input shapes under this folding budget and MAX_TENSOR_ELEMENTS (a weight past it is not folded). */
export function modelKey(bytes: Uint8Array, inputShapes: Record<string, number[]>, maxFolded: number, maxElements = DEFAULT_MAX_TENSOR_ELEMENTS): string {
  // the digest the route computed as the file arrived, else hashed here (runtime/file-digest.ts)
  const hash = fileDigest(bytes);
  const shapes = Object.keys(inputShapes)
    .sort()
    .map((k) => [k, inputShapes[k]]);
  return `${hash}:${maxFolded}:${maxElements}:${JSON.stringify(shapes)}`;
}

/**
 * The model an entry is one input size of: a zoo model by name, an ONNX file by its SHA-256, each
 * under the budgets its key carries; null for a spec (its JSON holds its input sizes). Its entries
 * at other sizes hold the same weights: the file once (the later import reads the earlier's bytes),
 * seeded weights and folds kept once (runtime/weight-store.ts siblings). resnet18 at 64, 96 and
 * 128 px kept its 45 MB of weights three times.
 */
export function familyKey(key: string): string | null {
  if (key.startsWith('model:')) return key.slice(0, key.indexOf(':', 6)) + key.slice(key.lastIndexOf(':'));
  if (key.startsWith('spec:')) return null;
  // an ONNX key: hash:maxFolded:maxElements:shapes
  const parts = key.split(':');
  return parts.slice(0, 3).join(':');
}

export class ModelCache {
  /** Insertion order is recency: the first entry is the least recently used. */
  private readonly entries = new Map<string, CachedModel>();

  /** New entries keep their weights in shared memory, for this worker's partner threads (runtime/weight-store.ts shareKept; worker.ts sets it with a team). */
  shareWeights = false;

  constructor(public maxBytes: number) {}

  /** An entry's bytes as if it were alone (what it shares with another entry counted too). */
  static sizeOf(m: CachedModel): number {
    return m.fileBytes + m.foldedBytes + m.store.bytes + m.graph.layers.length * PER_LAYER_BYTES;
  }

  /** Bytes held by these entries: a file or kept weight two of them share (one family) counted once. */
  static sizeOfAll(models: Iterable<CachedModel>): number {
    const buffers = new Map<ArrayBufferLike, number>();
    let total = 0;
    for (const m of models) {
      total += m.foldedBytes + m.graph.layers.length * PER_LAYER_BYTES;
      if (m.file) buffers.set(m.file.buffer, m.fileBytes);
      else total += m.fileBytes;
      for (const [buffer, n] of m.store.kept()) buffers.set(buffer, n);
    }
    for (const n of buffers.values()) total += n;
    return total;
  }

  /** Bytes held by every entry now (folded weights kept by a run count as soon as they are kept). */
  get bytes(): number {
    return ModelCache.sizeOfAll(this.entries.values());
  }

  /** The entries of this family (familyKey), least recently used first. */
  family(family: string | null | undefined): CachedModel[] {
    return family ? [...this.entries.values()].filter((m) => m.family === family) : [];
  }

  /** Bytes of `m`'s shared weights no other entry keeps: what dropping it frees without V8 counting it. */
  private sharedOnlyIn(m: CachedModel): number {
    let n = 0;
    const others = this.family(m.family).filter((o) => o !== m);
    for (const b of m.store.kept().keys()) if (b instanceof SharedArrayBuffer && !others.some((o) => o.store.kept().has(b))) n += b.byteLength;
    return n;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether `m` is one of the entries (its bytes are in `bytes`). */
  holds(m: CachedModel): boolean {
    for (const e of this.entries.values()) if (e === m) return true;
    return false;
  }

  get(key: string): CachedModel | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  /** Adds (or refreshes) an entry as the most recent, then trims to the budget. */
  set(key: string, model: CachedModel): void {
    if (this.maxBytes <= 0) return;
    const before = this.entries.get(key);
    if (before && before !== model) noteSharedDropped(this.sharedOnlyIn(before));
    this.entries.delete(key);
    this.entries.set(key, model);
    this.trim();
  }

  /** Drops the least recently used entries until the cache fits its budget (an entry alone over it goes too). */
  trim(): void {
    for (const [key, m] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      // its shared weights no other entry keeps go when this thread next collects (runtime/collect.ts)
      noteSharedDropped(this.sharedOnlyIn(m));
      this.entries.delete(key);
    }
  }

  clear(): void {
    // a family's shared weights once each, not once for every entry that adopted them
    const shared = new Set<SharedArrayBuffer>();
    for (const m of this.entries.values()) for (const b of m.store.kept().keys()) if (b instanceof SharedArrayBuffer) shared.add(b);
    let bytes = 0;
    for (const b of shared) bytes += b.byteLength;
    noteSharedDropped(bytes);
    this.entries.clear();
  }
}

/** MODEL_CACHE_BYTES from the environment (worker threads inherit it), or its default. */
export function modelCacheBytes(env: NodeJS.ProcessEnv = process.env): number {
  const schema = ConfigSchema.shape.MODEL_CACHE_BYTES;
  const parsed = schema.safeParse(env.MODEL_CACHE_BYTES);
  return parsed.success ? parsed.data : schema.parse(undefined);
}

/**
 * Bytes each worker's model cache may hold: MODEL_CACHE_BYTES, shrunk so the workers' caches take
 * at most three quarters of the memory budget (the pool passes it to every worker), so requests
 * always keep a quarter and the caches never overspend the budget.
 */
export function modelCacheBytesPerWorker(config: { MODEL_CACHE_BYTES: number; MEMORY_BUDGET_BYTES?: number }, workers: number): number {
  return Math.min(config.MODEL_CACHE_BYTES, Math.floor((memoryBudgetBytes(config) * 3) / 4 / Math.max(1, workers)));
}

/** Bytes all the workers' model caches may hold, for the admission budget to set aside. */
export function modelCacheReserve(config: { MODEL_CACHE_BYTES: number; MEMORY_BUDGET_BYTES?: number }, workers: number): number {
  return modelCacheBytesPerWorker(config, workers) * workers;
}

/** This thread's cache. */
export const modelCache = new ModelCache(modelCacheBytes());

/**
 * A new entry for a freshly imported model, or a built spec or zoo model (no file). Its store keeps
 * folds and seeded weights within the budget less the file and the graph (keepLimit), seeded
 * weights only within what the cache has free (never evicting another model for them).
 */
export function cachedModel(graph: Graph, origin: GraphOrigin, inference: Inference, bytes?: Uint8Array, family?: string | null): CachedModel {
  const fileBytes = bytes?.buffer.byteLength ?? 0;
  const store = new WeightStore(true, modelCache.shareWeights);
  const entry: CachedModel = { graph, origin, inference, store, fileBytes, foldedBytes: foldedBytes(graph), ...(bytes && { file: bytes }), ...(family && { family }) };
  // the same model's other entries, as they are when a run asks (the cache changes between runs)
  store.siblings = () => modelCache.family(family).flatMap((m) => (m === entry ? [] : [m.store]));
  store.keepLimit = Math.max(0, modelCache.maxBytes - fileBytes - entry.foldedBytes - graph.layers.length * PER_LAYER_BYTES);
  // what the other entries leave free (an entry not held yet, or no longer, counts itself as it would be)
  store.seededRoom = () => modelCache.maxBytes - modelCache.bytes - (modelCache.holds(entry) ? 0 : ModelCache.sizeOf(entry));
  return entry;
}
