/**
 * A multipart body ends with its close delimiter, `--BOUNDARY--` (RFC 2046 §5.1.1). One that stops
 * after a part's boundary line (`\r\n--BOUNDARY\r\n`, or `--BOUNDARY` and the end) was cut short:
 * @fastify/multipart ends the form without a word on busboy's "Unexpected end of multipart data",
 * so a truncated upload was read and analysed as if whole (200). Now 400 INCOMPLETE_BODY at body,
 * on the small forms (readForm) and the one-file uploads (readFirstFile, the ONNX file streamed
 * into its buffer as it arrives), whatever the route.
 * Raw bodies over a socket, each answer awaited with a timeout, so a regression fails, not hangs.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admissionOf } from '../../src/http/admission.js';
import { testApp } from './app.js';
import { portOf, postWhole } from './raw.js';
import type { JsonAnswer } from './raw.js';

let app: FastifyInstance;
let port: number;
beforeAll(async () => {
  app = await testApp({ MODEL_CACHE_BYTES: '0' });
  port = await portOf(app);
});
afterAll(async () => app.close());

const npy = readFileSync(new URL('../../examples/input-1x3x64x64.npy', import.meta.url));
const onnx = (name: string) => readFileSync(new URL(`../fixtures/onnx/${name}.onnx`, import.meta.url));
const B = 'XyZ';
const CRLF = '\r\n';
const field = (name: string, text: string) => Buffer.from(`--${B}${CRLF}Content-Disposition: form-data; name="${name}"${CRLF}${CRLF}${text}${CRLF}`);
const file = (name: string, bytes: Buffer) => Buffer.concat([Buffer.from(`--${B}${CRLF}Content-Disposition: form-data; name="${name}"; filename="${name}.bin"${CRLF}${CRLF}`), bytes, Buffer.from(CRLF)]);
/** The parts, then `end`: the close delimiter, or what a cut-short body ends with instead. */
const body = (end: string, ...parts: Buffer[]) => Buffer.concat([...parts, Buffer.from(end)]);

/** The ends of a body cut after a part: its next boundary line and nothing more, or that line without its CRLF. */
const CUT = { 'the next boundary line (--XyZ CRLF), then the end': `--${B}${CRLF}`, '--XyZ, then the end': `--${B}` };
/** Complete bodies: RFC 2046's close delimiter, with its CRLF, without it, or with an epilogue after it. */
const CLOSED = { '--XyZ-- CRLF': `--${B}--${CRLF}`, '--XyZ-- and the end (no CRLF)': `--${B}--`, '--XyZ-- CRLF and an epilogue': `--${B}--${CRLF}an epilogue${CRLF}` };

/** POSTs `payload` with a Content-Length and waits at most 30 s for the answer (the first run starts a worker, slow on a busy machine) (raw.ts postWhole). */
const post = (path: string, payload: Buffer): Promise<JsonAnswer> => postWhole(port, path, payload, `multipart/form-data; boundary=${B}`, 30_000);

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function budgetFreed(): Promise<number> {
  const budget = admissionOf(app)!.budget;
  for (let i = 0; i < 80 && budget.used > 0; i++) await wait(25);
  return budget.used;
}

const MESSAGE = 'the multipart form ended before its closing boundary (--XyZ--)';

/** Each route's form: its parts, the status a whole form gets. */
const FORMS: { what: string; url: string; parts: Buffer[]; status: number }[] = [
  { what: '/v1/run: request field, input .npy (readForm)', url: '/v1/run', parts: [field('request', '{"model":"squeezenet1_1","resolution":64}'), file('input', npy)], status: 200 },
  { what: '/v1/run: the ONNX file as part model, input .npy (readForm, the model hashed as it streams)', url: '/v1/run', parts: [field('request', '{"weightInit":"seed"}'), file('model', onnx('resnet18')), file('input', npy)], status: 200 },
  { what: '/v1/analyze?input=1,3,64,64: the ONNX file, 22 KB (readFirstFile)', url: '/v1/analyze?input=1,3,64,64', parts: [file('model', onnx('resnet18'))], status: 200 },
  { what: '/v1/analyze: the ONNX file, 166 KB, read in many chunks (readFirstFile)', url: '/v1/analyze?input=1,3,224,224', parts: [file('model', onnx('shufflenet_v2_x1_0'))], status: 200 },
  { what: '/v1/compare: request field and the ONNX file as part new (readForm)', url: '/v1/compare?input=1,3,64,64', parts: [field('request', '{"old":{"model":"resnet18","resolution":64}}'), file('new', onnx('resnet18'))], status: 200 },
];

describe('a multipart body without its close delimiter (--BOUNDARY--) is 400 INCOMPLETE_BODY at body, never read as whole', () => {
  for (const { what, url, parts, status } of FORMS) {
    it(`${what}: closed, ${status}; cut after a part, 400 INCOMPLETE_BODY saying the form ended before its closing boundary`, async () => {
      for (const [how, end] of Object.entries(CLOSED)) {
        const res = await post(url, body(end, ...parts));
        expect([how, res.status], res.body).toEqual([how, status]);
      }
      for (const [how, end] of Object.entries(CUT)) {
        const res = await post(url, body(end, ...parts));
        expect([how, res.status, res.json.error?.code, res.json.error?.path]).toEqual([how, 400, 'INCOMPLETE_BODY', 'body']);
        expect(res.json.error?.message).toContain(MESSAGE);
      }
      expect(await budgetFreed()).toBe(0);
    }, 120_000);
  }

  it('a body cut inside a part: a file part or a later field, the same 400 (the field was dropped without a word); inside the first part, noParts says where it stopped', async () => {
    const inFile = await post('/v1/run', Buffer.concat([field('request', '{"model":"squeezenet1_1","resolution":64}'), file('input', npy).subarray(0, 200)]));
    expect([inFile.status, inFile.json.error?.code, inFile.json.error?.path]).toEqual([400, 'INCOMPLETE_BODY', 'body']);
    expect(inFile.json.error?.message).toContain(MESSAGE);
    const inField = await post('/v1/run', Buffer.concat([file('model', onnx('resnet18')), file('input', npy), field('request', '{"weightInit":"seed"}').subarray(0, -8)]));
    expect([inField.status, inField.json.error?.code, inField.json.error?.path]).toEqual([400, 'INCOMPLETE_BODY', 'body']);
    expect(inField.json.error?.message).toContain(MESSAGE);
    const inHeaders = await post('/v1/analyze?input=1,3,64,64', Buffer.concat([file('model', onnx('resnet18')), Buffer.from(`--${B}${CRLF}Content-Disposition: form-da`)]));
    expect([inHeaders.status, inHeaders.json.error?.code, inHeaders.json.error?.path]).toEqual([400, 'INCOMPLETE_BODY', 'body']);
    expect(inHeaders.json.error?.message).toContain(MESSAGE);
    // a body of the opening boundary line alone, with its CRLF, without it or cut between its CR and
    // LF, after a preamble or not: a part opened, never closed
    for (const only of [`--${B}${CRLF}`, `--${B}`, `--${B}\r`, `a preamble${CRLF}--${B}\r`, `a preamble${CRLF}--${B}`]) {
      const opened = await post('/v1/analyze', Buffer.from(only));
      expect([only, opened.status, opened.json.error?.code, opened.json.error?.path]).toEqual([only, 400, 'INCOMPLETE_BODY', 'body']);
      expect(opened.json.error?.message).toContain('ended in the middle of its first part');
    }
    const inFirst = await post('/v1/run', field('request', '{"model":"squeezenet1_1"').subarray(0, -2));
    expect([inFirst.status, inFirst.json.error?.code, inFirst.json.error?.path]).toEqual([400, 'INCOMPLETE_BODY', 'body']);
    expect(inFirst.json.error?.message).toContain('ended in the middle of its first part');
    expect(await budgetFreed()).toBe(0);
  }, 30_000);
});
