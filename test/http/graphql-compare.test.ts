/**
 * GraphQL's compare(old:, new:), sweep, devices and conventions (issue 11), over the same worker
 * tasks as POST /v1/compare and /v1/sweep; their errors with catalog codes and argument paths.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const gql = (query: string, variables: Record<string, unknown> = {}) => request(app.server).post('/graphql').send({ query, variables });

describe('compare, sweep, devices, conventions', () => {
  it('compare(old: resnet18, new: resnet34): params +10,108,160 (+86.47%), MACs +1,849,688,064; layers matched by name, the extra blocks added', async () => {
    const res = await gql(`{ compare(old: { model: "resnet18" }, new: { model: "resnet34" }) {
      before { name } after { name } complete
      totals { metric before after delta percent }
      layers { matched { before after matchedBy opBefore opAfter params { delta } macs { delta } changed } added { name op } removed { name } }
      gates { passed }
    } }`).expect(200);
    expect(res.body.errors).toBeUndefined();
    const c = res.body.data.compare;
    expect([c.before.name, c.after.name, c.complete]).toEqual(['resnet18', 'resnet34', true]);
    const params = c.totals.find((t: { metric: string }) => t.metric === 'params');
    expect(params).toEqual({ metric: 'params', before: 11_689_512, after: 21_797_672, delta: 10_108_160, percent: expect.closeTo(86.47, 2) });
    expect(c.totals.find((t: { metric: string }) => t.metric === 'macs').delta).toBe(1_849_688_064);
    // resnet34 has 3, 4, 6, 3 blocks against 2, 2, 2, 2: 1 + 2 + 4 + 1 = 8 more basic blocks, 7 layers each (conv, bn, relu, conv, bn, add, relu)
    expect(c.layers.removed).toEqual([]);
    expect(c.layers.added).toHaveLength(8 * 7);
    expect(c.layers.added.map((l: { name: string }) => l.name)).toContain('layer3.5.conv2');
    const conv = c.layers.matched.find((m: { before: string }) => m.before === 'layer2.0.conv1');
    expect(conv).toEqual({ before: 'layer2.0.conv1', after: 'layer2.0.conv1', matchedBy: 'name', opBefore: 'conv2d', opAfter: 'conv2d', params: { delta: 0 }, macs: { delta: 0 }, changed: false });
    expect(c.layers.matched.every((m: { matchedBy: string; changed: boolean }) => m.matchedBy === 'name' && !m.changed)).toBe(true);
    expect(c.gates).toBeNull();
  });

  it('compare with gates: MACs +5% fails, params +100% passes; the Markdown names the verdict', async () => {
    const res = await gql(`{ compare(old: { model: "resnet18" }, new: { model: "resnet34" }, gates: [{ metric: macs, maxIncrease: "5%" }, { metric: params, maxIncrease: "100%" }]) {
      gates { passed results { metric threshold status delta { percent } } failures } markdown
    } }`).expect(200);
    const { gates, markdown } = res.body.data.compare;
    expect(gates.passed).toBe(false);
    expect(gates.results.map((r: { metric: string; status: string }) => [r.metric, r.status]).sort()).toEqual([
      ['macs', 'fail'],
      ['params', 'pass'],
    ]);
    expect(markdown).toContain('## convlens: `resnet18` → `resnet34`');
    expect(markdown).toContain('❌ **1 of 2 gates failed.**');
  });

  it('the gates are named by their arguments, $.gates[0].maxIncrease and $.gates[1].maxIncrease (they named the CLI flag --max-macs-increase); flag is still the CLI flag; the Markdown too', async () => {
    const res = await gql(`{ compare(old: { model: "resnet18" }, new: { model: "resnet34" }, gates: [{ metric: params, maxIncrease: "100%" }, { metric: macs, maxIncrease: "5%" }]) {
      gates { results { metric givenAs flag } failures } markdown
    } }`).expect(200);
    const { gates, markdown } = res.body.data.compare;
    expect(gates.results).toEqual([
      { metric: 'params', givenAs: '$.gates[0].maxIncrease', flag: '--max-params-increase' },
      { metric: 'macs', givenAs: '$.gates[1].maxIncrease', flag: '--max-macs-increase' },
    ]);
    expect(gates.failures).toEqual(['MACs 1,814,073,344 → 3,663,761,408 (+1,849,688,064, +101.96%) exceeds $.gates[1].maxIncrease 5%']);
    expect(markdown).toContain('`$.gates[1].maxIncrease 5%`');
    expect(markdown).not.toContain('--max-macs-increase');
  });

  it('compare errors: a bad gate limit at gates[0].maxIncrease; an unknown model under old', async () => {
    const gate = await gql('{ compare(old: { model: "resnet18" }, new: { model: "resnet34" }, gates: [{ metric: macs, maxIncrease: "five" }]) { complete } }').expect(200);
    expect(gate.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.gates[0].maxIncrease' });
    const model = await gql('{ compare(old: { model: "resnet5" }, new: { model: "resnet34" }) { complete } }').expect(200);
    expect(model.body.data.compare).toBeNull();
    expect(model.body.errors[0].extensions.code).toBe('UNKNOWN_MODEL');
    const none = await gql('{ compare(old: {}, new: { model: "resnet34" }) { complete } }').expect(200);
    expect(none.body.errors[0].extensions).toMatchObject({ code: 'SPEC_INVALID', path: '$.old' });
  });

  // found by the fuzz round: the path was $.old.onnx and the message said "onnx", an argument NetworkInput does not have
  it('a model and onnxBase64 in one NetworkInput: SPEC_INVALID at $.old.onnxBase64, naming the argument', async () => {
    const res = await gql('{ compare(old: { model: "resnet18", onnxBase64: "CAc=" }, new: { model: "resnet34" }) { complete } }').expect(200);
    expect(res.body.data.compare).toBeNull();
    expect(res.body.errors[0].message).toBe('old: give one network, not model and onnxBase64');
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'SPEC_INVALID', path: '$.old.onnxBase64' });
  });

  it('sweep resnet18 at 112 and 224: 224 = 7·2^5 valid with a 7×7 final map, 112 = 3.5·2^5 not (a 4×4 map)', async () => {
    const res = await gql('{ sweep(model: "resnet18", sizes: [[112], [224, 224]], device: "raspberry-pi-5") { input device { id } sizes { size status valid complete unsupported { opType } reasons macs finalFeatureMap latencySeconds } } }').expect(200);
    expect(res.body.errors).toBeUndefined();
    const s = res.body.data.sweep;
    expect(s.device.id).toBe('raspberry-pi-5');
    const [small, big] = s.sizes;
    expect([small.size, big.size]).toEqual([
      [112, 112],
      [224, 224],
    ]);
    expect(big.macs).toBe(1_814_073_344);
    expect(big.finalFeatureMap).toEqual([7, 7]);
    expect(small.finalFeatureMap).toEqual([4, 4]);
    expect([small.valid, big.valid]).toEqual([false, true]);
    expect([big.complete, big.unsupported]).toEqual([true, []]);
    expect(small.reasons.length).toBeGreaterThan(0);
    expect(big.latencySeconds).toBeGreaterThan(small.latencySeconds);
  });

  it('sweep inPlace: true answers dtype float32 and inPlace true (the peak column counted in place said neither)', async () => {
    const res = await gql('{ a: sweep(model: "resnet18", sizes: [[64]], inPlace: true) { dtype inPlace } b: sweep(model: "resnet18", sizes: [[64]]) { dtype inPlace } }').expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({ a: { dtype: 'float32', inPlace: true }, b: { dtype: 'float32', inPlace: false } });
  });

  it('a latency gate without a device is INVALID_OPTION at the gate, as REST answers it (it was an unknown gate, passed false)', async () => {
    const q = (device: string) => `{ compare(old: { model: "resnet18" }, new: { model: "resnet34" }${device}, gates: [{ metric: macs, maxIncrease: "200%" }, { metric: latencySeconds, maxIncrease: "5%" }]) { gates { passed } } }`;
    const res = await gql(q('')).expect(200);
    expect(res.body.data.compare).toBeNull();
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.gates[1]' });
    expect(res.body.errors[0].message).toBe('a latency gate needs the device or profile argument (the latency is a roofline lower bound on a device: GET /v1/devices)');
    const rest = await request(app.server).post('/v1/compare').send({ old: 'resnet18', new: 'resnet34', gates: { latencySeconds: '5%' } }).expect(400);
    expect(rest.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.gates.latencySeconds', message: 'a latency gate needs options.device (the latency is a roofline lower bound on a device: GET /v1/devices)' });
    // with a device the gate is judged: resnet34's latency bound is about twice resnet18's
    const judged = await gql(q(', device: "raspberry-pi-5"')).expect(200);
    expect(judged.body.data.compare.gates.passed).toBe(false);
  });

  it('sweep takes resolution, as POST /v1/sweep does: densenet121 built at 97 is the reference (97×97), swept at 64', async () => {
    const res = await gql('{ sweep(model: "densenet121", resolution: 97, sizes: [[64]]) { reference { size } sizes { size status } } }').expect(200);
    expect(res.body.errors).toBeUndefined();
    const rest = await request(app.server).post('/v1/sweep').send({ model: 'densenet121', resolution: 97, sizes: [64] }).expect(200);
    expect(res.body.data.sweep.reference.size).toEqual([97, 97]);
    expect(rest.body.reference.size).toEqual([97, 97]);
    expect(res.body.data.sweep.sizes).toEqual([{ size: [64, 64], status: 'ok' }]);
  });

  it('sweep sizes must be [side] or [h, w]', async () => {
    const res = await gql('{ sweep(model: "resnet18", sizes: [[1, 2, 3]]) { input } }').expect(200);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.sizes[0]' });
  });

  it('devices: the four built-in profiles with their sources; conventions: every preset with its rules', async () => {
    const res = await gql('{ devices { id kind peaks { float32 int8 } bandwidth derivation { figure text } sources { url } } conventions { name tool unit rules { family why source } } }').expect(200);
    const { devices, conventions } = res.body.data;
    expect(devices.map((d: { id: string }) => d.id)).toEqual(['a100-sxm4-40gb', 'jetson-orin-nano-8gb', 'cortex-a78-3ghz', 'raspberry-pi-5'].filter((id) => devices.some((d: { id: string }) => d.id === id)));
    expect(devices.length).toBeGreaterThanOrEqual(4);
    expect(devices[0]).toMatchObject({ id: 'a100-sxm4-40gb', peaks: { float32: 19.5e12, int8: 624e12 }, bandwidth: 1555e9 });
    expect(devices[0].derivation.find((d: { figure: string }) => d.figure === 'bandwidth').text).toContain('1,555 GB/s');
    expect(conventions.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['torchvision', 'fvcore', 'thop', 'ptflops', 'calflops', 'torchinfo', 'onnx-tool']));
    expect(conventions.find((c: { name: string }) => c.name === 'ptflops').rules.find((r: { family: string }) => r.family === 'conv').source).toMatch(/ptflops/);
  });
});

describe('GET /graphql', () => {
  it('devices and conventions are catalog reads GET answers; compare and sweep start work: 405 with Allow: POST', async () => {
    const ok = await request(app.server).get('/graphql').query({ query: '{ devices { id } conventions { name } }' }).expect(200);
    expect(ok.body.data.devices.length).toBeGreaterThanOrEqual(4);
    const refused = await request(app.server).get('/graphql').query({ query: '{ compare(old: { model: "resnet18" }, new: { model: "resnet34" }) { complete } }' }).expect(405);
    expect(refused.headers.allow).toBe('POST');
    expect(refused.body.errors[0].message).toContain('compare starts work on the service');
  });
});
