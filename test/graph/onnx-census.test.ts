/**
 * The census of what decoding an ONNX file allocates (graph/onnx/census.ts), and its charge to the
 * request before the file is decoded (runtime/memory-grant.ts withDecode, graph/onnx/proto.ts decodeModel). The counts of the
 * fixtures are the Python onnx package's: every message of the ModelProto (ValueInfoProto,
 * OperatorSetIdProto, StringStringEntryProto and TensorAnnotation counted once, not their insides),
 * its TensorProtos, and the elements of the integer repeated fields of tensors and attributes
 * (ListFields over the decoded protobuf, 2026-12-05).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ReportOptionsSchema } from '../../src/analysis/extras.js';
import { loadConfig } from '../../src/config.js';
import { ConvlensError } from '../../src/errors.js';
import { AnalyzeOptionsSchema } from '../../src/analysis/report.js';
import { DEFAULT_MAX_ANALYSIS_WORK, envMaxAnalysisWork } from '../../src/analysis/analysis-work.js';
import { sweepResolutions } from '../../src/analysis/sweep.js';
import { decodeModel, withDecodeBudget } from '../../src/graph/onnx/proto.js';
import { DEFAULT_DECODE_MAX_WORK, decodeBytes, decodeWork, envDecodeMaxWork, onnxCensus } from '../../src/graph/onnx/census.js';
import { createPool } from '../../src/runtime/pool.js';
import { varint, withEmptyInitializers } from './hostile-onnx.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/onnx/${name}`, import.meta.url)));

/** A length-delimited field. */
const field = (n: number, body: Uint8Array | number[]): number[] => [...varint(n * 8 + 2), ...varint(body.length), ...body];
const text = (s: string) => [...new TextEncoder().encode(s)];

describe("an ONNX file's census", () => {
  it('counts the fixtures as the onnx package does: resnet18 324 messages, 102 tensors, 371 integers; mobilenet_v2 997, 332, 939; unet 193, 56, 241', () => {
    expect(onnxCensus(fixture('resnet18.onnx'))).toEqual({ messages: 324, tensors: 102, varints: 371 });
    expect(onnxCensus(fixture('mobilenet_v2.onnx'))).toEqual({ messages: 997, tensors: 332, varints: 939 });
    expect(onnxCensus(fixture('unet.onnx'))).toEqual({ messages: 193, tensors: 56, varints: 241 });
  });

  it('counts a node attribute\'s subgraph (a Loop body) and its tensors, and an int64 initializer\'s packed elements (1 byte each, 1,000 of them)', () => {
    const tensor = [...field(1, [3]), ...field(7, Array<number>(1000).fill(1))];
    const body = [...field(1, [...field(4, text('Relu'))]), ...field(5, tensor)];
    const attribute = [...field(1, text('body')), ...field(6, body)];
    const node = [...field(4, text('Loop')), ...field(5, attribute)];
    const model = field(7, [...field(1, node), ...field(5, tensor)]);
    // model, graph, Loop node, its attribute, the body graph, Relu node, 2 tensors; each tensor's dims [3] and 1,000 int64s
    expect(onnxCensus(new Uint8Array(model))).toEqual({ messages: 8, tensors: 2, varints: 2002 });
  });

  it('prices 10^6 empty initializers (2 MB) at 2 GB, where decoding them held 383 MB and importing them more; a truncated file is counted as far as it reads', () => {
    const census = onnxCensus(withEmptyInitializers(1_000_000));
    expect(census).toEqual({ messages: 1_000_324, tensors: 1_000_102, varints: 371 });
    expect(decodeBytes(census)).toBe(222 * 512 + 1_000_102 * 2048 + 371 * 64);
    expect(onnxCensus(new Uint8Array([0x3a, 0x10, 0x2a, 0x00, 0x2a]))).toEqual({ messages: 1, tensors: 0, varints: 0 });
  });
});

describe('decoding an ONNX file is charged to its request before it is decoded', () => {
  const pool = createPool(loadConfig({ WORKERS: '1' }));
  afterAll(() => pool.close());
  const analyze = (bytes: Uint8Array, memory: (bytes: number, what: string) => void) =>
    pool.run<{ layers: unknown[] }>('analyze', { source: { kind: 'onnx', bytes, inputShapes: { input: [1, 3, 64, 64] }, at: 'body' }, options: ReportOptionsSchema.parse({}) }, undefined, { memory });

  it('resnet18 with 200,000 empty initializers (400 KB) asks for their 410 MB first, then for its layers; the fixture alone (under 1 MiB) asks only for its layers', async () => {
    const asked: [number, string][] = [];
    const report = await analyze(withEmptyInitializers(200_000), (n, what) => void asked.push([n, what]));
    expect(report.layers.length).toBeGreaterThan(0);
    expect(asked[0]).toEqual([222 * 512 + 200_102 * 2048 + 371 * 64, "decoding the ONNX file's 200324 messages (200102 of them tensors) and 371 packed integers"]);
    expect(asked.slice(1).map(([, what]) => what)).toEqual([expect.stringMatching(/^analysing \d+ layers$/)]);
    asked.length = 0;
    await analyze(fixture('resnet18.onnx'), (n, what) => void asked.push([n, what]));
    expect(asked.map(([, what]) => what)).toEqual([expect.stringMatching(/^analysing \d+ layers$/)]);
  });

  it("a refusal stops the task before it decodes: the main thread's error, at the file", async () => {
    const refuse = (n: number, what: string) => {
      if (what.startsWith('decoding')) throw new ConvlensError('GRAPH_TOO_LARGE', `no room for ${n}`);
    };
    await expect(analyze(withEmptyInitializers(200_000), refuse)).rejects.toMatchObject({ code: 'GRAPH_TOO_LARGE', message: `no room for ${222 * 512 + 200_102 * 2048 + 371 * 64}`, details: { path: 'body' } });
  });
});

describe("decoding an ONNX file counts against MAX_ANALYSIS_WORK (600,000), times a sweep's sizes + 1", () => {
  const pool = createPool(loadConfig({ WORKERS: '1' }));
  afterAll(() => pool.close());
  const bytes = withEmptyInitializers(1_000_000);
  const sweep = (sizes: number[], memory: (bytes: number, what: string) => void) =>
    pool.run('sweep', { source: { kind: 'onnx', bytes, inputShapes: { input: [1, 3, 64, 64] }, at: 'model' }, options: AnalyzeOptionsSchema.parse({}), sweep: { sizes } }, undefined, { memory });

  it('10^6 empty initializers: 1,000,102 tensors × 0.2 + 222 other messages × 0.02 = 200,025 units a decode', () => {
    expect(decodeWork(onnxCensus(bytes))).toBe(200_025);
    expect(decodeWork(onnxCensus(bytes), 4)).toBe(800_100);
  });

  it('a sweep of 3 sizes (one decode, 4 imports: 800,100 units) is 413 ANALYSIS_TOO_LARGE at the file before any decode or charge; of 1 size (400,050) it goes on to its memory charge', async () => {
    const asked: string[] = [];
    const from = performance.now();
    await expect(sweep([32, 64, 96], (_, what) => void asked.push(what))).rejects.toMatchObject({ code: 'ANALYSIS_TOO_LARGE', details: { path: 'model', estimate: 800_100, limit: 600_000, times: 4 } });
    expect(asked).toEqual([]);
    expect(performance.now() - from).toBeLessThan(2000);
    const refuse = (n: number, what: string) => {
      throw new ConvlensError('GRAPH_TOO_LARGE', `${what}: ${n}`);
    };
    await expect(sweep([32], refuse)).rejects.toMatchObject({ code: 'GRAPH_TOO_LARGE', message: expect.stringMatching(/^decoding the ONNX file's 1000324 messages/) });
  });

  it("an ERF's sample (one task of the job's 4, each decoding the file) counts the 4 decodes: 800,100 units, 413 at the file before it decodes (each was counted alone, 200,025)", async () => {
    const task = {
      kind: 'gradient', source: { kind: 'onnx', bytes, inputShapes: { input: [1, 3, 64, 64] }, at: 'body' }, mode: 'random', inputs: {}, index: 0, samples: 4,
      weights: {}, weightInit: 'seed', seed: 0, target: { layer: '', channels: null, position: null }, stages: false, maxElements: 1 << 24,
    };
    await expect(pool.run('erf', task)).rejects.toMatchObject({ code: 'ANALYSIS_TOO_LARGE', details: { path: 'body', estimate: 800_100, limit: 600_000, times: 4 } });
  });
});

describe('a file is decoded once within its budget (graph/onnx/proto.ts withDecodeBudget), however often it is imported', () => {
  const bytes = withEmptyInitializers(100_000);
  const source = { kind: 'onnx' as const, bytes, inputShapes: { input: [1, 3, 64, 64] }, at: 'body' };

  it('two decodes of the bytes in one scope are one model, judged and charged once; outside a scope, or of a copy, each decode is its own', () => {
    const asked: string[] = [];
    const [a, b, copy] = withDecodeBudget(bytes, { maxWork: 600_000, charge: (_, what) => void asked.push(what) }, () => [decodeModel(bytes), decodeModel(bytes), decodeModel(bytes.slice())]);
    expect(a).toBe(b);
    expect(copy).not.toBe(a);
    expect(asked).toEqual(["decoding the ONNX file's 100324 messages (100102 of them tensors) and 371 packed integers"]);
    expect(decodeModel(bytes)).not.toBe(decodeModel(bytes));
  });

  it("a sweep of 3 sizes decodes its file once for its 4 imports: one decode judged and charged (it was decoded 4 times), the work counted 4 times", () => {
    const asked: number[] = [];
    const report = withDecodeBudget(bytes, { maxWork: 600_000, times: 4, charge: (n) => void asked.push(n) }, () => sweepResolutions(source, { sizes: [32, 64, 96] }, AnalyzeOptionsSchema.parse({})));
    expect(report.sizes.map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
    expect(asked).toEqual([222 * 512 + 100_102 * 2048 + 371 * 64]);
    expect(() => withDecodeBudget(bytes, { maxWork: 80_000, times: 4 }, () => sweepResolutions(source, { sizes: [32, 64, 96] }, AnalyzeOptionsSchema.parse({})))).toThrow(
      expect.objectContaining({ code: 'ANALYSIS_TOO_LARGE', details: { estimate: 4 * 20_025, limit: 80_000, times: 4 } }),
    );
  }, 60_000);

  it("outside a scope (the CLI's analyze) MAX_ANALYSIS_WORK is read as analysis/analysis-work.ts reads it", () => {
    expect(DEFAULT_DECODE_MAX_WORK).toBe(DEFAULT_MAX_ANALYSIS_WORK);
    for (const v of [undefined, '', ' ', '0', '-5', '1.5', 'abc', '1', '1000', ' 42 ', '1e6', '0x10']) {
      const env = v === undefined ? {} : { MAX_ANALYSIS_WORK: v };
      expect([v, envDecodeMaxWork(env)]).toEqual([v, envMaxAnalysisWork(env)]);
    }
  });
});
