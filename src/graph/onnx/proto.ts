/**
 * ONNX protobuf decoding with protobufjs and the official onnx.proto (schema/onnx/onnx.proto,
 * from the ONNX project, Apache-2.0). Bytes fields (raw_data) decode as views into the input
 * buffer, so a 500 MB model's weights are never copied.
 */
import path from 'node:path';
import protobuf from 'protobufjs';
import { ConvlensError } from '../../errors.js';
import { PACKAGE_ROOT } from '../../paths.js';
import { looksLikeJson } from '../../json-text.js';
import { checkDecode, envDecodeMaxWork } from './census.js';
import type { DecodeBudget } from './census.js';

/** An int64 field as protobufjs decodes it: a number, or a long.js Long (toString gives its exact digits). */
export type Long = { toNumber(): number; toString(): string } | number;

export interface TensorProto {
  dims: Long[];
  dataType: number;
  name: string;
  rawData?: Uint8Array;
  floatData: number[];
  int32Data: number[];
  int64Data: Long[];
  doubleData: number[];
  uint64Data: Long[];
  dataLocation?: number;
  /** Where EXTERNAL data lies (`location`: a file beside the model, `offset`, `length`). */
  externalData?: { key: string; value: string }[];
}

/** schema/onnx/onnx.proto, message AttributeProto, enum AttributeType: which field holds the value. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

/** The enum name of an AttributeProto.type number (`INTS`), or the number itself when unknown. */
export function attributeTypeName(type: number): string {
  return Object.entries(AttributeType).find(([, v]) => v === type)?.[0] ?? String(type);
}

export interface AttributeProto {
  name: string;
  /** AttributeType; UNDEFINED in IR version 1 files, where the value field present says it. */
  type: number;
  f?: number;
  i?: Long;
  s?: Uint8Array;
  t?: TensorProto;
  floats: number[];
  ints: Long[];
  strings: Uint8Array[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: AttributeProto[];
}

export interface DimProto {
  dimValue?: Long;
  dimParam?: string;
}

export interface ValueInfoProto {
  name: string;
  /** One of: a tensor, or (read only to be refused) a sequence, map, optional or sparse tensor. */
  type?: { tensorType?: { elemType: number; shape?: { dim: DimProto[] } }; sequenceType?: object; mapType?: object; optionalType?: object; sparseTensorType?: object };
}

export interface GraphProto {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
}

export interface ModelProto {
  irVersion?: Long;
  opsetImport: { domain: string; version: Long }[];
  producerName?: string;
  producerVersion?: string;
  graph?: GraphProto;
}

let modelType: protobuf.Type | null = null;

function model(): protobuf.Type {
  if (!modelType) modelType = protobuf.loadSync(path.join(PACKAGE_ROOT, 'schema', 'onnx', 'onnx.proto')).lookupType('onnx.ModelProto');
  return modelType;
}

export function num(v: Long | undefined | null): number {
  if (v === undefined || v === null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/**
 * An int64 beyond ±2^53, which toNumber() rounds to the nearest double (2^53 + 1 reads as 2^53):
 * its exact digits, for a message; null when the number is exact.
 */
export function inexactSize(v: Long | undefined | null): string | null {
  if (v === undefined || v === null || typeof v === 'number' || Number.isSafeInteger(v.toNumber())) return null;
  const digits = v.toString();
  const n = BigInt(digits);
  return n > 2n ** 53n || n < -(2n ** 53n) ? digits : null;
}

/**
 * What the bytes given as an ONNX file are instead, when they say so: JSON text (a spec sent as the
 * file), a Git LFS pointer (a checkout without `git lfs pull`: a CI job's model.onnx is then ~130
 * bytes of text), a PyTorch file (torch.save's ZIP archive or pickle, TorchScript's ZIP), another
 * ZIP archive (a zipped model) or an
 * HTML page (a download that fetched a web page: a login, an error, a GitHub blob page rather than
 * its raw file). Else nothing: protobuf's reason alone.
 */
const notOnnxHint = (bytes: Uint8Array): string => {
  if (looksLikeJson(bytes)) return '; it reads as JSON text: a network spec goes in a JSON body (Content-Type: application/json) or in a form\'s "request" field, not as the ONNX file';
  const head = new TextDecoder('utf-8').decode(bytes.subarray(0, 512));
  if (head.startsWith('version https://git-lfs.github.com/spec/')) {
    const size = /\nsize (\d+)/.exec(head)?.[1];
    return `; it is a Git LFS pointer${size === undefined ? '' : ` to a file of ${Number(size).toLocaleString('en-US')} bytes`}, not the file: fetch its content first (git lfs pull)`;
  }
  // torch.save's file (a ZIP archive since torch 1.6; a pickle, protocol 2, before and with
  // _use_new_zipfile_serialization=False) and TorchScript's (.pt, a ZIP archive) are PyTorch's own
  const pytorch = '(.pt, .pth): export the module with torch.onnx.export instead (README: Exporting a model from PyTorch)';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    // PyTorch's archives name their first entry <archive>/data.pkl (torch.save) or <archive>/data/0
    // (torch.jit.save): any other ZIP (a zipped model.onnx) is no PyTorch file
    const nameLength = bytes.length >= 30 ? bytes[26] | (bytes[27] << 8) : 0;
    const first = new TextDecoder('utf-8').decode(bytes.subarray(30, 30 + nameLength));
    if (/^[^/]+\/(data\.pkl|data\/|code\/|constants\.pkl|version)/.test(first)) return `; it is a ZIP archive, as torch.save and TorchScript write ${pytorch}`;
    return '; it is a ZIP archive, not an ONNX file: if it holds the model, unzip it and give the .onnx file inside';
  }
  if (bytes[0] === 0x80 && bytes[1] !== undefined && bytes[1] >= 2 && bytes[1] <= 5) return `; it is a Python pickle (protocol ${bytes[1]}), as torch.save wrote before torch 1.6 ${pytorch}`;
  if (/^\s*<(!doctype html|html[\s>])/i.test(head)) return '; it is an HTML page, not a model: the download fetched a web page (a login, an error page, or a repository\'s page for the file rather than its raw bytes)';
  return '';
};

/** The file a withDecodeBudget scope is for, its budget, and its model once decoded. */
interface DecodeScope {
  bytes: Uint8Array;
  budget: DecodeBudget;
  model?: ModelProto;
}

// the scope decodeModel runs in (set by withDecodeBudget around synchronous code: one at a time per thread)
let scope: DecodeScope | null = null;

/**
 * Runs `fn` with the ONNX file `bytes` judged by `budget` (graph/onnx/census.ts checkDecode: the
 * request's memory grant, MAX_ANALYSIS_WORK, the file's place in the request) and decoded at most
 * once: every import of those bytes within `fn` reads one decoded model (a sweep imports the file
 * for its reference and once per size: 4 decodes of 3 sizes, each held while imported, were one).
 * The model is let go when `fn` returns. Other bytes decode as outside any scope. `fn` is
 * synchronous (an import, a sweep): a scope does not follow a promise past its first await.
 * Measured (2026-12-05, in-process, 2 shared vCPUs under load): a sweep of 3 sizes of 10^6 empty
 * initializers (MAX_ANALYSIS_WORK raised) peaked at 1,030–1,302 MB resident decoding 4 times, 537–544
 * MB decoding once; of a 46 MB ResNet-18 with weights, a decode is 4–9 ms of CPU, within the noise.
 */
export function withDecodeBudget<T>(bytes: Uint8Array, budget: DecodeBudget, fn: () => T): T {
  // within a scope for the same bytes that counts as many imports (an analysis inside its Netron
  // rendering's: runtime/tasks.ts), that scope judges and decodes
  if (scope?.bytes === bytes && (budget.times ?? 1) <= (scope.budget.times ?? 1)) return fn();
  const previous = scope;
  scope = { bytes, budget };
  try {
    return fn();
  } finally {
    scope = previous;
  }
}

/**
 * The ModelProto of `bytes`. Judged before it is decoded (checkDecode: its work and memory, counted
 * from the wire format): inside withDecodeBudget for these bytes by the scope's budget, and decoded
 * once there; elsewhere (the CLI's analyze and compare, and the CLI's Netron attachment) against
 * MAX_ANALYSIS_WORK from the environment and this thread's heap.
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const own = scope?.bytes === bytes ? scope : null;
  if (own?.model) return own.model;
  if (bytes.byteLength === 0) throw new ConvlensError('ONNX_INVALID', 'the ONNX file is empty');
  checkDecode(bytes, own?.budget ?? { maxWork: envDecodeMaxWork() });
  const decoded = decodeChecked(bytes);
  if (own) own.model = decoded;
  return decoded;
}

function decodeChecked(bytes: Uint8Array): ModelProto {
  let decoded: ModelProto;
  try {
    decoded = model().decode(bytes) as unknown as ModelProto;
  } catch (e) {
    throw new ConvlensError('ONNX_INVALID', `the file is not an ONNX model, or is truncated (protobuf: ${(e as Error).message})${notOnnxHint(bytes)}`, {
      bytes: bytes.byteLength,
    });
  }
  if (!decoded.graph || decoded.graph.node.length === 0 || num(decoded.irVersion) <= 0) {
    throw new ConvlensError('ONNX_INVALID', `the file decodes, but holds no ONNX graph (no ir_version or no nodes): it is not an ONNX model${notOnnxHint(bytes)}`, { bytes: bytes.byteLength });
  }
  // IR version 3 on names the opset of each domain its nodes use (onnx.checker refuses a model with
  // no opset_import at all); ai.onnx nodes read as opset 1 misread every operator changed since
  // (Resize, Pad, Slice, Clip, …). torch.onnx writes opset_import after the graph, so a file cut
  // short by a few bytes loses it and still decodes.
  const irVersion = num(decoded.irVersion);
  const onnxNodes = decoded.graph.node.some((n) => !n.domain || n.domain === 'ai.onnx');
  if (irVersion >= 3 && onnxNodes && !decoded.opsetImport.some((o) => o.domain === '' || o.domain === 'ai.onnx')) {
    throw new ConvlensError(
      'ONNX_INVALID',
      `the model (IR version ${irVersion}) names no ai.onnx opset (opset_import) for its ai.onnx operators, which IR version 3 on requires: the file may be cut short (exporters write opset_import last)`,
      { bytes: bytes.byteLength },
    );
  }
  return decoded;
}
