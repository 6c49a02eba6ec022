/**
 * A report's fields count against a GraphQL answer's budget (http/graphql/answer-budget.ts,
 * runtime/answer-fit.ts): sized in the worker, refused there before the event loop builds them.
 * With MAX_RESPONSE_BYTES 1,024, 60 relu layers named l00…l59: `layers { name }` writes
 * [{"name":"l00"},…] = 60·14 + 59 commas + 2 brackets = 901 bytes (fits); `layers { name op }`
 * writes 60·26 + 59 + 2 = 1,621 (refused, estimate 1621, limit 1024).
 */
import { describe, expect, it } from 'vitest';
import { budgetApps, gql, relus } from './graphql-budget-kit.js';

const apps = budgetApps();

describe('a GraphQL report is charged field by field against the answer budget', () => {
  it('layers { name } of 60 layers (901 bytes) fits a 1,024-byte budget', async () => {
    const res = await gql(apps.small, 'query($s: JSON) { analyze(spec: $s) { layers { name } } }', { s: relus(60) }).expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.analyze.layers).toHaveLength(60);
    expect(JSON.stringify(res.body.data.analyze.layers).length).toBe(901);
  });

  it('layers { name op } (1,621 bytes) is RESPONSE_TOO_LARGE naming the field and the budget, at its path', async () => {
    const res = await gql(apps.small, 'query($s: JSON) { analyze(spec: $s) { layers { name op } } }', { s: relus(60) }).expect(200);
    expect(res.body.errors).toHaveLength(1);
    const [e] = res.body.errors;
    expect(e.path).toEqual(['analyze', 'layers']);
    expect(e.extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', limit: 1024, estimate: 1621, field: 'layers' });
    expect(e.message).toMatch(/^the report's layers could take 1621 bytes, over the 1024-byte limit of a GraphQL answer/);
  });

  it('csv, a rendering, is refused alone (null, with its error) and the rest of the report answers', async () => {
    const res = await gql(apps.small, 'query($s: JSON) { analyze(spec: $s) { name totals { params } csv } }', { s: relus(60) }).expect(200);
    expect(res.body.data.analyze).toMatchObject({ name: expect.any(String), totals: { params: 0 }, csv: null });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].path).toEqual(['analyze', 'csv']);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', limit: 1024, field: 'csv' });
    expect(res.body.errors[0].extensions.estimate).toBeGreaterThan(1024);
  });

  it('fields share the budget in selection order: 20 layers\' names (301 bytes) and their csv (939) each fit, together the csv is refused, charged after the names', async () => {
    // 20 relu layers: layers { name } writes 20·14 + 19 + 2 = 301 bytes; the csv's JSON string is 939 (each alone fits 1,024)
    const alone = async (fields: string) => (await gql(apps.small, `query($s: JSON) { analyze(spec: $s) { ${fields} } }`, { s: relus(20) }).expect(200)).body;
    const names = await alone('layers { name }');
    expect([names.errors, JSON.stringify(names.data.analyze.layers).length]).toEqual([undefined, 301]);
    const csv = await alone('csv');
    expect([csv.errors, JSON.stringify(csv.data.analyze.csv).length]).toEqual([undefined, 939]);
    const both = await alone('layers { name } csv');
    expect(both.data.analyze.layers).toHaveLength(20);
    expect(both.data.analyze.csv).toBeNull();
    expect(both.errors).toHaveLength(1);
    expect(both.errors[0].path).toEqual(['analyze', 'csv']);
    expect(both.errors[0].message).toMatch(/^the report's csv could take 939 bytes \(after 301 for the fields before it\), over the 1024-byte limit/);
  });

  it('a field the budget does not charge (totals, structure) is neither sized nor dropped: csv first still leaves totals { params } answering (it was an INTERNAL error, the worker had dropped totals)', async () => {
    for (const after of ['totals { params }', 'structure { depth }']) {
      const res = await gql(apps.small, `query($s: JSON) { analyze(spec: $s) { csv ${after} } }`, { s: relus(20) }).expect(200);
      // the csv (939 bytes) fits alone, and what follows it is not charged at all
      expect(res.body.errors, after).toBeUndefined();
      expect(res.body.data.analyze.csv).toMatch(/^layer,/);
      expect(Object.keys(res.body.data.analyze)).toEqual(['csv', after.split(' ')[0]]);
    }
    // totals before the csv: not charged either, so the csv still fits (it was refused "after 305 for the fields before it")
    const first = await gql(apps.small, 'query($s: JSON) { analyze(spec: $s) { totals { params } csv } }', { s: relus(20) }).expect(200);
    expect([first.body.errors, first.body.data.analyze.totals]).toEqual([undefined, { params: 0 }]);
  });

  it('resnet50 with every report field selected answers whole under the default budgets', async () => {
    const query = `{ analyze(model: "resnet50") {
      name layers { name op sourceOpType supported executed inputs inputShapes outputShape params buffers macs intMacs flops flopsByConvention { twoMacs macs exact } memoryAccess { inputs outputs weights elements bytes } arithmeticIntensity receptiveField { axes size stride padding centre global } }
      outputs { name shape } warnings { code message layer } patterns { kind }
      memory { peak { bytes layer } timeline { step layer op allocatedBytes freedBytes during after } }
      explain { layers { name op macs { value formula } } agrees }
      modules { tree { modules { path parent } } } roofline(device: "a100-sxm4-40gb") { totals { seconds } } deployed { memoryDrop { bytes percent } } convention(name: "ptflops") { total }
      csv markdown html } }`;
    const res = await gql(apps.normal, query).expect(200);
    expect(res.body.errors).toBeUndefined();
    const a = res.body.data.analyze;
    expect(a.layers.length).toBeGreaterThan(100);
    expect(a.explain.layers).toHaveLength(a.layers.length);
    expect(a.memory.timeline.length).toBeGreaterThan(100);
    expect(a.csv.split('\n').length).toBeGreaterThan(a.layers.length);
    expect(a.markdown).toContain('|');
    expect(a.html).toMatch(/^<!doctype html>/i);
  }, 60_000);

  it('report objects over 8 MiB (30,000 layers, about 350 bytes each: 10 MB) are refused by the tree budget, their names alone answer', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 8, 4, 4] }], layers: Array.from({ length: 30_000 }, (_, i) => ({ name: `l${i}`, op: i % 2 ? 'relu' : 'conv2d', ...(i % 2 ? {} : { outChannels: 8, kernelSize: 3, padding: 1 }) })) };
    const res = await gql(apps.normal, 'query($s: JSON) { analyze(spec: $s) { totals { layers } warnings { code } layers { name op inputs inputShapes outputShape params macs flops flopsByConvention { twoMacs macs exact } memoryAccess { inputs outputs weights elements bytes } receptiveField { axes size stride padding } } } }', { s: spec }).expect(200);
    expect(res.body.data.analyze).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    const [e] = res.body.errors;
    expect(e.path).toEqual(['analyze', 'layers']);
    expect(e.extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', limit: 8 * 2 ** 20, field: 'layers' });
    expect(e.message).toMatch(/over the 8388608-byte limit of a GraphQL answer's report objects/);
    // the same layers' names alone (30,000 × about 16 bytes) answer
    const names = await gql(apps.normal, 'query($s: JSON) { analyze(spec: $s) { layers { name } } }', { s: spec }).expect(200);
    expect(names.body.errors).toBeUndefined();
    expect(names.body.data.analyze.layers).toHaveLength(30_000);
  }, 120_000);
});
