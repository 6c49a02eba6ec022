/**
 * GraphQL errors and status codes, after the GraphQL-over-HTTP spec (graphql/graphql-over-http,
 * "Status Codes"):
 *   - the response media type follows Accept: application/graphql-response+json when the client
 *     accepts it (or sends no Accept, or * / *), application/json otherwise;
 *   - a request the server cannot read (bad JSON, no query, a query that is not a string): 4xx
 *     under both media types;
 *   - a GraphQL request error (the document does not parse or validate, the variables do not fit,
 *     QUERY_TOO_COMPLEX): 400 under application/graphql-response+json; 200 under application/json,
 *     whose clients cannot trust a non-200 body (the spec's SHOULD); the body has `errors`, no `data`;
 *   - field errors during execution: 200, `data` null where a field failed.
 * Every error carries extensions.code from the catalog: GraphQL's own messages ("Did you mean …")
 * under GRAPHQL_INVALID, domain errors with their catalog code, path, layer and shapes; anything
 * else is logged in full and answered as INTERNAL without internals. A variable's error (a value
 * its type refuses, a required one missing) has extensions.path at the value in the request:
 * `$.variables.gates[1].maxIncrease` in a POST body, `query.variables.n` for GET (variables.ts); an
 * error in the document (a syntax error, a field the schema lacks, a cost limit) is at the
 * document (`$.query`, GET's `query.query`, an application/graphql body's `$`), its line and column
 * in `locations` where it has them.
 */
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { GraphQLError } from 'graphql';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import mercurius from 'mercurius';
import type { MercuriusOptions } from 'mercurius';
import { ERROR_CATALOG, jsonPath } from '../../errors.js';
import { acceptQuality } from '../accept.js';
import { toConvlensError } from '../errors.js';
import { MAX_ERROR_STRING, boundText } from '../error-text.js';
import { variableErrorPaths } from './variables.js';

/** What POST /graphql reads, for a 415's advice. */
export const GRAPHQL_READS = 'application/json: { "query": "…", "variables": { … } }';

export const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json';
export type ResponseMediaType = typeof GRAPHQL_RESPONSE_JSON | 'application/json';

/**
 * Catalog errors a hook finds in a well-formed GraphQL-over-HTTP request (an operationName that
 * picks no operation; any QUERY_TOO_COMPLEX, such as a document over GRAPHQL_MAX_DOCUMENT_BYTES,
 * found in a worker too): answered with the status of graphql-js's request errors, 400 under
 * application/graphql-response+json and 200 under application/json, not their catalog status.
 */
const requestLevel = new WeakSet<object>();
export function asRequestError<E extends object>(e: E): E {
  requestLevel.add(e);
  return e;
}

/**
 * The media type of the answer. No Accept header: application/graphql-response+json (the spec's
 * default since 2025-01-01). A tie goes to application/graphql-response+json; an Accept that
 * allows neither is disregarded in favour of application/json (the spec permits either that or 406).
 */
export function responseMediaType(accept: string | string[] | undefined): ResponseMediaType {
  const header = Array.isArray(accept) ? accept.join(',') : accept;
  if (!header || header.trim() === '') return GRAPHQL_RESPONSE_JSON;
  const graphql = acceptQuality(header, GRAPHQL_RESPONSE_JSON);
  const json = acceptQuality(header, 'application/json');
  if (graphql === 0 && json === 0) return 'application/json';
  return graphql >= json ? GRAPHQL_RESPONSE_JSON : 'application/json';
}

interface Context {
  reply?: FastifyReply;
  app?: { log: FastifyBaseLogger; graphql?: { schema?: GraphQLSchema } };
}

/** Paths of the errors' variable values in the request (undefined for other errors). */
type Locate = (errors: readonly GraphQLError[]) => (string | undefined)[];

/**
 * Where the request holds its variables, and their value: a POST body's `variables`, or GET's
 * `?variables=` (JSON); and where it holds its document (`documentAt`): `$.query`, GET's
 * `query.query`, or the body itself (`$`) sent as application/graphql.
 */
function requestVariables(reply: FastifyReply | undefined): { at: string; variables: unknown; documentAt: string } {
  const request = reply?.request;
  if (request?.method !== 'GET' && request?.method !== 'HEAD') {
    const documentAt = /^application\/graphql\s*(;|$)/i.test(request?.headers['content-type'] ?? '') ? '$' : '$.query';
    return { at: '$.variables', variables: (request?.body as { variables?: unknown } | undefined)?.variables, documentAt };
  }
  const raw = (request.query as { variables?: unknown } | undefined)?.variables;
  let variables: unknown;
  try {
    variables = typeof raw === 'string' ? JSON.parse(raw) : undefined;
  } catch {
    variables = undefined;
  }
  return { at: 'query.variables', variables, documentAt: 'query.query' };
}

const INTERNAL_MESSAGE = 'internal error; see the service log with this request id';

/** mercurius require()s graphql's CommonJS build and this module imports its ES build: two GraphQLError classes, so no instanceof. */
const isGraphQLError = (e: unknown): e is GraphQLError => Object.prototype.toString.call(e) === '[object GraphQLError]';
type Original = Error & { code?: unknown; statusCode?: unknown; errors?: unknown };

const VALIDATION_ABORTED = new GraphQLError('the document has too many fields for graphql-js to check that they do not conflict (it stopped validating): select fewer fields, or repeat fewer', {
  extensions: { code: 'QUERY_TOO_COMPLEX' },
});

function withCode(e: GraphQLError, code: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, path: e.path, originalError: e.originalError, extensions: { ...e.extensions, code, ...extra } });
}

/** The JSON path of the body member fastify's schema check refused (its first finding): `$` for a body that is not an object. */
function bodyPath(inner: Error): string {
  const first = (inner as { validation?: { instancePath?: unknown }[] }).validation?.[0]?.instancePath;
  if (typeof first !== 'string' || first === '') return '$';
  // a JSON Pointer (/variables/0): its tokens unescaped, array indices as numbers
  return jsonPath(first.split('/').slice(1).map((t) => (/^(0|[1-9]\d*)$/.test(t) ? Number(t) : t.replace(/~1/g, '/').replace(/~0/g, '~'))));
}

/**
 * Errors before execution: the request, the document, the variables. Returns the errors and the
 * status. An operationName that picks no operation is refused before (graphql/get.ts operationInvalid).
 */
function requestErrors(errors: readonly GraphQLError[], media: ResponseMediaType, log: FastifyBaseLogger | undefined, requestId: string | undefined, contentType: string | undefined, locate: Locate, documentAt: string) {
  const out: GraphQLError[] = [];
  let status = 0;
  const requestError = (code: 'GRAPHQL_INVALID' | 'QUERY_TOO_COMPLEX') => (media === GRAPHQL_RESPONSE_JSON ? ERROR_CATALOG[code].status : 200);
  const at = (path: string | undefined) => (path === undefined ? {} : { path });
  const paths = locate(errors);
  for (const [i, e] of errors.entries()) {
    const original = e.originalError as Original | undefined;
    if (original && original.code === 'MER_ERR_GQL_VALIDATION' && Array.isArray(original.errors)) {
      // the variables' errors (variables given) come here, from mercurius's check before execution
      // graphql-js 16.15 stops its overlapping-fields rule on a document past its work budget with a bare
      // "Validation aborted." (no location, no reason); beside the error that says why (QUERY_TOO_COMPLEX's 1,001 fields) it says nothing
      const all = original.errors as Error[];
      // alone (fields over GRAPHQL_MAX_FIELDS' default, a review found) it is said with its reason, as the limit it is
      const inners = all.length > 1 ? all.filter((inner) => inner.message !== 'Validation aborted.') : all.map((inner) => (inner.message === 'Validation aborted.' ? VALIDATION_ABORTED : inner));
      const innerPaths = locate(inners.filter(isGraphQLError));
      let g = 0;
      for (const inner of inners) {
        if (isGraphQLError(inner)) {
          // graphql-js's own message (syntax, unknown field with "Did you mean", argument and variable types) or our rules'
          const code = inner.extensions.code === 'QUERY_TOO_COMPLEX' ? 'QUERY_TOO_COMPLEX' : 'GRAPHQL_INVALID';
          out.push(withCode(inner, code, at(innerPaths[g++])));
          status = Math.max(status, requestError(code));
        } else {
          // the body's shape (fastify's schema check): not a well-formed GraphQL-over-HTTP request
          out.push(new GraphQLError(`not a GraphQL request: ${inner.message}; send { "query": "…", "variables": { … }, "operationName": "…" }`, { extensions: { code: 'GRAPHQL_INVALID', path: bodyPath(inner) } }));
          status = Math.max(status, 400);
        }
      }
      continue;
    }
    const known = original ? toConvlensError(original, contentType, GRAPHQL_READS) : null;
    if (known) {
      const { message, ...details } = known.toJSON();
      out.push(new GraphQLError(message, { extensions: details }));
      // QUERY_TOO_COMPLEX is a request error wherever it is found (the document's size: graphql/document-size.ts), as graphql-js's limits are
      status = Math.max(status, known.code === 'QUERY_TOO_COMPLEX' ? requestError('QUERY_TOO_COMPLEX') : requestLevel.has(original!) ? requestError('GRAPHQL_INVALID') : known.status);
    } else if (original?.code === 'MER_ERR_GQL_PERSISTED_QUERY_NOT_FOUND') {
      // at the member the document belongs in ($.query, GET's query.query; an application/graphql body is the document)
      out.push(new GraphQLError('the request has no query: POST { "query": "{ models { name } }" } as JSON, or GET /graphql?query=…', { extensions: { code: 'GRAPHQL_INVALID', path: documentAt } }));
      status = Math.max(status, 400);
    } else if (original && typeof original.statusCode === 'number' && original.statusCode >= 400 && original.statusCode < 500) {
      out.push(new GraphQLError(original.message, { extensions: { code: 'GRAPHQL_INVALID' } }));
      status = Math.max(status, original.statusCode);
    } else if (!original || isGraphQLError(original)) {
      // a GraphQLError thrown before execution (the syntax and token checks in graphql.ts's preParsing hook), or
      // execution's own refusal of the variables (a required one missing when the request has no variables)
      const code = e.extensions.code === 'QUERY_TOO_COMPLEX' ? 'QUERY_TOO_COMPLEX' : 'GRAPHQL_INVALID';
      out.push(withCode(e, code, at(paths[i])));
      status = Math.max(status, requestError(code));
    } else {
      log?.error({ err: original }, 'unhandled GraphQL error');
      out.push(new GraphQLError(INTERNAL_MESSAGE, { extensions: { code: 'INTERNAL', requestId } }));
      status = 500;
    }
  }
  for (const e of out) if (e.extensions.code !== 'INTERNAL') log?.info({ code: e.extensions.code }, boundText(e.message));
  return { errors: out, status };
}

/** Field errors during execution: catalog errors keep their code and details; anything else is INTERNAL. */
function fieldError(e: GraphQLError, log: FastifyBaseLogger | undefined, requestId: string | undefined): GraphQLError {
  const original = e.originalError;
  if (original instanceof mercurius.ErrorWithProps) return e;
  const known = original ? toConvlensError(original) : null;
  if (known) {
    const { message, ...details } = known.toJSON();
    log?.info({ code: known.code, path: known.details.path, layer: known.details.layer }, message);
    return new GraphQLError(message, { nodes: e.nodes, source: e.source, positions: e.positions, path: e.path, originalError: original, extensions: details });
  }
  log?.error({ err: original ?? e }, 'unhandled GraphQL error');
  // graphql-js's own execution errors (a null for a non-null field) say nothing internal; others are hidden
  const message = original ? INTERNAL_MESSAGE : e.message;
  return new GraphQLError(message, { nodes: e.nodes, source: e.source, positions: e.positions, path: e.path, extensions: { code: 'INTERNAL', requestId } });
}

export const formatErrors: NonNullable<MercuriusOptions['errorFormatter']> = (execution, context) => {
  const reply = (context as Context).reply;
  const log = reply?.log ?? (context as Context).app?.log;
  const requestId = reply?.request?.id;
  // graphql-js's messages echo the document and the variables (a value its type refuses): bounded as the catalog's are (error-text.ts)
  const format = (errors: GraphQLError[]): GraphQLFormattedError[] =>
    errors.map((e) => {
      const json = e.toJSON();
      return json.message.length > MAX_ERROR_STRING ? { ...json, message: boundText(json.message) } : json;
    });
  if (!('data' in execution)) {
    const { at, variables, documentAt } = requestVariables(reply);
    // a variable's error at its value; the document's (a syntax error or an unknown field, with locations; a cost limit) at the document
    const inDocument = (e: GraphQLError) => Boolean(e.locations?.length) || e.extensions?.code === 'QUERY_TOO_COMPLEX';
    const locate: Locate = (errors) => variableErrorPaths(errors, (context as Context).app?.graphql?.schema, variables, at).map((path, i) => path ?? (inDocument(errors[i]) ? documentAt : undefined));
    const { errors, status } = requestErrors(execution.errors, responseMediaType(reply?.request?.headers?.accept), log, requestId, reply?.request?.headers?.['content-type'], locate, documentAt);
    return { statusCode: status, response: { errors: format(errors) } };
  }
  return { statusCode: 200, response: { data: execution.data, errors: format(execution.errors.map((e) => fieldError(e, log, requestId))) } };
};
