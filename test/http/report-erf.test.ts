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

  it('erf=true with format json or md: 400 INVALID_OPTION at query.erf (it was ignored: a report without an ERF)', async () => {
    for (const format of ['json', 'md']) {
      const res = await request(app.server).get(`/v1/models/resnet18/report?resolution=64&erf=true&format=${format}`).expect(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.erf', message: `erf adds the effective receptive field to the HTML report (format html), not to ${format}; POST /v1/erf computes it on its own` });
    }
  });

  it('erf=maybe is a 400 at the query parameter', async () => {
    const res = await request(app.server).get('/v1/models/resnet18/report?erf=maybe').expect(400);
    expect(res.body.error.path).toBe('query.erf');
  });
});

describe('POST /v1/analyze with erf and a format other than html', () => {
  it('?erf=true with a JSON answer is 400 INVALID_OPTION at query.erf (it was ignored: a report without an ERF); in the body\'s options at $.options.erf; with format html it is computed', async () => {
    const query = await request(app.server).post('/v1/analyze?model=resnet18&resolution=64&erf=true').expect(400);
    expect(query.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.erf', message: 'erf adds the effective receptive field to the HTML report (format html), not to json; POST /v1/erf computes it on its own' });
    const body = await request(app.server).post('/v1/analyze?format=csv').send({ model: 'resnet18', resolution: 64, options: { erf: true } }).expect(400);
    expect(body.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.options.erf' });
    const html = await request(app.server).post('/v1/analyze?format=html').send({ model: 'resnet18', resolution: 64, options: { erf: true } }).expect(200);
    expect(html.text).toContain('<section id="erf">');
  });
});
