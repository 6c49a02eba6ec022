/**
 * A multipart form's bytes in the memory budget while the form parser buffers them (review of
 * issue 9's admission): the parser hands a text field over only once it is whole, so a form sent
 * without a Content-Length whose `request` field trickled held up to JSON_BODY_LIMIT (64 MiB) a
 * socket, uncharged. Its bytes are now charged as they leave the socket (one byte each), then at
 * their part's factor once a part is read.
 */
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { BINARY_FACTOR, JSON_FACTOR, admissionOf } from '../../src/http/admission.js';
import { testApp } from './app.js';
import { head, portOf, rawRequest } from './raw.js';

const BUDGET = 8 * 1024 * 1024;
const ENV = { MEMORY_BUDGET_BYTES: String(BUDGET), MODEL_CACHE_BYTES: '0', RESERVE_AHEAD_MS: '60000' };
const MiB = 1 << 20;

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const reservedNow = () => admissionOf(app!)!.budget.used;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** One chunk of a chunked body. */
const chunk = (bytes: Buffer | string) => {
  const b = Buffer.from(bytes);
  return Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
};
const FORM = 'multipart/form-data; boundary=XB';
const fieldHead = '--XB\r\nContent-Disposition: form-data; name="request"\r\n\r\n';

describe('a chunked form (no Content-Length) is charged as its bytes come, before any part is whole', () => {
  it('1 MiB of a `request` field still open is held (1 MiB, one byte each): it was 0 until the field ended; the budget is whole again once the client goes', async () => {
    app = await testApp(ENV);
    const port = await portOf(app);
    const conn = await rawRequest(port, head('/v1/run', { 'content-type': FORM, 'transfer-encoding': 'chunked' }), chunk(fieldHead + '{"model":"resnet18","pad":"'));
    onTestFinished(() => conn.destroy());
    conn.send(chunk(Buffer.alloc(MiB, 'a')));
    let held = 0;
    for (let i = 0; i < 40 && held < MiB; i++) {
      await wait(25);
      held = reservedNow();
    }
    // the field's bytes and the form's head, each counted once
    expect(held).toBe(MiB + fieldHead.length + '{"model":"resnet18","pad":"'.length);
    conn.destroy();
    for (let i = 0; i < 40 && reservedNow() > 0; i++) await wait(25);
    expect(reservedNow()).toBe(0);
  });

  it('with 6 of 8 MiB held by another body, 3 MiB of an open field is 503 OVERLOADED at once (it waited for the field to end, uncharged), with connection: close; the rest of the body goes into nothing (the form parser let go: it went on buffering the field, uncharged), nothing of it stays held, and the connection closes', async () => {
    app = await testApp(ENV);
    let form: IncomingMessage | undefined;
    app.server.on('request', (req: IncomingMessage) => {
      if (req.headers['content-type'] === FORM) form = req;
    });
    const port = await portOf(app);
    // 1.5 MiB of JSON announced, one byte sent: 6 MiB held
    const other = await rawRequest(port, head('/v1/run', { 'content-type': 'application/json', 'content-length': 1.5 * MiB }), '{');
    for (let i = 0; i < 40 && reservedNow() < 6 * MiB; i++) await wait(25);
    expect(reservedNow()).toBe(1.5 * MiB * JSON_FACTOR);
    const conn = await rawRequest(port, head('/v1/run', { 'content-type': FORM, 'transfer-encoding': 'chunked' }), chunk(fieldHead + '{"model":"resnet18","pad":"'));
    onTestFinished(() => (conn.destroy(), other.destroy()));
    for (let i = 0; i < 3; i++) conn.send(chunk(Buffer.alloc(MiB, 'a')));
    const answer = await conn.answer(5000);
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body).error).toMatchObject({ code: 'OVERLOADED' });
    expect(answer.headers.connection).toBe('close');
    // the request no longer feeds the form parser: more of the field is read and dropped
    expect(form!.listenerCount('data')).toBe(0);
    conn.send(chunk(Buffer.alloc(MiB, 'a')));
    expect(await conn.closed(4000)).toBe(true);
    conn.destroy();
    for (let i = 0; i < 40 && reservedNow() > 6 * MiB; i++) await wait(25);
    expect(reservedNow()).toBe(6 * MiB);
    other.destroy();
  });

  it('a whole chunked form (a .npy part and the request field) runs, charged at the parts\' factors (×2 the .npy, ×4 the field), not twice with its wire bytes', async () => {
    app = await testApp(ENV);
    const port = await portOf(app);
    const npy = readFileSync(new URL('../../examples/input-1x3x64x64.npy', import.meta.url));
    const field = JSON.stringify({ model: 'squeezenet1_1', resolution: 64, format: 'base64' });
    const conn = await rawRequest(port, head('/v1/run', { 'content-type': FORM, 'transfer-encoding': 'chunked' }));
    onTestFinished(() => conn.destroy());
    conn.send(chunk('--XB\r\nContent-Disposition: form-data; name="input"; filename="input.npy"\r\nContent-Type: application/octet-stream\r\n\r\n'));
    conn.send(chunk(npy));
    // the field ends at the boundary that follows it; the form stays open until its last two dashes
    conn.send(chunk(`\r\n${fieldHead}${field}\r\n--XB`));
    let max = 0;
    for (let i = 0; i < 40 && max < npy.length * BINARY_FACTOR + field.length * JSON_FACTOR; i++) {
      await wait(25);
      max = Math.max(max, reservedNow());
    }
    // what the parts hold once read, and the form's framing (headers, boundaries) one byte each: no more
    const framing = 300;
    expect(max).toBeGreaterThanOrEqual(npy.length * BINARY_FACTOR + field.length * JSON_FACTOR);
    expect(max).toBeLessThan(npy.length * BINARY_FACTOR + field.length * JSON_FACTOR + framing);
    conn.send(chunk('--\r\n'));
    conn.send('0\r\n\r\n');
    const answer = await conn.answer(30_000);
    expect(answer.status, answer.body.slice(0, 300)).toBe(200);
    expect(JSON.parse(answer.body).outputs[0].shape).toEqual([1, 1000]);
    conn.destroy();
  });
});
