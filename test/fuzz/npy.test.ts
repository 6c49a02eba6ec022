/**
 * Fuzzing .npy files: headers written by an independent encoder with every field varied (magic,
 * version, header length, descr, fortran_order, shape with huge, negative, fractional and
 * non-numeric dims, extra and missing keys) and data exact, truncated or long; then byte flips of
 * valid files. Properties:
 *   - the decoder (tensor/encoding.ts) returns a tensor whose dims are non-negative integers and
 *     whose data holds exactly their product, at most the element limit; or throws INVALID_TENSOR
 *     or TENSOR_TOO_LARGE; nothing else, ever;
 *   - a well-formed file decodes to its values (NumPy's format spec, format.py in numpy/lib); one
 *     NumPy refuses is refused;
 *   - through HTTP (a raw application/x-npy body, a multipart part for an operator and for a
 *     network) the answer is a 2xx exactly when the decoder accepts the file, else a catalog 4xx.
 */
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConvlensError } from '../../src/errors.js';
import { decodeNpy } from '../../src/tensor/encoding.js';
import { TIMEOUT, check, deadline, expectCatalogAnswer, fuzzApp, runs, surveySummary, violation } from './fuzz.js';

const FILE = 'test/fuzz/npy.test.ts';
const MAX = 4096;

// ---- an independent .npy writer: every field can be wrong on purpose ----

/** NumPy typestrs (byte order first) with the values each can hold exactly as float32, and a writer. */
interface Kind {
  size: number;
  values: readonly number[];
  write: (dv: DataView, at: number, v: number, le: boolean) => void;
}
const HALF_BITS = new Map([[0, 0x0000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [2 ** -24, 0x0001]]);
const KINDS: Record<string, Kind> = {
  f4: { size: 4, values: [0, 1, -1.5, 3.25, 1e30, -(2 ** -20)], write: (dv, at, v, le) => dv.setFloat32(at, v, le) },
  f8: { size: 8, values: [0, 1, -1.5, 3.25, 2 ** 100, -0.125], write: (dv, at, v, le) => dv.setFloat64(at, v, le) },
  f2: { size: 2, values: [...HALF_BITS.keys()], write: (dv, at, v, le) => dv.setUint16(at, HALF_BITS.get(v)!, le) },
  i1: { size: 1, values: [0, 1, -128, 127], write: (dv, at, v) => dv.setInt8(at, v) },
  i2: { size: 2, values: [0, -32768, 32767, 5], write: (dv, at, v, le) => dv.setInt16(at, v, le) },
  i4: { size: 4, values: [0, -(2 ** 31), 2 ** 24, 7], write: (dv, at, v, le) => dv.setInt32(at, v, le) },
  i8: { size: 8, values: [0, -(2 ** 40), 2 ** 24, -3], write: (dv, at, v, le) => dv.setBigInt64(at, BigInt(v), le) },
  u1: { size: 1, values: [0, 1, 255], write: (dv, at, v) => dv.setUint8(at, v) },
  u2: { size: 2, values: [0, 65535, 9], write: (dv, at, v, le) => dv.setUint16(at, v, le) },
  u4: { size: 4, values: [0, 2 ** 31, 2 ** 24], write: (dv, at, v, le) => dv.setUint32(at, v, le) },
  u8: { size: 8, values: [0, 2 ** 52, 3], write: (dv, at, v, le) => dv.setBigUint64(at, BigInt(v), le) },
  b1: { size: 1, values: [0, 1], write: (dv, at, v) => dv.setUint8(at, v) },
};
/** Typestrs NumPy reads but convlens does not convert (complex, strings, objects, dates, structured): refused. */
const UNSUPPORTED_DESCR = ["'<c8'", "'<U3'", "'|O'", "'<f16'", "'<M8[ns]'", "'|V4'", "'|S2'", "[('a', '<f4')]", "'<f3'", "''", "'__proto__'", '7', "'toString'"];

type Outcome = 'ok' | 'INVALID_TENSOR' | 'TENSOR_TOO_LARGE';

interface NpySpec {
  magic: 'good' | 'bad';
  version: [number, number];
  typestr: string;
  order: '<' | '>' | '|' | '=' | '';
  /** Set: a descr that is not one of KINDS (the typestr is then unused). */
  badDescr: string | null;
  fortran: 'False' | 'True' | 'false' | '0';
  dims: { text: string; value: number | null }[];
  /** '(a, b)', '(a,)' as NumPy writes them, or a bare value, a list. */
  tuple: 'tuple' | 'bare' | 'list';
  keys: 'all' | 'extra' | 'missingShape' | 'missingDescr' | 'shuffled';
  values: number[];
  /** Bytes cut from the data (>0), or extra bytes appended (<0). */
  dataDelta: number;
  /** Header length field: as written, or off by some bytes, or huge. */
  headerLen: 'exact' | 'short' | 'long' | 'huge';
}

/** Dim tokens: valid ints, and what a broken or hostile writer might put there. `value` null: not a non-negative integer. */
const dimToken = (hostile: number) => fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 4 }).map((n) => ({ text: String(n), value: n })) },
  {
    weight: hostile,
    arbitrary: fc.constantFrom(
      { text: '-1', value: null },
      { text: '-0', value: 0 },
      { text: '2.5', value: null },
      { text: '1e3', value: null },
      { text: 'inf', value: null },
      { text: 'nan', value: null },
      { text: '4294967296', value: 4294967296 },
      { text: '99999999999999999999', value: 1e20 },
      { text: '9007199254740993', value: 9007199254740993 },
      { text: "'3'", value: null },
      { text: 'None', value: null },
      { text: '-4294967296', value: null },
      { text: '1_0', value: null },
      { text: '', value: null },
      { text: '1 2', value: null },
    ),
  },
);

/** Files whose fields are each wrong now and then; `hostile` weighs odd dims against 12 for plain ones. */
const npySpecWith = (hostile: number): fc.Arbitrary<NpySpec> => fc
  .record({
    magic: fc.constantFrom('good', 'good', 'good', 'good', 'bad'),
    version: fc.oneof({ weight: 6, arbitrary: fc.constantFrom<[number, number]>([1, 0], [2, 0], [3, 0]) }, { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3 })) }),
    typestr: fc.constantFrom(...Object.keys(KINDS)),
    order: fc.constantFrom<NpySpec['order']>('<', '<', '<', '>', '|', '='),
    badDescr: fc.option(fc.constantFrom(...UNSUPPORTED_DESCR), { freq: 8 }),
    fortran: fc.constantFrom<NpySpec['fortran']>('False', 'False', 'False', 'True', 'false', '0'),
    dims: fc.array(dimToken(hostile), { maxLength: 5 }),
    tuple: fc.constantFrom<NpySpec['tuple']>('tuple', 'tuple', 'tuple', 'tuple', 'bare', 'list'),
    keys: fc.constantFrom<NpySpec['keys']>('all', 'all', 'all', 'shuffled', 'extra', 'missingShape', 'missingDescr'),
    seed: fc.nat(),
    dataDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -9, max: 9 }) }),
    headerLen: fc.constantFrom<NpySpec['headerLen']>('exact', 'exact', 'exact', 'exact', 'short', 'long', 'huge'),
  })
  .map(({ seed, ...raw }) => {
    // an empty last element is Python's trailing comma, (3, 4, ): valid, so not an odd dim
    const dims = [...raw.dims];
    while (dims.length > 1 && dims[dims.length - 1].text === '') dims.pop();
    const s = { ...raw, dims };
    const n = s.dims.every((d) => d.value !== null) ? s.dims.reduce((a, d) => a * d.value!, 1) : 0;
    const pool = KINDS[s.typestr].values;
    const values = n <= MAX ? Array.from({ length: n }, (_, i) => pool[(seed + i * 7) % pool.length]) : [];
    return { ...s, values };
  });
const npySpec = npySpecWith(3);

function headerText(s: NpySpec): string {
  const descr = s.badDescr ?? `'${s.order}${s.typestr}'`;
  const inner = s.dims.map((d) => d.text);
  const shape = s.tuple === 'list' ? `[${inner.join(', ')}]` : s.tuple === 'bare' && inner.length === 1 ? inner[0] : inner.length === 1 ? `(${inner[0]},)` : `(${inner.join(', ')})`;
  const entries = [`'descr': ${descr}`, `'fortran_order': ${s.fortran}`, `'shape': ${shape}`];
  if (s.keys === 'extra') entries.push("'extra': 1");
  if (s.keys === 'missingShape') entries.splice(2, 1);
  if (s.keys === 'missingDescr') entries.splice(0, 1);
  if (s.keys === 'shuffled') entries.reverse();
  return `{${entries.join(', ')}, }`;
}

/** The file's bytes, laid out as numpy/lib/format.py writes them (header padded to 64 bytes, ending in \n). */
function npyBytes(s: NpySpec): Uint8Array {
  const [major, minor] = s.version;
  const wide = major !== 1;
  const prefix = wide ? 12 : 10;
  let header = headerText(s);
  header += ' '.repeat((64 - ((prefix + header.length + 1) % 64)) % 64) + '\n';
  const kind = KINDS[s.typestr];
  const dataLen = Math.max(0, s.values.length * kind.size - s.dataDelta);
  const out = new Uint8Array(prefix + header.length + dataLen);
  out.set(s.magic === 'good' ? [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] : [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x58], 0);
  out[6] = major;
  out[7] = minor;
  const dv = new DataView(out.buffer);
  const len = { exact: header.length, short: header.length - 7, long: header.length + 7, huge: wide ? 0xffffffff : 0xffff }[s.headerLen];
  if (wide) dv.setUint32(8, len >>> 0, true);
  else dv.setUint16(8, len & 0xffff, true);
  out.set(Buffer.from(header, 'latin1'), prefix);
  const data = new Uint8Array(Math.max(0, s.values.length * kind.size + Math.max(0, -s.dataDelta)));
  const ddv = new DataView(data.buffer);
  const le = s.order !== '>';
  s.values.forEach((v, i) => kind.write(ddv, i * kind.size, v, le));
  out.set(data.subarray(0, dataLen), prefix + header.length);
  return out;
}

/**
 * What NumPy's reader makes of the file, as convlens must answer: the outcomes allowed, or `any`
 * where NumPy and the spec leave room (a long file, an extra key, a bare or list shape, '=' order,
 * '-0', a header length that moves the data start).
 */
function expected(s: NpySpec): readonly Outcome[] | 'any' {
  const refused: Outcome[] = ['INVALID_TENSOR', 'TENSOR_TOO_LARGE'];
  if (s.magic === 'bad' || ![1, 2, 3].includes(s.version[0]) || s.version[1] !== 0) return refused;
  if (s.headerLen === 'short') return 'any';
  const problems =
    s.headerLen !== 'exact' ||
    s.keys === 'missingShape' ||
    s.keys === 'missingDescr' ||
    s.badDescr !== null ||
    s.fortran === 'false' ||
    s.fortran === '0' ||
    s.dims.some((d) => d.value === null);
  if (problems) return refused;
  const n = s.dims.reduce((a, d) => a * d.value!, 1);
  if (s.dims.some((d) => !Number.isSafeInteger(d.value))) return n === 0 ? 'any' : refused;
  if (n > MAX) return ['TENSOR_TOO_LARGE'];
  const multiByte = KINDS[s.typestr].size > 1;
  let loose = s.keys === 'extra' || s.tuple !== 'tuple' || s.order === '=' || (s.order === '|' && multiByte) || s.dims.some((d) => d.text === '-0');
  if (s.fortran === 'True') {
    if (s.dims.filter((d) => d.value! > 1).length > 1) return ['INVALID_TENSOR'];
    loose = true; // at most one axis longer than 1: Fortran and C order are the same bytes
  }
  if (s.dataDelta > 0 && n > 0) return ['INVALID_TENSOR'];
  if (s.dataDelta < 0) loose = true;
  return loose ? 'any' : ['ok'];
}

function decode(bytes: Uint8Array): { ok: true; shape: number[]; data: Float32Array } | { ok: false; code: string } {
  try {
    const t = decodeNpy(bytes, 'x', MAX);
    return { ok: true, shape: [...t.shape], data: t.data };
  } catch (e) {
    if (e instanceof ConvlensError) return { ok: false, code: e.code };
    violation(`decoder threw ${(e as Error).name}: ${(e as Error).message.slice(0, 60)}`, `decodeNpy threw a non-catalog error on ${show(bytes)}:\n${(e as Error).stack}`);
    return { ok: false, code: 'THREW' };
  }
}

const show = (bytes: Uint8Array) => JSON.stringify(Buffer.from(bytes.subarray(0, 200)).toString('latin1'));

/** The invariant of every decoded tensor, whatever the bytes. */
function wellFormed(r: ReturnType<typeof decode>, bytes: Uint8Array): void {
  if (r.ok) {
    const dimsOk = r.shape.every((d) => Number.isSafeInteger(d) && d >= 0) && r.shape.length <= 32;
    const n = r.shape.reduce((a, b) => a * b, 1);
    if (!dimsOk || r.data.length !== n || n > MAX) {
      violation(`decoded shape ${dimsOk ? 'ok' : 'not non-negative integers'}, data ${r.data.length === n ? 'fits' : 'does not fit'}`, `decodeNpy accepted ${show(bytes)} as shape [${r.shape.join(', ')}] with ${r.data.length} values`);
    }
  } else if (!['INVALID_TENSOR', 'TENSOR_TOO_LARGE', 'THREW'].includes(r.code)) {
    violation(`decoder code ${r.code}`, `decodeNpy refused ${show(bytes)} with ${r.code}, neither INVALID_TENSOR nor TENSOR_TOO_LARGE`);
  }
}

afterAll(() => surveySummary(FILE));

describe('the .npy decoder', () => {
  it('generated headers (magic, version, header length, descr, fortran_order, shape, data length): NumPy\'s answer, values exact', { timeout: TIMEOUT }, async () => {
    await check(
      fc.property(npySpec, (s) => {
        const bytes = npyBytes(s);
        const t0 = performance.now();
        const r = decode(bytes);
        const ms = performance.now() - t0;
        if (ms > 200) violation('slow decode', `decodeNpy took ${ms.toFixed(0)} ms on ${show(bytes)}`);
        wellFormed(r, bytes);
        const want = expected(s);
        const got: Outcome = r.ok ? 'ok' : (r.code as Outcome);
        const what = `${headerText(s)} version ${s.version} headerLen ${s.headerLen} dataDelta ${s.dataDelta} magic ${s.magic}`;
        // 'any' leaves open whether the file is read, not what it holds: one read whose header length
        // is the one written and whose dims are safe integers holds the written values (an extra key,
        // a bare or list shape, '=' or '|' order, '-0', trailing bytes, a one-axis Fortran file)
        if (want === 'any') {
          if (r.ok && s.headerLen === 'exact' && s.dims.every((d) => Number.isSafeInteger(d.value))) {
            expect(r.shape.map((d) => d + 0), what).toEqual(s.dims.map((d) => d.value));
            expect(Array.from(r.data), what).toEqual(s.values.map(Math.fround));
          }
          return;
        }
        if (!want.includes(got)) {
          const why =
            s.magic !== 'good' ? 'magic' : ![1, 2, 3].includes(s.version[0]) || s.version[1] ? 'version' : s.headerLen !== 'exact' ? `${s.headerLen} header length` : s.badDescr ? `descr ${s.badDescr}` : s.keys.startsWith('missing') ? s.keys : s.fortran !== 'False' ? `fortran_order ${s.fortran}` : s.dims.some((d) => d.value === null) ? `dim ${s.dims.find((d) => d.value === null)!.text}` : s.dataDelta ? 'data length' : 'valid';
          violation(`${want.join('|')} expected, got ${got}: ${why}`, `${what}: expected ${want.join(' or ')}, got ${got}${r.ok ? ` shape [${r.shape}]` : ''}`);
          return;
        }
        if (r.ok) {
          expect(r.shape).toEqual(s.dims.map((d) => d.value));
          expect(Array.from(r.data)).toEqual(s.values.map(Math.fround));
        }
      }),
      { numRuns: runs(3000) },
      FILE,
    );
  });

  it('byte flips and cuts of valid files: a well-formed tensor or INVALID_TENSOR / TENSOR_TOO_LARGE', { timeout: TIMEOUT }, async () => {
    const valid = fc.tuple(npySpec, fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 })).map(([s, dims]): NpySpec => {
      const pool = KINDS[s.typestr].values;
      const n = dims.reduce((a, b) => a * b, 1);
      return { ...s, magic: 'good', version: [1 + (dims.length % 3), 0], order: '<', badDescr: null, fortran: 'False', tuple: 'tuple', keys: 'all', dataDelta: 0, headerLen: 'exact', dims: dims.map((d) => ({ text: String(d), value: d })), values: Array.from({ length: n }, (_, i) => pool[i % pool.length]) };
    });
    await check(
      fc.property(valid, fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }), fc.nat({ max: 16 }), (s, flips, cut) => {
        const bytes = npyBytes(s);
        const mutated = bytes.slice(0, Math.max(0, bytes.length - cut));
        for (const f of flips) if (mutated.length) mutated[f.at % Math.min(mutated.length, 140)] = f.byte;
        wellFormed(decode(mutated), mutated);
      }),
      { numRuns: runs(1500) },
      FILE,
    );
  });
});

describe('.npy files through HTTP', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await fuzzApp({ MAX_TENSOR_ELEMENTS: String(MAX), BODY_LIMIT: String(1 << 20), TASK_TIMEOUT_MS: '5000' });
  });
  afterAll(async () => app.close());

  const B = 'npyFuzzBoundary';
  const form = (name: string, bytes: Uint8Array, request?: unknown) =>
    Buffer.concat([
      ...(request ? [Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="request"\r\n\r\n${JSON.stringify(request)}\r\n`)] : []),
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="${name}"; filename="t.npy"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      bytes,
      Buffer.from(`\r\n--${B}--\r\n`),
    ]);
  const spec = { inputs: [{ name: 'x', shape: [1, 2, 2, 2] }], layers: [{ name: 'r', op: 'relu' }] };

  it('a raw body or a form part, to an operator and to a network: 2xx exactly when the decoder accepts, else a catalog 4xx', { timeout: TIMEOUT }, async () => {
    const mutated = fc.tuple(npySpecWith(4), fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 2 })).map(([s, flips]) => {
      const b = npyBytes(s);
      for (const f of flips) b[f.at % Math.min(b.length, 140)] = f.byte;
      return b;
    });
    // well-formed but for the dims, which are mostly odd ones: what reaches the decoder's shape arithmetic
    const oddDims = npySpecWith(24).map((s) => npyBytes({ ...s, magic: 'good', version: [1, 0], badDescr: null, fortran: 'False', tuple: 'tuple', keys: 'all', headerLen: 'exact', dataDelta: 0 }));
    const how = fc.constantFrom('raw', 'operator form', 'weights form', 'run form');
    await check(
      fc.asyncProperty(fc.oneof(mutated, oddDims), how, async (bytes, via) => {
        const decoded = decode(bytes);
        const accepted = decoded.ok;
        const empty = decoded.ok && decoded.data.length === 0;
        const req =
          via === 'raw'
            ? { url: '/v1/operators/relu?format=json', headers: { 'content-type': 'application/x-npy' }, payload: Buffer.from(bytes) }
            : via === 'operator form'
              ? { url: '/v1/operators/relu', headers: { 'content-type': `multipart/form-data; boundary=${B}` }, payload: form('x', bytes) }
              : via === 'weights form'
                ? { url: '/v1/operators/linear', headers: { 'content-type': `multipart/form-data; boundary=${B}` }, payload: form('weights.weight', bytes, { inputs: [{ shape: [1, 2], data: [1, 2] }] }) }
                : { url: '/v1/run', headers: { 'content-type': `multipart/form-data; boundary=${B}` }, payload: form('x', bytes, { spec }) };
        const what = `${via}: POST ${req.url} with ${show(bytes)}`;
        const res = await deadline(app.inject({ method: 'POST', ...req }), 8_000, what);
        // relu takes any shape but an empty one: only the file can be refused
        expectCatalogAnswer(res, what, via === 'operator form' || via === 'raw' ? ['INVALID_TENSOR', 'TENSOR_TOO_LARGE', ...(empty ? ['NON_POSITIVE_SIZE'] : [])] : undefined);
        if (via !== 'run form' && via !== 'weights form' && !empty && res.statusCode < 500 && (res.statusCode < 300) !== accepted) {
          violation(`HTTP ${res.statusCode} where the decoder ${accepted ? 'accepts' : 'refuses'}`, `${what}: ${res.statusCode} ${res.body.slice(0, 300)}, the decoder ${accepted ? 'accepts' : 'refuses'} the file`);
        }
        if (!accepted && res.statusCode < 300) violation(`HTTP 2xx for a file the decoder refuses (${via})`, `${what}: 2xx`);
      }),
      { numRuns: runs(400) },
      FILE,
    );
  });
});
