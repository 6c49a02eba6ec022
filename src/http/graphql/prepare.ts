/**
 * A large GraphQL request (a JSON body over OFFLOAD_JSON_BYTES) prepared in the large-JSON worker
 * (http/offload-worker.ts), so that its tensors are decoded there and only what the event loop needs
 * comes back. The document is parsed there and each root field that decodes tensors (run,
 * runOperator, foldBatchNorm, effectiveReceptiveField, and the mutation submitJob: PREPARERS) has its
 * arguments read and its request built there with the very functions its resolver calls (so the
 * answers and errors are the same); the built request,
 * its tensors' buffers moved, not copied, comes back beside the body, and a variable read only by
 * such fields comes back as a placeholder rather than as the JSON tree it was. Parsed there and the
 * whole body cloned back, a 19 MB run body of 2 M numbers, then decoded on the event loop, held GET
 * /healthz for up to 1.9–2.3 s (p99, 4 clients). submitJob's job comes back ready as its queue takes
 * it (jobs/request.ts ReadyJob: in-process prepared, its tensors moved; for Redis checked and written
 * as JSON), so the request is parsed once; it came back as JSON bytes that a worker parsed again.
 *
 * The resolver takes its prepared request when there is one for its response key (preparedField),
 * else builds it from its arguments as for a small body. Anything the worker cannot read as
 * graphql-js will (a document that does not parse, an operation it does not pick out, variables that
 * do not coerce, a directive on the field) is left alone: the event loop answers it as before.
 */
import type { FastifyRequest } from 'fastify';
import { Kind, buildSchema, getArgumentValues, getOperationAST, getVariableValues, visit } from 'graphql';
import type { FieldNode, GraphQLSchema, GraphQLResolveInfo, TypeNode, ValueNode } from 'graphql';
import { ConvlensError, fromSerialized, movePaths } from '../../errors.js';
import type { SerializedError } from '../../errors.js';
import { foldRequest, operatorRequest, runRequest } from '../compute.js';
import { parseJsonBytes } from '../body.js';
import { erfRequest } from '../erf-request.js';
import { jobBody } from '../../jobs/graphql.js';
import { readyJob } from '../../jobs/request.js';
import type { ReadyJob, ReadyJobs } from '../../jobs/request.js';
import { literalTooLong } from './literals.js';
import { documentTooLarge } from './document-size.js';
import { DEFAULT_GRAPHQL_MAX_DOCUMENT_BYTES } from '../../limits.js';
import { forgetParse, parseOnce } from './parse-once.js';
import { loadSDL } from './sdl.js';

/** GraphQL passes omitted optional arguments as null; the REST normalisers expect them absent. */
export function stripNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

/**
 * `run()`, an error at the path `from` put at the argument's path `to`: model(name:) and
 * runOperator(name:) share REST's code, whose model is at `$.model` (a body's field) and operator
 * at `name` (the URL's); GraphQL's argument is `$.name` (both were answered at REST's paths).
 */
export function atArgument<T>(from: string, to: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof ConvlensError && e.details.path === from) throw movePaths(e, (p) => (p === from ? to : p));
    throw e;
  }
}

/**
 * The request each tensor-decoding root field builds from its arguments before it calls the pool:
 * its resolver's first step (graphql.ts), run on the event loop for a small body and in the worker
 * for a large one.
 */
export const PREPARERS = {
  run: (args: Record<string, unknown>, maxElements: number) => runRequest({ fields: stripNulls(args), files: {} }, maxElements).task,
  runOperator: (args: Record<string, unknown>, maxElements: number) => {
    const { name, ...fields } = args;
    return atArgument('name', '$.name', () => operatorRequest(String(name), { fields: stripNulls(fields), files: {} }, maxElements)).call;
  },
  foldBatchNorm: (args: Record<string, unknown>, maxElements: number) => foldRequest({ fields: stripNulls(args), files: {} }, maxElements).task,
  // the heatmap is drawn when the selection asks for it: graphql/erf.ts sets it (either value checks alike)
  effectiveReceptiveField: (args: Record<string, unknown>, maxElements: number) => erfRequest({ fields: { ...stripNulls(args), heatmap: true }, files: new Map() }, maxElements).job,
  // the job made ready as the queue takes it (prepared, or checked and written as JSON): parsed once, here; without `jobs`, left to the resolver
  submitJob: (args: Record<string, unknown>, _maxElements: number, jobs?: ReadyJobs['readies']): ReadyJob | undefined => {
    if (!jobs) return undefined;
    return readyJob(jobBody(args as { kind: unknown; request: unknown }), jobs);
  },
};
/** The operation each prepared root field is a field of. */
const OPERATION_OF: Record<keyof typeof PREPARERS, 'query' | 'mutation'> = { run: 'query', runOperator: 'query', foldBatchNorm: 'query', effectiveReceptiveField: 'query', submitJob: 'mutation' };

type Preparers = typeof PREPARERS;
export type PreparedOf<K extends keyof Preparers> = ReturnType<Preparers[K]>;

/** A root field's request built in the worker, or the catalog error building it threw. */
type PreparedField = { field: keyof Preparers; value: unknown } | { field: keyof Preparers; error: SerializedError };

/** What the worker answers: the body (its prepared fields' variables as placeholders) and the prepared fields by response key. */
export interface PreparedRequest {
  body: unknown;
  prepared?: { query: string; operation: 'query' | 'mutation'; fields: Record<string, PreparedField> };
}

let schema: GraphQLSchema | undefined;
/** The SDL's schema (its scalars graphql-js's defaults: JSON values pass as they are, as the JSON scalar's parseValue passes them). */
const sdlSchema = (): GraphQLSchema => (schema ??= buildSchema(loadSDL()));

const namedType = (t: TypeNode): string => (t.kind === Kind.NAMED_TYPE ? t.name.value : t.kind === Kind.NON_NULL_TYPE ? namedType(t.type) : '');

/** A placeholder any value of the variable's type coerces like: only JSON and String variables are replaced, and only by a value of their own type. */
function placeholder(type: TypeNode, value: unknown): unknown {
  if (type.kind === Kind.LIST_TYPE || (type.kind === Kind.NON_NULL_TYPE && type.type.kind === Kind.LIST_TYPE)) return value;
  const name = namedType(type);
  if (name === 'JSON' && value !== null && typeof value === 'object') return {};
  if ((name === 'JSON' || name === 'String') && typeof value === 'string' && value.length > 0) return '';
  return value;
}

/** The variables named in a value (an argument's), counted. */
function countVariables(value: ValueNode, counts: Map<string, number>): void {
  visit(value, {
    Variable(node) {
      counts.set(node.name.value, (counts.get(node.name.value) ?? 0) + 1);
    },
  });
}

/**
 * The worker's side: a large GraphQL request's JSON parsed (GRAPHQL_MAX_TOKENS and
 * GRAPHQL_MAX_DOCUMENT_BYTES for its name maps, body.ts) and its tensor-decoding root fields
 * prepared (maxElements: MAX_TENSOR_ELEMENTS, as the resolvers read it). A document over
 * `maxDocumentBytes` is refused here, unparsed, as graphql.ts refuses a small body's (the same
 * error: the body's members are checked after it on the event loop too); only the error goes back.
 */
export function prepareGraphql(json: Uint8Array, graphqlTokens: number, maxElements: number, jobs?: ReadyJobs['readies'], maxDocumentBytes = DEFAULT_GRAPHQL_MAX_DOCUMENT_BYTES): PreparedRequest {
  try {
    return prepareParsed(json, graphqlTokens, maxElements, jobs, maxDocumentBytes);
  } finally {
    // the document is not read again on this thread
    forgetParse();
  }
}

function prepareParsed(json: Uint8Array, graphqlTokens: number, maxElements: number, jobs: ReadyJobs['readies'] | undefined, maxDocumentBytes: number): PreparedRequest {
  const body = parseJsonBytes(json, graphqlTokens, maxDocumentBytes);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { body };
  const { query, operationName, variables } = body as Record<string, unknown>;
  if (typeof query !== 'string') return { body };
  const tooLarge = documentTooLarge(query, maxDocumentBytes, '$.query');
  if (tooLarge) throw tooLarge;
  if (literalTooLong(query)) return { body };
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return { body };
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return { body };
  // parsed once here: the name maps' check (body.ts, for a body holding `__proto__`) read this parse
  const parsed = parseOnce(query, graphqlTokens);
  if ('error' in parsed) return { body };
  const doc = parsed.doc;
  const operation = getOperationAST(doc, typeof operationName === 'string' ? operationName : undefined);
  if (!operation || (operation.operation !== 'query' && operation.operation !== 'mutation')) return { body };
  const kind = operation.operation;
  const root = (kind === 'query' ? sdlSchema().getQueryType() : sdlSchema().getMutationType())!;
  const coerced = getVariableValues(sdlSchema(), operation.variableDefinitions ?? [], (variables ?? {}) as Record<string, unknown>);
  if (coerced.errors) return { body };
  const fields: Record<string, PreparedField> = {};
  const inPrepared = new Map<string, number>();
  for (const node of operation.selectionSet.selections) {
    if (node.kind !== Kind.FIELD || (node.directives?.length ?? 0) > 0 || !Object.hasOwn(PREPARERS, node.name.value)) continue;
    const field = node.name.value as keyof Preparers;
    if (OPERATION_OF[field] !== kind) continue;
    const key = node.alias?.value ?? field;
    // the same key twice: graphql-js merges them when their arguments agree, and refuses them otherwise
    if (Object.hasOwn(fields, key)) continue;
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(root.getFields()[field]!, node as FieldNode, coerced.coerced);
    } catch {
      continue;
    }
    try {
      const value = PREPARERS[field](args, maxElements, jobs);
      // not prepared (submitJob for a queue that takes no ready jobs): the resolver reads its arguments
      if (value === undefined) continue;
      fields[key] = { field, value };
    } catch (e) {
      if (!(e instanceof ConvlensError)) continue;
      fields[key] = { field, error: e.toJSON() };
    }
    for (const arg of node.arguments ?? []) countVariables(arg.value, inPrepared);
  }
  if (Object.keys(fields).length === 0) return { body };
  // a variable read only as a prepared field's argument is not needed again: a placeholder of its type goes back in its place
  const everywhere = new Map<string, number>();
  visit(doc, {
    VariableDefinition: () => false,
    Variable(node) {
      everywhere.set(node.name.value, (everywhere.get(node.name.value) ?? 0) + 1);
    },
  });
  let out = variables as Record<string, unknown> | undefined | null;
  for (const def of operation.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    if (!out || !Object.hasOwn(out, name) || inPrepared.get(name) !== everywhere.get(name)) continue;
    const value = placeholder(def.type, out[name]);
    if (value !== out[name]) out = { ...out, [name]: value };
  }
  return { body: out === variables ? body : { ...body, variables: out }, prepared: { query, operation: kind, fields } };
}

/** The prepared fields of a request, by request (graphql.ts stores them as the worker answers). */
const PREPARED = new WeakMap<FastifyRequest, NonNullable<PreparedRequest['prepared']>>();

/** Keeps a worker's answer for the request's resolvers; the body goes back to the caller. */
export function keepPrepared(request: FastifyRequest, answer: PreparedRequest): unknown {
  if (answer.prepared) PREPARED.set(request, answer.prepared);
  return answer.body;
}

/**
 * A root field's request as the worker built it (throwing the error it met, as building it here
 * would throw), or undefined when the worker did not prepare it: then the resolver builds it.
 */
export function preparedField<K extends keyof Preparers>(request: FastifyRequest | undefined, info: GraphQLResolveInfo, field: K): PreparedOf<K> | undefined {
  const prepared = request && PREPARED.get(request);
  if (!prepared || info.path.prev !== undefined || info.operation.operation !== prepared.operation) return undefined;
  const body = request.body as { query?: unknown } | null;
  if (body?.query !== prepared.query) return undefined;
  const entry = prepared.fields[info.path.key];
  if (!entry || !Object.hasOwn(prepared.fields, info.path.key) || entry.field !== field) return undefined;
  // taken once: the request's tensors are then the resolver's
  delete prepared.fields[info.path.key];
  if ('error' in entry) throw fromSerialized(entry.error);
  return entry.value as PreparedOf<K>;
}
