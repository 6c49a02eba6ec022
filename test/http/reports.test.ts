/**
 * The report routes over REST (issue 11): the extra analyses on POST /v1/analyze, its formats by
 * ?format= and Accept, POST /v1/compare (resnet18 → resnet34 checked layer by layer against the
 * two reports' own numbers and torchvision's published parameter counts), POST /v1/sweep, a zoo
 * model's HTML report, the device and convention listings, and the errors (4xx with code and path).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisReportSchema } from '../../src/analysis/extras.js';
import { CSV_BASE_COLUMNS } from '../../src/analysis/csv.js';
import { CompareResponse } from '../../src/http/openapi-reports.js';
import { ConventionsResponse, DevicesResponse } from '../../src/http/responses.js';
import { OFFLOAD_JSON_BYTES } from '../../src/http/body.js';
import { renderSchema } from '../../scripts/write-schemas.js';
import { testApp } from './app.js';

const TORCHVISION = { resnet18: 11_689_512, resnet34: 21_797_672 };
const onnxResnet18 = readFileSync(new URL('../fixtures/onnx/resnet18.onnx', import.meta.url));
const tiny = {
  name: 'tiny',
  inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
  layers: [
    { name: 'conv', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
    { name: 'act', op: 'relu' },
    { name: 'pool', op: 'maxPool2d', kernelSize: 2, stride: 2 },
  ],
};

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const post = (url: string) => request(app.server).post(url);
/** A CSV body as rows of cells (no quoted commas in these reports). */
const rows = (text: string) => text.trimEnd().split('\n').map((l) => l.split(','));

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

  it('?deployed=true adds the deployed graph', async () => {
    const res = await post('/v1/analyze?model=resnet18&deployed=true').expect(200);
    expect(res.body.deployed).toBeTypeOf('object');
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
    expect(png.body.error).toMatchObject({ code: 'NOT_ACCEPTABLE', path: 'accept' });
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

describe('POST /v1/compare: resnet18 → resnet34, layer by layer', () => {
  let r18: any;
  let r34: any;
  let cmp: any;
  beforeAll(async () => {
    r18 = (await post('/v1/analyze?model=resnet18').expect(200)).body;
    r34 = (await post('/v1/analyze?model=resnet34').expect(200)).body;
    cmp = (await post('/v1/compare').send({ old: 'resnet18', new: 'resnet34', gates: { macs: '100%', params: '90%' } }).expect(200)).body;
  });

  it('validates, and its totals are the two reports\' (torchvision: 11,689,512 → 21,797,672 params, +10,108,160, +86.47 %)', () => {
    expect(CompareResponse.safeParse(cmp).success).toBe(true);
    expect(r18.totals.params).toBe(TORCHVISION.resnet18);
    expect(r34.totals.params).toBe(TORCHVISION.resnet34);
    const total = (m: string) => cmp.comparison.totals.find((t: { metric: string }) => t.metric === m);
    expect(total('params')).toEqual({ metric: 'params', before: 11_689_512, after: 21_797_672, delta: 10_108_160, percent: (100 * 10_108_160) / 11_689_512 });
    expect(total('params').percent.toFixed(2)).toBe('86.47');
    expect(total('macs')).toMatchObject({ before: r18.totals.macs, after: r34.totals.macs, delta: r34.totals.macs - r18.totals.macs });
    expect(total('layers')).toMatchObject({ before: 69, after: 125, delta: 56 });
    expect(total('depth')).toMatchObject({ before: 18, after: 34, delta: 16 });
  });

  it('every resnet18 layer is matched by name to the same layer of resnet34, unchanged; none removed', () => {
    const { matched, removed } = cmp.comparison.layers;
    expect(removed).toEqual([]);
    expect(matched.map((m: { before: string }) => m.before).sort()).toEqual(r18.layers.map((l: { name: string }) => l.name).sort());
    const after = new Map(r34.layers.map((l: { name: string }) => [l.name, l]));
    const before = new Map(r18.layers.map((l: { name: string }) => [l.name, l]));
    for (const m of matched) {
      expect(m.matchedBy, m.before).toBe('name');
      expect(m.after).toBe(m.before);
      const a = after.get(m.after) as { params: number; macs: number; flops: number; memoryAccess: { bytes: number } };
      const b = before.get(m.before) as typeof a;
      expect(m.params, m.before).toMatchObject({ before: b.params, after: a.params, delta: a.params - b.params });
      expect(m.macs.delta, m.before).toBe(a.macs - b.macs);
      expect(m.memoryBytes.delta, m.before).toBe(a.memoryAccess.bytes - b.memoryAccess.bytes);
      expect(m.changed, m.before).toBe(false);
    }
  });

  it('the added layers are resnet34\'s extra blocks (layer1.2, layer2.2–3, layer3.2–5, layer4.2), carrying the whole parameter increase', () => {
    const { added } = cmp.comparison.layers;
    const names18 = new Set(r18.layers.map((l: { name: string }) => l.name));
    const extra = r34.layers.filter((l: { name: string }) => !names18.has(l.name));
    expect(added.map((l: { name: string }) => l.name)).toEqual(extra.map((l: { name: string }) => l.name));
    expect(added).toHaveLength(56);
    const blocks = new Set(added.map((l: { name: string }) => l.name.split('.').slice(0, 2).join('.')));
    expect([...blocks]).toEqual(['layer1.2', 'layer2.2', 'layer2.3', 'layer3.2', 'layer3.3', 'layer3.4', 'layer3.5', 'layer4.2']);
    expect(added.reduce((s: number, l: { params: number }) => s + l.params, 0)).toBe(21_797_672 - 11_689_512);
    expect(added.reduce((s: number, l: { macs: number }) => s + l.macs, 0)).toBe(r34.totals.macs - r18.totals.macs);
  });

  it('gates: MACs +101.96 % fails a 100 % gate, params +86.47 % passes a 90 % one (200 either way)', () => {
    expect(cmp.gates.passed).toBe(false);
    expect(cmp.gates.results.map((r: { metric: string; status: string }) => [r.metric, r.status])).toEqual([
      ['params', 'pass'],
      ['macs', 'fail'],
    ]);
  });

  it('?format=md (and Accept: text/markdown): the pull-request comment', async () => {
    const md = await post('/v1/compare?format=md').send({ old: 'resnet18', new: 'resnet34' }).expect(200);
    expect(md.headers['content-type']).toMatch(/^text\/markdown/);
    expect(md.text).toContain('| params | 11,689,512 | 21,797,672 | ▲ +10,108,160 | +86.47% |');
    const viaAccept = await post('/v1/compare').set('accept', 'text/markdown').send({ old: 'resnet18', new: 'resnet34' }).expect(200);
    expect(viaAccept.text).toBe(md.text);
  });

  it('an ONNX export as the multipart part new, against the zoo model: every layer matched by module path, no delta', async () => {
    const res = await post('/v1/compare?input=1,3,224,224')
      .field('request', JSON.stringify({ old: 'resnet18', options: { memory: true } }))
      .attach('new', onnxResnet18, 'resnet18.onnx')
      .expect(200);
    const { layers, totals } = res.body.comparison;
    expect(layers.matched).toHaveLength(69);
    expect(layers.matched[0]).toMatchObject({ before: 'conv1', after: '/conv1/Conv', matchedBy: 'path' });
    expect(layers.added).toEqual([]);
    for (const t of totals) expect(t.delta, t.metric).toBe(0);
    expect(totals.map((t: { metric: string }) => t.metric)).toContain('peakMemoryBytes');
  });

  it('?input that no network reads (two zoo models; a sweep of a spec) is 400 INVALID_OPTION at query.input (it was ignored)', async () => {
    const compare = await post('/v1/compare?input=1,3,64,64').send({ old: 'resnet18', new: 'resnet34' }).expect(400);
    expect(compare.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.input', message: '?input applies to an ONNX file without inputShapes; a spec or built-in model has its own input shapes' });
    const sweep = await post('/v1/sweep?input.x=1,3,8,8').send({ spec: tiny, sizes: [8] }).expect(400);
    expect(sweep.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.input.x' });
  });

  it('errors: a missing network, an unknown model, a bare spec\'s error located under $.old (where it is), a stray file part, a bad gate', async () => {
    expect((await post('/v1/compare').send({ old: 'resnet18' }).expect(400)).body.error).toMatchObject({ code: 'SPEC_INVALID', path: '$.new' });
    expect((await post('/v1/compare').send({ old: 'resnet18', new: 'resnet43' }).expect(404)).body.error).toMatchObject({ code: 'UNKNOWN_MODEL', path: '$.new', suggestion: 'resnet34' });
    const bad = { inputs: [{ name: 'x', shape: [1, 64, 8, 8] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 8, kernelSize: 3, groups: 3 }] };
    const spec = await post('/v1/compare').send({ old: bad, new: tiny }).expect(400);
    expect(spec.body.error.code).toBe('INVALID_ATTRIBUTE');
    expect(spec.body.error.path).toBe('$.old.layers[0].groups');
    const stray = await post('/v1/compare').field('request', JSON.stringify({ old: 'resnet18', new: 'resnet18' })).attach('newer', onnxResnet18, 'x.onnx').expect(400);
    expect(stray.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'newer' });
    expect((await post('/v1/compare').send({ old: 'resnet18', new: 'resnet34', gates: { macs: 'a lot' } }).expect(400)).body.error).toMatchObject({ path: '$.gates.macs' });
    expect((await post('/v1/compare').send({ old: 'resnet18', new: 'resnet34', gates: { latencySeconds: '5%' } }).expect(400)).body.error).toMatchObject({ path: '$.gates.latencySeconds' });
  });
});

describe('POST /v1/sweep', () => {
  it('resnet18 at 160, 224, 225: final maps 5, 7, 8 (224 = 7·2^5); 225 is not k·2^n', async () => {
    const res = await post('/v1/sweep').send({ model: 'resnet18', sizes: [160, 224, 225], device: 'raspberry-pi-5' }).expect(200);
    const s = res.body.sizes;
    expect(s.map((e: { finalFeatureMap: number[] }) => e.finalFeatureMap)).toEqual([[5, 5], [7, 7], [8, 8]]);
    expect(s.map((e: { valid: boolean }) => e.valid)).toEqual([true, true, false]);
    expect(s[1].params).toBe(TORCHVISION.resnet18);
    expect(s[1].latencySeconds).toBeGreaterThan(0);
  });

  it('an ONNX file as the multipart part model (?input= for its dynamic dims): the zoo model\'s MACs at each size', async () => {
    const res = await post('/v1/sweep?input=1,3,224,224').field('request', JSON.stringify({ sizes: [160, 224] })).attach('model', onnxResnet18, 'resnet18.onnx').expect(200);
    const zoo = await post('/v1/sweep').send({ model: 'resnet18', sizes: [160, 224] }).expect(200);
    expect(res.body.sizes.map((e: { macs: number }) => e.macs)).toEqual(zoo.body.sizes.map((e: { macs: number }) => e.macs));
    expect(res.body.sizes[1].macs).toBe(1_814_073_344);
  });

  it('?format=md: the CLI\'s Markdown table, a row per size', async () => {
    const res = await post('/v1/sweep?format=md').send({ model: 'resnet18', sizes: [160, 224, 225] }).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/markdown/);
    expect(res.text).toContain('## convlens sweep: `resnet18`, input `input` (built for 224×224)');
    expect(res.text).toMatch(/\| 224×224 \| ✅ \| 11,689,512 \| 1,814,073,344 \|/);
    expect(res.text).toMatch(/\| 225×225 \| ⚠️ \|/);
  });

  it('errors: sizes missing, an unknown device (at $.device)', async () => {
    expect((await post('/v1/sweep').send({ model: 'resnet18' }).expect(400)).body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.sizes' });
    expect((await post('/v1/sweep').send({ model: 'resnet18', sizes: [224], device: 'pi' }).expect(400)).body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.device' });
  });
});

describe('GET /v1/models/{name}/report, /v1/devices, /v1/conventions', () => {
  it('resnet50: one self-contained HTML document with its five charts, no script, no other host', async () => {
    const res = await request(app.server).get('/v1/models/resnet50/report?device=a100-sxm4-40gb').expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = res.text;
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    for (const chart of ['layers', 'ops', 'receptive-field', 'memory', 'roofline']) expect(html, chart).toContain(`data-chart="${chart}"`);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).toContain(TORCHVISION.resnet18 > 0 ? '25,557,032' : '');
  });

  it('?format=json gives the report; an unknown model is 404 at the path parameter', async () => {
    const res = await request(app.server).get('/v1/models/resnet18/report?format=json&memory=true').expect(200);
    expect(res.body.totals.params).toBe(TORCHVISION.resnet18);
    expect(res.body.memory.peak.bytes).toBeGreaterThan(0);
    const missing = await request(app.server).get('/v1/models/resnet19/report').expect(404);
    expect(missing.body.error).toMatchObject({ code: 'UNKNOWN_MODEL', path: 'name', suggestion: 'resnet18' });
  });

  it('devices: the four built-in profiles with their datasheets; conventions: the presets with their sources', async () => {
    const devices = (await request(app.server).get('/v1/devices').expect(200)).body;
    expect(DevicesResponse.safeParse(devices).success).toBe(true);
    expect(devices.devices.map((d: { id: string }) => d.id)).toEqual(['a100-sxm4-40gb', 'jetson-orin-nano-8gb', 'cortex-a78-3ghz', 'raspberry-pi-5']);
    expect(devices.devices[0]).toMatchObject({ peaks: { float32: 19.5e12 }, bandwidth: 1555e9 });
    for (const d of devices.devices) expect(d.sources.length, d.id).toBeGreaterThan(0);
    expect(devices.note).toContain('lower bound');
    const conventions = (await request(app.server).get('/v1/conventions').expect(200)).body;
    expect(ConventionsResponse.safeParse(conventions).success).toBe(true);
    expect(conventions.conventions.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['torchvision', 'fvcore', 'thop', 'ptflops', 'calflops', 'torchinfo', 'onnx-tool']));
    const ptflops = conventions.conventions.find((c: { name: string }) => c.name === 'ptflops');
    expect(ptflops.rules.length).toBeGreaterThan(3);
    for (const r of ptflops.rules) expect(r.source, r.family).not.toBe('');
  });
});

describe('a JSON body over OFFLOAD_JSON_BYTES is parsed, checked and analysed in a worker, with the same answers', () => {
  /** A chain of relus with long names: over 1 MiB of JSON, cheap to analyse. */
  const big = (n = 5000) => ({
    name: 'long',
    inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
    layers: Array.from({ length: n }, (_, i) => ({ name: `relu_${String(i).padStart(5, '0')}_${'x'.repeat(200)}`, op: 'relu' })),
  });

  it('POST /v1/analyze?format=csv&memory=true: one row per layer and the TOTAL; the peak is three 128 B tensors (x, alive throughout, and the one a relu reads and the one it writes)', async () => {
    const spec = big();
    expect(Buffer.byteLength(JSON.stringify(spec))).toBeGreaterThan(OFFLOAD_JSON_BYTES);
    const res = await post('/v1/analyze?format=csv&memory=true').send(spec).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const table = rows(res.text);
    expect(table).toHaveLength(1 + 5000 + 1);
    const col = table[0].indexOf('live_bytes');
    expect(table.at(-1)![col]).toBe(String(3 * 2 * 4 * 4 * 4));
    const bad = await post('/v1/analyze?device=nope').send(spec).expect(400);
    expect(bad.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.device' });
  });

  it('POST /v1/compare with a large spec: added and removed layers counted in the worker', async () => {
    const res = await post('/v1/compare').send({ old: big(), new: big(4999) }).expect(200);
    expect(res.body.comparison.layers.matched).toHaveLength(4999);
    expect(res.body.comparison.layers.removed).toHaveLength(1);
  });
});

describe('JSON Schemas under schema/', () => {
  it.each(['report.schema.json', 'comparison.schema.json', 'sweep.schema.json'] as const)('%s is what npm run schema writes today', (file) => {
    expect(readFileSync(new URL(`../../schema/${file}`, import.meta.url), 'utf8')).toBe(renderSchema(file));
  });

  it('GET /v1/schema/report is the report with its optional analyses (memory, roofline, modules, convention, explain, deployed)', async () => {
    const schema = (await request(app.server).get('/v1/schema/report').expect(200)).body;
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['totals', 'memory', 'roofline', 'modules', 'convention', 'explain', 'deployed']));
    expect(schema.required).not.toContain('memory');
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
