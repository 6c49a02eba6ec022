/**
 * compare's layer lists and markdown, sweep's sizes and effectiveReceptiveField's heatmap count
 * against a GraphQL answer's budget (http/graphql/charged.ts, runtime/answer-fit.ts), as analyze's
 * report fields do (graphql-report-budget.test.ts). With MAX_RESPONSE_BYTES 1,024 (the tree budget
 * is then 1,024 too), relu layers named l00, l01 …:
 *   - compare, both networks l00…l59 (all matched by name): `matched { after }` writes
 *     [{"after":"l00"},…] = 60·15 + 59 commas + 2 brackets = 961 bytes (fits); `matched { before
 *     after }` writes 60·30 + 59 + 2 = 1,861 (refused).
 *   - compare, old l00…l39, new l00…l69: `matched { after }` is 40·15 + 39 + 2 = 641, `added { name }`
 *     ({"name":"l40"} = 14) is 30·14 + 29 + 2 = 451; each fits, together 1,092 does not: the second
 *     selected is refused, charged after the first.
 *   - sweep over sizes 1…32: `sizes { size }` writes {"size":[1,1]} (14 bytes; 16 from [10,10]) =
 *     9·14 + 23·16 + 31 + 2 = 527 (fits); `sizes { size status complete }` adds ,"status":"ok" (14)
 *     and ,"complete":true (16) to each: 527 + 32·30 = 1,487 (refused).
 * Compare's lists and markdown are non-null, so a refused one nulls `compare` (as a refused
 * `layers` nulls `analyze`); the error stays at the field's own path.
 */
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { budgetApps, gql, relus } from './graphql-budget-kit.js';

const apps = budgetApps();
const compare = (app: FastifyInstance, selection: string, a: unknown, b: unknown) =>
  gql(app, `query($a: JSON, $b: JSON) { compare(old: { spec: $a }, new: { spec: $b }) { ${selection} } }`, { a, b }).expect(200);

describe("compare's layer lists and markdown are charged against the answer budget", () => {
  it('matched { after } of 60 layers (961 bytes) fits 1,024', async () => {
    const res = await compare(apps.small, 'layers { matched { after } }', relus(60), relus(60));
    expect(res.body.errors).toBeUndefined();
    expect(JSON.stringify(res.body.data.compare.layers.matched).length).toBe(961);
  });

  it('matched { before after } (1,861 bytes) is RESPONSE_TOO_LARGE at compare.layers.matched, naming it and the budget; compare is null', async () => {
    const res = await compare(apps.small, 'complete layers { matched { before after } }', relus(60), relus(60));
    expect(res.body.data.compare).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    const [e] = res.body.errors;
    expect(e.path).toEqual(['compare', 'layers', 'matched']);
    expect(e.extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', limit: 1024, estimate: 1861, field: 'layers.matched' });
    expect(e.message).toMatch(/^the comparison's layers\.matched could take 1861 bytes, over the 1024-byte limit of a GraphQL answer/);
    // the same selection under the default budgets writes exactly the bytes charged
    const whole = await compare(apps.normal, 'layers { matched { before after } }', relus(60), relus(60));
    expect(JSON.stringify(whole.body.data.compare.layers.matched).length).toBe(1861);
  });

  it('lists share the budget in selection order: matched (641) then added (451) refuses added after 641; the other order refuses matched after 451', async () => {
    const [a, b] = [relus(40), relus(70)];
    const alone = await compare(apps.small, 'layers { added { name } }', a, b);
    expect([alone.body.errors, JSON.stringify(alone.body.data.compare.layers.added).length]).toEqual([undefined, 451]);
    const first = await compare(apps.small, 'layers { matched { after } added { name } }', a, b);
    expect(first.body.errors).toHaveLength(1);
    expect(first.body.errors[0].path).toEqual(['compare', 'layers', 'added']);
    expect(first.body.errors[0].message).toMatch(/^the comparison's layers\.added could take 451 bytes \(after 641 for the fields before it\), over the 1024-byte/);
    expect(first.body.errors[0].extensions).toMatchObject({ estimate: 1092, field: 'layers.added' });
    const second = await compare(apps.small, 'layers { added { name } matched { after } }', a, b);
    expect(second.body.errors).toHaveLength(1);
    expect(second.body.errors[0].path).toEqual(['compare', 'layers', 'matched']);
    expect(second.body.errors[0].message).toMatch(/^the comparison's layers\.matched could take 641 bytes \(after 451 for the fields before it\)/);
  });

  it("markdown is charged as its JSON string, the size the default budget's answer writes, and refused past 1,024", async () => {
    // 30 layers added: the comment lists them
    const whole = await compare(apps.normal, 'markdown', relus(40), relus(70));
    const bytes = Buffer.byteLength(JSON.stringify(whole.body.data.compare.markdown));
    expect(bytes).toBeGreaterThan(1024);
    const res = await compare(apps.small, 'markdown', relus(40), relus(70));
    expect(res.body.data.compare).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].path).toEqual(['compare', 'markdown']);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', limit: 1024, estimate: bytes, field: 'markdown' });
  });

  it('the lists not selected are not charged: complete and totals of 2×60 layers answer under 1,024', async () => {
    const res = await compare(apps.small, 'complete totals { metric before after } layers { removed { name } }', relus(60), relus(60));
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.compare.layers.removed).toEqual([]);
  });
});

describe("sweep's sizes are charged against the answer budget", () => {
  const sizes = Array.from({ length: 32 }, (_, i) => [i + 1]);
  const sweep = (app: FastifyInstance, selection: string) => gql(app, `query($s: JSON, $z: [[Int!]!]!) { sweep(spec: $s, sizes: $z) { name sizes { ${selection} } } }`, { s: relus(2), z: sizes }).expect(200);

  it('sizes { size } of 32 sizes (527 bytes) fits 1,024', async () => {
    const res = await sweep(apps.small, 'size');
    expect(res.body.errors).toBeUndefined();
    expect(JSON.stringify(res.body.data.sweep.sizes).length).toBe(527);
  });

  it('sizes { size status complete } (1,487 bytes) is RESPONSE_TOO_LARGE at sweep.sizes', async () => {
    const res = await sweep(apps.small, 'size status complete');
    expect(res.body.data.sweep).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].path).toEqual(['sweep', 'sizes']);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', limit: 1024, estimate: 1487, field: 'sizes' });
    expect(res.body.errors[0].message).toMatch(/^the sweep's sizes could take 1487 bytes, over the 1024-byte limit/);
    const whole = await sweep(apps.normal, 'size status complete');
    expect(JSON.stringify(whole.body.data.sweep.sizes).length).toBe(1487);
  });
});

describe("effectiveReceptiveField's heatmap is charged against the answer budget", () => {
  const spec = { inputs: [{ name: 'x', shape: [1, 1, 7, 7] }], layers: [{ name: 'a', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false }] };
  const erf = (app: FastifyInstance, selection: string) => gql(app, `query($s: JSON) { effectiveReceptiveField(spec: $s) { layer ${selection} } }`, { s: spec }).expect(200);

  it('heatmap.png is charged at its base64 length and quotes before it is encoded: refused past 1,024 at its path', async () => {
    const whole = await erf(apps.normal, 'heatmap { png }');
    const png: string = whole.body.data.effectiveReceptiveField.heatmap.png;
    expect(png.length + 2).toBeGreaterThan(1024);
    const res = await erf(apps.small, 'heatmap { png }');
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].path).toEqual(['effectiveReceptiveField', 'heatmap', 'png']);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', limit: 1024, estimate: png.length + 2, field: 'heatmap.png' });
  });

  it('without the heatmap selected, statistics answer under 1,024', async () => {
    const res = await erf(apps.small, 'statistics { mass }');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.effectiveReceptiveField.statistics.mass).toBeGreaterThan(0);
  });
});
