/**
 * The report routes over REST (issue 11) other than analyze (reports-analyze.test.ts), compare and
 * sweep (reports-compare.test.ts): a zoo model's HTML report, the device and convention listings,
 * a large JSON body analysed and compared in a worker, and the JSON Schemas under schema/.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConventionsResponse, DevicesResponse } from '../../src/http/responses.js';
import { OFFLOAD_JSON_BYTES } from '../../src/http/body.js';
import { renderSchema } from '../../scripts/write-schemas.js';
import { testApp } from './app.js';
import { rows, TORCHVISION } from './reports-kit.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const post = (url: string) => request(app.server).post(url);

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
