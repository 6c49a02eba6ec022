/**
 * POST /v1/analyze over REST (issue 11): the extra analyses (memory, roofline, explain, convention,
 * deployed), its formats by ?format= and Accept (the CSV of the deployed graph among them), and the
 * errors of its options (4xx with code and path).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisReportSchema } from '../../src/analysis/extras.js';
import { CSV_BASE_COLUMNS } from '../../src/analysis/csv.js';
import { testApp } from './app.js';
import { onnxResnet18, rows, tiny, TORCHVISION } from './reports-kit.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const post = (url: string) => request(app.server).post(url);

describe('POST /v1/analyze: the extra analyses', () => {
  it('no option: the report as before, none of the extra keys', async () => {
    const res = await post('/v1/analyze').send(tiny).expect(200);
    for (const k of ['modules', 'memory', 'roofline', 'convention', 'explain', 'deployed']) expect(res.body[k], k).toBeUndefined();
  });

  it('body options: peak memory by hand (x 768 B + conv out 1,024 + relu out 1,024 = 2,816 B while the relu runs), roofline recomputed from the report, validates', async () => {
    const device = { name: 'toy', peaks: { float32: 1e9 }, bandwidth: 1e9 };
    const res = await post('/v1/analyze').send({ spec: tiny, options: { memory: true, device, depth: 1, topK: 1 } }).expect(200);
    expect(AnalysisReportSchema.safeParse(res.body).success).toBe(true);
    expect(res.body.memory.peak).toMatchObject({ bytes: 2816, layer: 'act' });
    const expected = res.body.layers.reduce((s: number, l: { flops: number; memoryAccess: { bytes: number } }) => s + Math.max(l.flops, l.memoryAccess.bytes) / 1e9, 0);
    expect(res.body.roofline.totals.seconds).toBeCloseTo(expected, 15);
    expect(res.body.modules.top.macs).toEqual([expect.objectContaining({ name: 'conv', value: 27 * 4 * 64 })]);
  });

  it('query options: ?inPlace=true lets the relu overwrite the conv output (peak 2,048 B at the pool)', async () => {
    const res = await post('/v1/analyze?inPlace=true').send(tiny).expect(200);
    expect(res.body.memory).toMatchObject({ inPlace: true, peak: { bytes: 768 + 1024 + 256, layer: 'pool' } });
  });

  it('?inPlace=true&memory=false contradict each other: 400 INVALID_OPTION at query.inPlace, not one of them quietly winning (the memory analysis came back)', async () => {
    const res = await post('/v1/analyze?inPlace=true&memory=false').send(tiny).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.inPlace' });
    const body = await post('/v1/analyze').send({ spec: tiny, options: { memory: false, inPlace: true } }).expect(400);
    expect(body.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.options.inPlace' });
  });

  it("?explain=true: resnet18's conv1 and fc formulas with their values substituted", async () => {
    const res = await post('/v1/analyze?model=resnet18&explain=true').expect(200);
    const conv1 = res.body.explain.layers.find((l: { name: string }) => l.name === 'conv1');
    expect(conv1.macs.formula).toBe("118,013,952 = N 1 · Cout 64 · H'W' 112·112 · Cin/g 3 · k 7·7");
    expect(conv1.params.formula).toBe('9,408 = Cout 64 · Cin/g 3 · k 7·7');
    const fc = res.body.explain.layers.find((l: { name: string }) => l.name === 'fc');
    expect(fc.params.formula).toBe('513,000 = in 512 · out 1000 + bias out 1000');
    expect(res.body.explain.agrees).toBe(true);
  });

  it('?convention=ptflops on resnet50: the README\'s 4,132,436,968 (ptflops counts ReLU and pooling twice)', async () => {
    const res = await post('/v1/analyze?model=resnet50&convention=ptflops').expect(200);
    expect(res.body.convention).toMatchObject({ preset: 'ptflops', total: 4_132_436_968, convlensMacs: 4_089_184_256 });
  });

  it("?convention=ptflops|thop on zoo models whose torchvision source calls functions (F.adaptive_avg_pool2d, F.interpolate): the tools' own totals, run on torch 1.13 (the service passed no functional layers and counted module hooks there)", async () => {
    const total = async (model: string, preset: string) => (await post(`/v1/analyze?model=${model}&convention=${preset}`).expect(200)).body.convention.total;
    expect([await total('mobilenet_v2', 'ptflops'), await total('mobilenet_v2', 'thop')]).toEqual([320_300_008, 327_486_720]);
    expect([await total('lraspp_mobilenet_v3_large', 'ptflops'), await total('lraspp_mobilenet_v3_large', 'thop')]).toEqual([2_188_569_290, 2_208_347_416]);
    expect([await total('fcn_resnet50', 'ptflops'), await total('fcn_resnet50', 'thop')]).toEqual([153_253_703_850, 153_272_454_400]);
  });

  it("?convention=ptflops on r3d_18 and mc3_18 (Conv3DSimple / Conv3DNoTemporal subclass nn.Conv3d, and ptflops hooks by exact type): the tool's printed 1,589,580,176 and 1,840,259,472 (the service said 40,779,846,032 and 43,458,240,912); onnx-tool on swin_t 4,657,779,994, the tool's 4,657,784,877 less its 4,883 of folded shape arithmetic", async () => {
    const total = async (model: string, preset: string) => (await post(`/v1/analyze?model=${model}&convention=${preset}`).expect(200)).body.convention.total;
    expect([await total('r3d_18', 'ptflops'), await total('mc3_18', 'ptflops')]).toEqual([1_589_580_176, 1_840_259_472]);
    expect(await total('swin_t', 'onnx-tool')).toBe(4_657_779_994);
  });

  // toBeTypeOf('object') alone held for null and {}; the figures are test/analysis/deployed.test.ts's, by hand
  it('?deployed=true adds the deployed graph: resnet18\'s 20 conv+BN groups, 69 executed layers in 24 kernels', async () => {
    const res = await post('/v1/analyze?model=resnet18&deployed=true').expect(200);
    expect(res.body.deployed.groups).toHaveLength(20);
    expect(res.body.deployed.kernels).toEqual({ trained: 69, deployed: 24 });
  });
});

describe('POST /v1/analyze: formats', () => {
  it('Accept picks the format: text/csv, text/markdown, text/html, application/json; no Accept or */* is JSON', async () => {
    const csv = await post('/v1/analyze').set('accept', 'text/csv').send(tiny).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const md = await post('/v1/analyze').set('accept', 'text/markdown').send(tiny).expect(200);
    expect(md.headers['content-type']).toMatch(/^text\/markdown/);
    expect(md.text).toContain('## convlens report: `tiny`');
    const html = await post('/v1/analyze').set('accept', 'text/html,application/xhtml+xml,*/*;q=0.8').send(tiny).expect(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.text.startsWith('<!DOCTYPE html>')).toBe(true);
    for (const accept of ['application/json', '*/*']) {
      const json = await post('/v1/analyze').set('accept', accept).send(tiny).expect(200);
      expect(json.headers['content-type'], accept).toMatch(/^application\/json/);
      expect(json.body.totals.macs).toBe(6912);
    }
  });

  it('answers that depend on Accept say so: Vary: Accept (analyze, a model\'s report, compare)', async () => {
    expect((await post('/v1/analyze').send(tiny).expect(200)).headers.vary).toMatch(/\bAccept\b/);
    expect((await request(app.server).get('/v1/models/resnet18/report').expect(200)).headers.vary).toMatch(/\bAccept\b/);
    expect((await post('/v1/compare').send({ old: 'resnet18', new: 'resnet18' }).expect(200)).headers.vary).toMatch(/\bAccept\b/);
  });

  it('q-values decide (text/csv;q=0.5 vs text/markdown), and ?format= wins over Accept', async () => {
    const res = await post('/v1/analyze').set('accept', 'text/csv;q=0.5, text/markdown').send(tiny).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/markdown/);
    const forced = await post('/v1/analyze?format=csv').set('accept', 'text/html').send(tiny).expect(200);
    expect(forced.headers['content-type']).toMatch(/^text\/csv/);
  });

  it('CSV: one row per layer, both axes, a TOTAL row; memory and roofline columns when asked, their totals the peak and the latency', async () => {
    const json = await post('/v1/analyze?model=resnet18&memory=true&device=raspberry-pi-5').expect(200);
    const res = await post('/v1/analyze?model=resnet18&memory=true&device=raspberry-pi-5&format=csv').expect(200);
    const table = rows(res.text);
    expect(table[0]).toEqual([...CSV_BASE_COLUMNS, 'live_bytes', 'allocated_bytes', 'latency_s', 'bound', 'roofline_intensity']);
    expect(table.length).toBe(1 + json.body.layers.length + 1);
    const col = (name: string) => table[0].indexOf(name);
    const conv1 = table[1];
    expect(conv1.slice(0, 12)).toEqual(['conv1', 'conv2d', '1x64x112x112', '9408', '118013952', '236027904', String(json.body.layers[0].memoryAccess.bytes), '7', '7', '2', '2', 'false']);
    const fc = table.find((r) => r[0] === 'fc')!;
    expect([fc[col('rf_h')], fc[col('rf_stride_h')], fc[col('rf_global')]]).toEqual(['', '', 'true']);
    const total = table.at(-1)!;
    expect(total[0]).toBe('TOTAL');
    expect(Number(total[col('params')])).toBe(TORCHVISION.resnet18);
    expect(Number(total[col('live_bytes')])).toBe(json.body.memory.peak.bytes);
    expect(Number(total[col('latency_s')])).toBeCloseTo(json.body.roofline.totals.seconds, 12);
    expect(conv1[col('bound')]).toBe(json.body.roofline.layers[0].bound);
  });

  it('?format=netron on an uploaded ONNX file: Netron\'s attachment', async () => {
    const res = await post('/v1/analyze?format=netron&input=1,3,224,224').set('content-type', 'application/octet-stream').send(onnxResnet18).expect(200);
    expect(res.body.signature).toBe('netron:attachment');
    expect(res.body.metrics.some((m: { target: string; name: string }) => m.target === '/conv1/Conv' && m.name === 'macs')).toBe(true);
  });

  it('?format=html on an uploaded ONNX file (unet.onnx): the self-contained report with its five charts', async () => {
    const unet = readFileSync(new URL('../fixtures/onnx/unet.onnx', import.meta.url));
    const res = await post('/v1/analyze?format=html&device=jetson-orin-nano-8gb').set('content-type', 'application/octet-stream').send(unet).expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const chart of ['layers', 'ops', 'receptive-field', 'memory', 'roofline']) expect(res.text, chart).toContain(`data-chart="${chart}"`);
    expect(res.text).toContain('ONNX file');
  });

  it('bad formats are 4xx with code and path: ?format=pdf, netron without an ONNX file, an Accept the route cannot answer', async () => {
    const pdf = await post('/v1/analyze?format=pdf').send(tiny).expect(400);
    expect(pdf.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.format' });
    const netron = await post('/v1/analyze?model=resnet18&format=netron').expect(400);
    expect(netron.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.format' });
    const png = await post('/v1/analyze').set('accept', 'image/png').send(tiny).expect(406);
    expect(png.body.error).toMatchObject({ code: 'NOT_ACCEPTABLE', path: 'headers.accept' });
  });
});

describe('errors of the options', () => {
  it('an unknown device: 400 INVALID_OPTION at query.device or $.options.device, with the closest id', async () => {
    const q = await post('/v1/analyze?model=resnet18&device=raspbery-pi-5').expect(400);
    expect(q.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.device', suggestion: 'raspberry-pi-5' });
    const b = await post('/v1/analyze').send({ spec: tiny, options: { device: 'jetson-orin-nano' } }).expect(400);
    expect(b.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.options.device', suggestion: 'jetson-orin-nano-8gb' });
  });

  it('a custom profile in the query as JSON, and one missing its float32 peak (path inside it)', async () => {
    const profile = encodeURIComponent(JSON.stringify({ name: 'npu', peaks: { float32: 4e12 }, bandwidth: 5e10 }));
    const ok = await post(`/v1/analyze?model=resnet18&device=${profile}`).expect(200);
    expect(ok.body.roofline.device).toMatchObject({ id: null, name: 'npu', ridgePoint: 80 });
    const bad = await post('/v1/analyze').send({ spec: tiny, options: { device: { name: 'npu', peaks: { float16: 1e12 }, bandwidth: 1e9 } } }).expect(400);
    expect(bad.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.options.device.peaks.float32' });
  });

  it('an unknown convention, a depth out of range, a non-boolean memory: 400 with their paths', async () => {
    const c = await post('/v1/analyze?model=resnet18&convention=ptflop').expect(400);
    expect(c.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.convention', suggestion: 'ptflops' });
    expect((await post('/v1/analyze?model=resnet18&depth=65').expect(400)).body.error.path).toBe('query.depth');
    expect((await post('/v1/analyze?model=resnet18&memory=yes').expect(400)).body.error.path).toBe('query.memory');
    expect((await post('/v1/analyze').send({ spec: tiny, options: { explian: true } }).expect(400)).body.error).toMatchObject({ path: '$.options.explian', suggestion: 'explain' });
  });
});


describe('CSV of the deployed graph', () => {
  it('?deployed=true: fused_into names the host, deployed_memory_bytes add up to the deployed total (resnet18: bn and relu into conv1)', async () => {
    const json = (await post('/v1/analyze?model=resnet18&deployed=true').expect(200)).body;
    const table = rows((await post('/v1/analyze?model=resnet18&deployed=true&format=csv').expect(200)).text);
    const col = (name: string) => table[0].indexOf(name);
    const byName = new Map(table.slice(1).map((r) => [r[0], r]));
    expect(byName.get('bn1')![col('fused_into')]).toBe('conv1');
    expect(byName.get('relu')![col('fused_into')]).toBe('conv1');
    expect(byName.get('conv1')![col('fused_into')]).toBe('');
    expect(byName.get('bn1')![col('deployed_memory_bytes')]).toBe('0');
    const layers = table.slice(1, -1).reduce((s, r) => s + Number(r[col('deployed_memory_bytes')] || 0), 0);
    expect(layers).toBe(json.deployed.deployed.memoryAccess.bytes);
    expect(Number(table.at(-1)![col('deployed_memory_bytes')])).toBe(json.deployed.deployed.memoryAccess.bytes);
  });
});
