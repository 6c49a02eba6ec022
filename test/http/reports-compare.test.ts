/**
 * POST /v1/compare (resnet18 → resnet34 checked layer by layer against the two reports' own numbers
 * and torchvision's published parameter counts; gates; an ONNX export against the zoo model) and
 * POST /v1/sweep over REST (issue 11), with their errors (4xx with code and path).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompareResponse } from '../../src/http/openapi-reports.js';
import { testApp } from './app.js';
import { onnxResnet18, tiny, TORCHVISION } from './reports-kit.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const post = (url: string) => request(app.server).post(url);

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

  it('the gates are named as the body gave them, $.gates.macs (they named the CLI flag --max-macs-increase); flag is still the CLI flag; the Markdown too', async () => {
    const byMetric = Object.fromEntries(cmp.gates.results.map((r: { metric: string }) => [r.metric, r]));
    expect(byMetric.macs).toMatchObject({ givenAs: '$.gates.macs', flag: '--max-macs-increase', threshold: '100%' });
    expect(byMetric.params).toMatchObject({ givenAs: '$.gates.params', flag: '--max-params-increase' });
    expect(cmp.gates.failures).toEqual(['MACs 1,814,073,344 → 3,663,761,408 (+1,849,688,064, +101.96%) exceeds $.gates.macs 100%']);
    const md = await post('/v1/compare?format=md').send({ old: 'resnet18', new: 'resnet34', gates: { macs: '100%' } }).expect(200);
    expect(md.text).toContain('`$.gates.macs 100%`');
    expect(md.text).not.toContain('--max-macs-increase');
    // a form's request part is read as the body: the same names
    const form = await post('/v1/compare').field('request', JSON.stringify({ old: 'resnet18', new: 'resnet34', gates: { params: '0' } })).expect(200);
    expect(form.body.gates.failures[0]).toMatch(/exceeds \$\.gates\.params 0$/);
  });

  it('?format=md (and Accept: text/markdown): the pull-request comment', async () => {
    const md = await post('/v1/compare?format=md').send({ old: 'resnet18', new: 'resnet34' }).expect(200);
    expect(md.headers['content-type']).toMatch(/^text\/markdown/);
    expect(md.text).toContain('| params | 11,689,512 | 21,797,672 | ▲ +10,108,160 | +86.47% |');
    const viaAccept = await post('/v1/compare').set('accept', 'text/markdown').send({ old: 'resnet18', new: 'resnet34' }).expect(200);
    expect(viaAccept.text).toBe(md.text);
  });

  it("an ONNX export as the multipart part new, against the zoo model: every layer matched by module path, no delta but the buffers' −20 (the zoo's 20 batch norms each hold PyTorch's num_batches_tracked, which an ONNX file does not)", async () => {
    const res = await post('/v1/compare?input=1,3,224,224')
      .field('request', JSON.stringify({ old: 'resnet18', options: { memory: true } }))
      .attach('new', onnxResnet18, 'resnet18.onnx')
      .expect(200);
    const { layers, totals } = res.body.comparison;
    expect(layers.matched).toHaveLength(69);
    expect(layers.matched[0]).toMatchObject({ before: 'conv1', after: '/conv1/Conv', matchedBy: 'path' });
    expect(layers.added).toEqual([]);
    for (const t of totals) expect(t.delta, t.metric).toBe(t.metric === 'buffers' ? -20 : 0);
    expect(totals.find((t: { metric: string }) => t.metric === 'buffers')).toMatchObject({ before: 9620, after: 9600 });
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
    // the message names the place as the path does (it said "$.inputs[0] has no field dtype" beside $.old.spec.inputs[0].dtype), its issues' too
    const field = { inputs: [{ name: 'x', shape: [1, 3, 8, 8], dtype: 'f' }], layers: [{ name: 'r', op: 'relu' }] };
    const named = (await post('/v1/compare').send({ old: { spec: field }, new: { model: 'resnet18' } }).expect(400)).body.error;
    expect(named).toMatchObject({ code: 'SPEC_INVALID', path: '$.old.spec.inputs[0].dtype', issues: [{ path: '$.old.spec.inputs[0].dtype', message: expect.stringMatching(/^\$\.old\.spec\.inputs\[0\] has no field dtype/) }] });
    expect(named.message).toMatch(/^\$\.old\.spec\.inputs\[0\] has no field dtype/);
    const stray = await post('/v1/compare').field('request', JSON.stringify({ old: 'resnet18', new: 'resnet18' })).attach('newer', onnxResnet18, 'x.onnx').expect(400);
    expect(stray.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'newer' });
    expect((await post('/v1/compare').send({ old: 'resnet18', new: 'resnet34', gates: { macs: 'a lot' } }).expect(400)).body.error).toMatchObject({ path: '$.gates.macs' });
    expect((await post('/v1/compare').send({ old: 'resnet18', new: 'resnet34', gates: { latencySeconds: '5%' } }).expect(400)).body.error).toMatchObject({ path: '$.gates.latencySeconds' });
  });

  it('a network\'s resolution 0 or inputShapes with a 0 is INVALID_OPTION at $.new.resolution / $.old.inputShapes.x[0], as /v1/analyze, /v1/sweep and GraphQL compare say (it was SPEC_INVALID: the spec is not at fault)', async () => {
    const resolution = await post('/v1/compare').send({ old: 'resnet18', new: { model: 'resnet34', resolution: 0 } }).expect(400);
    expect(resolution.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.new.resolution' });
    expect((await post('/v1/analyze').send({ model: 'resnet34', resolution: 0 }).expect(400)).body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.resolution' });
    const shapes = await post('/v1/compare').send({ old: { onnxBase64: onnxResnet18.toString('base64'), inputShapes: { x: [0] } }, new: 'resnet18' }).expect(400);
    expect(shapes.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.old.inputShapes.x[0]' });
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
