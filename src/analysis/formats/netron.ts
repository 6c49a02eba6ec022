/**
 * Netron attachment: our per-node numbers in the JSON file Netron (https://netron.app, the desktop
 * app) attaches to an open model, so they show under "Metrics" in the sidebar of each node.
 *
 * The format is Netron's own (lutzroeder/netron, source/view.js, class `metadata.Attachment`,
 * since Netron 8.2.8, April 2025, issue #1240 "metrics"): a file whose name ends in `.json`, opened
 * while a model is shown (File › Open, or dropped on the window), holding
 *   { "signature": "netron:attachment",
 *     "metadata": [entry…], "metrics": [entry…] }
 * where an entry is { kind, target, name, value, type? }: `kind` is model | graph | node | value |
 * tensor, `target` the name of the object (a node is found by its ONNX node name, first line; model
 * and graph by '' as Netron's sidebars look them up), `name` and `value` what the sidebar shows
 * (a number, string, boolean or array), `type` optional (shown when expanded; 'attribute' when
 * absent). Metrics go to the "Metrics" section, metadata to "Metadata". Netron ignores other keys.
 *
 * Node metrics: macs, flops (the report's convention), params, buffers, memory_bytes,
 * arithmetic_intensity (FLOPs per byte, 3 decimals), receptive_field and receptive_field_stride
 * ([h, w]; "global" when the spatial axes are collapsed), output_shape. The model and the graph
 * get the totals, and metadata says which conventions counted them.
 *
 * Netron finds a node by name only, so a node the file leaves unnamed, or whose name another node
 * shares, cannot carry metrics: given the file's nodes (onnxNodes), those are left out and listed
 * in `skipped`. Without them the layer names are taken to be the file's node names, which holds for
 * torch.onnx.export files (names unique and non-empty).
 */
import { z } from 'zod';
import { decodeModel } from '../../graph/onnx/proto.js';
import type { LayerReport, Report } from '../report.js';

export const NETRON_SIGNATURE = 'netron:attachment';
export const NETRON_KINDS = ['model', 'graph', 'node', 'value', 'tensor'] as const;

export const NetronEntrySchema = z.object({
  kind: z.enum(NETRON_KINDS).describe('what the entry is attached to'),
  target: z.string().describe("the object's name (an ONNX node's name; '' for the model and the graph)"),
  name: z.string().describe('the label in the sidebar'),
  value: z.union([z.number(), z.string(), z.boolean(), z.array(z.number())]),
  type: z.string().optional().describe("Netron's value type, shown when expanded; 'attribute' when absent"),
});
export type NetronEntry = z.infer<typeof NetronEntrySchema>;

export const NetronAttachmentSchema = z
  .object({
    signature: z.literal(NETRON_SIGNATURE),
    metadata: z.array(NetronEntrySchema).describe("shown under the sidebar's Metadata section"),
    metrics: z.array(NetronEntrySchema).describe("shown under the sidebar's Metrics section"),
  })
  .describe("Netron's attachment file (lutzroeder/netron source/view.js, metadata.Attachment): open it in Netron while the model is shown");
export type NetronAttachment = z.infer<typeof NetronAttachmentSchema>;

/** A node of the ONNX file, in file order. */
export interface OnnxNodeRef {
  name: string;
  opType: string;
}

/** The nodes of an ONNX file (their names and op types, in file order). */
export function onnxNodes(bytes: Uint8Array): OnnxNodeRef[] {
  return (decodeModel(bytes).graph?.node ?? []).map((n) => ({ name: n.name, opType: n.opType }));
}

/**
 * Layer name → the node's name in the file, or null when Netron cannot find that node by name
 * (unnamed, or a name shared). Layer names are given as graph/onnx/import.ts gives them: the node's
 * name, `<opType>_<index>` when it has none, `_<index>` appended while the name is taken.
 */
function fileNames(nodes: readonly OnnxNodeRef[]): Map<string, string | null> {
  const count = new Map<string, number>();
  for (const n of nodes) count.set(n.name, (count.get(n.name) ?? 0) + 1);
  const taken = new Set<string>();
  const result = new Map<string, string | null>();
  nodes.forEach((node, index) => {
    let name = node.name || `${node.opType}_${index}`;
    while (taken.has(name)) name = `${name}_${index}`;
    taken.add(name);
    result.set(name, node.name !== '' && count.get(node.name) === 1 ? node.name : null);
  });
  return result;
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

function nodeMetrics(l: LayerReport): [string, NetronEntry['value']][] {
  const m: [string, NetronEntry['value']][] = [
    ['macs', l.macs],
    ['flops', l.flops],
    ['params', l.params],
  ];
  if (l.buffers > 0) m.push(['buffers', l.buffers]);
  m.push(['memory_bytes', l.memoryAccess.bytes]);
  if (l.arithmeticIntensity !== null) m.push(['arithmetic_intensity', round3(l.arithmeticIntensity)]);
  const rf = l.receptiveField;
  if (rf?.global) m.push(['receptive_field', 'global']);
  else if (rf) m.push(['receptive_field', rf.size], ['receptive_field_stride', rf.stride]);
  if (l.outputShape) m.push(['output_shape', l.outputShape]);
  return m;
}

export interface NetronResult {
  attachment: NetronAttachment;
  /** Layers whose node Netron cannot find by name (unnamed or shared in the file): no entries. */
  skipped: string[];
}

/** The attachment for a report of an ONNX file; `nodes` (onnxNodes of the file) makes the names exact. */
export function netronAttachment(report: Report, nodes?: readonly OnnxNodeRef[]): NetronResult {
  const names = nodes ? fileNames(nodes) : null;
  const metadata: NetronEntry[] = [];
  const metrics: NetronEntry[] = [];
  const skipped: string[] = [];
  const target = (layer: string) => {
    const t = names ? (names.get(layer) ?? null) : layer;
    if (t === null) skipped.push(layer);
    return t === null ? null : t.split('\n')[0];
  };

  const t = report.totals;
  const c = report.conventions;
  for (const kind of ['model', 'graph'] as const) {
    const totals: [string, NetronEntry['value']][] = [
      ['macs', t.macs],
      ['flops', t.flops],
      ['params', t.params],
      ['buffers', t.buffers],
      ['memory_bytes', t.memoryAccess.bytes],
      ...(t.arithmeticIntensity !== null ? [['arithmetic_intensity', round3(t.arithmeticIntensity)] as [string, number]] : []),
      ['layers', t.layers],
    ];
    for (const [name, value] of totals) metrics.push({ kind, target: '', name, value });
  }
  const about: [string, NetronEntry['value']][] = [
    ['convlens.macs', c.macs],
    ['convlens.flops', `${c.flops}: ${c.flopsDescription}`],
    ['convlens.memory_bytes', `inputs + outputs + weights of each layer, ${c.dtype} (${c.bytesPerElement} bytes per element)`],
    ['convlens.complete', t.complete],
  ];
  for (const [name, value] of about) metadata.push({ kind: 'model', target: '', name, value });

  for (const l of report.layers) {
    const node = target(l.name);
    if (node === null) continue;
    if (!l.supported) {
      metadata.push({ kind: 'node', target: node, name: 'convlens', value: 'not analysed: an unsupported operator here or upstream' });
      continue;
    }
    if (!l.executed) metadata.push({ kind: 'node', target: node, name: 'convlens', value: 'not executed: no graph output depends on it (not in the totals)' });
    for (const [name, value] of nodeMetrics(l)) metrics.push({ kind: 'node', target: node, name, value });
  }
  for (const f of t.folded) {
    const node = target(f);
    if (node !== null) metadata.push({ kind: 'node', target: node, name: 'convlens', value: 'constant: shape arithmetic folded by the analysis' });
  }
  return { attachment: { signature: NETRON_SIGNATURE, metadata, metrics }, skipped };
}
