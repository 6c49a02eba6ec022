/**
 * The up-front bound on an analysis's cost (analysis/analysis-work.ts): layers × (1 + the weights
 * of the extra analyses asked for) over MAX_ANALYSIS_WORK is 413 ANALYSIS_TOO_LARGE before any
 * inference, for every analysis (runtime/tasks.ts analyzeNetwork: REST, GraphQL, jobs, compare;
 * a sweep's sizes in analysis/sweep.ts).
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ANALYSIS_WEIGHTS, DEFAULT_MAX_ANALYSIS_WORK, analysisWork, checkAnalysisWork, envMaxAnalysisWork } from '../../src/analysis/analysis-work.js';
import { sweepResolutions } from '../../src/analysis/sweep.js';
import { ERROR_CATALOG } from '../../src/errors.js';
import { loadConfig } from '../../src/config.js';
import { analyzeTask } from '../../src/runtime/tasks.js';
import { ZOO } from '../../src/zoo/index.js';
import { errorOf } from '../helpers.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { testApp } from '../http/app.js';

const chain = (n: number) => ({
  inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
  layers: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, op: 'conv2d', outChannels: 1, kernelSize: 1, ...(i > 0 && { inputs: [`c${i - 1}`] }) })),
});
const COUNTING = { dtype: 'float32', flops: '2macs', includeBias: false } as const;

describe('the estimate', () => {
  it('layers × (1 + the weights of the options) × times: 1,000 layers with explain and memory = 1000 · (1 + 1.5 + 0.5)', () => {
    expect(ANALYSIS_WEIGHTS).toMatchObject({ explain: 1.5, memory: 0.5 });
    expect(analysisWork(1000, { options: ['explain', 'memory'] })).toBe(3000);
    expect(analysisWork(1000, { options: [], times: 33 })).toBe(33_000);
  });

  it('MAX_ANALYSIS_WORK: the config default, coerced, invalid values refused by the config and ignored by the workers', () => {
    expect(loadConfig({}).MAX_ANALYSIS_WORK).toBe(DEFAULT_MAX_ANALYSIS_WORK);
    expect(loadConfig({ MAX_ANALYSIS_WORK: '2e4' }).MAX_ANALYSIS_WORK).toBe(20_000);
    expect(() => loadConfig({ MAX_ANALYSIS_WORK: '0' })).toThrow(/MAX_ANALYSIS_WORK/);
    expect(envMaxAnalysisWork({ MAX_ANALYSIS_WORK: '1234' })).toBe(1234);
    expect(envMaxAnalysisWork({ MAX_ANALYSIS_WORK: 'lots' })).toBe(DEFAULT_MAX_ANALYSIS_WORK);
  });

  it('the default admits every zoo model with every extra analysis, and 10^5 layers with all of them', () => {
    const all = ['explain', 'memory', 'deployed', 'modules', 'convention', 'roofline'] as const;
    expect(analysisWork(100_000, { options: all })).toBeLessThanOrEqual(DEFAULT_MAX_ANALYSIS_WORK);
    // every zoo model's spec, each with every option at once
    const largest = Math.max(...ZOO.map((z) => (z.build().layers as unknown[]).length));
    expect(largest).toBeGreaterThan(100);
    expect(analysisWork(largest, { options: all })).toBeLessThanOrEqual(DEFAULT_MAX_ANALYSIS_WORK);
  });
});

describe('413 ANALYSIS_TOO_LARGE', () => {
  it('names the layer count, the options that weigh, the estimate, the limit and the layers these options admit, at the spec\'s layers', () => {
    const e = errorOf(() => checkAnalysisWork(200_000, { options: ['explain', 'convention'] }, { kind: 'spec', spec: {} }, 500_000));
    expect(e.code).toBe('ANALYSIS_TOO_LARGE');
    expect(e.status).toBe(413);
    expect(ERROR_CATALOG.ANALYSIS_TOO_LARGE.status).toBe(413);
    // 200,000 · (1 + 1.5 + 1) = 700,000 > 500,000; 500,000 / 3.5 = 142,857 layers
    expect(e.details).toMatchObject({ path: '$.layers', layers: 200_000, options: ['explain', 'convention'], estimate: 700_000, limit: 500_000, maxLayers: 142_857 });
    expect(e.message).toContain('analysing 200,000 layers with explain 1.5, convention 1 more per layer would cost about 700,000 units');
    expect(e.message).toContain('MAX_ANALYSIS_WORK');
    expect(e.message).toContain('at most 142,857 layers');
  });

  it('an ONNX file is not capped at 10^5 layers as a JSON spec is: 120,000 Relu nodes with explain, memory, deployed, depth and a convention (120,000 · 5.25 = 630,000) refused before any inference, at the file', () => {
    const n = 120_000;
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 2, 2] }],
      outputs: [`t${n - 1}`],
      nodes: Array.from({ length: n }, (_, i) => ({ op: 'Relu', inputs: [i === 0 ? 'x' : `t${i - 1}`], outputs: [`t${i}`], name: `r${i}` })),
    });
    const options = { ...COUNTING, explain: true, memory: true, deployed: true, depth: 3, convention: 'ptflops' };
    const e = errorOf(() => analyzeTask({ source: { kind: 'onnx', bytes, inputShapes: {} }, options }));
    expect(e.code).toBe('ANALYSIS_TOO_LARGE');
    expect(e.details).toMatchObject({ path: 'body', layers: n, options: ['modules', 'memory', 'convention', 'explain', 'deployed'], estimate: 630_000, limit: DEFAULT_MAX_ANALYSIS_WORK, maxLayers: 114_285 });
  }, 120_000);

  it('MAX_ANALYSIS_WORK from the environment, read at each task: 1,000 layers with explain over 2,000', () => {
    const before = process.env.MAX_ANALYSIS_WORK;
    process.env.MAX_ANALYSIS_WORK = '2000';
    try {
      const e = errorOf(() => analyzeTask({ source: { kind: 'spec', spec: chain(1000) }, options: { ...COUNTING, explain: true } }));
      expect(e.details).toMatchObject({ path: '$.layers', layers: 1000, estimate: 2500, limit: 2000 });
      expect(analyzeTask({ source: { kind: 'spec', spec: chain(1000) }, options: COUNTING }).totals.layers).toBe(1000);
    } finally {
      if (before === undefined) delete process.env.MAX_ANALYSIS_WORK;
      else process.env.MAX_ANALYSIS_WORK = before;
    }
  });

  it('a sweep counts its sizes and the reference: 20,000 layers at 32 sizes (33 analyses, each size with memory)', () => {
    const e = errorOf(() => sweepResolutions({ kind: 'spec', spec: chain(20_000) }, { sizes: Array.from({ length: 32 }, (_, k) => 8 + k) }, COUNTING));
    expect(e.code).toBe('ANALYSIS_TOO_LARGE');
    expect(e.details).toMatchObject({ layers: 20_000, times: 33, options: ['memory'], estimate: 20_000 * 33 * 1.5 });
  }, 120_000);
});

describe('over REST, with MAX_ANALYSIS_WORK=2000 (the workers read it from the environment)', () => {
  let app: FastifyInstance;
  const before = process.env.MAX_ANALYSIS_WORK;
  beforeAll(async () => {
    process.env.MAX_ANALYSIS_WORK = '2000';
    app = await testApp({ MAX_ANALYSIS_WORK: '2000' });
  });
  afterAll(async () => {
    await app?.close();
    if (before === undefined) delete process.env.MAX_ANALYSIS_WORK;
    else process.env.MAX_ANALYSIS_WORK = before;
  });

  it('1,000 layers: plain 200, with explain and memory 413 ANALYSIS_TOO_LARGE (3,000 > 2,000; 666 layers admitted)', async () => {
    const spec = chain(1000);
    const ok = await request(app.server).post('/v1/analyze').send({ spec });
    expect(ok.status).toBe(200);
    const res = await request(app.server).post('/v1/analyze?explain=true&memory=true').send({ spec });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'ANALYSIS_TOO_LARGE', layers: 1000, options: ['memory', 'explain'], estimate: 3000, limit: 2000, maxLayers: 666 });
  }, 120_000);
});
