/**
 * Fuzzing POST /graphql (and GET) with documents from a small grammar of the convlens schema:
 * aliased root fields (cheap catalog reads and worker tasks: analyze, runOperator, foldBatchNorm,
 * run), named fragments (chained, repeated, cyclic, unknown) and inline fragments, aliases below the
 * root, variables of the right and the wrong types, batches, and documents of thousands of aliases
 * up to the body limit. The pool is wrapped so each request's worker tasks are counted.
 * Properties:
 *   - never a 5xx, never an INTERNAL error, within a bounded time;
 *   - a document whose root weight (run 25, analyze 10, runOperator 10, foldBatchNorm 5, any other
 *     1; every alias and fragment spread counts) or expanded field count is over the limit is
 *     refused before execution (QUERY_TOO_COMPLEX, no `data`);
 *   - a refused document (no `data`) starts no worker task; an executed one starts at most one per
 *     task-running root field it selects.
 */
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ERROR_CATALOG } from '../../src/errors.js';
import { createPool } from '../../src/runtime/pool.js';
import type { TaskPool } from '../../src/runtime/pool.js';
import { TIMEOUT, check, deadline, expectCatalogAnswer, fuzzApp, loggedFor, runs, surveySummary, topFrames, violation } from './fuzz.js';

const FILE = 'test/fuzz/graphql.test.ts';
/** The documented limits (schema/graphql/Query.graphql), set explicitly where the configuration has them. */
const MAX_COST = 50;
const MAX_FIELDS = 500;
const WEIGHT: Record<string, number> = { run: 25, analyze: 10, runOperator: 10, foldBatchNorm: 5 };
/** The catalog reads weighed by their answers' size (they start no work: not `heavy`). */
const CATALOG_WEIGHT: Record<string, number> = { model: 5, operators: 5, conventions: 3 };
const BODY_LIMIT = 1 << 20;

let app: FastifyInstance;
let pool: TaskPool;
let tasks = 0;
beforeAll(async () => {
  const env = { WORKERS: '2', MAX_TENSOR_ELEMENTS: '4096', BODY_LIMIT: String(BODY_LIMIT), TASK_TIMEOUT_MS: '5000', GRAPHQL_MAX_COST: String(MAX_COST), GRAPHQL_MAX_FIELDS: String(MAX_FIELDS), GRAPHQL_MAX_DEPTH: '12' };
  const real = createPool(loadConfig(env));
  // every task the app asks of the pool, started or refused, but a large body's parse (a body over
  // 128 KiB is parsed, its document checked and its run requests built in the offload worker, task
  // kind 'graphql', before anything of it executes: it is not the document's work)
  pool = new Proxy(real, {
    get(target, key, receiver) {
      if (key === 'run') {
        return (...args: Parameters<TaskPool['run']>) => {
          if ((args[1] as { kind?: string } | undefined)?.kind !== 'graphql') tasks++;
          return target.run(...args);
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
  app = await fuzzApp(env, { pool });
});
afterAll(async () => {
  surveySummary(FILE);
  await app.close();
  await pool.close();
});

// ---- the grammar: every generated piece knows its weight, field count and task-running fields ----

interface Piece {
  text: string;
  /** Root weight (root pieces only). */
  weight: number;
  /** Fields selected, this one included, fragments expanded. */
  fields: number;
  /** Root fields that start a worker task. */
  heavy: number;
}

const spec = '{ inputs: [{ name: "x", shape: [1, 2, 4, 4] }], layers: [{ name: "c", op: "conv2d", outChannels: 2, kernelSize: 3, padding: 1 }, { name: "r", op: "relu" }] }';
const tensor2 = '{ shape: [2], data: [1, -1] }';

/** Sub-selections: a field list and its size; `dup` repeats a field under an alias (refused below the root since issue 9). */
const sel = (fields: string[], dup: boolean) => ({ text: `{ ${fields.join(' ')}${dup ? ` again: ${fields[0]}` : ''} }`, fields: fields.length + (dup ? 1 : 0) });

const root: fc.Arbitrary<{ name: string; args: string; sub: { text: string; fields: number } }> = fc.oneof(
  fc.boolean().map((d) => ({ name: 'models', args: '', sub: sel(['name', 'resolution'], d) })),
  fc.boolean().map((d) => ({ name: 'operators', args: '', sub: sel(['name', 'runnable'], d) })),
  fc.constantFrom('resnet18', 'nope', '__proto__').map((m) => ({ name: 'model', args: `(name: "${m}", resolution: 32)`, sub: { text: '', fields: 0 } })),
  fc.record({ m: fc.constantFrom('"squeezenet1_1"', '"resnet18"', '"constructor"', '$m'), r: fc.constantFrom('', ', resolution: 32', ', resolution: $r', ', resolution: -1'), d: fc.boolean() }).map(({ m, r, d }) => ({
    name: 'analyze',
    args: `(model: ${m}${r})`,
    sub: (() => {
      const totals = sel(['params', 'macs'], d);
      return { text: `{ name totals ${totals.text} }`, fields: 2 + totals.fields };
    })(),
  })),
  fc.constantFrom('', `(spec: ${spec})`).map((a) => ({ name: 'analyze', args: a || `(spec: $s)`, sub: { text: '{ name }', fields: 1 } })),
  fc.record({ op: fc.constantFrom('relu', 'sigmoid', 'toString', '__proto__'), i: fc.constantFrom(`[${tensor2}]`, '$i', '{ x: { shape: [-1], data: [] } }') }).map(({ op, i }) => ({
    name: 'runOperator',
    args: `(name: "${op}", inputs: ${i})`,
    sub: { text: '{ operator outputs { name tensor { shape data } } }', fields: 5 },
  })),
  fc.constant({ name: 'foldBatchNorm', args: `(weight: { shape: [2, 1, 1, 1], data: [1, 2] }, gamma: ${tensor2}, beta: ${tensor2}, runningMean: ${tensor2}, runningVar: { shape: [2], data: [1, 1] })`, sub: { text: '{ weight { shape } bias { shape } }', fields: 4 } }),
  fc.constant({ name: 'run', args: `(spec: ${spec}, inputs: { x: { shape: [1, 2, 4, 4], dtype: "float32", base64: "${Buffer.alloc(128).toString('base64')}" } })`, sub: { text: '{ outputs { name tensor { shape } } }', fields: 4 } }),
  fc.constant({ name: '__typename', args: '', sub: { text: '', fields: 0 } }),
  // argument literals nested around the JSON depth limit (64) and far past it, within the token limit
  fc.record({ depth: fc.oneof(fc.integer({ min: 60, max: 70 }), fc.integer({ min: 500, max: 4_000 })), list: fc.boolean(), field: fc.constantFrom('analyze(spec', 'runOperator(name: "relu", inputs') }).map(({ depth, list, field }) => ({
    name: field.split('(')[0],
    args: `(${field.split('(')[1]}: ${list ? '['.repeat(depth) + ']'.repeat(depth) : '{a: '.repeat(depth) + '1' + '}'.repeat(depth)})`,
    sub: { text: field.startsWith('analyze') ? '{ name }' : '{ operator }', fields: 1 },
  })),
);

/** A root field, aliased `copies` times (each alias counts). */
const aliased: fc.Arbitrary<Piece> = fc.tuple(root, fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 4, max: 12 }) }), fc.nat()).map(([r, copies, salt]) => {
  const parts = Array.from({ length: copies }, (_, i) => `${copies > 1 || salt % 2 ? `a${salt % 97}_${i}: ` : ''}${r.name}${r.args} ${r.sub.text}`);
  const one = 1 + r.sub.fields;
  const heavy = r.name in WEIGHT ? 1 : 0;
  return { text: parts.join('\n'), weight: copies * (WEIGHT[r.name] ?? CATALOG_WEIGHT[r.name] ?? 1), fields: copies * one, heavy: copies * heavy };
});

interface Doc {
  query: string;
  weight: number;
  fields: number;
  heavy: number;
  /** Variables declared, and whether the values given fit them. */
  variables: Record<string, unknown>;
  /** True when the grammar made it invalid on purpose (a cycle, an unknown fragment, a bad variable): refused either way. */
  invalid: boolean;
}

const variables = fc.record({
  m: fc.constantFrom<unknown>('resnet18', 'squeezenet1_1', 7, null, { a: 1 }, ['resnet18']),
  r: fc.constantFrom<unknown>(32, 16, '32', 2.5, 2 ** 40, null, -3),
  s: fc.constantFrom<unknown>({ inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: '__proto__', op: 'relu' }] }, 'spec', null, { layers: 'x' }),
  i: fc.constantFrom<unknown>([{ shape: [2], data: [1, 2] }], { constructor: { shape: [1], data: [1] } }, 'x', null, [{ shape: [1e9], data: [] }]),
});

/**
 * A document: some aliased root fields, placed directly, in named fragments (spread one or more
 * times, possibly from another fragment) or in inline fragments; sometimes a fragment cycle or an
 * unknown fragment.
 */
const doc: fc.Arbitrary<Doc> = fc
  .record({
    pieces: fc.array(fc.tuple(aliased, fc.constantFrom('direct', 'direct', 'fragment', 'inline', 'chain')), { minLength: 1, maxLength: 5 }),
    spreads: fc.integer({ min: 1, max: 3 }),
    breakage: fc.constantFrom('none', 'none', 'none', 'none', 'cycle', 'unknownFragment', 'badVariableType', 'undeclared'),
    values: variables,
  })
  .map(({ pieces, spreads, breakage, values }) => {
    const body: string[] = [];
    const fragments: string[] = [];
    let weight = 0;
    let fields = 0;
    let heavy = 0;
    pieces.forEach(([p, how], k) => {
      const times = how === 'fragment' || how === 'chain' ? spreads : 1;
      if (how === 'direct') body.push(p.text);
      else if (how === 'inline') body.push(`... on Query { ${p.text} }`);
      else if (how === 'fragment') {
        fragments.push(`fragment F${k} on Query { ${p.text} }`);
        for (let i = 0; i < times; i++) body.push(`...F${k}`);
      } else {
        // G spreads F `times` times; the operation spreads G once
        fragments.push(`fragment F${k} on Query { ${p.text} }`, `fragment G${k} on Query { ${Array.from({ length: times }, () => `...F${k}`).join(' ')} }`);
        body.push(`...G${k}`);
      }
      weight += p.weight * times;
      fields += p.fields * times;
      heavy += p.heavy * times;
    });
    if (breakage === 'cycle') fragments.push('fragment Loop1 on Query { ...Loop2 }', 'fragment Loop2 on Query { ...Loop1 }'), body.push('...Loop1');
    if (breakage === 'unknownFragment') body.push('...Nowhere');
    const used = (v: string) => [...body, ...fragments].some((t) => t.includes(`$${v}`));
    const types: Record<string, string> = { m: 'String', r: breakage === 'badVariableType' ? 'Float' : 'Int', s: 'JSON', i: 'JSON!' };
    const declared = Object.keys(types).filter((v) => used(v) && !(breakage === 'undeclared' && v === 'm'));
    const header = declared.length ? `(${declared.map((v) => `$${v}: ${types[v]}`).join(', ')})` : '';
    const query = `query Fuzz${header} {\n${body.join('\n')}\n}\n${fragments.join('\n')}`;
    const vars = Object.fromEntries(declared.map((v) => [v, (values as Record<string, unknown>)[v]]));
    const invalid = breakage !== 'none' && (breakage === 'cycle' || breakage === 'unknownFragment' || used('r') || used('m'));
    return { query, weight, fields, heavy, variables: vars, invalid };
  });

/** Thousands of aliases of a cheap field (or of a heavy one), up to the body limit. */
const huge: fc.Arbitrary<Doc> = fc.record({ n: fc.integer({ min: 200, max: 20_000 }), field: fc.constantFrom('__typename', 'models { name }', 'analyze(model: "resnet18") { name }') }).map(({ n, field }) => {
  const query = `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
  const heavy = field.startsWith('analyze');
  return { query, weight: n * (heavy ? 10 : 1), fields: n * (field === '__typename' ? 1 : 2), heavy: heavy ? n : 0, variables: {}, invalid: false };
});

interface Gql {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function send(method: 'POST' | 'GET', payload: unknown, accept: string | undefined) {
  const headers: Record<string, string> = accept ? { accept } : {};
  const before = tasks;
  const what = `${method} /graphql ${JSON.stringify(payload).slice(0, 2000)}`;
  const res =
    method === 'POST'
      ? await deadline(app.inject({ method, url: '/graphql', headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(payload) }), 10_000, what)
      : await deadline(app.inject({ method, url: `/graphql?${new URLSearchParams({ query: (payload as { query: string }).query, variables: JSON.stringify((payload as { variables: unknown }).variables) })}`, headers }), 10_000, what);
  return { res, what, started: tasks - before };
}

/**
 * Never a 5xx; an error answer from fastify's side (413, 405, 415) is a catalog `{ error }`, and
 * every GraphQL error carries a catalog code other than INTERNAL. The parsed body.
 */
function answered(res: Awaited<ReturnType<typeof send>>['res'], what: string): Gql | Gql[] | null {
  let body: unknown = null;
  try {
    body = JSON.parse(res.body);
  } catch {
    // expectCatalogAnswer reports it
  }
  const graphqlShaped = body !== null && typeof body === 'object' && (Array.isArray(body) || 'errors' in body || 'data' in body);
  if (!graphqlShaped) {
    expectCatalogAnswer(res, what);
    return null;
  }
  if (res.statusCode >= 500) expectCatalogAnswer(res, what);
  for (const one of Array.isArray(body) ? (body as Gql[]) : [body as Gql]) {
    for (const e of one?.errors ?? []) {
      const code = e.extensions?.code;
      if (code === 'INTERNAL' || !code || !Object.hasOwn(ERROR_CATALOG, code)) {
        const stack = loggedFor(res);
        violation(`GraphQL error ${code ?? 'without a code'}: ${e.message.slice(0, 60)} ${topFrames(stack)}`, `${what}\n→ ${res.statusCode} ${res.body.slice(0, 1000)}\nlogged: ${stack || '(nothing)'}`);
      }
    }
  }
  return body as Gql | Gql[];
}

const executed = (g: Gql) => 'data' in g && g.data !== null && g.data !== undefined;

function judge(d: Doc, g: Gql, started: number, what: string, method: 'POST' | 'GET' = 'POST'): void {
  const codes = (g.errors ?? []).map((e) => e.extensions?.code);
  if (d.weight > MAX_COST || d.fields > MAX_FIELDS) {
    if (executed(g)) violation(`executed a document over the limit (weight ${d.weight > MAX_COST ? '>' : '≤'} ${MAX_COST}, fields ${d.fields > MAX_FIELDS ? '>' : '≤'} ${MAX_FIELDS})`, `${what}\nweight ${d.weight}, fields ${d.fields}, tasks started ${started}`);
    else if (method === 'POST' && !d.invalid && !codes.includes('QUERY_TOO_COMPLEX') && !codes.includes('GRAPHQL_INVALID')) violation(`refused without QUERY_TOO_COMPLEX: ${codes.join(',')}`, `${what}\n→ ${JSON.stringify(g).slice(0, 500)}`);
  }
  if (!executed(g) && started > 0) violation('a refused document started worker tasks', `${what}\n→ ${JSON.stringify(g).slice(0, 500)}\ntasks started: ${started}`);
  if (executed(g) && started > d.heavy) violation('more worker tasks than task-running root fields', `${what}\ntasks started ${started}, heavy root fields ${d.heavy}`);
}

describe('GraphQL documents', () => {
  it('random documents (aliases, fragments, variables of wrong types): no 5xx, limits hold, refused documents start no task', { timeout: TIMEOUT }, async () => {
    await check(
      fc.asyncProperty(doc, fc.constantFrom(undefined, 'application/json', 'application/graphql-response+json'), fc.constantFrom<'POST' | 'GET'>('POST', 'POST', 'POST', 'GET'), async (d, accept, method) => {
        const { res, what, started } = await send(method, { query: d.query, variables: d.variables }, accept);
        const g = answered(res, what);
        if (g && !Array.isArray(g)) judge(d, g, started, what, method);
        else if (started > 0 && res.statusCode >= 400) violation(`a ${res.statusCode} that started worker tasks`, `${what}\n→ ${res.body.slice(0, 300)}`);
      }),
      { numRuns: runs(200) },
      FILE,
    );
  });

  it('thousands of aliases up to the body limit: refused before any task', { timeout: TIMEOUT }, async () => {
    await check(
      fc.asyncProperty(huge, async (d) => {
        const { res, what, started } = await send('POST', { query: d.query }, undefined);
        const g = answered(res, `${d.query.length} characters: ${what.slice(0, 300)}`);
        if (g && !Array.isArray(g)) judge(d, g, started, what.slice(0, 300));
        else if (started > 0) violation(`a ${res.statusCode} that started worker tasks`, `${what.slice(0, 300)}\n→ ${res.body.slice(0, 300)}`);
      }),
      { numRuns: runs(12) },
      FILE,
    );
  });

  it('batches of documents: no 5xx; a refused batch starts no task, an executed one at most its task-running fields', { timeout: TIMEOUT }, async () => {
    await check(
      fc.asyncProperty(fc.array(doc, { minLength: 1, maxLength: 6 }), async (docs) => {
        const { res, what, started } = await send('POST', docs.map((d) => ({ query: d.query, variables: d.variables })), undefined);
        const body = answered(res, what);
        const heavy = docs.reduce((s, d) => s + d.heavy, 0);
        if (res.statusCode >= 400 && !Array.isArray(body) && started > 0) violation('a refused batch started worker tasks', `${what}\n→ ${res.body.slice(0, 300)}\ntasks ${started}`);
        if (started > heavy) violation('a batch started more tasks than its task-running fields', `${what}\ntasks ${started}, heavy ${heavy}`);
        if (Array.isArray(body)) body.forEach((g, i) => g && executed(g) && (docs[i].weight > MAX_COST || docs[i].fields > MAX_FIELDS) && violation('executed a batched document over the limit', `${what}\ndocument ${i}`));
      }),
      { numRuns: runs(40) },
      FILE,
    );
  });
});
