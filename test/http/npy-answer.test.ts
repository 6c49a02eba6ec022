import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { decodeNpy, encodeNpy } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';
import { binary } from './app.js';

// every record the app logs, to see that a .npy answer is sent once: sendNpy once resolved to
// undefined (a Fastify reply is a thenable), and the route went on to build and send the JSON
// answer too, logging "Reply was already sent" on every call
const records: { level: number; msg?: string; err?: { message?: string } }[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n')) if (line) records.push(JSON.parse(line));
    done();
  },
});

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildApp({ config: loadConfig({ WORKERS: '1' }), logger: pino({ level: 'info' }, sink) });
  await app.ready();
});
afterAll(async () => app.close());

const warnings = () => records.filter((r) => r.level >= 40);

describe('a .npy answer is sent once, and nothing after it', () => {
  it('POST /v1/operators/relu with an application/x-npy body: relu([1, -2, 3, -4]) = [1, 0, 3, 0], no warning logged', async () => {
    const res = await request(app.server).post('/v1/operators/relu').set('content-type', 'application/x-npy').send(encodeNpy(tensor([4], [1, -2, 3, -4]))).buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toBe('application/x-npy');
    expect(Array.from(decodeNpy(res.body, 'y', 16).data)).toEqual([1, 0, 3, 0]);
    await new Promise((r) => setTimeout(r, 50));
    expect(warnings()).toEqual([]);
  });

  it('POST /v1/run with format npy: a one-layer spec, relu of [-1, 2] = [0, 2], no warning logged', async () => {
    const spec = { name: 'r', inputs: [{ name: 'x', shape: [1, 2] }], layers: [{ name: 'act', op: 'relu' }] };
    const res = await request(app.server).post('/v1/run').send({ spec, inputs: { x: { shape: [1, 2], data: [-1, 2] } }, format: 'npy' }).buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toBe('application/x-npy');
    expect(Array.from(decodeNpy(res.body, 'y', 16).data)).toEqual([0, 2]);
    await new Promise((r) => setTimeout(r, 50));
    expect(warnings()).toEqual([]);
  });
});
