/**
 * What decoding an ONNX file will hold, counted from its protobuf wire format before it is decoded.
 *
 * protobufjs turns every message into a JS object with its repeated fields as arrays, and every
 * element of a packed varint field (dims, int64_data, int32_data, uint64_data) into an array slot
 * (a Long object for the 64-bit ones). Those cost far more than their bytes: measured (2026-12-05,
 * decodeModel, the worker's heap after it), 2,000,111 bytes of 1,000,000 empty initializers held
 * 383 MB (3 s), 1,000,000 empty nodes 168 MB, a 21 MB file of 10^6 one-float initializers 784 MB
 * (9.5 s; its import then 2.2 GB); 8,000,134 bytes of one int64 initializer of 8·10^6 ones 467 MB.
 * The body's reservation (2 × its bytes) covered none of that: a 16 MB file of 8·10^6 empty
 * initializers held a worker 63 s and took the service from 370 MB to 2.75 GB resident, and a
 * 64 MB one (JSON_BODY_LIMIT, far under BODY_LIMIT) would need about 12 GB.
 *
 * The census walks the messages decoding allocates (the model, its graphs, nested ones inside node
 * attributes and training info, their nodes, attributes, tensors, value infos, functions) and
 * counts them and the packed varints in tensors; decodeBytes prices them at MESSAGE_BYTES (a
 * tensor at TENSOR_BYTES) and VARINT_BYTES, upper bounds of the figures above. The walk reads only tags and lengths (a 16 MB
 * file of 8·10^6 entries: about 40 ms). A malformed file is counted as far as it reads: the
 * decoder refuses it (ONNX_INVALID) after the charge.
 *
 * checkDecode is the one place a decode is judged: graph/onnx/proto.ts decodeModel calls it before
 * every decode (every route, the CLI, a Netron attachment), with the budget of its scope
 * (withDecodeBudget: the request's memory grant, MAX_ANALYSIS_WORK, the file's place in the request,
 * how many imports the decode serves) or, outside any, MAX_ANALYSIS_WORK from the environment.
 */
import { getHeapStatistics } from 'node:v8';
import { ConvlensError } from '../../errors.js';

/** Heap a decoded message holds: an empty TensorProto measured 383 bytes (its 8 repeated fields' arrays). */
export const MESSAGE_BYTES = 512;
/**
 * Heap a tensor holds, decoded and imported: 10^6 one-float initializers held 784 B each decoded,
 * and about 2.2 KB each once imported (the import's own objects for each constant beside the proto).
 */
export const TENSOR_BYTES = 2048;
/** Heap a packed varint element holds: 58 bytes measured (an int64's Long object and its array slot). */
export const VARINT_BYTES = 64;

export interface OnnxCensus {
  /** Messages decoding will allocate, tensors included. */
  messages: number;
  /** Of those, tensors (initializers, attribute tensors, sparse tensors' parts). */
  tensors: number;
  /** Elements of packed varint fields (tensor dims and integer data), each an array slot or a Long. */
  varints: number;
}

/** Which fields of a message are messages, by field number, and what kind; `packed`: packed varint fields. */
interface Shape {
  messages: Record<number, Kind>;
  packed?: readonly number[];
}
type Kind = 'model' | 'graph' | 'node' | 'attribute' | 'tensor' | 'sparse' | 'function' | 'training' | 'leaf';

// field numbers from onnx.proto (IR version 10)
const SHAPES: Record<Kind, Shape> = {
  // opset_import 8, metadata_props 14, training_info 20, functions 25, graph 7
  model: { messages: { 7: 'graph', 8: 'leaf', 14: 'leaf', 20: 'training', 25: 'function' } },
  // node 1, initializer 5, input 11, output 12, value_info 13, quantization_annotation 14, sparse_initializer 15, metadata_props 16
  graph: { messages: { 1: 'node', 5: 'tensor', 11: 'leaf', 12: 'leaf', 13: 'leaf', 14: 'leaf', 15: 'sparse', 16: 'leaf' } },
  // attribute 5, metadata_props 9
  node: { messages: { 5: 'attribute', 9: 'leaf' } },
  // t 5, g 6, tensors 10, graphs 11, tp 14, type_protos 15, sparse_tensor 22, sparse_tensors 23; ints 8 (packed)
  attribute: { messages: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 14: 'leaf', 15: 'leaf', 22: 'sparse', 23: 'sparse' }, packed: [8] },
  // segment 3, external_data 13, metadata_props 16; dims 1, int32_data 5, int64_data 7, uint64_data 11 (packed)
  tensor: { messages: { 3: 'leaf', 13: 'leaf', 16: 'leaf' }, packed: [1, 5, 7, 11] },
  // values 1, indices 2; dims 3 (packed)
  sparse: { messages: { 1: 'tensor', 2: 'tensor' }, packed: [3] },
  // attribute_proto 11, node 7, opset_import 9, value_info 12, metadata_props 14
  function: { messages: { 7: 'node', 9: 'leaf', 11: 'attribute', 12: 'leaf', 14: 'leaf' } },
  // initialization 1, algorithm 2, initialization_binding 3, update_binding 4
  training: { messages: { 1: 'graph', 2: 'graph', 3: 'leaf', 4: 'leaf' } },
  leaf: { messages: {} },
};

/** Graphs nest inside attributes (a Loop's body, an If's branches): deeper than this the decoder's own recursion limit refuses the file. */
const MAX_DEPTH = 100;

/** The messages and packed varints decoding `bytes` as a ModelProto allocates (the model itself counted). */
export function onnxCensus(bytes: Uint8Array): OnnxCensus {
  const census: OnnxCensus = { messages: 0, tensors: 0, varints: 0 };
  walk(bytes, 0, bytes.length, 'model', 0, census);
  return census;
}

/** The decode memory of a census, in bytes. */
export function decodeBytes(census: OnnxCensus): number {
  return (census.messages - census.tensors) * MESSAGE_BYTES + census.tensors * TENSOR_BYTES + census.varints * VARINT_BYTES;
}

/** Counts the message in [start, end) of kind `kind` and what it holds; stops quietly where the bytes stop making sense. */
function walk(bytes: Uint8Array, start: number, end: number, kind: Kind, depth: number, census: OnnxCensus): void {
  census.messages += 1;
  if (kind === 'tensor') census.tensors += 1;
  if (kind === 'leaf' || depth > MAX_DEPTH) return;
  const shape = SHAPES[kind];
  let pos = start;
  while (pos < end) {
    const tag = varint(bytes, pos, end);
    if (!tag) return;
    pos = tag.next;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (wire === 0) {
      const v = varint(bytes, pos, end);
      if (!v) return;
      pos = v.next;
      // an unpacked repeated varint is an element too
      if (shape.packed?.includes(field)) census.varints += 1;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const length = varint(bytes, pos, end);
      if (!length || length.next + length.value > end) return;
      const from = length.next;
      pos = from + length.value;
      const child = shape.messages[field];
      if (child) walk(bytes, from, pos, child, depth + 1, census);
      else if (shape.packed?.includes(field)) census.varints += packedCount(bytes, from, pos);
    } else return; // groups (3, 4) and 6, 7: not in onnx.proto; the decoder refuses or skips them
  }
}

/** Elements of a packed varint field: every varint ends at a byte under 0x80. */
function packedCount(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (bytes[i] < 0x80) n++;
  return n;
}

/** A varint at `pos` (up to 2^53 exactly, beyond approximately), or null if it runs past `end`. */
function varint(bytes: Uint8Array, pos: number, end: number): { value: number; next: number } | null {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < end && i < pos + 10; i++) {
    const b = bytes[i];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return { value, next: i + 1 };
  }
  return null;
}

/**
 * Work units (MAX_ANALYSIS_WORK's: one unit a layer's plain analysis, about 93 µs measured on a
 * 100,000-node file) decoding and importing one tensor costs: 10^6 one-float initializers took
 * 15.7 s, 15.7 µs each. Any other message: 10^6 empty nodes decoded in 1.6 s.
 */
export const TENSOR_UNITS = 0.2;
export const MESSAGE_UNITS = 0.02;

/** The work of decoding and importing a file `times` times (a sweep imports it once per size). */
export function decodeWork(census: OnnxCensus, times = 1): number {
  return Math.ceil(times * (census.tensors * TENSOR_UNITS + (census.messages - census.tensors) * MESSAGE_UNITS));
}

/** What a decode may cost, and where a refusal points (withDecodeBudget's scope; decodeModel's default outside one). */
export interface DecodeBudget {
  /** MAX_ANALYSIS_WORK: the decode's work (decodeWork, `times` over) may not pass it. */
  maxWork: number;
  /**
   * Imports of the file the budget covers: a sweep's sizes and its reference (one decode, reused,
   * and an import per size), an ERF job's samples (a task each, each decoding the file). Default 1.
   */
  times?: number;
  /** Where the request holds the file (`body`, a form part, `$.onnxBase64`, the CLI's path): a refusal's path. */
  at?: string;
  /** Charges the decode's memory to the request (runtime/memory-grant.ts decodeBudget); throws to refuse. */
  charge?: (bytes: number, what: string) => void;
}

/** MAX_ANALYSIS_WORK's default (analysis/analysis-work.ts DEFAULT_MAX_ANALYSIS_WORK, which a test holds equal: imported, it would close an import cycle through graph/load.ts). */
export const DEFAULT_DECODE_MAX_WORK = 600_000;

/** MAX_ANALYSIS_WORK from the environment as analysis-work.ts reads it (an integer ≥ 1, else the default). */
export function envDecodeMaxWork(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MAX_ANALYSIS_WORK;
  const n = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_DECODE_MAX_WORK;
}

/**
 * Judges decoding `bytes` before it happens: refuses (413 ANALYSIS_TOO_LARGE) a decode and import
 * whose work, `times` over, passes MAX_ANALYSIS_WORK; refuses (413 WORKER_OUT_OF_MEMORY) one whose
 * memory passes what this thread's heap has left (the CLI has no memory budget: a 16 MB file of
 * 8·10^6 empty initializers took it 68 s to 3.2 GB, a 32 MB one would end in V8's fatal
 * out-of-memory crash); then charges the memory to the request (`charge`), past what the body's
 * reservation (2 × the file) or 1 MiB covers. Reads only tags and lengths (onnxCensus).
 */
export function checkDecode(bytes: Uint8Array, budget: DecodeBudget): OnnxCensus {
  const census = onnxCensus(bytes);
  const { maxWork, times = 1, at, charge } = budget;
  const path = at === undefined ? {} : { path: at };
  const held = `the ONNX file's ${census.messages} messages (${census.tensors} of them tensors)`;
  const estimate = decodeWork(census, times);
  if (estimate > maxWork) {
    throw new ConvlensError(
      'ANALYSIS_TOO_LARGE',
      `decoding and importing ${held}${times > 1 ? ` ${times} times (a sweep's sizes and its reference, or an ERF's samples)` : ''} would cost about ${estimate} units of work (one unit: a layer's plain analysis), over the limit of ${maxWork} (MAX_ANALYSIS_WORK); a file with fewer initializers (fold or merge its constants)${times > 1 ? ', or fewer sizes or samples,' : ''} fits`,
      { ...path, estimate, limit: maxWork, ...(times > 1 && { times }) },
    );
  }
  const memory = decodeBytes(census);
  const heap = getHeapStatistics();
  const left = heap.heap_size_limit - heap.used_heap_size;
  if (memory > left) {
    throw new ConvlensError(
      'WORKER_OUT_OF_MEMORY',
      `decoding ${held} and ${census.varints} packed integers would hold about ${mb(memory)} MB, more than the ${mb(left)} MB this process's heap has left (of ${mb(heap.heap_size_limit)} MB; node's --max-old-space-size); a file with fewer initializers (fold or merge its constants) fits`,
      { ...path, bytes: memory, heapLeft: left },
    );
  }
  // what the body's reservation (2 × the file) already holds for it needs no ask, nor does 1 MiB (as a run's peak: UNASKED_RUN_BYTES)
  if (charge && memory > Math.max(2 * bytes.byteLength, 1024 * 1024)) charge(memory, `decoding ${held} and ${census.varints} packed integers`);
  return census;
}

const mb = (n: number) => Math.ceil(n / 2 ** 20);
