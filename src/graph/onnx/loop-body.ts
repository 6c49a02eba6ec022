/**
 * The body of an ONNX Loop kept whole (ops/loop.ts), imported once as a sub-graph whose inputs are
 * the body's (iteration number, condition, carried values) and the tensors it reads from the
 * enclosing graphs. Each use instantiates it with what is known:
 *
 *   bound    (analysis) once per iteration up to the trip count's bound: the iteration number and
 *            every known value folded, carried shapes from the iteration before; costs summed. A
 *            value the body's shapes depend on but the analysis cannot know is taken at its bound
 *            where one is stated (boxesAtImage): int64 boxes [M, 4] (x1, y1, x2, y2) read by a
 *            body that builds an image-sized [·, H, W] carried value are taken as the whole
 *            H × W image, [0, 0, W − 1, H − 1], the largest box after torchvision clips
 *            detections to the image. When the body cannot be inferred even so and the importer
 *            gave an image extent H × W (the largest map of the enclosing graph: a detector's image
 *            after its transform, in whose frame the ROIs are, clipped to it), the per-ROI float
 *            values it reads (rank-1 tensors: torchvision's heatmaps_to_keypoints reads each ROI's
 *            widths_ceil/heights_ceil and resizes its heatmap to them) are all taken as max(H, W),
 *            the largest size of a box clipped to that image (roiSizesAtExtent). Anything else
 *            unknown fails the analysis (the importer then leaves the Loop unsupported, saying why).
 *   iterate  (run) with the iteration's concrete tensors: integer and boolean ones (iteration
 *            number, condition, boxes, counters) folded as constants so that the shapes they set
 *            are inferred exactly, float ones fed as inputs (rank-1 float ones folded too when the
 *            body's shapes need them, as the bound found); inferred afresh and run through the
 *            executor's hook.
 * Zero-size tensors (a box touching the image border pads with [0, W] zeros) are allowed inside
 * the body; ops that cannot take them fail as they would anywhere.
 */
import { ConvlensError, fmtShape } from '../../errors.js';
import { inferGraph } from '../../analysis/infer.js';
import type { Inference } from '../../analysis/infer.js';
import type { Graph, GraphConstant } from '../graph.js';
import type { LayerCost, Shape, TensorValue } from '../../ops/types.js';
import type { LoopBody, LoopBound } from '../../ops/loop.js';
import type { Tensor } from '../../tensor/tensor.js';
import { holdsIntegers, isFloat } from '../../tensor/dtype.js';
import type { DataType } from '../../tensor/dtype.js';
import { numel } from '../../tensor/tensor.js';
import { kernelWork, runWork } from '../../ops/common.js';
import { float16OutputWork } from './float16-work.js';
import { nameNormsByRank } from './map-norm.js';

/** Most elements of a tensor folded as a constant at run time (boxes, indices): larger ones are fed as inputs. */
const MAX_FOLDED_FEED = 1 << 16;

/** The image the ROIs are in: H × W and the tensor it was read from (for the warning). */
export interface Extent {
  h: number;
  w: number;
  source: string;
}

/** A body as the importer holds it: the extent can be set once the enclosing graph's shapes are inferred. */
export interface ImportedLoopBody extends LoopBody {
  setExtent(extent: Extent | null): void;
  /** the body as imported (its layers' names settled by rank as it is inferred: map-norm.ts nameNormsByRank) */
  readonly graph: Graph;
}

interface Feed {
  shape: Shape;
  value: TensorValue | null;
}

/**
 * `graph`: the body imported with inputs [iteration, cond, v₁ … vₖ, c₁ … cₙ] (placeholder shapes)
 * and outputs [cond, v₁′ … vₖ′, scans …]; `types`: the element type of each input.
 */
export function loopBody(graph: Graph, types: readonly DataType[], carried: number, maxFolded?: number, initialExtent: Extent | null = null): ImportedLoopBody {
  let extent = initialExtent;
  const names = graph.inputs.map((i) => i.name);
  const scans = (graph.outputs?.length ?? 0) - 1 - carried;
  const captured = names.length - 2 - carried;
  if (scans < 0 || captured < 0) throw new ConvlensError('ONNX_GRAPH_INVALID', `a Loop body needs 1 + ${carried} outputs at least and 2 + ${carried} inputs, has ${graph.outputs?.length ?? 0} and ${names.length}`, { path: '$.graph' });
  const outputs = graph.outputs!;

  /** The body with these inputs: known values as constants, the others as inputs of their shape. */
  const instantiate = (feeds: readonly Feed[]): Graph => {
    const constants = new Map(graph.constants);
    const inputs: Graph['inputs'] = [];
    feeds.forEach((f, i) => {
      if (f.value) constants.set(names[i], constantOf(names[i], f, types[i]));
      else inputs.push({ name: names[i], shape: [...f.shape], path: graph.inputs[i].path });
    });
    return { ...graph, inputs, constants };
  };
  const infer = (g: Graph): Inference => {
    const inf = inferGraph(g, { maxFolded, allowEmpty: true });
    // its normalisations take PyTorch's names by their input's rank, as the enclosing graph's do in
    // import.ts settle (a body's layers are the same objects in every instantiation)
    nameNormsByRank(graph, inf.tensors);
    return inf;
  };

  let last: { key: string; bound: LoopBound } | null = null;
  /** Whether the body's shapes need the per-ROI float values (the bound found so): a run then folds them. */
  let needsFloats = false;
  /** The bound with boxes at the image; failing that, with per-ROI float sizes at the image extent too. */
  const boundOnce = (tripCount: number, shapes: readonly Shape[], values: readonly (TensorValue | null)[]): LoopBound => {
    const boxes = boxesAtImage(shapes, values, types, names, carried);
    try {
      return boundWith(tripCount, shapes, values, boxes);
    } catch (e) {
      const sizes = e instanceof ConvlensError ? roiSizesAtExtent(shapes, values, types, names, carried, extent) : null;
      if (!sizes) throw e;
      const both = { values: boxes.values.map((v, j) => v ?? sizes.values[j]), words: [boxes.words, sizes.words].filter(Boolean).join('; ') };
      const bound = boundWith(tripCount, shapes, values, both);
      needsFloats = true;
      return bound;
    }
  };
  /** The body inferred for each of the iterations up to the bound, its layers' costs summed. */
  const boundWith = (tripCount: number, shapes: readonly Shape[], values: readonly (TensorValue | null)[], assumed: Assumed): LoopBound => {
    // [cond, v…, c…] as the layer reads them, after the trip count
    const cost: LayerCost = { macs: 0, exactMacOps: 0, biasOps: 0, elementwise: 0, intMacs: 0 };
    // the body's kernels' work where one states its own (einsum's general loop: Inferred.kernelWork), else the cost's;
    // and a run's of them (ops/common.ts runWork: an element-wise loop's rate), which MAX_RUN_WORK reads, with the
    // rounding of each body output the file types FLOAT16 (the body runs through runGraph, which rounds it)
    let work = 0;
    let run = 0;
    let state: Feed[] = shapes.slice(1, 1 + carried).map((s, j) => ({ shape: s, value: values[1 + j] }));
    const capturedFeeds: Feed[] = shapes.slice(1 + carried).map((s, j) => ({ shape: s, value: assumed.values[j] ?? values[1 + carried + j] }));
    let scanShapes: number[][] = [];
    let layers = 0;
    for (let i = 0; i < tripCount; i++) {
      const inf = infer(instantiate([{ shape: [], value: { data: [i], integer: true } }, { shape: shapes[0], value: values[0] ?? { data: [1], integer: true } }, ...state, ...capturedFeeds]));
      layers = 0;
      for (const a of inf.analysed) {
        if (!a.op || !a.inferred) throw new ConvlensError('UNSUPPORTED_OPERATOR', `layer '${a.layer.name}' (${a.layer.source?.opType ?? a.layer.op}) of the body cannot be analysed${a.unsupported || a.layer.attrs.reason ? `: ${a.unsupported ?? String(a.layer.attrs.reason)}` : ''}`, { layer: a.layer.name });
        if (a.inferred.weights.length > 0) throw new ConvlensError('UNSUPPORTED_OPERATOR', `layer '${a.layer.name}' of the body has weights; convlens runs only bodies without weights`, { layer: a.layer.name });
        if (a.folded) continue;
        layers++;
        const c = a.inferred.cost;
        cost.macs += c.macs;
        cost.exactMacOps += c.exactMacOps;
        cost.biasOps += c.biasOps;
        cost.elementwise += c.elementwise;
        cost.intMacs! += c.intMacs ?? 0;
        work += kernelWork(a.inferred);
        run += runWork(a.inferred) + float16OutputWork(a.layer, a.inferred.outputs);
      }
      const info = (name: string) => inf.tensors.get(name) ?? { shape: null, value: null };
      state = outputs.slice(1, 1 + carried).map((o) => ({ shape: info(o).shape ?? [], value: info(o).value }));
      const now = outputs.slice(1 + carried).map((o) => [...(info(o).shape ?? [])]);
      // a scan output keeps one shape (ONNX); at a bound, the largest of each dimension
      scanShapes = i === 0 ? now : scanShapes.map((s, j) => s.map((d, k) => Math.max(d, now[j][k] ?? d)));
    }
    // no iteration: each scan's shape is one iteration's at the initial values, its cost not counted; one the
    // body cannot give (a shape from data) is rank 1, as ONNX Runtime defaults it: the stacked output [0]
    if (tripCount === 0) scanShapes = firstScanShapes(shapes, values, capturedFeeds, state);
    if (cost.intMacs === 0) delete cost.intMacs;
    return { carried: state.map((s) => s.shape), scans: scanShapes, cost, kernelWork: work, ...(run === work ? {} : { runWork: run }), layers, assumption: assumed.words };
  };

  /** The scan outputs' shapes of iteration 0, or [] each where the body cannot be inferred. */
  const firstScanShapes = (shapes: readonly Shape[], values: readonly (TensorValue | null)[], capturedFeeds: Feed[], state: Feed[]): number[][] => {
    try {
      const inf = infer(instantiate([{ shape: [], value: { data: [0], integer: true } }, { shape: shapes[0], value: values[0] ?? { data: [1], integer: true } }, ...state, ...capturedFeeds]));
      return outputs.slice(1 + carried).map((o) => [...(inf.tensors.get(o)?.shape ?? [])]);
    } catch (e) {
      if (!(e instanceof ConvlensError)) throw e;
      return outputs.slice(1 + carried).map(() => []);
    }
  };

  return {
    carried,
    scans,
    captured,
    graph,
    setExtent(e) {
      extent = e;
      last = null;
    },
    bound(tripCount, shapes, values): LoopBound {
      // the same question again (the importer's check, then the analysis, then a run's inference): the same answer
      const key = JSON.stringify([tripCount, shapes, values]);
      if (last?.key === key) return last.bound;
      const bound = boundOnce(tripCount, shapes, values);
      last = { key, bound };
      return bound;
    },
    iterate(iteration, inputs, runSubgraph) {
      const feeds: Feed[] = [{ shape: [], value: { data: [iteration], integer: true } }];
      const given: Record<string, Tensor> = {};
      inputs.forEach((t, j) => {
        const type = types[j + 1];
        const integer = holdsIntegers(type);
        // per-ROI float values (rank 1) set the body's shapes where the bound needed them (heatmaps resized to each ROI's size)
        const fold = (integer || (needsFloats && t.shape.length <= 1)) && t.data.length <= MAX_FOLDED_FEED;
        feeds.push({ shape: t.shape, value: fold ? { data: Array.from(t.data), integer } : null });
        if (!fold) given[names[j + 1]] = t;
      });
      const g = instantiate(feeds);
      const inf = infer(g);
      const res = runSubgraph(g, given, inf);
      return outputs.map((o) => {
        const t = res[o];
        if (!t) throw new ConvlensError('INTERNAL', `the loop body's output '${o}' was not computed`);
        return t;
      });
    },
  };
}

function constantOf(name: string, f: Feed, type: DataType): GraphConstant {
  return { name, shape: [...f.shape], dataType: type, value: f.value, raw: null, typed: null, initializer: false };
}

interface Assumed {
  /** per captured tensor: the value taken at its bound, or null */
  values: (TensorValue | null)[];
  words: string;
}

/**
 * The stated bound of per-ROI float values the body reads without known values (rank-1 float
 * tensors of the enclosing graph: torchvision's heatmaps_to_keypoints reads widths_ceil,
 * heights_ceil, the clipped widths and heights and the offsets): each taken as max(H, W) of the
 * image extent, the largest width or height of a box clipped to the image. Null without an extent
 * or without such a tensor.
 */
function roiSizesAtExtent(shapes: readonly Shape[], values: readonly (TensorValue | null)[], types: readonly DataType[], names: readonly string[], carried: number, extent: Extent | null): Assumed | null {
  if (!extent) return null;
  const size = Math.max(extent.h, extent.w);
  const out: (TensorValue | null)[] = [];
  const taken: string[] = [];
  shapes.slice(1 + carried).forEach((s, j) => {
    const k = 1 + carried + j;
    const type = types[k + 1];
    const isSizes = !values[k] && isFloat(type) && s.length === 1 && s[0] <= MAX_FOLDED_FEED;
    if (!isSizes) return void out.push(null);
    out.push({ data: new Array<number>(s[0]).fill(size), integer: false });
    taken.push(`'${names[k + 1]}' ${fmtShape(s)}`);
  });
  if (taken.length === 0) return null;
  return {
    values: out,
    words: `with every per-ROI float value the body reads (${taken.join(', ')}) taken as ${size}, the largest width or height (torchvision's widths_ceil/heights_ceil) of a box clipped to the ${extent.h}×${extent.w} image ${extent.source}`,
  };
}

/**
 * The stated bound of boxes the body reads without known values: int64 [M, 4] taken as the whole
 * image, H × W the last two dims of the first carried value of rank ≥ 2 (the masks pasted into it).
 */
function boxesAtImage(shapes: readonly Shape[], values: readonly (TensorValue | null)[], types: readonly DataType[], names: readonly string[], carried: number): Assumed {
  const image = shapes.slice(1, 1 + carried).find((s) => s.length >= 2);
  const out: (TensorValue | null)[] = [];
  const said: string[] = [];
  shapes.slice(1 + carried).forEach((s, j) => {
    const k = 1 + carried + j;
    const isBoxes = !values[k] && holdsIntegers(types[k + 1]) && s.length === 2 && s[1] === 4 && numel(s) <= MAX_FOLDED_FEED;
    if (!isBoxes || !image) return void out.push(null);
    const [h, w] = image.slice(-2);
    const data: number[] = [];
    for (let r = 0; r < s[0]; r++) data.push(0, 0, w - 1, h - 1);
    out.push({ data, integer: true });
    said.push(`each box of '${names[k + 1]}' ${fmtShape(s)} taken as the whole ${h}×${w} image, [0, 0, ${w - 1}, ${h - 1}]`);
  });
  return { values: out, words: said.length ? `with ${said.join('; ')} (the largest box clipped to the image; torchvision's expand_boxes then widens a box by the mask padding, e.g. 30/28, which this does not count)` : '' };
}
