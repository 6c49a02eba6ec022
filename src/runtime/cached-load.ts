/**
 * A network to run, from this thread's model cache (runtime/model-cache.ts) when it was loaded
 * before, else imported or built and cached: a run's (runtime/tasks.ts) and an ERF sample's
 * (runtime/erf-task.ts), which load a graph the same way (the same folds within the same budgets),
 * so one entry serves both.
 */
import { inferGraph } from '../analysis/infer.js';
import type { Inference } from '../analysis/infer.js';
import type { Graph } from '../graph/graph.js';
import { loadGraph, placeAtModel } from '../graph/load.js';
import type { GraphOrigin, GraphSource } from '../graph/load.js';
import { chargeFold, chargeGraph, withDecode } from './memory-grant.js';
import { builtKey, cachedModel, familyKey, modelCache, modelKey } from './model-cache.js';
import type { WeightStore } from './weight-store.js';

export interface LoadedModel {
  graph: Graph;
  origin: GraphOrigin;
  inference: Inference;
  /** The cached entry's kept weights (none when the cache is off). */
  store?: WeightStore;
}

/** Imported or built afresh, its decode counted `decodes` times (an ERF's samples each decode it: runtime/memory-grant.ts withDecode). */
export function loadUncached(source: GraphSource, maxFolded: number, maxElements: number, decodes = 1): LoadedModel {
  // an ONNX file's weight folds within the configured MAX_TENSOR_ELEMENTS, their memory charged to the request before they run
  const { graph, origin } = withDecode(source, decodes, () => loadGraph(source, { maxFolded, maxElements, chargeFold: chargeFold(source) }));
  chargeGraph(graph, source);
  return { graph, origin, inference: inferGraph(graph, { maxFolded }) };
}

/**
 * The graph and analysis to run, from this thread's model cache when it was loaded before
 * (runtime/model-cache.ts: an ONNX file by its bytes and input shapes, a spec by its JSON, a zoo
 * model by name and resolution), else imported or built (and cached).
 */
export function loadCached(source: GraphSource, maxFolded: number, maxElements: number, decodes = 1): LoadedModel {
  if (modelCache.maxBytes <= 0) return loadUncached(source, maxFolded, maxElements, decodes);
  const key = source.kind === 'onnx' ? modelKey(source.bytes, source.inputShapes, maxFolded, maxElements) : builtKey(source, maxFolded);
  const hit = modelCache.get(key);
  // a zoo graph built for another request's field ($.model, query.model): its layers' errors at this one's
  if (hit && source.kind === 'model') placeAtModel(hit.graph, source);
  if (hit) return hit;
  // the same file at other input shapes: imported from the bytes that entry keeps, so the file is held once
  const family = familyKey(key);
  const file = source.kind === 'onnx' ? (modelCache.family(family).find((m) => m.file)?.file ?? source.bytes) : undefined;
  const loaded = source.kind === 'onnx' ? { ...source, bytes: file! } : source;
  const { graph, origin, inference } = loadUncached(loaded, maxFolded, maxElements, decodes);
  const entry = cachedModel(graph, origin, inference, file, family);
  modelCache.set(key, entry);
  return entry;
}
