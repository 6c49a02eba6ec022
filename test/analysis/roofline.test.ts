import { describe, expect, it } from 'vitest';
import { DEVICES, DEVICES_BY_ID, DeviceProfileSchema, resolveDevice } from '../../src/analysis/devices.js';
import { roofline, RooflineReportSchema } from '../../src/analysis/roofline.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { readFileSync } from 'node:fs';
import { resnet18 } from '../../src/zoo/resnet.js';
import { analyze, DEFAULTS, errorOf, layer } from '../helpers.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { compareReports, evaluateGates, parseGates } from '../../src/analysis/compare.js';

const a100 = DEVICES_BY_ID.get('a100-sxm4-40gb')!;
const pi5 = DEVICES_BY_ID.get('raspberry-pi-5')!;

// [1,64,56,56] = 200,704 elements
const block = analyze({
  inputs: [{ name: 'x', shape: [1, 64, 56, 56] }],
  layers: [
    { name: 'conv3x3', op: 'conv2d', outChannels: 64, kernelSize: 3, padding: 1, bias: false },
    { name: 'dw', op: 'conv2d', outChannels: 64, kernelSize: 3, padding: 1, groups: 64, bias: false },
    { name: 'relu', op: 'relu' },
  ],
});

describe('device profiles (figures from the cited datasheets, or derived)', () => {
  it('every built-in profile validates, cites a URL, and explains each peak and the bandwidth', () => {
    expect(DEVICES.map((d) => d.kind).sort()).toEqual(['board-cpu', 'datacenter-gpu', 'edge-gpu', 'phone-cpu-core']);
    for (const d of DEVICES) {
      expect(DeviceProfileSchema.safeParse({ name: d.name, peaks: d.peaks, bandwidth: d.bandwidth, source: d.source }).success).toBe(true);
      expect(d.sources.length).toBeGreaterThan(0);
      for (const s of d.sources) expect(s.url).toMatch(/^https:\/\//);
      for (const k of ['float32', 'float16', 'bfloat16', 'int8', 'bandwidth'] as const) expect(d.derivation[k], `${d.id} ${k}`).toBeTruthy();
    }
  });

  it('A100 SXM4 40GB: FP32 19.5 TFLOPS, FP16/BF16 tensor 312 TFLOPS dense, INT8 624 TOPS, HBM2 1,555 GB/s', () => {
    expect(a100.peaks).toEqual({ float32: 19.5e12, float16: 312e12, bfloat16: 312e12, int8: 624e12 });
    expect(a100.bandwidth).toBe(1555e9);
  });

  it('Raspberry Pi 5: 4 cores × 2 FMA pipes × 4 lanes × 2 FLOP × 2.4 GHz = 153.6 GFLOPS; 32-bit LPDDR4X-4267 = 17.068 GB/s; no bfloat16', () => {
    expect(pi5.peaks.float32).toBeCloseTo(153.6e9, 0);
    expect(pi5.peaks.float16).toBeCloseTo(307.2e9, 0);
    expect(pi5.peaks.int8).toBeCloseTo(614.4e9, 0);
    expect(pi5.peaks.bfloat16).toBeUndefined();
    expect(pi5.bandwidth).toBe(17_068_000_000);
  });

  it('Cortex-A78 @ 3.0 GHz: 16 FLOP/cycle float32 = 48 GFLOPS; Jetson Orin Nano: 1024 cores × 2 × 625 MHz = 1.28 TFLOPS, 20 dense INT8 TOPS', () => {
    expect(DEVICES_BY_ID.get('cortex-a78-3ghz')!.peaks).toEqual({ float32: 48e9, float16: 96e9, int8: 192e9 });
    expect(DEVICES_BY_ID.get('jetson-orin-nano-8gb')!.peaks).toEqual({ float32: 1.28e12, float16: 10e12, bfloat16: 10e12, int8: 20e12 });
  });

  it('a custom profile is accepted; an unknown id or a profile without a float32 peak is INVALID_OPTION with its path', () => {
    const custom = { name: 'my-npu', peaks: { float32: 1e12, int8: 8e12 }, bandwidth: 50e9 };
    expect(resolveDevice(custom)).toEqual(custom);
    const typo = errorOf(() => resolveDevice('raspberry-pi5'));
    expect(typo.code).toBe('INVALID_OPTION');
    expect(typo.details).toMatchObject({ path: '$.device', suggestion: 'raspberry-pi-5' });
    const missing = errorOf(() => resolveDevice({ name: 'x', peaks: { int8: 1e12 }, bandwidth: 1e9 }));
    expect(missing.code).toBe('INVALID_OPTION');
    expect(missing.details.path).toBe('$.device.peaks.float32');
    // said as left out: zod's "expected number, received undefined" reached the command line
    expect(missing.message).toBe('device profile: peaks.float32 is required');
    expect(errorOf(() => resolveDevice({ name: 'x', peaks: { float32: -1 }, bandwidth: 1e9 })).details.path).toBe('$.device.peaks.float32');
  });

  it('profile rates run from 1 to 1e24 per second: a peak of 1e-300 (every latency Infinity) or a bandwidth of 1e25 is INVALID_OPTION at its path', () => {
    const tiny = errorOf(() => resolveDevice({ name: 'x', peaks: { float32: 1e12, float16: 1e-300 }, bandwidth: 1e9 }));
    expect(tiny.code).toBe('INVALID_OPTION');
    expect(tiny.details.path).toBe('$.device.peaks.float16');
    expect(tiny.message).toBe('device profile: Too small: expected number to be >=1 at $.device.peaks.float16');
    expect(errorOf(() => resolveDevice({ name: 'x', peaks: { float32: 1e12 }, bandwidth: 1e25 })).details.path).toBe('$.device.bandwidth');
    const edges = { name: 'x', peaks: { float32: 1 }, bandwidth: 1e24 };
    expect(resolveDevice(edges)).toEqual(edges);
    // at 1 FLOP/s the 3×3 conv's 231,211,008 FLOPs take as many seconds: finite, compute-bound
    const rl = roofline(block, resolveDevice(edges));
    expect(rl.layers.find((l) => l.name === 'conv3x3')).toMatchObject({ seconds: 231_211_008, bound: 'compute' });
    expect(Number.isFinite(rl.totals.seconds)).toBe(true);
  });
});

describe('roofline: max(FLOPs / peak, bytes / bandwidth) per layer, recomputed from the report', () => {
  const r = RooflineReportSchema.parse(roofline(block, a100));
  const row = (name: string) => r.layers.find((l) => l.name === name)!;

  it('3×3 conv 64→64 on 56×56: 231,211,008 FLOPs, 1,753,088 B, intensity 131.9 > ridge 12.5: compute-bound on the A100', () => {
    const l = layer(block, 'conv3x3');
    expect(l.flopsByConvention['2macs']).toBe(2 * 64 * 64 * 9 * 56 * 56);
    expect(l.memoryAccess.elements.total).toBe(200_704 + 200_704 + 64 * 64 * 9);
    const c = row('conv3x3');
    expect(c.flops).toBe(231_211_008);
    expect(c.bytes).toBe(438_272 * 4);
    expect(c.computeSeconds).toBe(231_211_008 / 19.5e12);
    expect(c.memorySeconds).toBe(1_753_088 / 1555e9);
    expect(c.seconds).toBe(c.computeSeconds);
    expect(c.bound).toBe('compute');
    expect(c.arithmeticIntensity!).toBeGreaterThan(r.device.ridgePoint);
    expect(r.device.ridgePoint).toBeCloseTo(19.5e12 / 1555e9, 12);
  });

  it('depthwise 3×3 (groups 64): 3,612,672 FLOPs over 1,607,936 B, intensity 2.25: memory-bound', () => {
    const c = row('dw');
    expect(c.flops).toBe(2 * 64 * 9 * 56 * 56);
    expect(c.bytes).toBe((200_704 * 2 + 576) * 4);
    expect(c.seconds).toBe(1_607_936 / 1555e9);
    expect(c.bound).toBe('memory');
  });

  it('ReLU: 200,704 FLOPs over 1,605,632 B (0.125 FLOP/B): memory-bound', () => {
    const c = row('relu');
    expect(c.flops).toBe(200_704);
    expect(c.bytes).toBe(401_408 * 4);
    expect(c.arithmeticIntensity).toBe(0.125);
    expect(c.seconds).toBe(1_605_632 / 1555e9);
    expect(c.bound).toBe('memory');
  });

  it("qlinearConv 3×3 64→64 on 56×56 at int8 on a Raspberry Pi 5: 2·115,605,504 integer ops at the int8 peak 614.4 GOPS, 376 µs, compute-bound (its requantize's FLOPs alone said 26 µs, memory-bound)", () => {
    const q = analyze(
      {
        inputs: [{ name: 'x', shape: [1, 64, 56, 56] }, { name: 's', shape: [1] }, { name: 'z', shape: [1] }],
        layers: [
          { name: 'q', op: 'quantizeLinear', inputs: ['x', 's', 'z'] },
          { name: 'qc', op: 'qlinearConv', inputs: ['q', 's', 'z', 's', 'z', 's', 'z'], outChannels: 64, kernelSize: 3, padding: 1, bias: false },
          { name: 'dq', op: 'dequantizeLinear', inputs: ['qc', 's', 'z'] },
        ],
      },
      { ...DEFAULTS, dtype: 'int8' },
    );
    const rl = RooflineReportSchema.parse(roofline(q, pi5, 'int8'));
    const c = rl.layers.find((l) => l.name === 'qc')!;
    const intOps = 2 * 64 * 64 * 9 * 56 * 56;
    expect(c.intOps).toBe(intOps);
    expect(rl.device.intPeakOps).toBe(4 * 64 * 2.4e9);
    // its float FLOPs (the requantization) at the requested dtype's peak, int8 here too
    expect(c.computeSeconds).toBeCloseTo(c.flops / 614.4e9 + intOps / 614.4e9, 15);
    expect(c.computeSeconds).toBeGreaterThan(376e-6);
    expect(c.bound).toBe('compute');
    expect(c.arithmeticIntensity).toBe((c.flops + intOps) / c.bytes);
    expect(rl.totals.intOps).toBe(intOps);
    // at float32 the integer ops still run at the int8 peak; a device without one counts them at its float32 peak
    const f = roofline(q, pi5, 'float32');
    expect(f.layers.find((l) => l.name === 'qc')!.computeSeconds).toBeCloseTo(c.flops / 153.6e9 + intOps / 614.4e9, 15);
    const noInt = { name: 'no int8', peaks: { float32: 1e11 }, bandwidth: 1e10 };
    expect(roofline(q, noInt, 'int8').layers.find((l) => l.name === 'qc')!.computeSeconds).toBeCloseTo((c.flops + intOps) / 1e11, 15);
  });

  it('resnet18 on every device: the total is the sum over executed layers of max(2macs FLOPs / peak, bytes / bandwidth)', () => {
    const rep = analyze(resnet18());
    for (const d of DEVICES) {
      const rl = roofline(rep, d);
      let expected = 0;
      for (const l of rep.layers) expected += Math.max(l.flopsByConvention['2macs'] / d.peaks.float32, (l.memoryAccess.elements.total * 4) / d.bandwidth);
      expect(rl.totals.seconds).toBeCloseTo(expected, 15);
      // summed smallest first (the order the layers are listed in does not change the total)
      expect(rl.totals.seconds).toBe(rl.layers.map((l) => l.seconds).sort((x, y) => x - y).reduce((s, v) => s + v, 0));
      expect(rl.totals.computeBoundSeconds + rl.totals.memoryBoundSeconds).toBeCloseTo(rl.totals.seconds, 15);
      expect(rl.totals.flops).toBe(rep.totals.flopsByConvention['2macs']);
      expect(rl.layers).toHaveLength(rep.layers.length);
      expect(rl.note).toMatch(/lower bound/i);
    }
  });

  it("uses the 2macs FLOPs whatever the report's convention", () => {
    const asMacs = analyze(resnet18(), { flops: 'macs' });
    expect(roofline(asMacs, a100).totals).toEqual(roofline(analyze(resnet18()), a100).totals);
  });

  it('int8 counts 1 byte per element and the INT8 peak; a report analysed at float32 can be evaluated at int8', () => {
    const rl = roofline(block, a100, 'int8');
    expect(rl.device).toMatchObject({ dtype: 'int8', computeDtype: 'int8', peakFlops: 624e12 });
    expect(rl.layers.find((l) => l.name === 'relu')!.bytes).toBe(401_408);
    expect(rl.fallback).toBeNull();
  });

  it('bfloat16 on the Raspberry Pi 5 falls back to the float32 peak and says so; bytes stay 2 per element', () => {
    const rl = roofline(block, pi5, 'bfloat16');
    expect(rl.device).toMatchObject({ dtype: 'bfloat16', computeDtype: 'float32', peakFlops: pi5.peaks.float32 });
    expect(rl.fallback).toMatchObject({ requested: 'bfloat16', used: 'float32' });
    expect(rl.fallback!.reason).toMatch(/Armv8\.6/);
    expect(rl.layers.find((l) => l.name === 'relu')!.bytes).toBe(401_408 * 2);
  });

  it('a custom profile: 1 TFLOP/s and 100 GB/s put the ridge at 10 FLOP/B; id null', () => {
    const rl = roofline(block, { name: 'custom', peaks: { float32: 1e12 }, bandwidth: 100e9 });
    expect(rl.device).toMatchObject({ id: null, name: 'custom', ridgePoint: 10 });
    expect(rl.layers.find((l) => l.name === 'conv3x3')!.seconds).toBe(231_211_008 / 1e12);
  });

  it('an unsupported imported operator adds nothing and is listed in skipped; the result is incomplete', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
      outputs: ['y'],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['r'] },
        { op: 'Foo', inputs: ['r'], outputs: ['y'], domain: 'com.example' },
      ],
    });
    const rep = analyzeGraph(importOnnx(bytes).graph, DEFAULTS);
    const rl = roofline(rep, a100);
    expect(rl.skipped).toEqual(['n1']);
    expect(rl.complete).toBe(false);
    expect(rl.layers.map((l) => l.name)).toEqual(['n0']);
  });
});

describe('roofline: the total does not depend on the order the layers are listed in', () => {
  // five convs reading x, concatenated: the same network whichever order the branches are written in
  const branches = [
    { name: 'b0', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1, inputs: ['x'] },
    { name: 'b1', op: 'conv2d', outChannels: 4, kernelSize: 5, padding: 2, inputs: ['x'] },
    { name: 'b2', op: 'conv2d', outChannels: 8, kernelSize: 5, padding: 2, inputs: ['x'] },
    { name: 'b3', op: 'conv2d', outChannels: 5, kernelSize: 1, padding: 0, inputs: ['x'] },
    { name: 'b4', op: 'conv2d', outChannels: 1, kernelSize: 1, padding: 0, inputs: ['x'] },
  ];
  const cat = { name: 'cat', op: 'concat', inputs: ['b0', 'b1', 'b2', 'b3', 'b4'] };
  const spec = (layers: object[]) => ({ name: 'branches', inputs: [{ name: 'x', shape: [1, 3, 19, 27] }], layers: [...layers, cat] });
  const pi = resolveDevice('raspberry-pi-5');
  const [a, b] = [analyze(spec(branches)), analyze(spec([...branches].reverse()))];

  it('listed b0…b4 or b4…b0 on the Pi 5: the same seconds to the bit (they differed by 1.69e-21 s), so --max-latency-increase 0 passes both ways', () => {
    const [ra, rb] = [roofline(a, pi), roofline(b, pi)];
    expect(rb.layers.map((l) => l.name)).toEqual(['b4', 'b3', 'b2', 'b1', 'b0', 'cat']);
    expect(rb.totals.seconds).toBe(ra.totals.seconds);
    expect(rb.totals.computeBoundSeconds).toBe(ra.totals.computeBoundSeconds);
    expect(rb.totals.memoryBoundSeconds).toBe(ra.totals.memoryBoundSeconds);
    const gate = parseGates({ latencySeconds: '0' });
    for (const [x, y, rx, ry] of [[a, b, ra, rb], [b, a, rb, ra]] as const) {
      const v = evaluateGates(compareReports(x, y, { before: { latencySeconds: rx.totals.seconds }, after: { latencySeconds: ry.totals.seconds } }), gate);
      expect(v.results[0].delta!.delta).toBe(0);
      expect(v.passed).toBe(true);
    }
  });
});


describe('a constant too large to fold (CONSTANT_LAYERS_NOT_COUNTED) is not in the roofline, as a folded one is not', () => {
  it("the padded one-stage Swin with its mask built node by node (maxFolded 0) has the folded one's roofline", () => {
    const file = readFileSync(new URL('../fixtures/onnx-math/swin_tiny_pad_op17.onnx', import.meta.url));
    const at = (maxFolded?: number) => {
      const { graph } = importOnnx(new Uint8Array(file));
      return analyzeGraph(graph, DEFAULTS, inferGraph(graph, maxFolded === undefined ? {} : { maxFolded }));
    };
    const [folded, unfolded] = [at(), at(0)];
    const mask = (unfolded.warnings.find((w) => w.code === 'CONSTANT_LAYERS_NOT_COUNTED')?.layers ?? []) as string[];
    expect(mask.length).toBeGreaterThanOrEqual(6);
    const r = roofline(unfolded, a100);
    expect(r.layers.filter((l) => mask.includes(l.name))).toEqual([]);
    expect([r.totals.flops, r.totals.bytes]).toEqual([unfolded.totals.flopsByConvention['2macs'], unfolded.totals.memoryAccess.bytes]);
    expect(r.totals).toEqual(roofline(folded, a100).totals);
  });
});
