/**
 * What GET /graphql answers: only reads that cost nothing, since a GET can be sent by any page
 * (an <img>, a link, a prefetch) without CORS and is cached by proxies. A GET document must be a
 * query (GraphQL-over-HTTP: mutations never over GET) whose root fields start no worker task (the
 * catalog: models, model, operators, devices, conventions; see ROOT_FIELD_WEIGHT) and that uses no introspection
 * (`__schema`, `__type`: large answers; tools introspect over POST). Anything else is 405
 * METHOD_NOT_ALLOWED with `Allow: POST`, before anything runs. A document that does not parse is
 * left to mercurius, which answers it as for POST; an operation the document does not pick out
 * (several without operationName, an unknown name) and `variables` that are not a JSON object are
 * 400 GRAPHQL_INVALID here, as POST answers them (mercurius's GET path threw on both: 500).
 */
import { literalTooLong } from './literals.js';
import { parseOnce } from './parse-once.js';

export { parseOnce } from './parse-once.js';
import { Kind, getOperationAST } from 'graphql';
import { closest } from '../../suggest.js';
import type { DocumentNode, FragmentDefinitionNode, SelectionSetNode } from 'graphql';
import { ConvlensError, jsonPath } from '../../errors.js';
import { ROOT_FIELD_WEIGHT } from './complexity.js';
import { asRequestError } from './errors.js';
import { duplicateKeyMessage, jsonTextFault } from '../../json-text.js';

const INTROSPECTION = new Set(['__schema', '__type']);

/** Every field name anywhere in the document (fragments included). */
function fieldNames(doc: DocumentNode): Set<string> {
  const names = new Set<string>();
  const walk = (set: SelectionSetNode | undefined) => {
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) {
        names.add(s.name.value);
        walk(s.selectionSet);
      } else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet);
    }
  };
  for (const d of doc.definitions) if (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION) walk(d.selectionSet);
  return names;
}

/** The root fields of an operation, fragments expanded. */
function rootFieldNames(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, out = new Set<string>(), seen = new Set<string>()): Set<string> {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) out.add(s.name.value);
    else if (s.kind === Kind.INLINE_FRAGMENT) rootFieldNames(s.selectionSet, fragments, out, seen);
    else if (!seen.has(s.name.value) && fragments.has(s.name.value)) {
      seen.add(s.name.value);
      rootFieldNames(fragments.get(s.name.value)!.selectionSet, fragments, out, seen);
    }
  }
  return out;
}

/** The document, or null when there is none or it does not parse (mercurius answers that as for POST). */
function parseDocument(query: unknown, maxTokens: number): DocumentNode | null {
  // a literal too long to parse is refused unparsed (graphql.ts's preParsing check)
  if (typeof query !== 'string' || literalTooLong(query)) return null;
  const parsed = parseOnce(query, maxTokens);
  return 'doc' in parsed ? parsed.doc : null;
}

/** The parameters of a GraphQL request over GET (GraphQL-over-HTTP). */
const GET_PARAMETERS = ['query', 'operationName', 'variables', 'extensions'];

/**
 * A query-string key GET /graphql does not read: 400 INVALID_OPTION at it, with the closest
 * parameter (`?varibles=` was ignored, the operation then run without its variables). A POST
 * reads its request from the body only; keys in its URL (a client's `?op=Name` for the logs, a
 * proxy's cache-buster) are left alone.
 */
export function unknownParameter(method: string, params: Record<string, unknown>): ConvlensError | null {
  if (method === 'POST') return null;
  const key = Object.keys(params).find((k) => !GET_PARAMETERS.includes(k));
  if (key === undefined) return null;
  const suggestion = closest(key, GET_PARAMETERS);
  return new ConvlensError('INVALID_OPTION', `GET /graphql takes ${GET_PARAMETERS.join(', ')}; got ?${key}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`, {
    path: `query.${key}`,
    ...(suggestion ? { suggestion } : {}),
  });
}

/** The members of a GraphQL request's JSON body (GraphQL-over-HTTP). */
const BODY_MEMBERS = ['query', 'operationName', 'variables', 'extensions'];

/**
 * A POST body member /graphql does not read (`varibles` was ignored, the operation run without its
 * variables): 400 INVALID_OPTION at it, with the closest member; a query that is not a string
 * (an array of one ran as if it were its string) is 400 GRAPHQL_INVALID at $.query.
 */
export function bodyInvalid(body: unknown): ConvlensError | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const key = Object.keys(body).find((k) => !BODY_MEMBERS.includes(k));
  if (key !== undefined) {
    const suggestion = closest(key, BODY_MEMBERS);
    return new ConvlensError('INVALID_OPTION', `a GraphQL request holds ${BODY_MEMBERS.join(', ')}; got '${key}'${suggestion ? ` (did you mean ${suggestion}?)` : ''}`, {
      path: jsonPath([key]),
      ...(suggestion ? { suggestion } : {}),
    });
  }
  const { query, operationName, variables, extensions } = body as Record<string, unknown>;
  if (query !== undefined && typeof query !== 'string') {
    return new ConvlensError('GRAPHQL_INVALID', `query must be a string (the GraphQL document), got ${kindOf(query)}`, { path: '$.query' });
  }
  // the schema mercurius gives fastify would turn operationName 5 into "5" ("Unknown operation named "5"") and
  // answer a variables array without saying which member: each at its own path (found by the fuzz round)
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
    return new ConvlensError('GRAPHQL_INVALID', `operationName must be a string (the name of one of the document's operations) or null, got ${kindOf(operationName)}`, { path: '$.operationName' });
  }
  return notAnObject('variables', variables, '$.variables') ?? notAnObject('extensions', extensions, '$.extensions');
}

/** A JSON value's kind, for a message: `an array`, `null`, `number`. */
const kindOf = (v: unknown) => (Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v);

/** `variables` or `extensions` (a POST's member, a GET's parsed parameter) that is not a JSON object, null or absent: 400 at `at`. */
function notAnObject(member: 'variables' | 'extensions', value: unknown, at: string): ConvlensError | null {
  if (value === undefined || value === null || (typeof value === 'object' && !Array.isArray(value))) return null;
  return new ConvlensError('GRAPHQL_INVALID', `${member} must be a JSON object (or null), got ${kindOf(value)}`, { path: at });
}

/** Why a GET's query string is not a GraphQL request (400 GRAPHQL_INVALID), or null when it may be answered. */
export function getInvalid(params: Record<string, unknown>, maxTokens: number): ConvlensError | null {
  // a parameter given twice (`?query=…&query=…`) arrives as an array: which one was meant is not ours to pick
  const repeated = GET_PARAMETERS.find((k) => Array.isArray(params[k]));
  if (repeated !== undefined) return new ConvlensError('GRAPHQL_INVALID', `${repeated} is given ${(params[repeated] as unknown[]).length} times; give it once`, { path: `query.${repeated}` });
  for (const member of ['variables', 'extensions'] as const) {
    const text = params[member];
    if (typeof text !== 'string') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      return new ConvlensError('GRAPHQL_INVALID', `${member} is not JSON: ${(e as Error).message}; send ${member}={"name":…} (URL-encoded)`, { path: `query.${member}` });
    }
    const fault = jsonTextFault(text);
    if (fault?.kind === 'duplicate') return new ConvlensError('GRAPHQL_INVALID', `${member}: ${duplicateKeyMessage(fault)}`, { path: `query.${member}` });
    const notObject = notAnObject(member, parsed, `query.${member}`);
    if (notObject) return notObject;
  }
  return operationInvalid(params.query, params.operationName, maxTokens, 'query.operationName');
}

/**
 * An operationName that picks no operation of the document (none of that name; none given for
 * several): 400 GRAPHQL_INVALID at `at`, naming the document's operations, for GET and POST alike
 * (over POST graphql-js's own error lost its path whenever the body had variables). Null when it
 * picks one, or when the document does not parse (its syntax error is answered as such).
 */
export function operationInvalid(query: unknown, operationName: unknown, maxTokens: number, at: string): ConvlensError | null {
  const doc = parseDocument(query, maxTokens);
  if (!doc) return null;
  // an empty name names no operation
  const name = typeof operationName === 'string' ? operationName : undefined;
  if (getOperationAST(doc, name)) return null;
  const names = doc.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [d.name?.value ?? '(anonymous)'] : []));
  if (names.length === 0) return null; // no operation at all: the schema's validation answers it
  const listed = names.join(', ');
  // graphql-js's request error in a well-formed request: 200 under application/json (graphql/errors.ts)
  return asRequestError(
    name === undefined
      ? new ConvlensError('GRAPHQL_INVALID', `the document holds ${names.length} operations (${listed}): name the one to run in operationName`, { path: at })
      : new ConvlensError('GRAPHQL_INVALID', `unknown operation named "${name}": the document holds ${listed}`, { path: at }),
  );
}

/** Why a GET may not run this document, or null when it may (or when mercurius should answer it). */
export function getRefusal(query: unknown, operationName: unknown, maxTokens: number): string | null {
  const doc = parseDocument(query, maxTokens);
  if (!doc) return null;
  const op = getOperationAST(doc, typeof operationName === 'string' ? operationName : undefined);
  if (!op) return null;
  if (op.operation !== 'query') return `a ${op.operation} is never sent over GET`;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const working = [...rootFieldNames(op.selectionSet, fragments)].filter((f) => (ROOT_FIELD_WEIGHT[f] ?? 1) > 1);
  if (working.length > 0) return `${working.join(', ')} start${working.length === 1 ? 's' : ''} work on the service`;
  const introspection = [...fieldNames(doc)].filter((f) => INTROSPECTION.has(f));
  if (introspection.length > 0) return `introspection (${introspection.join(', ')}) is answered over POST only`;
  return null;
}

/** The error a refused GET answers with (405, `Allow: POST` set by the caller). */
export function getNotAllowed(reason: string): ConvlensError {
  return new ConvlensError('METHOD_NOT_ALLOWED', `GET /graphql answers only reads that start no work (models, model, operators, devices, conventions, job) without introspection: ${reason}; send it as POST /graphql`, {
    path: '/graphql',
    allowed: ['POST'],
  });
}
