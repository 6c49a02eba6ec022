/** GraphQL through mercurius: the SDL under schema/graphql/, resolvers over the same pool tasks as REST. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import mercurius from 'mercurius';
import type { MercuriusOptions } from 'mercurius';
import { GraphQLError } from 'graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { ConvlensError } from '../errors.js';
import type { FlopConvention, Report } from '../analysis/report.js';
import { PACKAGE_ROOT } from '../paths.js';
import type { TaskPool } from '../runtime/pool.js';
import { modelSpec, requestSource } from '../graph/load.js';
import { parseOptions } from './options.js';
import { modelCatalog, operatorCatalog } from './catalog.js';
import { toConvlensError } from './errors.js';
import { transferable } from './body.js';
import { callFold, callOperator, callRun, foldRequest, operatorRequest, operatorResponse, runRequest, runResponse } from './compute.js';

/** `inputShapes` as `{ "input": [1, 3, 224, 224] }`; the key "" means the first input. */
function parseInputShapes(raw: unknown): Record<string, number[]> {
  if (raw === undefined || raw === null) return {};
  const ok =
    typeof raw === 'object' &&
    !Array.isArray(raw) &&
    Object.values(raw as object).every((v) => Array.isArray(v) && v.length > 0 && v.every((d) => Number.isInteger(d) && d > 0));
  if (!ok) throw new ConvlensError('INVALID_OPTION', 'inputShapes must map input names to arrays of positive integers, e.g. { "input": [1, 3, 224, 224] }', { path: '$.inputShapes' });
  return raw as Record<string, number[]>;
}

export function loadSDL(): string {
  const dir = path.join(PACKAGE_ROOT, 'schema', 'graphql');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
}

const toGql = (c: FlopConvention) => (c === '2macs' ? 'twoMacs' : c);
const fromGql = (c: unknown) => (c === 'twoMacs' ? '2macs' : c);

type Parent = Record<string, any>;

/** Catalog errors become GraphQL errors whose extensions carry the code, path, layer and shapes. */
async function withErrors<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const known = toConvlensError(e);
    if (!known) throw e;
    throw new mercurius.ErrorWithProps(known.message, { ...known.toJSON() }, known.status);
  }
}

/**
 * Catalog errors (ErrorWithProps) and GraphQL's own (syntax, validation) reach the client; anything
 * else is logged in full and answered as INTERNAL, without internals.
 */
export const formatErrors: NonNullable<MercuriusOptions['errorFormatter']> = (execution, context) => {
  const errors = execution.errors.map((e) => {
    const original = e.originalError;
    if (!original || original instanceof mercurius.ErrorWithProps) return e;
    context.reply.log.error({ err: original }, 'unhandled GraphQL error');
    return new GraphQLError('internal error; see the service log with this request id', {
      path: e.path,
      extensions: { code: 'INTERNAL', requestId: context.reply.request.id },
    });
  });
  return mercurius.defaultErrorFormatter({ ...execution, errors }, context);
};

/** GraphQL passes omitted optional arguments as null; the REST normalisers expect them absent. */
function stripNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

export async function graphqlRoutes(app: FastifyInstance, opts: { pool: TaskPool; graphiql: boolean; maxElements: number }): Promise<void> {
  const { pool } = opts;
  const memory = (m: Parent) => ({ ...m.elements, elements: m.elements.total, bytes: m.bytes });
  const byConvention = (f: Parent) => ({ twoMacs: f['2macs'], macs: f.macs, seed: f.seed });
  await app.register(mercurius, {
    schema: loadSDL(),
    graphiql: opts.graphiql,
    path: '/graphql',
    queryDepth: 12,
    errorFormatter: formatErrors,
    resolvers: {
      JSON: GraphQLJSON,
      Query: {
        analyze: (
          _: unknown,
          args: { spec?: unknown; model?: string; resolution?: number; onnxBase64?: string; inputShapes?: unknown; options?: Record<string, unknown> },
        ) =>
          withErrors(() => {
            const options = parseOptions(args.options ? { ...args.options, flops: fromGql(args.options.flops ?? undefined) ?? undefined } : {}, 'body');
            const bytes = args.onnxBase64 === undefined || args.onnxBase64 === null ? undefined : transferable(Buffer.from(args.onnxBase64, 'base64'));
            const source = requestSource(
              { ...stripNulls({ spec: args.spec, model: args.model, resolution: args.resolution }), onnx: bytes, inputShapes: parseInputShapes(args.inputShapes) },
              'spec, model (a zoo name) or onnxBase64',
            );
            return pool.run<Report>('analyze', { source, options }, bytes ? [bytes.buffer as ArrayBuffer] : []);
          }),
        models: () => modelCatalog().map((m) => ({ ...m, torchvisionParams: m.torchvision?.params ?? null, torchvisionGmacs: m.torchvision?.gmacs ?? null })),
        model: (_: unknown, args: { name: string; resolution?: number }) => withErrors(() => modelSpec(args.name, args.resolution ?? undefined)),
        operators: operatorCatalog,
        runOperator: (_: unknown, args: Record<string, unknown>) =>
          withErrors(async () => {
            const { name, ...fields } = args;
            const { call, encoding } = operatorRequest(String(name), { fields: stripNulls(fields), files: {} }, opts.maxElements);
            return operatorResponse(await callOperator(pool, call), encoding, call.name);
          }),
        foldBatchNorm: (_: unknown, args: Record<string, unknown>) =>
          withErrors(async () => {
            const { task, encoding } = foldRequest({ fields: stripNulls(args), files: {} }, opts.maxElements);
            return callFold(pool, task, encoding);
          }),
        run: (_: unknown, args: Record<string, unknown>) =>
          withErrors(async () => {
            const { task, encoding } = runRequest({ fields: stripNulls(args), files: {} }, opts.maxElements);
            return runResponse(await callRun(pool, task), encoding);
          }),
      },
      Conventions: { flops: (p: Parent) => toGql(p.flops) },
      LayerReport: {
        sourceOpType: (p: Parent) => p.source?.opType ?? null,
        flopsByConvention: (p: Parent) => byConvention(p.flopsByConvention),
        memoryAccess: (p: Parent) => memory(p.memoryAccess),
      },
      Totals: {
        flopsByConvention: (p: Parent) => byConvention(p.flopsByConvention),
        memoryAccess: (p: Parent) => memory(p.memoryAccess),
      },
      Warning: {
        details: (p: Parent) => {
          const { code: _c, severity: _s, message: _m, layer: _l, ...rest } = p;
          return Object.keys(rest).length ? rest : null;
        },
      },
    } as never,
  });
}
