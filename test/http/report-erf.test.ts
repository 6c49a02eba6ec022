/**
 * The HTML report's effective-receptive-field section over HTTP: `?erf=true` with format html adds
 * it (the network runs forward and back in the worker); without it the report does not pay for it.
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

describe('GET /v1/models/{name}/report?erf=true', () => {
  it('resnet18 at 64×64: the HTML carries section#erf with the heatmap SVG and its statistics', async () => {
    const res = await request(app.server).get('/v1/models/resnet18/report?resolution=64&erf=true').expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('<section id="erf"><h2>Effective receptive field</h2>');
    expect(res.text).toMatch(/<section id="erf">[\s\S]*<svg/);
  });

  it('without erf: no ERF section', async () => {
    const res = await request(app.server).get('/v1/models/resnet18/report?resolution=64').expect(200);
    expect(res.text).not.toContain('<section id="erf">');
  });

  it('erf=maybe is a 400 at the query parameter', async () => {
    const res = await request(app.server).get('/v1/models/resnet18/report?erf=maybe').expect(400);
    expect(res.body.error.path).toBe('query.erf');
  });
});
