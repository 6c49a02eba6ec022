/**
 * GraphQL over the analyses of issue 11: Report.memory, roofline, modules, convention, explain and
 * deployed (computed in the analyze worker task from the selection), compare, sweep, devices and
 * conventions; their errors (catalog codes, argument paths) and their weight in the cost bound.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NESTED_FIELD_WEIGHT } from '../../src/http/graphql/complexity.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const gql = (query: string, variables: Record<string, unknown> = {}) => request(app.server).post('/graphql').send({ query, variables });

// x [1,1,8,8] = 64 el; c1 [1,4,8,8] = 256 el (weight 36 + bias 4); pool [1,4,4,4] = 64 el; c2 [1,2,4,4] = 32 el (weight 8 + bias 2)
const chain = {
  inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
  layers: [
    { name: 'c1', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
    { name: 'pool', op: 'maxPool2d', kernelSize: 2 },
    { name: 'c2', op: 'conv2d', outChannels: 2, kernelSize: 1 },
  ],
};

describe('Report.memory (liveness, hand-computed)', () => {
  it('chain x → c1 → pool → c2: during 1280, 1536, 640 B; peak 1536 at pool with c1, x, pool alive', async () => {
    const res = await gql(
      `query($s: JSON) { analyze(spec: $s) { memory {
        dtype bytesPerElement inPlace complete baseline totalBytes
        peak { bytes step layer live { name shape bytes producer } }
        timeline { step layer op allocatedBytes freedBytes during after }
        weights { params buffers bytes } torchinfo { inputBytes paramsBytes lines }
      } } }`,
      { s: chain },
    ).expect(200);
    expect(res.body.errors).toBeUndefined();
    const m = res.body.data.analyze.memory;
    expect(m).toMatchObject({ dtype: 'float32', bytesPerElement: 4, inPlace: false, complete: true, baseline: 256 });
    expect(m.timeline.map((t: { during: number }) => t.during)).toEqual([1280, 1536, 640]);
    expect(m.timeline.map((t: { after: number }) => t.after)).toEqual([1280, 512, 384]);
    expect(m.peak).toEqual({
      bytes: 1536,
      step: 1,
      layer: 'pool',
      live: [
        { name: 'c1', shape: [1, 4, 8, 8], bytes: 1024, producer: 'c1' },
        { name: 'x', shape: [1, 1, 8, 8], bytes: 256, producer: null },
        { name: 'pool', shape: [1, 4, 4, 4], bytes: 256, producer: 'pool' },
      ],
    });
    // params 40 + 10 = 50, no buffers: 200 B; peak + weights 1736
    expect(m.weights).toEqual({ params: 50, buffers: 0, bytes: 200 });
    expect(m.totalBytes).toBe(1736);
    expect(m.torchinfo.paramsBytes).toBe(200);
  });

  it('memory(inPlace: true) on x → conv → relu: the relu writes into the conv buffer (during 256+1024, then the same)', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 8, 8] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 }, { name: 'r', op: 'relu' }] };
    const res = await gql('query($s: JSON) { analyze(spec: $s) { memory(inPlace: true) { inPlace timeline { during allocatedBytes } } } }', { s: spec }).expect(200);
    expect(res.body.data.analyze.memory).toEqual({ inPlace: true, timeline: [{ during: 1280, allocatedBytes: 1024 }, { during: 1280, allocatedBytes: 0 }] });
  });
});

describe('Report.roofline', () => {
  it('custom profile 1 GFLOP/s, 1 GB/s on the chain: 4.608 + 1.28 + 0.424 µs, c1 compute-bound, pool and c2 memory-bound', async () => {
    // c1: 2·2304 = 4608 FLOPs, (64 + 256 + 40)·4 = 1440 B; pool: 3·64 = 192 FLOPs, (256 + 64)·4 = 1280 B; c2: 2·128 = 256 FLOPs, (64 + 32 + 10)·4 = 424 B
    const res = await gql(
      `query($s: JSON) { analyze(spec: $s) { roofline(profile: { name: "toy", peaks: { float32: 1e9 }, bandwidth: 1e9 }) {
        device { id name peakFlops bandwidth ridgePoint } layers { name flops bytes seconds bound } totals { seconds computeBoundLayers memoryBoundLayers } note
      } } }`,
      { s: chain },
    ).expect(200);
    const r = res.body.data.analyze.roofline;
    expect(r.device).toEqual({ id: null, name: 'toy', peakFlops: 1e9, bandwidth: 1e9, ridgePoint: 1 });
    expect(r.layers).toEqual([
      { name: 'c1', flops: 4608, bytes: 1440, seconds: 4.608e-6, bound: 'compute' },
      { name: 'pool', flops: 192, bytes: 1280, seconds: 1.28e-6, bound: 'memory' },
      { name: 'c2', flops: 256, bytes: 424, seconds: 4.24e-7, bound: 'memory' },
    ]);
    expect(r.totals.seconds).toBeCloseTo(6.312e-6, 15);
    expect([r.totals.computeBoundLayers, r.totals.memoryBoundLayers]).toEqual([1, 2]);
    expect(r.note).toMatch(/^A lower bound/);
  });

  it('resnet18 on the A100: every layer recomputed from the report\'s own FLOPs and bytes, the total their sum', async () => {
    const res = await gql(`{ analyze(model: "resnet18") {
      layers { name executed flopsByConvention { twoMacs } memoryAccess { bytes } }
      roofline(device: "a100-sxm4-40gb") { device { id peakFlops bandwidth } layers { name seconds bound } totals { seconds } }
    } }`).expect(200);
    const { layers, roofline } = res.body.data.analyze;
    expect(roofline.device).toEqual({ id: 'a100-sxm4-40gb', peakFlops: 19.5e12, bandwidth: 1555e9 });
    const byName = new Map(layers.map((l: { name: string }) => [l.name, l]));
    let total = 0;
    for (const l of roofline.layers) {
      const r = byName.get(l.name) as { flopsByConvention: { twoMacs: number }; memoryAccess: { bytes: number } };
      const compute = r.flopsByConvention.twoMacs / 19.5e12;
      const memory = r.memoryAccess.bytes / 1555e9;
      expect(l.seconds).toBeCloseTo(Math.max(compute, memory), 15);
      // a view (the flatten before fc) moves nothing and computes nothing: no roof limits it
      expect(l.bound).toBe(compute === 0 && memory === 0 ? 'none' : compute >= memory ? 'compute' : 'memory');
      total += l.seconds;
    }
    expect(roofline.layers).toHaveLength(layers.filter((l: { executed: boolean }) => l.executed).length);
    expect(roofline.totals.seconds).toBeCloseTo(total, 12);
  });

  it('an unknown device is INVALID_OPTION at roofline(device:) with the closest id: roofline alone is null, the rest of the report answers (11,689,512 params, torchvision)', async () => {
    const res = await gql('{ analyze(model: "resnet18") { name totals { params } memory { peak { bytes } } roofline(device: "a100-sxm4-40g") { totals { seconds } } } }').expect(200);
    expect(res.body.data.analyze).toMatchObject({ name: 'resnet18', totals: { params: 11_689_512 }, roofline: null });
    expect(res.body.data.analyze.memory.peak.bytes).toBeGreaterThan(0);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].path).toEqual(['analyze', 'roofline']);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.roofline(device:)', suggestion: 'a100-sxm4-40gb' });
  });

  it('two refused fields (modules(depth: 99), convention(name: "ptflop")) each answer their own error; explain, selected beside them, is computed', async () => {
    const res = await gql('{ analyze(model: "resnet18") { name modules(depth: 99) { tree { depth } } convention(name: "ptflop") { total } explain { agrees } } }').expect(200);
    expect(res.body.data.analyze).toMatchObject({ name: 'resnet18', modules: null, convention: null });
    expect(res.body.data.analyze.explain.agrees).toBe(true);
    const byPath = Object.fromEntries(res.body.errors.map((e: { path: string[]; extensions: { path: string } }) => [e.path.join('.'), e.extensions.path]));
    expect(byPath).toEqual({ 'analyze.modules': '$.modules(depth:)', 'analyze.convention': '$.convention(name:)' });
  });

  it('neither or both of device and profile: INVALID_OPTION at $.roofline', async () => {
    for (const args of ['', '(device: "raspberry-pi-5", profile: { name: "p", peaks: { float32: 1 }, bandwidth: 1 })']) {
      const res = await gql(`{ analyze(model: "resnet18") { roofline${args} { note } } }`).expect(200);
      expect(res.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.roofline' });
      expect(res.body.errors[0].message).toContain('exactly one of device');
    }
  });

  it('a custom profile out of range is INVALID_OPTION inside the profile: $.roofline(profile:).peaks.float32', async () => {
    const res = await gql('{ analyze(model: "resnet18") { roofline(profile: { name: "p", peaks: { float32: -1 }, bandwidth: 1 }) { note } } }').expect(200);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.roofline(profile:).peaks.float32' });
  });

  it('modules(depth: -1) is INVALID_OPTION naming the range', async () => {
    const res = await gql('{ analyze(model: "resnet18") { modules(depth: -1) { tree { depth } } } }').expect(200);
    expect(res.body.errors[0]).toMatchObject({ message: 'modules(depth:) must be an integer from 0 to 64, got -1', extensions: { code: 'INVALID_OPTION', path: '$.modules(depth:)' } });
  });

  it('a custom profile without float32 is refused by GraphQL itself (DevicePeaksInput.float32 is required)', async () => {
    const res = await gql('{ analyze(model: "resnet18") { roofline(profile: { name: "p", peaks: { int8: 1 }, bandwidth: 1 }) { note } } }').expect(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_INVALID');
  });
});

describe('Report.modules, convention, explain, deployed', () => {
  it('modules(depth: 1, topK: 2) on resnet18: top-level modules with shares summing to 100%, the two costliest layers by MACs', async () => {
    const res = await gql(`{ analyze(model: "resnet18") { totals { macs }
      modules(depth: 1, topK: 2) { tree { depth totals { macs } modules { name path parent depth macs share { macs } truncated } } top { macs { name value } } ops { op count } }
    } }`).expect(200);
    const { totals, modules } = res.body.data.analyze;
    expect(modules.tree.depth).toBe(1);
    expect(modules.tree.totals.macs).toBe(totals.macs);
    expect(modules.tree.modules.map((m: { name: string }) => m.name)).toEqual(['conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'avgpool', 'flatten', 'fc']);
    expect(modules.tree.modules.every((m: { parent: null; depth: number }) => m.parent === null && m.depth === 1)).toBe(true);
    expect(modules.tree.modules.find((m: { name: string }) => m.name === 'layer1')).toMatchObject({ truncated: true, macs: 462_422_016 });
    const share = modules.tree.modules.reduce((s: number, m: { share: { macs: number } }) => s + m.share.macs, 0);
    expect(share).toBeCloseTo(100, 6);
    expect(modules.top.macs).toHaveLength(2);
    expect(modules.ops.find((o: { op: string }) => o.op === 'conv2d').count).toBe(20);
  });

  it('modules without arguments: depth 3, parents rebuild the tree (layer1.0.conv1 under layer1.0 under layer1)', async () => {
    const res = await gql('{ analyze(model: "resnet18") { modules { tree { depth modules { path parent depth } } } } }').expect(200);
    const { tree } = res.body.data.analyze.modules;
    expect(tree.depth).toBe(3);
    expect(tree.modules).toContainEqual({ path: 'layer1.0.conv1', parent: 'layer1.0', depth: 3 });
    expect(tree.modules).toContainEqual({ path: 'layer1.0', parent: 'layer1', depth: 2 });
  });

  it('convention(name: "ptflops") on resnet50 reproduces ptflops\' 4,132,436,968 MACs, with per-family rules', async () => {
    const res = await gql('{ analyze(model: "resnet50") { convention(name: "ptflops") { preset unit total convlensMacs difference byFamily { family count why source } layers { name family count } } } }').expect(200);
    const c = res.body.data.analyze.convention;
    expect(c).toMatchObject({ preset: 'ptflops', unit: 'MACs', total: 4_132_436_968, convlensMacs: 4_089_184_256, difference: 4_132_436_968 - 4_089_184_256 });
    expect(c.byFamily.find((f: { family: string }) => f.family === 'relu')).toMatchObject({ why: expect.any(String), source: expect.stringMatching(/ptflops/) });
    expect(c.layers.find((l: { name: string }) => l.name === 'conv1')).toEqual({ name: 'conv1', family: 'conv', count: 118_013_952 + 802_816 * 0 });
  });

  it('convention(name: "ptflop") is INVALID_OPTION at convention(name:) suggesting ptflops', async () => {
    const res = await gql('{ analyze(model: "resnet18") { convention(name: "ptflop") { total } } }').expect(200);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.convention(name:)', suggestion: 'ptflops' });
  });

  it('explain: conv1 of resnet18, 118,013,952 MACs with the values substituted, every formula agreeing', async () => {
    const res = await gql('{ analyze(model: "resnet18") { explain { agrees layers { name family macs { value reported agrees formula } flops { twoMacs { value } } } } } }').expect(200);
    const e = res.body.data.analyze.explain;
    expect(e.agrees).toBe(true);
    const conv1 = e.layers.find((l: { name: string }) => l.name === 'conv1');
    expect(conv1.macs).toMatchObject({ value: 118_013_952, reported: 118_013_952, agrees: true });
    expect(conv1.macs.formula).toMatch(/^118,013,952 = /);
    expect(conv1.flops.twoMacs.value).toBe(2 * 118_013_952);
  });

  it('explain(layers: ["layer1.0.conv1"]) answers that layer alone; a misspelt name is INVALID_OPTION with the closest', async () => {
    const res = await gql('{ analyze(model: "resnet18") { explain(layers: ["layer1.0.conv1"]) { agrees layers { name macs { formula } } } } }').expect(200);
    // 64·56·56 outputs × 64·3·3 = 115,605,504 (the example)
    expect(res.body.data.analyze.explain.layers).toEqual([{ name: 'layer1.0.conv1', macs: { formula: expect.stringMatching(/^115,605,504 = /) } }]);
    const bad = await gql('{ analyze(model: "resnet18") { name explain(layers: ["layer1.0.conv"]) { agrees } } }').expect(200);
    expect(bad.body.data.analyze).toEqual({ name: 'resnet18', explain: null });
    expect(bad.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.explain(layers:)[0]', suggestion: expect.stringMatching(/^layer1\.0\.conv[12]$/) });
  });

  it('deployed on resnet18: 20 groups, params 11,684,712, memory access −44,413,184 B, 69 layers → 24 kernels', async () => {
    const res = await gql(`{ analyze(model: "resnet18") { deployed {
      flops kernels { trained deployed } memoryDrop { bytes }
      trained { params buffers } deployed { params buffers flopsByConvention { twoMacs } memoryAccess { bytes } }
      groups { host layers fusions residual biasAdded } unfused { layer }
    } } }`).expect(200);
    const d = res.body.data.analyze.deployed;
    expect(d.flops).toBe('twoMacs');
    expect(d.kernels).toEqual({ trained: 69, deployed: 24 });
    expect(d.memoryDrop.bytes).toBe(44_413_184);
    expect(d.trained).toEqual({ params: 11_689_512, buffers: 9_620 });
    expect(d.deployed).toMatchObject({ params: 11_684_712, buffers: 0 });
    expect(d.groups).toHaveLength(20);
    expect(d.groups[0]).toEqual({ host: 'conv1', layers: ['conv1', 'bn1', 'relu'], fusions: ['foldBatchNorm', 'activation'], residual: null, biasAdded: true });
    expect(d.unfused).toEqual([]);
  });

  it('a field selected twice with different arguments is INVALID_OPTION; through a fragment with the same arguments it is one analysis', async () => {
    const bad = await gql('{ analyze(model: "resnet18") { a: modules(depth: 1) { tree { depth } } b: modules(depth: 2) { tree { depth } } } }').expect(200);
    expect(bad.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.modules' });
    const ok = await gql('{ analyze(model: "resnet18") { modules(depth: 1) { tree { depth } } ...F } } fragment F on Report { modules(depth: 1) { tree { depth } } }').expect(200);
    expect(ok.body.data.analyze.modules.tree.depth).toBe(1);
  });

  it('@skip leaves an analysis out: nothing is computed for it', async () => {
    const res = await gql('query($no: Boolean!) { analyze(model: "resnet18") { name memory @skip(if: $no) { peak { bytes } } } }', { no: true }).expect(200);
    expect(res.body.data.analyze).toEqual({ name: 'resnet18' });
  });
});

describe('Report renderings (rendered in the worker)', () => {
  const onnx = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/onnx/${name}`, import.meta.url))).toString('base64');

  it('markdown(depth: 1) with deployed selected: the report, then the Deployed graph section', async () => {
    const res = await gql('{ analyze(model: "resnet18") { markdown(depth: 1) deployed { complete } } }').expect(200);
    const md: string = res.body.data.analyze.markdown;
    expect(md.startsWith('## convlens report: `resnet18`')).toBe(true);
    expect(md).toContain('### Deployed graph (inference fusions)');
    expect(md).toContain('memory access drops by **44,413,184 bytes**');
  });

  it('html: one self-contained document with the memory timeline (run for it) and the roofline on the device selected', async () => {
    const res = await gql('{ analyze(model: "resnet18") { html roofline(device: "raspberry-pi-5") { note } } }').expect(200);
    const html: string = res.body.data.analyze.html;
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('data-chart="memory"');
    expect(html).toContain('<section id="roofline">');
    expect(html).not.toMatch(/<script/i);
  });

  it('csv: the header and a TOTAL row', async () => {
    const res = await gql('query($s: JSON) { analyze(spec: $s) { csv } }', { s: chain }).expect(200);
    const lines = res.body.data.analyze.csv.trim().split('\n');
    expect(lines[0]).toMatch(/^layer,op,output,params,macs,flops,memory_bytes/);
    expect(lines.map((l: string) => l.split(',')[0])).toEqual(['layer', 'c1', 'pool', 'c2', 'TOTAL']);
  });

  it('netron for an ONNX file: Netron\'s attachment with per-node metrics; for a spec INVALID_OPTION at $.netron', async () => {
    const res = await gql('query($f: String, $i: JSON) { analyze(onnxBase64: $f, inputShapes: $i) { netron } }', { f: onnx('resnet18.onnx'), i: { '': [1, 3, 224, 224] } }).expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(JSON.parse(res.body.data.analyze.netron)).toMatchObject({ signature: 'netron:attachment' });
    // a field error, as for roofline: the rest of the report is computed (it nulled the whole analyze)
    const bad = await gql('query($s: JSON) { analyze(spec: $s) { totals { macs } netron } }', { s: chain }).expect(200);
    expect(bad.body.errors[0]).toMatchObject({ path: ['analyze', 'netron'], extensions: { code: 'INVALID_OPTION', path: '$.netron' } });
    expect(bad.body.data.analyze).toEqual({ totals: { macs: expect.any(Number) }, netron: null });
  });

  it('inputShapes beside a spec, a zoo model or a compare side: INVALID_OPTION at its path, as over REST (they were ignored: the 8×8 figures answered)', async () => {
    const spec = await gql('query($s: JSON) { analyze(spec: $s, inputShapes: { x: [1, 3, 16, 16] }) { totals { macs } } }', { s: chain }).expect(200);
    expect(spec.body.data).toEqual({ analyze: null });
    expect(spec.body.errors[0]).toMatchObject({ message: 'inputShapes applies to an ONNX file; a spec has its own input shapes', extensions: { code: 'INVALID_OPTION', path: '$.inputShapes' } });
    const model = await gql('{ analyze(model: "resnet18", inputShapes: { x: [1, 3, 64, 64] }) { name } }').expect(200);
    expect(model.body.errors[0]).toMatchObject({ message: 'inputShapes applies to an ONNX file; a model has its own input shapes', extensions: { code: 'INVALID_OPTION', path: '$.inputShapes' } });
    const compare = await gql('{ compare(old: { model: "resnet18", inputShapes: { x: [1, 3, 64, 64] } }, new: { model: "resnet34" }) { totals { metric } } }').expect(200);
    expect(compare.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.old.inputShapes' });
  });

  it('markdown and html with different depths are INVALID_OPTION (one rendering pass), errors of those two fields: name and csv are still answered', async () => {
    const res = await gql('{ analyze(model: "resnet18") { name markdown(depth: 1) html(depth: 2) csv } }').expect(200);
    expect(res.body.errors.map((e: { path: string[]; extensions: { code: string; path: string } }) => [e.path.join('.'), e.extensions.code, e.extensions.path]).sort()).toEqual([
      ['analyze.html', 'INVALID_OPTION', '$.markdown'],
      ['analyze.markdown', 'INVALID_OPTION', '$.markdown'],
    ]);
    expect(res.body.data.analyze).toMatchObject({ name: 'resnet18', markdown: null, html: null });
    expect(res.body.data.analyze.csv.split('\n')[0]).toMatch(/^layer,/);
  });

  it('markdown(depth: 99) is that field\'s error, as modules(depth: 99) is (it nulled the whole analyze); topK takes 0 to 1000, as REST\'s ?topK=', async () => {
    const res = await gql('{ analyze(model: "resnet18") { name markdown(depth: 99) } }').expect(200);
    expect(res.body.data.analyze).toEqual({ name: 'resnet18', markdown: null });
    expect(res.body.errors[0]).toMatchObject({ path: ['analyze', 'markdown'], extensions: { code: 'INVALID_OPTION', path: '$.markdown(depth:)' } });
    const wide = await gql('{ analyze(model: "resnet18") { markdown(topK: 1000) } }').expect(200);
    expect(wide.body.errors).toBeUndefined();
    const over = await gql('{ analyze(model: "resnet18") { markdown(topK: 1001) } }').expect(200);
    expect(over.body.errors[0].message).toBe('topK must be an integer from 0 to 1000, got 1001');
  });

  it('deployed on torch.onnx.export\'s resnet18 (BNs already folded by the exporter): no BN to fold, 17 ReLUs and 8 adds fused', async () => {
    const res = await gql('query($f: String) { analyze(onnxBase64: $f) { deployed { groups { fusions biasAdded } kernels { trained deployed } } } }', { f: onnx('resnet18_folded.onnx') }).expect(200);
    expect(res.body.errors).toBeUndefined();
    const fusions = res.body.data.analyze.deployed.groups.flatMap((g: { fusions: string[] }) => g.fusions);
    expect([fusions.filter((f: string) => f === 'foldBatchNorm').length, fusions.filter((f: string) => f === 'activation').length, fusions.filter((f: string) => f === 'residualAdd').length]).toEqual([0, 17, 8]);
    expect(res.body.data.analyze.deployed.groups.every((g: { biasAdded: boolean }) => !g.biasAdded)).toBe(true);
  });
});

describe('quantization and patterns (issue 10 figures, typed)', () => {
  const onnx = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/onnx/${name}`, import.meta.url))).toString('base64');

  it('a QDQ model: totals.quantization with the overhead and the bytes by stored element type; a float model: null', async () => {
    const q = 'query($f: String) { analyze(onnxBase64: $f) { layers { intMacs } totals { intMacs quantization { floatMacs qdqMacs overhead { quantize dequantize } weights { byDtype { dtype elements bytes } } } } } }';
    const res = await gql(q, { f: onnx('quant/qdq_torch.onnx') }).expect(200);
    expect(res.body.errors).toBeUndefined();
    const t = res.body.data.analyze.totals;
    expect(t.quantization.overhead).toEqual({ quantize: 3, dequantize: 3 });
    expect(t.quantization.weights.byDtype).toContainEqual({ dtype: 'int8', elements: 504, bytes: 504 });
    const float = await gql('{ analyze(model: "resnet18") { totals { intMacs quantization { intMacs } } } }').expect(200);
    expect(float.body.data.analyze.totals).toEqual({ intMacs: 0, quantization: null });
  });

  it('a ConvNeXt block exported at opset 13: its decomposed LayerNorm and GELU are patterns', async () => {
    const res = await gql('query($f: String) { analyze(onnxBase64: $f) { patterns { kind layers input output } } }', { f: onnx('norm_activation/convnext_block_op13.onnx') }).expect(200);
    expect(res.body.data.analyze.patterns.map((p: { kind: string }) => p.kind)).toEqual(['layerNorm', 'gelu']);
    expect(res.body.data.analyze.patterns[0].layers.length).toBeGreaterThan(3);
  });
});

describe('cost of the analyses', () => {
  it('memory weighs 2 below analyze: five analyses with memory weigh 60 > 50, refused before anything runs', async () => {
    const q = `{ ${Array.from({ length: 5 }, (_, i) => `a${i}: analyze(model: "resnet18") { memory { peak { bytes } } }`).join(' ')} }`;
    const res = await gql(q).expect(400);
    expect(res.body.errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', path: '$.query', limit: 50, weight: 60, rootFields: { analyze: 5 }, nestedFields: { memory: 5 } });
    expect(res.body.errors[0].message).toMatch(/^the operation weighs 60 \(analyze ×5 = 50; memory ×5 = 10\)/);
  });

  it('compare weighs 20 and sweep 25: compare + sweep + analyze with every analysis = 20 + 25 + 10 + 8 > 50', async () => {
    const q = '{ compare(old: { model: "resnet18" }, new: { model: "resnet34" }) { complete } sweep(model: "resnet18", sizes: [[224]]) { input } analyze(model: "resnet18") { memory { baseline } explain { agrees } deployed { complete } roofline(device: "raspberry-pi-5") { note } modules { tree { depth } } convention(name: "thop") { total } } }';
    const res = await gql(q).expect(400);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', weight: 63 });
  });

  it('only Report\'s analyses weigh: DeployedGraph.deployed and FusedGroup.deployed do not (4 × (10 + 1) = 44 passes)', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 1 }, { name: 'r', op: 'relu' }] };
    const q = `query($s: JSON) { ${Array.from({ length: 4 }, (_, i) => `a${i}: analyze(spec: $s) { deployed { deployed { params } groups { deployed { params } } } }`).join(' ')} }`;
    const res = await gql(q, { s: spec }).expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.a3.deployed.groups).toEqual([{ deployed: { params: 2 } }]);
  });

  it('the weighed names are Report fields', async () => {
    const res = await gql('{ __type(name: "Report") { fields { name } } }').expect(200);
    const names = res.body.data.__type.fields.map((f: { name: string }) => f.name);
    expect(names).toEqual(expect.arrayContaining(Object.keys(NESTED_FIELD_WEIGHT)));
  });
});

// found by a hunt: shapes past 2^31 − 1 failed GraphQL Int's serialisation (INTERNAL; a non-null list nulled all of analyze)
describe('shapes past 32 bits are SafeInt', () => {
  it('a flatten of [1, 1, 65536, 65536] is [1, 4294967296] in outputShape and the next layer\'s inputShapes, as REST answers', async () => {
    const s = { inputs: [{ name: 'x', shape: [1, 1, 65536, 65536] }], layers: [{ name: 'f', op: 'flatten' }, { name: 'r', op: 'relu' }] };
    const res = await gql('query($s: JSON) { analyze(spec: $s) { layers { name outputShape inputShapes } } }', { s }).expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.analyze.layers).toEqual([
      { name: 'f', outputShape: [1, 4294967296], inputShapes: [[1, 1, 65536, 65536]] },
      { name: 'r', outputShape: [1, 4294967296], inputShapes: [[1, 4294967296]] },
    ]);
  });

  it('two 1×1 convs of stride 65536 expect an input of 65536² = 4294967296 per side (structure.resolution.expectedInput)', async () => {
    const conv = { op: 'conv2d', outChannels: 1, kernelSize: 1, stride: 65536 };
    const s = { inputs: [{ name: 'x', shape: [1, 1, 1, 1] }], layers: [{ name: 'a', ...conv }, { name: 'b', ...conv }] };
    const res = await gql('query($s: JSON) { analyze(spec: $s) { structure { resolution { expectedInput } } } }', { s }).expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.analyze.structure.resolution.expectedInput).toEqual([4294967296, 4294967296]);
  });
});
