/**
 * An analysis asked for in a format that does not show it is refused (http/report-answers.ts
 * checkFormatOptions), not answered with a report that silently lacks it; and the HTML report
 * shows another tool's count (convention) as the Markdown does. Found in a browser review: the HTML
 * with ?convention=ptflops&explain=true was byte for byte the HTML without them.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

describe('analyses and the formats that show them', () => {
  it('html with convention=ptflops: section#convention gives ptflops\'s count beside convlens\'s MACs (resnet18: 1,814,073,344 MACs by convlens)', async () => {
    const res = await request(app.server).get('/v1/models/resnet18/report?convention=ptflops').expect(200);
    expect(res.text).toContain('<section id="convention"><h2>ptflops, pytorch backend count</h2>');
    expect(res.text).toMatch(/<section id="convention">[\s\S]*1,814,073,344/);
    const plain = await request(app.server).get('/v1/models/resnet18/report').expect(200);
    expect(plain.text).not.toContain('<section id="convention">');
  });

  it.each([
    ['html', 'explain=true', 'query.explain', 'format html does not show explain; it shows in json, csv'],
    ['md', 'explain=true', 'query.explain', 'format md does not show explain; it shows in json, csv'],
  ])('format %s with %s: 400 INVALID_OPTION at %s', async (format, option, path, message) => {
    const res = await request(app.server).post(`/v1/analyze?model=resnet18&format=${format}&${option}`).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path, message });
  });

  it('format netron (an ONNX file) with memory=true: 400 INVALID_OPTION at query.memory', async () => {
    const onnx = readFileSync(new URL('../fixtures/onnx/resnet18.onnx', import.meta.url));
    const res = await request(app.server).post('/v1/analyze?format=netron&memory=true').set('content-type', 'application/octet-stream').send(onnx).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.memory', message: 'format netron does not show memory; it shows in json, csv, md, html' });
  });

  it('explain in the body\'s options with format md: at $.options.explain', async () => {
    const res = await request(app.server).post('/v1/analyze?format=md').send({ model: 'resnet18', options: { explain: true } }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.options.explain' });
  });

  // the module summary has no csv columns and no netron metrics: depth and topK were dropped with a 200, where the
  // command line's `--depth 2 --format csv` is INVALID_OPTION at --depth
  it.each([
    ['POST /v1/analyze?model=resnet18&format=csv&depth=2', 'query.depth', 'format csv does not show depth (the module summary); it shows in json, md, html'],
    ['POST /v1/analyze?model=resnet18&format=csv&topK=3', 'query.topK', 'format csv does not show topK (the module summary); it shows in json, md, html'],
    ['GET /v1/models/resnet18/report?format=csv&depth=1', 'query.depth', 'format csv does not show depth (the module summary); it shows in json, md, html'],
  ])('%s: 400 INVALID_OPTION at %s', async (call, path, message) => {
    const [method, url] = call.split(' ');
    const res = await (method === 'GET' ? request(app.server).get(url) : request(app.server).post(url)).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path, message });
  });

  it('depth in the body\'s options with format csv: at $.options.depth; with netron (an ONNX file): at query.depth', async () => {
    const body = await request(app.server).post('/v1/analyze?format=csv').send({ model: 'resnet18', options: { depth: 2 } }).expect(400);
    expect(body.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.options.depth' });
    const onnx = readFileSync(new URL('../fixtures/onnx/resnet18.onnx', import.meta.url));
    const netron = await request(app.server).post('/v1/analyze?format=netron&depth=2').set('content-type', 'application/octet-stream').send(onnx).expect(400);
    expect(netron.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.depth', message: 'format netron does not show depth (the module summary); it shows in json, md, html' });
    await request(app.server).post('/v1/analyze?model=resnet18&format=md&depth=2&topK=3').expect(200);
  });

  it('csv with explain and convention: both shown (columns), 200', async () => {
    const res = await request(app.server).post('/v1/analyze?model=resnet18&format=csv&explain=true&convention=ptflops').expect(200);
    const head = res.text.split('\n')[0];
    expect(head).toContain('macs_formula');
    expect(head).toContain('ptflops_');
  });
});
