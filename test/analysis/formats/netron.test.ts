import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../../src/analysis/analyze.js';
import { NETRON_SIGNATURE, NetronAttachmentSchema, netronAttachment, onnxNodes } from '../../../src/analysis/formats/netron.js';
import type { NetronAttachment, NetronEntry } from '../../../src/analysis/formats/netron.js';
import { importOnnx } from '../../../src/graph/onnx/import.js';
import { onnxModel } from '../../graph/onnx-builder.js';
import { DEFAULTS } from '../../helpers.js';

const FIXTURES = path.join(import.meta.dirname, '..', '..', 'fixtures');
const bytes = readFileSync(path.join(FIXTURES, 'onnx', 'resnet18.onnx'));
const report = analyzeGraph(importOnnx(bytes, { inputShapes: { '': [1, 3, 224, 224] } }).graph, DEFAULTS);

/**
 * What Netron shows, as its reader does it (lutzroeder/netron source/view.js,
 * metadata.Attachment.open and Container.open/_list): entries keyed `${kind}::${target}`, the
 * sidebar of a node looking up `node::<its name, first line>`, model and graph `model::`, `graph::`.
 */
function netronView(file: unknown) {
  const data = JSON.parse(JSON.stringify(file)) as Record<string, unknown>;
  expect(data.signature).toBe('netron:attachment');
  const read = (entries: unknown) => {
    const map = new Map<string, Map<string, unknown>>();
    for (const item of entries as NetronEntry[]) {
      if (!item.kind || !('target' in item)) continue;
      const key = `${item.kind}::${item.target}`;
      if (!map.has(key)) map.set(key, new Map());
      map.get(key)!.set(item.name, item.value);
    }
    return map;
  };
  return { metadata: read(data.metadata), metrics: read(data.metrics) };
}

describe('Netron attachment of resnet18.onnx', () => {
  const { attachment, skipped } = netronAttachment(report, onnxNodes(bytes));
  const view = netronView(attachment);
  const node = (name: string) => view.metrics.get(`node::${name}`);

  it("is Netron's attachment file: signature netron:attachment, metadata and metrics lists of {kind, target, name, value}", () => {
    expect(NetronAttachmentSchema.parse(attachment)).toEqual(attachment);
    expect(Object.keys(attachment)).toEqual(['signature', 'metadata', 'metrics']);
    expect(attachment.signature).toBe(NETRON_SIGNATURE);
    expect(skipped).toEqual([]);
  });

  it('every one of the 69 ONNX nodes of the file has its metrics, and nothing else is targeted', () => {
    const names = onnxNodes(bytes).map((n) => n.name);
    expect(names).toHaveLength(69);
    const targets = new Set(attachment.metrics.filter((e) => e.kind === 'node').map((e) => e.target));
    expect([...targets].sort()).toEqual([...names].sort());
    for (const n of names) expect([...node(n)!.keys()].slice(0, 3)).toEqual(['macs', 'flops', 'params']);
  });

  it('/layer1/layer1.0/conv1/Conv by hand: 64·56·56·64·3·3 MACs, 3·3·64·64 params, (2·64·56·56 + 36,864)·4 bytes, field 19×19 / 4', () => {
    const m = node('/layer1/layer1.0/conv1/Conv')!;
    const macs = 64 * 56 * 56 * 64 * 3 * 3;
    const bytesMoved = (2 * 64 * 56 * 56 + 3 * 3 * 64 * 64) * 4;
    expect(Object.fromEntries(m)).toEqual({
      macs, // 115,605,504
      flops: 2 * macs,
      params: 36_864,
      memory_bytes: bytesMoved, // 1,753,088
      arithmetic_intensity: Math.round(((2 * macs) / bytesMoved) * 1000) / 1000, // 131.888
      // conv1 7/2 → 7, maxpool 3/2 → 7 + 2·2 = 11 at stride 4, this 3×3 → 11 + 2·4 = 19
      receptive_field: [19, 19],
      receptive_field_stride: [4, 4],
      output_shape: [1, 64, 56, 56],
    });
    expect(m.get('macs')).toBe(115_605_504);
  });

  it('/fc/Gemm: 512·1000 MACs, 513,000 params, a global field; BNs carry their buffers', () => {
    expect(Object.fromEntries(node('/fc/Gemm')!)).toMatchObject({ macs: 512_000, params: 513_000, memory_bytes: (512 + 1000 + 513_000) * 4, receptive_field: 'global' });
    expect(node('/fc/Gemm')!.has('receptive_field_stride')).toBe(false);
    expect(Object.fromEntries(node('/bn1/BatchNormalization')!)).toMatchObject({ macs: 0, params: 128, buffers: 128 });
    expect(node('/relu/Relu')!.has('buffers')).toBe(false);
  });

  it('the model and the graph show the totals; the model metadata names the conventions', () => {
    for (const key of ['model::', 'graph::']) {
      expect(Object.fromEntries(view.metrics.get(key)!)).toMatchObject({ macs: 1_814_073_344, params: 11_689_512, buffers: 9_600, flops: report.totals.flops, layers: 69 });
    }
    const about = view.metadata.get('model::')!;
    expect(String(about.get('convlens.flops'))).toMatch(/^2macs: /);
    expect(about.get('convlens.complete')).toBe(true);
  });

  it('without the file, the layer names are the targets (torch.onnx.export names are unique)', () => {
    expect(netronAttachment(report)).toEqual({ attachment, skipped: [] });
  });
});

describe('Netron attachment of shufflenet_v2_x1_0.onnx (shape arithmetic folded)', () => {
  const file = readFileSync(path.join(FIXTURES, 'onnx', 'shufflenet_v2_x1_0.onnx'));
  const r = analyzeGraph(importOnnx(file, { inputShapes: { '': [1, 3, 224, 224] } }).graph, DEFAULTS);
  const { attachment, skipped } = netronAttachment(r, onnxNodes(file));
  const view = netronView(attachment);

  it('folded shape nodes are marked constant; every node but the Constant ones is covered', () => {
    expect(r.totals.folded.length).toBeGreaterThan(0);
    expect(skipped).toEqual([]);
    expect(String(view.metadata.get(`node::${r.totals.folded[0]}`)!.get('convlens'))).toMatch(/^constant/);
    const covered = new Set([...view.metrics.keys(), ...view.metadata.keys()]);
    const missing = onnxNodes(file).filter((n) => !covered.has(`node::${n.name}`));
    expect(new Set(missing.map((n) => n.opType))).toEqual(new Set(['Constant']));
  });
});

describe('nodes Netron cannot find by name', () => {
  const file = onnxModel({
    inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
    outputs: ['d'],
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['a'], name: '' }, // unnamed: convlens calls it Relu_0
      { op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'dup' },
      { op: 'Relu', inputs: ['b'], outputs: ['b2'], name: 'dup' }, // shared name: convlens says dup_2
      { op: 'Relu', inputs: ['b2'], outputs: ['c'], name: 'Relu_0' }, // a real name convlens had given away: Relu_0_3
      { op: 'Hardmax', inputs: ['c'], outputs: ['c2'], name: 'weird' }, // an ONNX op convlens does not model (Einsum was, until it became an op)
      { op: 'Relu', inputs: ['c2'], outputs: ['d'], name: 'after' },
    ],
  });
  const r = analyzeGraph(importOnnx(file).graph, DEFAULTS);
  const { attachment, skipped } = netronAttachment(r, onnxNodes(file));
  const view = netronView(attachment);

  it('an unnamed node and nodes sharing a name are skipped; a real name is restored from the file', () => {
    expect(r.layers.map((l) => l.name)).toEqual(['Relu_0', 'dup', 'dup_2', 'Relu_0_3', 'weird', 'after']);
    expect(skipped).toEqual(['Relu_0', 'dup', 'dup_2']);
    // the node the file calls Relu_0 is the fourth: 2·4·4 = 32 elements in and out
    expect(view.metrics.get('node::Relu_0')!.get('memory_bytes')).toBe(2 * 32 * 4);
    expect(view.metrics.has('node::dup')).toBe(false);
  });

  it('an unsupported node and the nodes after it say they were not analysed, with no metrics', () => {
    for (const n of ['weird', 'after']) {
      expect(view.metrics.has(`node::${n}`)).toBe(false);
      expect(String(view.metadata.get(`node::${n}`)!.get('convlens'))).toMatch(/^not analysed/);
    }
    expect(view.metadata.get('model::')!.get('convlens.complete')).toBe(false);
  });

  it('the JSON round-trips through the schema', () => {
    const parsed: NetronAttachment = NetronAttachmentSchema.parse(JSON.parse(JSON.stringify(attachment)));
    expect(parsed).toEqual(attachment);
  });
});
